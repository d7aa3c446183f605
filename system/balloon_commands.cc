// balloon, query-balloon and their HMP twins (QEMU's softmmu/balloon.c,
// monitor/hmp-cmds.c), on the balloon of system/balloon.h.
#include "system/balloon_commands.h"

#include <cinttypes>

#include "monitor/hmp_args.h"
#include "qapi/qapi-commands.h"
#include "system/balloon.h"
#include "system/vm.h"

namespace migemu {

namespace qapi {

Status qmp_balloon(const BalloonArg& args, CommandContext&) {
  return balloon().set_target(vm().config(), args.value);
}

Result<BalloonInfo> qmp_query_balloon(CommandContext&) {
  Result<int64_t> actual = balloon().actual(vm().config());
  if (!actual.ok()) return actual.take_error();
  return BalloonInfo{*actual};
}

}  // namespace qapi

void hmp_info_balloon(Monitor& mon, const Dict&) {
  Result<int64_t> actual = balloon().actual(vm().config());
  if (!actual.ok()) {
    mon.puts(hmp_error_text(Status(actual.take_error())));
    return;
  }
  mon.printf("balloon: actual=%" PRId64 "\n", *actual >> 20);
}

void hmp_balloon(Monitor& mon, const Dict& args) {
  int64_t value = 0;
  const Value* v = args.get("value");
  if (v) v->get_try_int(&value);
  mon.puts(hmp_error_text(balloon().set_target(vm().config(), value)));
}

}  // namespace migemu
