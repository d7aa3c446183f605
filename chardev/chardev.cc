#include "chardev/chardev.h"

#include <algorithm>

#include "chardev/char_backends.h"
#include "util/hash_order.h"

namespace migemu {

Result<std::unique_ptr<Chardev>> create_chardev(const ChardevConfig& cfg) {
  const std::string& b = cfg.backend;
  if (b == "null" || b == "vc") return create_null_chardev(cfg);
  if (b == "stdio") return create_stdio_chardev(cfg);
  if (b == "pty") return create_pty_chardev(cfg);
  if (b == "file") return create_file_chardev(cfg);
  if (b == "socket") return create_socket_chardev(cfg);
  return generic_error("chardev backend '" + b + "' is not supported by migemu");
}

Status ChardevRegistry::add(std::unique_ptr<Chardev> chr) {
  if (find(chr->id())) return generic_error("Duplicate ID '" + chr->id() + "' for chardev");
  chardevs_.push_back(std::move(chr));
  return {};
}

Chardev* ChardevRegistry::find(std::string_view id) const {
  for (const auto& c : chardevs_)
    if (c->id() == id) return c.get();
  return nullptr;
}

std::vector<const Chardev*> ChardevRegistry::query_order() const {
  std::vector<std::string> ids;
  for (const auto& c : chardevs_) ids.push_back(c->id());
  std::vector<const Chardev*> out;
  for (const std::string& id : ghash_iteration_order(ids)) out.push_back(find(id));
  std::reverse(out.begin(), out.end());  // QEMU prepends each one
  return out;
}

void ChardevRegistry::flush_all() {
  for (auto& c : chardevs_) c->flush_blocking();
}

ChardevRegistry& chardevs() {
  static ChardevRegistry registry;
  return registry;
}

}  // namespace migemu
