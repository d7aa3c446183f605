// The emulated guest's "vCPUs": threads that write guest RAM at a configured
// dirty rate, so that live migration has something to chase.
//
// Each write fills one whole 4 KiB page (zero, compressible or random
// bytes) and then sets the page's dirty bit. Threads write only while the
// guest runs (set_running, wired to the RunStateMachine with
// attach_to_run_state) and obey the auto-converge throttle like QEMU's
// cpu_throttle_set: at P % a thread does one 10 ms time slice of work per
// 10 ms / (1 - P/100), so the dirty rate drops to (100 - P) %.
//
// Determinism: the pages a thread visits and what it writes are a function
// of (seed, thread index, write number); only the interleaving of threads
// and the moment a pause lands depend on timing.
//
// Threads: Workload's methods may be called from any thread unless noted;
// configure/set_running/the destructor are serialised internally.
// set_running(false) returns only once no workload thread is writing (as
// QEMU's pause_all_vcpus), so a caller that stops the guest and then reads
// RAM or syncs the dirty log sees every completed write.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "qapi/error.h"
#include "system/guest_memory.h"

namespace migemu {

enum class WorkloadPattern { kSequential, kRandom };
// zero: all-zero pages; compressible: a 16-byte header (page, write number)
// and one repeated byte; random: pseudo-random bytes (incompressible).
enum class WorkloadContent { kZero, kCompressible, kRandom };
// Where the working set lies in guest RAM: from offset 0, or at a
// seed-chosen page-aligned offset.
enum class WorkloadWindow { kStart, kRandom };

const char* to_string(WorkloadPattern v);  // "sequential" | "random"
const char* to_string(WorkloadContent v);  // "zero" | "compressible" | "random"
const char* to_string(WorkloadWindow v);   // "start" | "random"

inline constexpr uint32_t kWorkloadMaxThreads = 64;

struct WorkloadParams {
  uint64_t rate = 0;  // bytes dirtied per second (whole pages); 0 = idle, no threads
  uint64_t wss = 0;   // working set in bytes (rounded up to pages); 0 = all guest RAM
  WorkloadWindow window = WorkloadWindow::kStart;
  WorkloadPattern pattern = WorkloadPattern::kSequential;
  WorkloadContent content = WorkloadContent::kRandom;
  uint32_t threads = 1;  // 1..kWorkloadMaxThreads; the rate is split evenly
  uint64_t seed = 0;
  bool operator==(const WorkloadParams&) const = default;
};

struct WorkloadInfo {
  WorkloadParams params;
  bool active = false;         // threads exist and the guest runs (they are writing)
  uint64_t wss_offset = 0;     // the working set: [wss_offset, wss_offset + wss_bytes)
  uint64_t wss_bytes = 0;      //   of guest RAM (blocks in order), resolved
  uint32_t throttle = 0;       // current throttle percentage (0 = none)
  uint64_t pages_written = 0;  // since the process started (monotonic)
};

class Workload {
 public:
  // `mem` must outlive the Workload and stay initialised while it writes.
  explicit Workload(GuestMemory& mem);
  ~Workload();  // stops and joins the threads
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Validates and applies `p` (threads are restarted; rate 0 leaves none).
  // Errors: "Parameter 'threads' expects a value between 1 and 64",
  // "Parameter 'wss' expects a size no larger than the guest RAM (N bytes)",
  // "The guest has no writable RAM: 'rate' must be 0". On error nothing
  // changes.
  Status configure(const WorkloadParams& p);
  WorkloadParams params() const;

  // Guest running or not. false blocks until every thread has parked
  // (at most one page write). Idempotent.
  void set_running(bool running);
  bool running() const;

  // Auto-converge: 0 (off) .. 99 percent, clamped. Lock-free; takes effect
  // from each thread's next time slice.
  void set_throttle(unsigned percent);
  unsigned throttle() const { return throttle_.load(std::memory_order_relaxed); }

  uint64_t pages_written() const { return pages_written_.load(std::memory_order_relaxed); }
  WorkloadInfo info() const;

 private:
  struct Segment {
    RamBlock* block;
    uint64_t first_page;  // in the block
    uint64_t count;
    uint64_t start;  // index of its first page in the working set
  };
  struct Plan {
    WorkloadParams params;
    std::vector<Segment> segments;
    uint64_t wss_pages = 0;
    uint64_t offset_pages = 0;
  };
  class Writer;

  Result<Plan> make_plan(const WorkloadParams& p) const;
  void stop_threads();  // ctl_mu_ held
  void thread_main(unsigned index);

  GuestMemory& mem_;
  mutable std::mutex ctl_mu_;  // serialises configure / set_running / ~Workload
  WorkloadParams params_;      // guarded by ctl_mu_
  Plan plan_;                  // written only while no thread runs

  mutable std::mutex mu_;               // coordination with the threads
  std::condition_variable cv_;          // running_ / stop_ changed
  std::condition_variable idle_cv_;     // busy_ dropped to 0
  bool running_ = false;                // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  unsigned busy_ = 0;                   // threads inside a write batch; guarded by mu_
  std::atomic<bool> may_write_{false};  // running_ && !stop_, polled per page

  std::atomic<unsigned> throttle_{0};
  std::atomic<uint64_t> pages_written_{0};
  std::vector<std::jthread> threads_;  // guarded by ctl_mu_
};

// Wires a Workload to a run state source (RunStateMachine, or anything with
// add_listener(void(bool running, State)) and is_running()): threads run
// exactly while the guest does. Main thread; `w` must outlive `rs`'s
// notifications.
template <typename RunStateSource>
void attach_to_run_state(Workload& w, RunStateSource& rs) {
  rs.add_listener([&w](bool running, auto) { w.set_running(running); });
  w.set_running(rs.is_running());
}

// ---- Process-wide pieces (QMP/HMP handlers, main, the migration thread) ----

// The process's workload, writing guest_memory().
Workload& workload();

// x-workload / x-query-workload.
Status workload_configure(const WorkloadParams& p);
WorkloadParams workload_params();
WorkloadInfo workload_info();

// -x-workload [rate=]SIZE,wss=SIZE,window=start|random,
//             pattern=sequential|random,content=zero|compressible|random,
//             threads=N,seed=N
// QemuOpts syntax (",," escapes a comma; sizes take k/M/G/T suffixes, a
// bare number is bytes per second / bytes).
// Errors are QEMU-style ("Invalid parameter 'x'", "Parameter 'pattern' does
// not accept value 'x'", size/number texts). The values are checked against
// guest RAM only by workload_configure(). Keys not given keep their value
// from `base` (defaults for the command line; workload_params() for an HMP
// command that changes a few keys).
Result<WorkloadParams> parse_workload_option(std::string_view text,
                                             const WorkloadParams& base = {});

// QEMU's cpu-throttle API on workload(), for auto-converge (any thread).
void cpu_throttle_set(int new_throttle_pct);  // clamped to 1..99, as QEMU
void cpu_throttle_stop();
bool cpu_throttle_active();
int cpu_throttle_get_percentage();

}  // namespace migemu
