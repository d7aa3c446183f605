#include "system/runstate.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "qapi/qapi-events.h"

namespace migemu {

namespace {

using R = RunState;

// QEMU 7.2's runstate_transitions_def, as (from, to) pairs.
constexpr std::pair<R, R> kTransitions[] = {
    {R::kPrelaunch, R::kInmigrate},
    {R::kDebug, R::kRunning},
    {R::kDebug, R::kFinishMigrate},
    {R::kDebug, R::kPrelaunch},
    {R::kInmigrate, R::kInternalError},
    {R::kInmigrate, R::kIoError},
    {R::kInmigrate, R::kPaused},
    {R::kInmigrate, R::kRunning},
    {R::kInmigrate, R::kShutdown},
    {R::kInmigrate, R::kSuspended},
    {R::kInmigrate, R::kWatchdog},
    {R::kInmigrate, R::kGuestPanicked},
    {R::kInmigrate, R::kFinishMigrate},
    {R::kInmigrate, R::kPrelaunch},
    {R::kInmigrate, R::kPostmigrate},
    {R::kInmigrate, R::kColo},
    {R::kInternalError, R::kPaused},
    {R::kInternalError, R::kFinishMigrate},
    {R::kInternalError, R::kPrelaunch},
    {R::kIoError, R::kRunning},
    {R::kIoError, R::kFinishMigrate},
    {R::kIoError, R::kPrelaunch},
    {R::kPaused, R::kRunning},
    {R::kPaused, R::kFinishMigrate},
    {R::kPaused, R::kPostmigrate},
    {R::kPaused, R::kPrelaunch},
    {R::kPaused, R::kColo},
    {R::kPostmigrate, R::kRunning},
    {R::kPostmigrate, R::kFinishMigrate},
    {R::kPostmigrate, R::kPrelaunch},
    {R::kPrelaunch, R::kRunning},
    {R::kPrelaunch, R::kFinishMigrate},
    {R::kFinishMigrate, R::kRunning},
    {R::kFinishMigrate, R::kPaused},
    {R::kFinishMigrate, R::kPostmigrate},
    {R::kFinishMigrate, R::kPrelaunch},
    {R::kFinishMigrate, R::kColo},
    {R::kRestoreVm, R::kRunning},
    {R::kRestoreVm, R::kPrelaunch},
    {R::kColo, R::kRunning},
    {R::kColo, R::kPrelaunch},
    {R::kColo, R::kShutdown},
    {R::kRunning, R::kDebug},
    {R::kRunning, R::kInternalError},
    {R::kRunning, R::kIoError},
    {R::kRunning, R::kPaused},
    {R::kRunning, R::kFinishMigrate},
    {R::kRunning, R::kRestoreVm},
    {R::kRunning, R::kSaveVm},
    {R::kRunning, R::kShutdown},
    {R::kRunning, R::kWatchdog},
    {R::kRunning, R::kGuestPanicked},
    {R::kRunning, R::kColo},
    {R::kSaveVm, R::kRunning},
    {R::kShutdown, R::kPaused},
    {R::kShutdown, R::kFinishMigrate},
    {R::kShutdown, R::kPrelaunch},
    {R::kShutdown, R::kColo},
    {R::kDebug, R::kSuspended},
    {R::kRunning, R::kSuspended},
    {R::kSuspended, R::kRunning},
    {R::kSuspended, R::kFinishMigrate},
    {R::kSuspended, R::kPrelaunch},
    {R::kSuspended, R::kColo},
    {R::kWatchdog, R::kRunning},
    {R::kWatchdog, R::kFinishMigrate},
    {R::kWatchdog, R::kPrelaunch},
    {R::kWatchdog, R::kColo},
    {R::kGuestPanicked, R::kRunning},
    {R::kGuestPanicked, R::kFinishMigrate},
    {R::kGuestPanicked, R::kPrelaunch},
};

}  // namespace

bool RunStateMachine::needs_reset() const {
  return !check(R::kRunning) && (check(R::kInternalError) || check(R::kShutdown));
}

bool RunStateMachine::transition_allowed(RunState from, RunState to) const {
  if (from == to) return true;  // QEMU's runstate_set ignores a no-op change
  for (const auto& [f, t] : kTransitions)
    if (f == from && t == to) return true;
  return false;
}

void RunStateMachine::set(RunState s) {
  if (!transition_allowed(state_, s)) {
    fprintf(stderr, "invalid runstate transition: '%s' -> '%s'\n", qapi::to_string(state_),
            qapi::to_string(s));
    abort();
  }
  state_ = s;
  running_.store(s == R::kRunning, std::memory_order_relaxed);
}

void RunStateMachine::notify(bool running) {
  for (auto& l : listeners_) l(running, state_);
}

void RunStateMachine::vm_stop(RunState s) {
  if (!is_running()) return;
  set(s);
  notify(false);
  qapi::qapi_event_send_stop();
}

void RunStateMachine::vm_stop_force(RunState s) {
  if (is_running()) {
    vm_stop(s);
  } else {
    set(s);
  }
}

void RunStateMachine::vm_start() {
  if (is_running()) return;
  // QEMU announces RESUME before the CPUs actually resume.
  qapi::qapi_event_send_resume();
  set(R::kRunning);
  notify(true);
}

RunStateMachine& runstate() {
  static RunStateMachine rs;
  return rs;
}

}  // namespace migemu
