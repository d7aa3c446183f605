// The guest memory dump (QEMU 7.2's dump_state_global): one dump at a time,
// written synchronously or on a thread (detach) that hands its result to the
// main loop, which then emits DUMP_COMPLETED. Main thread unless noted.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "qapi/error.h"
#include "qapi/qapi-types.h"
#include "util/glib_ptr.h"

namespace migemu {

struct DumpRequest {
  Fd fd;
  bool detach = false;
  std::optional<uint64_t> begin, length;  // both or neither
};

class DumpJob {
 public:
  DumpJob() = default;
  DumpJob(const DumpJob&) = delete;
  DumpJob& operator=(const DumpJob&) = delete;
  ~DumpJob();

  bool in_progress() const { return status_ == qapi::DumpStatus::kActive; }
  // Checks the request against the guest's memory (QEMU's dump_init), stops
  // a running guest, then dumps. A failure after the start is also reported
  // by DUMP_COMPLETED.
  Status start(DumpRequest req);
  qapi::DumpQueryResult query() const;
  // Main loop gone: stop a detached writer and wait for it.
  void shutdown_for_exit();

 private:
  struct Plan;
  void finish(std::optional<std::string> error);

  qapi::DumpStatus status_ = qapi::DumpStatus::kNone;
  uint64_t total_ = 0;
  std::atomic<uint64_t> completed_{0};
  std::atomic<bool> stop_{false};
  bool resume_ = false;
  std::thread thread_;
};

DumpJob& dump_job();
// Called by main() once its loop has ended.
void dump_shutdown_for_exit();

}  // namespace migemu
