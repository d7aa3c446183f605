// One creator per chardev backend (chardev.cc dispatches on the backend
// name). Private to chardev/.
#pragma once

#include <memory>

#include "chardev/chardev.h"

namespace migemu {

Result<std::unique_ptr<Chardev>> create_socket_chardev(const ChardevConfig& cfg);
Result<std::unique_ptr<Chardev>> create_pty_chardev(const ChardevConfig& cfg);
Result<std::unique_ptr<Chardev>> create_file_chardev(const ChardevConfig& cfg);
Result<std::unique_ptr<Chardev>> create_null_chardev(const ChardevConfig& cfg);
Result<std::unique_ptr<Chardev>> create_stdio_chardev(const ChardevConfig& cfg);

}  // namespace migemu
