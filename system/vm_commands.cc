// QMP handlers for the machine: run state, identity, power and quit
// (QEMU's monitor/qmp-cmds.c, softmmu/runstate.c).
#include "build-config.h"
#include "qapi/qapi-commands.h"
#include "system/runstate.h"
#include "system/vm.h"

namespace migemu::qapi {

Result<StatusInfo> qmp_query_status(CommandContext&) {
  StatusInfo info;
  info.running = runstate().is_running();
  info.singlestep = false;
  info.status = runstate().state();
  return info;
}

Result<VersionInfo> qmp_query_version(CommandContext&) {
  return vm().version_info();
}

Result<NameInfo> qmp_query_name(CommandContext&) {
  return NameInfo{vm().config().name};
}

Result<UuidInfo> qmp_query_uuid(CommandContext&) {
  return UuidInfo{vm().config().uuid.value_or("00000000-0000-0000-0000-000000000000")};
}

Result<KvmInfo> qmp_query_kvm(CommandContext&) {
  // Like Debian's QEMU on a host without /dev/kvm: compiled in, not in use.
  return KvmInfo{false, true};
}

Result<TargetInfo> qmp_query_target(CommandContext&) {
  return TargetInfo{SysEmuTarget::kX8664};
}

Status qmp_stop(CommandContext&) {
  RunStateMachine& rs = runstate();
  if (rs.check(RunState::kInmigrate)) {
    rs.autostart = false;
  } else {
    rs.vm_stop(RunState::kPaused);
  }
  return {};
}

Status qmp_cont(CommandContext&) {
  RunStateMachine& rs = runstate();
  if (rs.needs_reset()) return generic_error("Resetting the Virtual Machine is required");
  if (rs.check(RunState::kSuspended)) return {};
  if (rs.check(RunState::kFinishMigrate)) return generic_error("Migration is not finalized yet");
  if (rs.check(RunState::kInmigrate)) {
    rs.autostart = true;
  } else {
    rs.vm_start();
  }
  return {};
}

Status qmp_quit(CommandContext&) {
  vm().request_shutdown(ShutdownCause::kHostQmpQuit);
  return {};
}

Status qmp_system_reset(CommandContext&) {
  vm().request_reset(ShutdownCause::kHostQmpSystemReset);
  return {};
}

Status qmp_system_powerdown(CommandContext&) {
  vm().request_powerdown();
  return {};
}

}  // namespace migemu::qapi
