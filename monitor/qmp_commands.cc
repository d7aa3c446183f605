// QMP handlers of the monitor itself: negotiation, introspection,
// human-monitor-command and file-descriptor passing (QEMU's monitor/misc.c
// and qmp-cmds-control.c).
#include <algorithm>

#include "monitor/fdsets.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "monitor/qmp.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-introspect.h"
#include "system/cpu_commands.h"

namespace migemu::qapi {

Status qmp_qmp_capabilities(const QmpCapabilitiesArg& args, CommandContext& ctx) {
  auto* mon = static_cast<QmpMonitor*>(ctx.mon);
  std::vector<std::string> enable;
  if (args.enable) {
    for (QMPCapability c : *args.enable) enable.emplace_back(to_string(c));
  }
  return mon->accept_capabilities(enable);
}

Result<std::vector<CommandInfo>> qmp_query_commands(CommandContext&) {
  // QEMU prepends while walking its registration list: newest first.
  std::vector<CommandInfo> list;
  for (const QmpCommand& c : qmp_commands()) list.push_back(CommandInfo{c.name});
  std::reverse(list.begin(), list.end());
  return list;
}

Result<Value> qmp_marshal_query_qmp_schema(const Dict* args, CommandContext&) {
  MIGEMU_TRY(check_no_arguments(args));
  return qmp_schema_introspection_ref();
}

Result<std::string> qmp_human_monitor_command(const HumanMonitorCommandArg& args, CommandContext&) {
  CaptureMonitor hmp;
  if (args.cpu_index && !monitor_set_cpu(hmp, *args.cpu_index)) {
    return generic_error("Parameter 'cpu-index' expects a CPU number");
  }
  hmp_handle_command(hmp, args.command_line);
  return hmp.output();
}

Status qmp_getfd(const GetfdArg& args, CommandContext& ctx) {
  return ctx.mon->getfd(args.fdname);
}

Status qmp_closefd(const ClosefdArg& args, CommandContext& ctx) {
  return ctx.mon->closefd(args.fdname);
}

Result<AddfdInfo> qmp_add_fd(const AddFdArg& args, CommandContext& ctx) {
  Fd fd = ctx.mon->take_msgfd();
  if (!fd.valid()) return generic_error("No file descriptor supplied via SCM_RIGHTS");
  auto added = fdsets().add(std::move(fd), args.fdset_id, args.opaque);
  if (!added.ok()) return added.take_error();
  return AddfdInfo{added->fdset_id, added->fd};
}

Status qmp_remove_fd(const RemoveFdArg& args, CommandContext&) {
  return fdsets().remove(args.fdset_id, args.fd);
}

Result<std::vector<FdsetInfo>> qmp_query_fdsets(CommandContext&) {
  // QEMU builds both lists by prepending, so both come out reversed.
  std::vector<FdsetInfo> sets;
  for (const Fdset& s : fdsets().sets()) {
    FdsetInfo info;
    info.fdset_id = s.id;
    for (const FdsetFd& f : s.fds) info.fds.push_back(FdsetFdInfo{f.fd.get(), f.opaque});
    std::reverse(info.fds.begin(), info.fds.end());
    sets.push_back(std::move(info));
  }
  std::reverse(sets.begin(), sets.end());
  return sets;
}

}  // namespace migemu::qapi
