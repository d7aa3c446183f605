// The null backend: nobody on the other side. It also serves "vc", the
// virtual console QEMU gives a default monitor or serial port when there is a
// display; migemu has no display, so nothing is ever attached to it.
#include "chardev/char_backends.h"

namespace migemu {

namespace {

class NullChardev : public Chardev {
 public:
  NullChardev(std::string id, std::string filename) : Chardev(std::move(id), std::move(filename)) {}
  void set_handlers(Handlers) override {}
  void write(std::string_view) override {}
  void set_reading(bool) override {}
  bool connected() const override { return false; }
};

}  // namespace

Result<std::unique_ptr<Chardev>> create_null_chardev(const ChardevConfig& cfg) {
  return std::unique_ptr<Chardev>(std::make_unique<NullChardev>(cfg.id, cfg.filename));
}

}  // namespace migemu
