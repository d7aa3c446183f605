// The VM run state (QEMU's RunState machine, softmmu/runstate.c) and the
// operations that move it: vm_stop / vm_start with their STOP/RESUME events.
// Main thread only.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "qapi/error.h"
#include "qapi/qapi-types.h"

namespace migemu {

using qapi::RunState;

class RunStateMachine {
 public:
  RunState state() const { return state_; }
  bool is_running() const { return state_ == RunState::kRunning; }
  // Any thread: whether the guest runs (migration threads attribute bytes
  // to precopy or downtime by it).
  bool running_any_thread() const { return running_.load(std::memory_order_relaxed); }
  bool check(RunState s) const { return state_ == s; }
  // "Resetting the Virtual Machine is required" states.
  bool needs_reset() const;

  // runstate_set: only transitions in QEMU's table are legal; anything else is
  // a programming error and aborts, as in QEMU.
  void set(RunState s);
  bool transition_allowed(RunState from, RunState to) const;

  // vm_stop: if running, move to `s` and emit STOP.
  void vm_stop(RunState s);
  // vm_start: if not running, emit RESUME and move to running.
  void vm_start();
  // vm_stop_force_state: like vm_stop when running; otherwise just enter `s`.
  void vm_stop_force(RunState s);

  // -incoming: whether to start running when an incoming migration completes.
  bool autostart = true;

  // Observers of running <-> stopped changes (workload threads pause with the guest).
  using Listener = std::function<void(bool running, RunState state)>;
  void add_listener(Listener l) { listeners_.push_back(std::move(l)); }

 private:
  void notify(bool running);
  RunState state_ = RunState::kPrelaunch;
  std::atomic<bool> running_{false};
  std::vector<Listener> listeners_;
};

RunStateMachine& runstate();

}  // namespace migemu
