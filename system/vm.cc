#include "system/vm.h"

#include "build-config.h"
#include "qapi/qapi-events.h"
#include "system/runstate.h"

namespace migemu {

using qapi::ShutdownCause;

void Vm::configure(const Config& cfg) {
  cfg_ = cfg;
}

qapi::VersionInfo Vm::version_info() const {
  qapi::VersionInfo info;
  info.qemu.major = QEMU_VERSION_MAJOR;
  info.qemu.minor = QEMU_VERSION_MINOR;
  info.qemu.micro = QEMU_VERSION_MICRO;
  info.package = MIGEMU_PACKAGE;
  return info;
}

namespace {
bool caused_by_guest(ShutdownCause c) {
  return c == ShutdownCause::kGuestShutdown || c == ShutdownCause::kGuestReset ||
         c == ShutdownCause::kGuestPanic || c == ShutdownCause::kSubsystemReset;
}
}  // namespace

void Vm::request_shutdown(ShutdownCause cause) {
  qapi::qapi_event_send_shutdown(caused_by_guest(cause), cause);
  bool host_quit = cause == ShutdownCause::kHostQmpQuit || cause == ShutdownCause::kHostSignal ||
                   cause == ShutdownCause::kHostUi;
  if (cfg_.no_shutdown && !host_quit) {
    runstate().vm_stop(qapi::RunState::kShutdown);
    return;
  }
  exit_requested_ = true;
  if (on_exit) on_exit();
}

void Vm::request_exit(int status) {
  if (!exit_requested_) exit_status_ = status;
  exit_requested_ = true;
  if (on_exit) on_exit();
}

void Vm::request_reset(ShutdownCause cause) {
  qapi::qapi_event_send_reset(caused_by_guest(cause), cause);
  // After a reset a stopped VM is back in prelaunch (main_loop_should_exit).
  RunStateMachine& rs = runstate();
  if (!rs.check(qapi::RunState::kRunning) && !rs.check(qapi::RunState::kInmigrate) &&
      !rs.check(qapi::RunState::kFinishMigrate)) {
    rs.set(qapi::RunState::kPrelaunch);
  }
}

void Vm::request_powerdown() {
  // -M none has no ACPI device to act on it: only the event is visible.
  qapi::qapi_event_send_powerdown();
}

void Vm::monitor_disconnected() {}

Vm& vm() {
  static Vm v;
  return v;
}

}  // namespace migemu
