// query-chardev and HMP `info chardev` (QEMU's chardev/char.c and
// hmp-cmds.c): every chardev's label, what it is connected to, and whether
// a frontend (a monitor, a serial port) holds it.
#include "chardev/chardev_commands.h"

#include "chardev/chardev.h"
#include "qapi/qapi-commands.h"

namespace migemu {

namespace qapi {

Result<std::vector<ChardevInfo>> qmp_query_chardev(CommandContext&) {
  std::vector<ChardevInfo> out;
  for (const Chardev* c : chardevs().query_order()) {
    out.push_back(ChardevInfo{c->id(), c->filename(), c->frontend_open()});
  }
  return out;
}

}  // namespace qapi

void hmp_info_chardev(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  auto list = qapi::qmp_query_chardev(ctx);
  for (const auto& c : *list) mon.printf("%s: filename=%s\n", c.label.c_str(), c.filename.c_str());
}

}  // namespace migemu
