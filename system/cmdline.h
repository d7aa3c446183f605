// QEMU-style command line parsing (softmmu/vl.c's option table, QemuOpts).
#pragma once

#include <string>
#include <vector>

#include "qapi/error.h"
#include "system/config.h"

namespace migemu {

// args excludes argv[0]. On error, Error.desc is the text QEMU prints after
// "PROGNAME: " on stderr (including QEMU's "-opt value: " location prefix);
// main() prints it and exits with status 1, as QEMU does.
Result<Config> parse_command_line(const std::vector<std::string>& args);

// Texts for -version and -help.
std::string version_text();
std::string help_text();

}  // namespace migemu
