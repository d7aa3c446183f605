// The source side of one migration: the channel and the migration thread
// (QEMU's migration_thread: setup, iterate under the rate limit, complete).
// Created and destroyed on the main thread; the destructor joins.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "migration/fault_channel.h"
#include "migration/migration.h"
#include "migration/multifd_send.h"
#include "migration/qemu_file.h"
#include "migration/ram_codec.h"
#include "migration/ram_prefault.h"
#include "migration/transport.h"
#include "util/canceller.h"

namespace migemu {

class OutgoingMigration {
 public:
  // `channel` is set for fd:/exec: (opened by the command); tcp/unix connect
  // in the thread, so a refused connection fails the migration, not the command.
  // `faults`: what the user armed for this migration (migration/faults.h).
  OutgoingMigration(MigrationState& owner, MigrationUri uri,
                    std::optional<MigrationChannel> channel,
                    std::vector<migration::StreamFault> faults = {},
                    migration::MultifdFaults multifd_faults = {});
  ~OutgoingMigration();

  void start();
  // migrate_cancel (and exit): wakes the thread wherever it blocks; it then
  // ends in `cancelled`. Returns at once.
  void cancel() { cancel_.cancel(); }
  // migrate-continue from pre-switchover.
  void resume_switchover();
  // Waits for the thread to end (it has reported its final state).
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  // Stats for query-migrate (main thread, while the object lives).
  void fill_info(qapi::MigrationInfo& info, MigrationStatus state) const;

 private:
  void run();
  Status setup();
  Status iterate_until_converged();
  Status complete();
  void finish(MigrationStatus final_state, std::optional<std::string> error);

  // Dirty bitmap handling (ram_state / migration_bitmap_sync).
  void sync_dirty_log();
  uint64_t dirty_pages() const { return dirty_pages_; }
  // Sends dirty pages until the rate limit, a 50 ms budget, or none left.
  Status send_dirty_pages(bool unlimited);
  void update_window(bool force);
  void throttle_if_needed();

  // The return path (source_return_path_thread): reads PONG/SHUT.
  void return_path_loop();
  Status wait_for_return_path_shut();

  // Runs `fn` on the main thread and waits for it.
  void run_on_main(std::function<void()> fn);

  // Multifd: one SYNC per channel before a RAM EOS (multifd_send_sync_main),
  // and the packets' bytes charged to the counters and the rate limit.
  Status multifd_sync();
  void account_multifd();
  // Bytes on every channel (main + multifd), for bandwidth and auto-converge.
  uint64_t stream_bytes() const;

  MigrationState& owner_;
  MigrationUri uri_;
  std::optional<MigrationChannel> channel_;
  std::vector<migration::StreamFault> faults_;
  migration::MultifdFaults multifd_faults_;  // handed to the channels at start()
  std::mutex io_mu_;  // guards file_/rp_file_ being replaced while cancel() reads them
  std::unique_ptr<migration::QemuFile> file_;
  migration::RamSender ram_;
  std::vector<migration::RamBlockView> views_;
  std::vector<std::vector<uint64_t>> bitmaps_;  // per block, pages to send
  // Per block, pages known to be zero when the bulk pass began (never
  // written: not present in anonymous RAM, holes of a shared file). Sent as
  // ZERO records without being read, which would allocate them; a bit is
  // dropped once its page was sent, and a later write shows in the dirty log.
  std::vector<std::vector<uint64_t>> known_zero_;
  std::vector<migration::RamPrefault> prefault_;  // per block (file-backed only)
  uint64_t dirty_pages_ = 0;
  size_t cursor_block_ = 0;
  uint64_t cursor_page_ = 0;

  std::thread thread_;
  std::unique_ptr<migration::QemuFile> rp_file_;
  std::thread rp_thread_;
  std::mutex rp_mu_;
  std::condition_variable rp_cv_;
  bool rp_done_ = false;             // SHUT received, or the path failed
  std::optional<uint32_t> rp_shut_;  // SHUT's value
  std::string rp_error_;
  std::mutex switchover_mu_;
  std::condition_variable switchover_cv_;
  bool switchover_continue_ = false;

  // Timing (µs, g_get_monotonic_time) and rates, read by the main thread.
  int64_t start_us_ = 0;
  std::atomic<int64_t> setup_time_ms_{0};
  std::atomic<int64_t> end_us_{0};
  std::atomic<int64_t> downtime_ms_{0};
  std::atomic<int64_t> expected_downtime_ms_{300};
  std::atomic<double> mbps_{0};
  std::atomic<uint64_t> pages_per_second_{0};
  std::atomic<uint64_t> dirty_pages_rate_{0};
  std::atomic<uint64_t> dirty_sync_count_{0};
  std::atomic<uint64_t> remaining_bytes_{0};
  std::atomic<uint64_t> total_bytes_{0};

  // Bandwidth window (migration thread only).
  int64_t window_start_us_ = 0;
  uint64_t window_start_bytes_ = 0;
  uint64_t window_start_pages_ = 0;
  double bandwidth_bytes_per_ms_ = 0;
  uint64_t threshold_bytes_ = 0;
  // Dirty-rate measurement between syncs.
  int64_t last_sync_us_ = 0;
  uint64_t pages_dirtied_since_sync_ = 0;
  // Auto-converge bookkeeping (QEMU's migration_trigger_throttle).
  uint64_t bytes_xfer_prev_ = 0;
  uint64_t pages_transferred_at_sync_ = 0;
  int dirty_rate_high_cnt_ = 0;

  bool vm_was_running_ = false;
  bool vm_stopped_by_us_ = false;

  // Multifd settings, fixed when the migration starts, and its channels
  // (created once the main channel is connected; gone before it closes).
  std::optional<migration::multifd::SendOptions> multifd_opts_;
  std::unique_ptr<migration::multifd::MultifdSender> multifd_;

  // migrate_cancel, a failure and exit all end here: every blocking point of
  // this migration (connect, channel, return path, switchover and rate-limit
  // waits) is woken by it. Declared last: its hook goes first.
  Canceller cancel_;
  Canceller::Hook wake_all_;
};

}  // namespace migemu
