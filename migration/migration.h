// Live migration as the monitors see it (QEMU 7.2's MigrationState and
// MigrationIncomingState): the status machine with its MIGRATION events, the
// source side (`migrate` -> connect -> migration thread) and the destination
// side (`-incoming`/`migrate-incoming` -> listener -> loader thread), and the
// query-migrate view. Every public method runs on the main thread; the
// threads report back through post_to_main.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "migration/multifd_compress.h"
#include "migration/multifd_packet.h"
#include "migration/transport.h"
#include "qapi/error.h"
#include "qapi/qapi-types.h"

namespace migemu {

class OutgoingMigration;
class IncomingMigration;

using qapi::MigrationStatus;

// "A migration is running": capabilities are locked, `migrate` is refused.
bool migration_status_is_running(MigrationStatus s);

// What the migration thread reads of the capabilities and parameters, each
// time it needs them (they may change during a migration).
struct MigrationTuning {
  uint64_t max_bandwidth = 128ull << 20;  // bytes/s; 0 = unlimited
  uint64_t downtime_limit_ms = 300;
  bool events = false;
  bool pause_before_switchover = false;
  bool auto_converge = false;
  bool return_path = false;
  unsigned cpu_throttle_initial = 20;
  unsigned cpu_throttle_increment = 10;
  bool cpu_throttle_tailslow = false;
  unsigned max_cpu_throttle = 99;
  unsigned throttle_trigger_threshold = 50;
  bool multifd = false;
  unsigned multifd_channels = 2;
  migration::multifd::Compression multifd_compression = migration::multifd::Compression::kNone;
  int multifd_zlib_level = 1;
  int multifd_zstd_level = 1;
  migration::multifd::Uuid uuid{};  // -uuid (zeros without one): multifd's handshake
};

class MigrationState {
 public:
  MigrationState();
  ~MigrationState();

  // ---- source
  MigrationStatus status() const { return status_.load(); }
  bool running() const { return migration_status_is_running(status()); }
  // qmp_migrate: `resolve_fd` resolves fd: names. Errors before the channel
  // exists are returned; connection errors fail the migration instead.
  Status migrate(const std::string& uri, bool blk, bool inc, bool resume,
                 const FdResolver& resolve_fd);
  void cancel();
  Status continue_from(MigrationStatus state);

  // ---- destination
  // `-incoming URI` (at startup) or migrate-incoming.
  Status start_incoming(const std::string& uri, bool from_command_line);
  bool incoming_deferred = false;  // -incoming defer given

  qapi::MigrationInfo query() const;

  // Before the process exits (main loop stopped): cancels an outgoing
  // migration and keeps the main context turning until its thread has
  // reported, since that thread may be waiting for the main thread; wakes
  // and joins an incoming loader. Bounded: every blocking point is woken.
  void shutdown_for_exit();

  // ---- used by the threads (any thread)
  // migrate_set_state: compare-and-swap; on success the MIGRATION event is
  // queued in transition order (the change and the queueing are one step)
  // and emitted from the main thread if the events capability is on.
  bool set_state(MigrationStatus from, MigrationStatus to);
  bool set_incoming_state(MigrationStatus from, MigrationStatus to);
  // Queues another migration event (MIGRATION_PASS) behind those already
  // queued, so a client sees them in the order they happened.
  void announce(std::function<void()> emit);
  // Current capabilities and parameters (migration/options.h).
  MigrationTuning tuning() const;

 private:
  friend class OutgoingMigration;
  friend class IncomingMigration;
  // Main thread: `done`'s thread reported its end; reap it.
  void outgoing_finished(const OutgoingMigration* done);

  bool cas_and_announce(std::atomic<MigrationStatus>& st, MigrationStatus from, MigrationStatus to);
  void deliver_events();
  // Main thread: emits every queued event, oldest first.
  void drain_events();

  // Events waiting for the main thread, in the order their changes happened.
  std::mutex event_mu_;
  std::deque<std::function<void()>> pending_events_;

  std::atomic<MigrationStatus> status_{MigrationStatus::kNone};
  std::unique_ptr<OutgoingMigration> outgoing_;
  // Between `migrate` and the thread's final report (its status may already
  // read completed while it still tidies up).
  bool outgoing_busy_ = false;
  std::optional<std::string> error_desc_;

  std::atomic<MigrationStatus> incoming_status_{MigrationStatus::kNone};
  std::unique_ptr<IncomingMigration> incoming_;
  bool incoming_started_ = false;
};

MigrationState& migration_state();

// Emits MIGRATION {status} if the events capability is on. Main thread.
void emit_migration_event(MigrationStatus s);

}  // namespace migemu
