// The stdio backend: the process's own stdin and stdout (a monitor on
// `-monitor stdio`, `-nographic`'s muxed console).
#include <unistd.h>

#include "chardev/char_backends.h"
#include "chardev/char_stream.h"

namespace migemu {

Result<std::unique_ptr<Chardev>> create_stdio_chardev(const ChardevConfig& cfg) {
  auto c = std::make_unique<StreamChardev>(cfg.id, StreamChardev::Kind::Stdio, cfg.filename);
  c->start_connected(Fd(STDIN_FILENO), Fd(STDOUT_FILENO));
  return std::unique_ptr<Chardev>(std::move(c));
}

}  // namespace migemu
