#include "migration/outgoing.h"

#include <glib.h>
#include <string.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <future>

#include "migration/savevm.h"
#include "migration/stream_threads.h"
#include "migration/vmstate_devices.h"
#include "qapi/qapi-events.h"
#include "system/guest_memory.h"
#include "system/runstate.h"
#include "system/workload.h"
#include "util/main_thread.h"

namespace migemu {

using migration::kTargetPageSize;
using qapi::MigrationStatus;

namespace {

constexpr int64_t kWindowUs = 100 * 1000;          // BUFFER_DELAY: 100 ms
constexpr int64_t kIterationBudgetUs = 50 * 1000;  // ram_save_iterate's 50 ms
constexpr uint64_t kPagesPerTimeCheck = 64;

int64_t now_us() {
  return g_get_monotonic_time();
}

std::string errno_text(int err) {
  return strerror(err < 0 ? -err : err);
}

// What QEMU's channel says when a write fails (qio_channel_*_writev).
std::string write_error_text(const MigrationUri& uri, int fd, const migration::QemuFile& f) {
  if (f.io_errno() == 0) return errno_text(f.error());
  const char* what = "socket";
  if (uri.kind == MigrationUri::Kind::Exec) {
    what = "command";
  } else if (uri.kind == MigrationUri::Kind::Fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISSOCK(st.st_mode)) what = "file";
  }
  return std::string("Unable to write to ") + what + ": " + strerror(f.io_errno());
}

}  // namespace

OutgoingMigration::OutgoingMigration(MigrationState& owner, MigrationUri uri,
                                     std::optional<MigrationChannel> channel,
                                     std::vector<migration::StreamFault> faults,
                                     migration::MultifdFaults multifd_faults)
    : owner_(owner),
      uri_(std::move(uri)),
      channel_(std::move(channel)),
      faults_(std::move(faults)),
      multifd_faults_(std::move(multifd_faults)) {
  wake_all_ = cancel_.on_cancel([this] {
    {
      std::lock_guard<std::mutex> lk(switchover_mu_);
      switchover_continue_ = true;
    }
    switchover_cv_.notify_all();
    {
      std::lock_guard<std::mutex> lk(rp_mu_);
      rp_cv_.notify_all();
    }
    std::lock_guard<std::mutex> lk(io_mu_);
    if (rp_file_) rp_file_->shutdown();
    if (file_) file_->shutdown();
    // Sockets shut down, an exec: child is told to go (it may never read).
    if (channel_) channel_->shutdown();
  });
}

OutgoingMigration::~OutgoingMigration() {
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
  multifd_.reset();  // its hook on cancel_ goes before cancel_ does
  wake_all_.reset();
}

void OutgoingMigration::start() {
  start_us_ = now_us();
  MigrationTuning t = owner_.tuning();
  if (t.multifd) {
    migration::multifd::SendOptions o;
    o.channels = t.multifd_channels;
    o.compression = t.multifd_compression;
    o.level = t.multifd_compression == migration::multifd::Compression::kZstd
                  ? t.multifd_zstd_level
                  : t.multifd_zlib_level;
    o.uuid = t.uuid;
    o.faults = std::move(multifd_faults_);
    multifd_opts_ = o;
  }
  // migrate_init: the expected downtime starts out as the downtime limit.
  expected_downtime_ms_.store(static_cast<int64_t>(owner_.tuning().downtime_limit_ms));
  thread_ = std::thread([this] { run(); });
}

void OutgoingMigration::return_path_loop() {
  for (;;) {
    migration::RpMessage msg;
    std::string line;
    if (!migration::read_rp_message(*rp_file_, &msg, &line)) {
      std::lock_guard<std::mutex> lk(rp_mu_);
      rp_error_ = line.empty() ? "Unable to read the return path" : line;
      rp_done_ = true;
      rp_cv_.notify_all();
      return;
    }
    if (msg.type == static_cast<uint16_t>(migration::RpMessageType::kShut)) {
      uint32_t v = 0;
      for (uint8_t b : msg.payload) v = (v << 8) | b;
      std::lock_guard<std::mutex> lk(rp_mu_);
      rp_shut_ = v;
      rp_done_ = true;
      rp_cv_.notify_all();
      return;
    }
    // PONG: nothing to do (QEMU only traces it).
  }
}

Status OutgoingMigration::wait_for_return_path_shut() {
  std::unique_lock<std::mutex> lk(rp_mu_);
  rp_cv_.wait(lk, [this] { return rp_done_ || cancel_.cancelled(); });
  if (cancel_.cancelled()) return generic_error("migration cancelled");
  if (!rp_shut_) return generic_error(rp_error_);
  if (*rp_shut_ != 0) {
    return generic_error("RP: Sibling indicated error " + std::to_string(*rp_shut_));
  }
  return {};
}

void OutgoingMigration::resume_switchover() {
  {
    std::lock_guard<std::mutex> lk(switchover_mu_);
    switchover_continue_ = true;
  }
  switchover_cv_.notify_all();
}

void OutgoingMigration::run_on_main(std::function<void()> fn) {
  std::promise<void> done;
  auto fut = done.get_future();
  post_to_main([&] {
    fn();
    done.set_value();
  });
  fut.wait();
}

void OutgoingMigration::run() {
  if (!channel_) {
    // Woken by cancel even while the peer leaves the connection pending.
    Result<MigrationChannel> ch = connect_outgoing(uri_, &cancel_);
    if (!ch.ok()) {
      if (cancel_.cancelled()) {
        finish(MigrationStatus::kCancelled, std::nullopt);
      } else {
        finish(MigrationStatus::kFailed, ch.error().desc);
      }
      return;
    }
    std::lock_guard<std::mutex> lk(io_mu_);
    channel_ = std::move(*ch);
  }
  {
    std::lock_guard<std::mutex> lk(io_mu_);
    struct stat st {};
    bool socket = fstat(channel_->write_fd(), &st) == 0 && S_ISSOCK(st.st_mode);
    file_ = std::make_unique<migration::QemuFile>(
        migration::make_faulty_channel(migration::make_fd_channel(channel_->write_fd()),
                                       std::move(faults_), socket ? ECONNRESET : EPIPE),
        migration::QemuFile::Mode::kWrite);
    // Checking pages overlaps with sending the batch before on another core.
    if (migration::stream_threads_enabled()) file_->enable_write_behind();
  }
  // A cancel that came before the channel existed found nothing to wake.
  if (cancel_.cancelled()) {
    std::lock_guard<std::mutex> lk(io_mu_);
    file_->shutdown();
    channel_->shutdown();
  }
  // 7.2 opens the multifd channels once the main channel is connected, so a
  // 7.2 destination (which takes its first connection as the main one) is
  // never confused. They connect from their own threads.
  if (multifd_opts_) {
    multifd_ = std::make_unique<migration::multifd::MultifdSender>(*multifd_opts_, uri_, cancel_);
  }

  Status st = setup();
  if (st.ok()) st = iterate_until_converged();
  if (st.ok()) st = complete();
  if (cancel_.cancelled() || owner_.status() == MigrationStatus::kCancelling) {
    finish(MigrationStatus::kCancelled, std::nullopt);
  } else if (!st.ok()) {
    finish(MigrationStatus::kFailed, st.error().desc);
  } else {
    finish(MigrationStatus::kCompleted, std::nullopt);
  }
}

Status OutgoingMigration::setup() {
  GuestMemory& mem = guest_memory();
  for (RamBlock* b : mem.blocks()) {
    migration::RamBlockView v;
    v.idstr = b->idstr();
    v.host = b->host();
    v.used_length = b->used_length();
    views_.push_back(v);
    // Bulk stage: every page is sent once.
    std::vector<uint64_t> bits((b->pages() + 63) / 64, ~uint64_t{0});
    if (b->pages() % 64) bits.back() = (uint64_t{1} << (b->pages() % 64)) - 1;
    bitmaps_.push_back(std::move(bits));
    dirty_pages_ += b->pages();
    total_bytes_.fetch_add(b->used_length());
  }
  migration::SaveConfig cfg;
  cfg.machine_name = "none";
  migration::save_header(*file_, cfg);
  if (owner_.tuning().return_path) {
    // 7.2 opens the return path and pings right after the configuration.
    migration::save_open_return_path(*file_);
    migration::save_ping(*file_, 1);
    {
      std::lock_guard<std::mutex> lk(io_mu_);
      rp_file_ = migration::QemuFile::reader(channel_->read_fd());
    }
    rp_thread_ = std::thread([this] { return_path_loop(); });
  }
  // The first sync (pass 1) only clears the log: every page is already queued.
  std::vector<uint64_t> scratch;
  for (RamBlock* b : mem.blocks()) {
    scratch.assign((b->pages() + 63) / 64, 0);
    b->sync_dirty(scratch);
  }
  // Only after the log was cleared: a page that is still untouched now and
  // written later is in the next sync, so its stale ZERO record is replaced.
  for (RamBlock* b : mem.blocks()) known_zero_.push_back(b->known_zero_bitmap());
  // known_zero_ is complete: the prefaulters keep pointers into it.
  for (size_t i = 0; i < views_.size(); i++) {
    prefault_.emplace_back(views_[i].host, views_[i].used_length, &known_zero_[i],
                           mem.blocks()[i]->file_backed());
  }
  last_sync_us_ = now_us();
  dirty_sync_count_.store(1);
  remaining_bytes_.store(dirty_pages_ * kTargetPageSize);
  if (owner_.tuning().events) {
    owner_.announce([] { qapi::qapi_event_send_migration_pass(1); });
  }
  if (!runstate().running_any_thread()) ram_.set_phase(migration::RamSender::Phase::kDowntime);
  ram_.begin_setup(*file_, views_);
  if (multifd_) MIGEMU_TRY(multifd_sync());
  ram_.end_setup(*file_);
  if (file_->error()) return generic_error(write_error_text(uri_, channel_->write_fd(), *file_));
  setup_time_ms_.store((now_us() - start_us_) / 1000);
  window_start_us_ = now_us();
  window_start_bytes_ = stream_bytes();
  if (!owner_.set_state(MigrationStatus::kSetup, MigrationStatus::kActive)) {
    return generic_error("migration cancelled");
  }
  return {};
}

void OutgoingMigration::sync_dirty_log() {
  uint64_t newly = 0;
  auto& blocks = guest_memory().blocks();
  for (size_t i = 0; i < blocks.size(); i++) {
    std::vector<uint64_t> fresh(bitmaps_[i].size(), 0);
    newly += blocks[i]->sync_dirty(fresh);
    for (size_t w = 0; w < fresh.size(); w++) {
      uint64_t added = fresh[w] & ~bitmaps_[i][w];
      dirty_pages_ += static_cast<uint64_t>(__builtin_popcountll(added));
      bitmaps_[i][w] |= fresh[w];
    }
  }
  pages_dirtied_since_sync_ += newly;
  uint64_t pass = dirty_sync_count_.fetch_add(1) + 1;
  int64_t now = now_us();
  // Dirty rate and the auto-converge decision, once per second as QEMU does.
  if (now - last_sync_us_ >= 1000 * 1000) {
    int64_t elapsed_ms = (now - last_sync_us_) / 1000;
    dirty_pages_rate_.store(pages_dirtied_since_sync_ * 1000 / static_cast<uint64_t>(elapsed_ms));
    MigrationTuning t = owner_.tuning();
    if (t.auto_converge) {
      uint64_t xfer = stream_bytes() - bytes_xfer_prev_;
      uint64_t dirtied = pages_dirtied_since_sync_ * kTargetPageSize;
      uint64_t threshold = xfer * t.throttle_trigger_threshold / 100;
      if (dirtied > threshold && ++dirty_rate_high_cnt_ >= 2) {
        dirty_rate_high_cnt_ = 0;
        if (!cpu_throttle_active()) {
          cpu_throttle_set(static_cast<int>(t.cpu_throttle_initial));
        } else {
          uint64_t now_pct = static_cast<uint64_t>(cpu_throttle_get_percentage());
          uint64_t inc = t.cpu_throttle_increment;
          if (t.cpu_throttle_tailslow && dirtied > 0) {
            uint64_t cpu_now = 100 - now_pct;
            uint64_t cpu_ideal = static_cast<uint64_t>(static_cast<double>(cpu_now) *
                                                       (static_cast<double>(threshold) / dirtied));
            inc = std::min<uint64_t>(cpu_now - cpu_ideal, inc);
          }
          cpu_throttle_set(static_cast<int>(std::min<uint64_t>(now_pct + inc, t.max_cpu_throttle)));
        }
      }
    }
    bytes_xfer_prev_ = stream_bytes();
    pages_dirtied_since_sync_ = 0;
    last_sync_us_ = now;
  }
  remaining_bytes_.store(dirty_pages_ * kTargetPageSize);
  if (owner_.tuning().events) {
    owner_.announce([pass] { qapi::qapi_event_send_migration_pass(static_cast<int64_t>(pass)); });
  }
}

Status OutgoingMigration::send_dirty_pages(bool unlimited) {
  int64_t start = now_us();
  uint64_t sent = 0;
  size_t empty_blocks = 0;  // blocks passed in a row without a dirty page
  while (dirty_pages_ > 0) {
    if (cancel_.cancelled()) return generic_error("migration cancelled");
    // Every bitmap was scanned from its start and none had a page: the count
    // is only ever derived from the bitmaps, so this means "nothing left".
    if (empty_blocks > views_.size()) {
      dirty_pages_ = 0;
      break;
    }
    // Find the next dirty page from the cursor, wrapping around once.
    auto& bits = bitmaps_[cursor_block_];
    uint64_t pages = views_[cursor_block_].used_length / kTargetPageSize;
    uint64_t w = cursor_page_ / 64;
    uint64_t word = w < bits.size() ? bits[w] & (~uint64_t{0} << (cursor_page_ % 64)) : 0;
    while (word == 0 && ++w < bits.size()) word = bits[w];
    if (word == 0 || w >= bits.size()) {
      cursor_block_ = (cursor_block_ + 1) % views_.size();
      cursor_page_ = 0;
      empty_blocks++;
      continue;
    }
    uint64_t page = w * 64 + static_cast<uint64_t>(__builtin_ctzll(word));
    if (page >= pages) {
      cursor_block_ = (cursor_block_ + 1) % views_.size();
      cursor_page_ = 0;
      continue;
    }
    empty_blocks = 0;
    bits[w] &= ~(uint64_t{1} << (page % 64));
    dirty_pages_--;
    cursor_page_ = page + 1;
    std::vector<uint64_t>& zero = known_zero_[cursor_block_];
    uint64_t bit = uint64_t{1} << (page % 64);
    if (zero[w] & bit) {
      // Never written: a ZERO record on the main channel, the page unread.
      zero[w] &= ~bit;
      ram_.write_zero_page(*file_, views_[cursor_block_], page * kTargetPageSize);
    } else {
      const migration::RamBlockView& v = views_[cursor_block_];
      prefault_[cursor_block_].before(page * kTargetPageSize);
      if (!multifd_) {
        ram_.write_page(*file_, v, page * kTargetPageSize);
      } else if (!ram_.write_zero_page_if_zero(*file_, v, page * kTargetPageSize)) {
        // 7.2: zero pages go on the main channel, the others to a channel.
        MIGEMU_TRY(multifd_->queue_page(v, page * kTargetPageSize));
        ram_.count_multifd_page();
        account_multifd();
      }
    }
    if (file_->error()) return generic_error(write_error_text(uri_, channel_->write_fd(), *file_));
    sent++;
    if (!unlimited) {
      if (file_->rate_limit_exceeded()) break;
      if (sent % kPagesPerTimeCheck == 0 && now_us() - start > kIterationBudgetUs) break;
    }
  }
  remaining_bytes_.store(dirty_pages_ * kTargetPageSize);
  return {};
}

void OutgoingMigration::update_window(bool force) {
  int64_t now = now_us();
  if (!force && now - window_start_us_ < kWindowUs) return;
  int64_t spent_us = std::max<int64_t>(now - window_start_us_, 1);
  uint64_t bytes = stream_bytes() - window_start_bytes_;
  migration::RamCounters c = ram_.counters();
  uint64_t pages = c.normal + c.duplicate;
  double spent_ms = static_cast<double>(spent_us) / 1000.0;
  bandwidth_bytes_per_ms_ = static_cast<double>(bytes) / spent_ms;
  MigrationTuning t = owner_.tuning();
  threshold_bytes_ = static_cast<uint64_t>(bandwidth_bytes_per_ms_ * t.downtime_limit_ms);
  mbps_.store(static_cast<double>(bytes) * 8.0 / (spent_ms / 1000.0) / 1e6);
  pages_per_second_.store(static_cast<uint64_t>(static_cast<double>(pages - window_start_pages_) /
                                                (spent_ms / 1000.0)));
  if (dirty_pages_rate_.load() && bytes > 10000 && bandwidth_bytes_per_ms_ > 0) {
    expected_downtime_ms_.store(static_cast<int64_t>(static_cast<double>(remaining_bytes_.load()) /
                                                     bandwidth_bytes_per_ms_));
  }
  // A new window: its byte budget is max-bandwidth / 10.
  file_->set_rate_limit(t.max_bandwidth ? static_cast<int64_t>(t.max_bandwidth / 10) : 0);
  file_->reset_rate_limit();
  window_start_us_ = now;
  window_start_bytes_ = stream_bytes();
  window_start_pages_ = pages;
}

Status OutgoingMigration::iterate_until_converged() {
  MigrationTuning t = owner_.tuning();
  file_->set_rate_limit(t.max_bandwidth ? static_cast<int64_t>(t.max_bandwidth / 10) : 0);
  for (;;) {
    if (cancel_.cancelled()) return generic_error("migration cancelled");
    if (!file_->rate_limit_exceeded()) {
      uint64_t pending = dirty_pages_ * kTargetPageSize;
      if (pending < threshold_bytes_) {
        sync_dirty_log();
        pending = dirty_pages_ * kTargetPageSize;
      }
      if (pending == 0 || pending < threshold_bytes_) return {};  // converged: complete
      // Bytes count as precopy only while the guest runs (ram_transferred_add).
      ram_.set_phase(runstate().running_any_thread() ? migration::RamSender::Phase::kPrecopy
                                                     : migration::RamSender::Phase::kDowntime);
      ram_.begin_part(*file_);
      MIGEMU_TRY(send_dirty_pages(false));
      if (multifd_) MIGEMU_TRY(multifd_sync());
      ram_.end_part(*file_);
      if (file_->error())
        return generic_error(write_error_text(uri_, channel_->write_fd(), *file_));
    }
    update_window(false);
    if (file_->rate_limit_exceeded()) {
      int64_t wait = window_start_us_ + kWindowUs - now_us();
      // Sleeps out the window unless cancelled.
      if (wait > 0) poll_cancellable(-1, 0, &cancel_, static_cast<int>((wait + 999) / 1000));
    }
  }
}

Status OutgoingMigration::complete() {
  int64_t downtime_start = now_us();
  MigrationTuning t = owner_.tuning();
  migration::GlobalState gs;
  run_on_main([&] {
    RunStateMachine& rs = runstate();
    vm_was_running_ = rs.is_running();
    gs.store(rs.state());
    rs.vm_stop_force(RunState::kFinishMigrate);
    vm_stopped_by_us_ = true;
  });
  MigrationStatus current = MigrationStatus::kActive;
  if (t.pause_before_switchover) {
    if (!owner_.set_state(MigrationStatus::kActive, MigrationStatus::kPreSwitchover)) {
      return generic_error("migration cancelled");
    }
    std::unique_lock<std::mutex> lk(switchover_mu_);
    switchover_cv_.wait(lk, [this] { return switchover_continue_; });
    lk.unlock();
    if (cancel_.cancelled() ||
        !owner_.set_state(MigrationStatus::kPreSwitchover, MigrationStatus::kDevice)) {
      return generic_error("migration cancelled");
    }
    current = MigrationStatus::kDevice;
    downtime_start = now_us();
  }
  // Final pass: no rate limit, every page still dirty.
  file_->set_rate_limit(0);
  ram_.set_phase(migration::RamSender::Phase::kDowntime);
  sync_dirty_log();
  ram_.begin_end(*file_);
  MIGEMU_TRY(send_dirty_pages(true));
  if (multifd_) MIGEMU_TRY(multifd_sync());
  ram_.end_end(*file_);
  migration::TimerState timer;
  int64_t ns = g_get_monotonic_time() * 1000;
  timer.cpu_ticks_offset = ns;
  timer.cpu_clock_offset = ns;
  auto devices = migration::none_machine_devices(timer, gs);
  migration::save_device_state(*file_, devices);
  file_->flush();
  if (file_->error()) return generic_error(write_error_text(uri_, channel_->write_fd(), *file_));
  // With a return path, 7.2 completes only once the destination said SHUT(0).
  if (rp_file_) MIGEMU_TRY(wait_for_return_path_shut());
  int64_t end = now_us();
  downtime_ms_.store((end - downtime_start) / 1000);
  end_us_.store(end);
  if (!owner_.set_state(current, MigrationStatus::kCompleted)) {
    return generic_error("migration cancelled");
  }
  return {};
}

Status OutgoingMigration::multifd_sync() {
  Status st = multifd_->sync();
  account_multifd();
  return st;
}

void OutgoingMigration::account_multifd() {
  uint64_t b = multifd_->take_unaccounted_bytes();
  if (!b) return;
  ram_.count_multifd_bytes(b);
  file_->account_rate_limit(static_cast<int64_t>(b));
}

uint64_t OutgoingMigration::stream_bytes() const {
  return file_->bytes_transferred() + ram_.counters().multifd_bytes;
}

void OutgoingMigration::finish(MigrationStatus final_state, std::optional<std::string> error) {
  if (end_us_.load() == 0) end_us_.store(now_us());
  // Multifd threads end first: their sockets are shut down (after success
  // every packet was written: the last sync waited for it) and joined.
  multifd_.reset();
  if (rp_file_) {
    rp_file_->shutdown();
    if (rp_thread_.joinable()) rp_thread_.join();
  }
  // Close our end first so that an exec: child sees EOF and a socket peer
  // sees the end of the stream.
  if (file_) file_->flush();
  {
    std::lock_guard<std::mutex> lk(io_mu_);
    rp_file_.reset();
    file_.reset();
  }
  // Closing every fd of the channel lets the peer see the end. An exec:
  // child goes to the main loop's reaper: after a failure or cancel it is
  // terminated, after success it may finish writing in its own time.
  std::optional<MigrationChannel> closing;
  {
    std::lock_guard<std::mutex> lk(io_mu_);
    closing = std::move(channel_);
    channel_.reset();
  }
  if (closing && final_state != MigrationStatus::kCompleted) closing->shutdown();
  closing.reset();
  bool was_running = vm_was_running_;
  bool stopped = vm_stopped_by_us_;
  MigrationState& owner = owner_;
  const OutgoingMigration* self = this;
  post_to_main([&owner, self, final_state, error, was_running, stopped] {
    cpu_throttle_stop();
    MigrationStatus cur = owner.status();
    if (final_state == MigrationStatus::kCompleted) {
      runstate().set(RunState::kPostmigrate);
    } else {
      if (final_state == MigrationStatus::kFailed) {
        owner.error_desc_ = error;
        // migrate_fd_cleanup reports the migration's error on stderr.
        if (error) fprintf(stderr, "%s: %s\n", g_get_prgname(), error->c_str());
        if (migration_status_is_running(cur)) owner.set_state(cur, MigrationStatus::kFailed);
      } else if (cur == MigrationStatus::kCancelling) {
        owner.set_state(MigrationStatus::kCancelling, MigrationStatus::kCancelled);
      } else if (migration_status_is_running(cur)) {
        owner.set_state(cur, MigrationStatus::kCancelled);
      }
      // The guest runs on as before (migration_iteration_finish).
      if (stopped) {
        if (was_running) {
          if (!runstate().check(RunState::kShutdown)) runstate().vm_start();
        } else if (runstate().check(RunState::kFinishMigrate)) {
          runstate().set(RunState::kPostmigrate);
        }
      }
    }
    owner.outgoing_finished(self);
  });
}

void OutgoingMigration::fill_info(qapi::MigrationInfo& info, MigrationStatus state) const {
  info.setup_time = setup_time_ms_.load();
  if (state == MigrationStatus::kCompleted) {
    info.total_time = (end_us_.load() - start_us_) / 1000;
    info.downtime = downtime_ms_.load();
  } else {
    info.total_time = (now_us() - start_us_) / 1000;
    info.expected_downtime = expected_downtime_ms_.load();
  }
  migration::RamCounters c = ram_.counters();
  qapi::MigrationStats ram;
  ram.transferred = static_cast<int64_t>(c.transferred);
  ram.total = static_cast<int64_t>(total_bytes_.load());
  ram.duplicate = static_cast<int64_t>(c.duplicate);
  ram.skipped = 0;
  ram.normal = static_cast<int64_t>(c.normal);
  ram.normal_bytes = static_cast<int64_t>(c.normal_bytes());
  ram.dirty_sync_count = static_cast<int64_t>(dirty_sync_count_.load());
  ram.page_size = static_cast<int64_t>(kTargetPageSize);
  ram.precopy_bytes = c.precopy_bytes;
  ram.downtime_bytes = c.downtime_bytes;
  ram.multifd_bytes = c.multifd_bytes;
  if (state == MigrationStatus::kCompleted) {
    // Whole-migration averages (migration_calculate_complete).
    int64_t transfer_ms = std::max<int64_t>(*info.total_time - *info.setup_time, 1);
    ram.mbps = static_cast<double>(c.transferred) * 8.0 / static_cast<double>(transfer_ms) / 1000.0;
    ram.pages_per_second = static_cast<uint64_t>(static_cast<double>(c.normal + c.duplicate) /
                                                 (static_cast<double>(transfer_ms) / 1000.0));
  } else {
    ram.mbps = mbps_.load();
    ram.pages_per_second = pages_per_second_.load();
    ram.remaining = static_cast<int64_t>(remaining_bytes_.load());
    ram.dirty_pages_rate = static_cast<int64_t>(dirty_pages_rate_.load());
  }
  info.ram = ram;
  if (cpu_throttle_active()) info.cpu_throttle_percentage = cpu_throttle_get_percentage();
}

}  // namespace migemu
