// The emulated machine as the monitors see it: identity (name, uuid,
// machine type), version, and the requests that end or reset it.
// Main thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "qapi/qapi-types.h"
#include "system/config.h"

namespace migemu {

class Vm {
 public:
  void configure(const Config& cfg);
  const Config& config() const { return cfg_; }

  qapi::VersionInfo version_info() const;

  // quit / a guest shutdown: SHUTDOWN event; then the process exits (or, for
  // a guest-initiated shutdown with -no-shutdown, the VM pauses).
  void request_shutdown(qapi::ShutdownCause cause);
  void request_reset(qapi::ShutdownCause cause);
  void request_powerdown();

  // The process must end with `status` (a failed incoming migration exits
  // with 1, as QEMU does): the main loop stops, main() tidies up and returns it.
  void request_exit(int status);

  bool exit_requested() const { return exit_requested_; }
  int exit_status() const { return exit_status_; }
  // main() installs this: leave the main loop after pending output is sent.
  std::function<void()> on_exit;

  // A monitor connection closed (monitor_fdsets_cleanup hook).
  void monitor_disconnected();

 private:
  Config cfg_;
  bool exit_requested_ = false;
  int exit_status_ = 0;
};

Vm& vm();

}  // namespace migemu
