// The file backend: output appended to or truncating a file (QEMU's
// `-chardev file,path=P[,append=on]`); it never has input.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "chardev/char_backends.h"

namespace migemu {

namespace {

class FileChardev : public Chardev {
 public:
  FileChardev(std::string id, std::string filename, Fd fd)
      : Chardev(std::move(id), std::move(filename)), fd_(std::move(fd)) {}
  void set_handlers(Handlers h) override {
    // A file is "connected" from the start, as QEMU's fd chardevs are.
    if (h.opened) h.opened();
  }
  void write(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void set_reading(bool) override {}
  bool connected() const override { return true; }

 private:
  Fd fd_;
};

}  // namespace

Result<std::unique_ptr<Chardev>> create_file_chardev(const ChardevConfig& cfg) {
  const std::string& path = cfg.path.value_or("");
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (cfg.append ? O_APPEND : O_TRUNC);
  Fd fd(open(path.c_str(), flags, 0666));
  if (!fd.valid()) {
    return generic_error("Could not open '" + path + "': " + strerror(errno));
  }
  return std::unique_ptr<Chardev>(
      std::make_unique<FileChardev>(cfg.id, cfg.filename, std::move(fd)));
}

}  // namespace migemu
