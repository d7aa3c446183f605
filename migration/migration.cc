#include "migration/migration.h"

#include <glib.h>

#include <cstdio>

#include "migration/faults.h"
#include "migration/incoming.h"
#include "migration/multifd_recv.h"
#include "migration/options.h"
#include "migration/outgoing.h"
#include "qapi/qapi-events.h"
#include "system/runstate.h"
#include "system/vm.h"
#include "util/main_thread.h"

namespace migemu {

bool migration_status_is_running(MigrationStatus s) {
  switch (s) {
    case MigrationStatus::kActive:
    case MigrationStatus::kPostcopyActive:
    case MigrationStatus::kPostcopyPaused:
    case MigrationStatus::kPostcopyRecover:
    case MigrationStatus::kSetup:
    case MigrationStatus::kPreSwitchover:
    case MigrationStatus::kDevice:
    case MigrationStatus::kWaitUnplug:
    case MigrationStatus::kCancelling:
      return true;
    default:
      return false;
  }
}

void emit_migration_event(MigrationStatus s) {
  if (migration_state().tuning().events) qapi::qapi_event_send_migration(s);
}

MigrationState::MigrationState() {
  migration_options().migration_running = [this] { return running(); };
}
MigrationState::~MigrationState() {
  // The options store outlives us (it was constructed first): leave it no
  // hook into a destroyed object.
  migration_options().migration_running = nullptr;
}

MigrationTuning MigrationState::tuning() const {
  using C = qapi::MigrationCapability;
  MigrationOptionsSnapshot o = migration_options().snapshot();
  MigrationTuning t;
  t.max_bandwidth = o.max_bandwidth;
  t.downtime_limit_ms = o.downtime_limit_ms;
  t.events = o.cap(C::kEvents);
  t.pause_before_switchover = o.cap(C::kPauseBeforeSwitchover);
  t.auto_converge = o.cap(C::kAutoConverge);
  t.return_path = o.cap(C::kReturnPath);
  t.cpu_throttle_initial = o.cpu_throttle_initial;
  t.cpu_throttle_increment = o.cpu_throttle_increment;
  t.cpu_throttle_tailslow = o.cpu_throttle_tailslow;
  t.max_cpu_throttle = o.max_cpu_throttle;
  t.throttle_trigger_threshold = o.throttle_trigger_threshold;
  t.multifd = o.cap(C::kMultifd);
  t.multifd_channels = o.multifd_channels;
  switch (o.multifd_compression) {
    case qapi::MultiFDCompression::kZlib:
      t.multifd_compression = migration::multifd::Compression::kZlib;
      break;
    case qapi::MultiFDCompression::kZstd:
      t.multifd_compression = migration::multifd::Compression::kZstd;
      break;
    default:
      t.multifd_compression = migration::multifd::Compression::kNone;
      break;
  }
  t.multifd_zlib_level = o.multifd_zlib_level;
  t.multifd_zstd_level = o.multifd_zstd_level;
  if (const auto& u = vm().config().uuid) t.uuid = migration::multifd::parse_uuid(*u);
  return t;
}

bool MigrationState::cas_and_announce(std::atomic<MigrationStatus>& st, MigrationStatus from,
                                      MigrationStatus to) {
  {
    // One step: whoever wins a transition also takes its place in the event
    // queue, so `cancelling` can never be emitted before an `active` that
    // the migration thread entered first.
    std::lock_guard<std::mutex> lk(event_mu_);
    if (!st.compare_exchange_strong(from, to)) return false;
    pending_events_.push_back([to] { emit_migration_event(to); });
  }
  deliver_events();
  return true;
}

void MigrationState::announce(std::function<void()> emit) {
  {
    std::lock_guard<std::mutex> lk(event_mu_);
    pending_events_.push_back(std::move(emit));
  }
  deliver_events();
}

void MigrationState::deliver_events() {
  // On the main thread the event leaves now (before the command's reply, as
  // in QEMU), behind anything the threads queued earlier; from a thread, the
  // main loop emits it next. Only the main thread drains, oldest first.
  if (g_main_context_is_owner(g_main_context_default())) {
    drain_events();
  } else {
    post_to_main([this] { drain_events(); });
  }
}

void MigrationState::drain_events() {
  for (;;) {
    std::function<void()> next;
    {
      std::lock_guard<std::mutex> lk(event_mu_);
      if (pending_events_.empty()) return;
      next = std::move(pending_events_.front());
      pending_events_.pop_front();
    }
    next();
  }
}

bool MigrationState::set_state(MigrationStatus from, MigrationStatus to) {
  return cas_and_announce(status_, from, to);
}

bool MigrationState::set_incoming_state(MigrationStatus from, MigrationStatus to) {
  return cas_and_announce(incoming_status_, from, to);
}

Status MigrationState::migrate(const std::string& uri, bool blk, bool inc, bool resume,
                               const FdResolver& resolve_fd) {
  if (resume) {
    if (status() != MigrationStatus::kPostcopyPaused) {
      return generic_error("Cannot resume if there is no paused migration");
    }
  }
  if (running() || outgoing_busy_) {
    return generic_error("There's a migration process in progress");
  }
  RunStateMachine& rs = runstate();
  if (rs.check(RunState::kInmigrate))
    return generic_error("Guest is waiting for an incoming migration");
  if (rs.check(RunState::kPostmigrate)) {
    return generic_error("Can't migrate the vm that was paused due to previous migration");
  }
  if (blk || inc) {
    // Debian's 7.2 has block migration; with no block devices (migemu has
    // none) it copies nothing and the migration runs as usual.
    if (migration_options().capability(qapi::MigrationCapability::kBlock) ||
        migration_options().snapshot().block_incremental) {
      return generic_error("Command options are incompatible with current migration capabilities");
    }
  }
  MIGEMU_TRY(migration_options().check_supported_for_start());
  // migrate_init: a fresh migration.
  outgoing_.reset();
  error_desc_.reset();
  status_.store(MigrationStatus::kNone);
  set_state(MigrationStatus::kNone, MigrationStatus::kSetup);

  Result<MigrationUri> parsed = parse_outgoing_uri(uri);
  if (!parsed.ok()) {
    Error err = parsed.take_error();
    // An unknown scheme leaves the migration failed without a description;
    // address errors are recorded as the migration's error (migrate_fd_error).
    if (err.desc != "Parameter 'uri' expects a valid migration protocol") error_desc_ = err.desc;
    set_state(MigrationStatus::kSetup, MigrationStatus::kFailed);
    return err;
  }
  // 7.2's migrate_protocol_allow_multi_channels: only sockets carry channels.
  const bool sockets =
      parsed->kind == MigrationUri::Kind::Tcp || parsed->kind == MigrationUri::Kind::Unix;
  migration_options().set_multi_channels_allowed(sockets);
  std::optional<MigrationChannel> channel;
  if (parsed->kind == MigrationUri::Kind::Fd) {
    Fd fd = resolve_fd ? resolve_fd(parsed->fdname) : Fd();
    if (!fd.valid()) {
      Error err =
          generic_error("File descriptor named '" + parsed->fdname + "' has not been found");
      error_desc_ = err.desc;
      set_state(MigrationStatus::kSetup, MigrationStatus::kFailed);
      return err;
    }
    channel = MigrationChannel::bidirectional(std::move(fd));
  } else if (parsed->kind == MigrationUri::Kind::Exec) {
    auto ch = spawn_exec(parsed->command);
    if (!ch.ok()) {
      error_desc_ = ch.error().desc;
      set_state(MigrationStatus::kSetup, MigrationStatus::kFailed);
      return ch.take_error();
    }
    channel = std::move(*ch);
  }
  if (!sockets && migration_options().capability(qapi::MigrationCapability::kMultifd)) {
    // multifd_save_setup fails after the channel exists: the command
    // succeeds, the migration fails without an error-desc, and 7.2 prints the
    // reason in the monitor's context, i.e. without the program name.
    fprintf(stderr, "multifd is not supported by current protocol\n");
    set_state(MigrationStatus::kSetup, MigrationStatus::kFailed);
    if (channel) channel->shutdown();
    return {};
  }
  ArmedFaults faults = migration_faults().take(FaultSide::kSource);
  outgoing_ =
      std::make_unique<OutgoingMigration>(*this, std::move(*parsed), std::move(channel),
                                          std::move(faults.stream), std::move(faults.multifd));
  outgoing_busy_ = true;
  outgoing_->start();
  return {};
}

void MigrationState::cancel() {
  for (;;) {
    MigrationStatus old = status();
    if (!migration_status_is_running(old)) return;
    if (set_state(old, MigrationStatus::kCancelling)) break;
  }
  if (outgoing_) outgoing_->cancel();
}

Status MigrationState::continue_from(MigrationStatus state) {
  if (status() != state) {
    return generic_error(std::string("Migration not in expected state: ") +
                         qapi::to_string(status()));
  }
  if (outgoing_) outgoing_->resume_switchover();
  return {};
}

void MigrationState::outgoing_finished(const OutgoingMigration* done) {
  // The thread has posted its last message; join it now.
  if (outgoing_.get() != done) return;
  outgoing_->join();
  outgoing_busy_ = false;
}

void MigrationState::shutdown_for_exit() {
  cancel();
  // A cancelled thread reports within a bounded time (util/canceller.h).
  while (outgoing_busy_) g_main_context_iteration(nullptr, TRUE);
  if (incoming_) {
    incoming_->cancel();
    incoming_.reset();
  }
}

Status MigrationState::start_incoming(const std::string& uri, bool from_command_line) {
  if (!from_command_line) {
    if (!incoming_deferred) {
      return generic_error("'-incoming' was not specified on the command line");
    }
    if (incoming_started_) return generic_error("The incoming migration has already been started");
  }
  // The destination always announces setup, whatever the events capability.
  announce([] { qapi::qapi_event_send_migration(MigrationStatus::kSetup); });
  Result<MigrationUri> parsed = parse_incoming_uri(uri);
  if (!parsed.ok()) return parsed.take_error();
  migration_options().set_multi_channels_allowed(parsed->kind == MigrationUri::Kind::Tcp ||
                                                 parsed->kind == MigrationUri::Kind::Unix);
  auto inc = std::make_unique<IncomingMigration>(*this);
  MIGEMU_TRY(inc->start(*parsed, FdResolver()));
  incoming_ = std::move(inc);
  incoming_started_ = true;
  return {};
}

qapi::MigrationInfo MigrationState::query() const {
  qapi::MigrationInfo info;
  // Destination view first, then the source's overrides (qmp_query_migrate).
  if (incoming_ && incoming_status_.load() != MigrationStatus::kCompleted) {
    auto addrs = incoming_->socket_addresses();
    if (!addrs.empty()) info.socket_address = std::move(addrs);
  }
  MigrationStatus in = incoming_status_.load();
  if (in != MigrationStatus::kNone) info.status = in;
  MigrationStatus st = status();
  switch (st) {
    case MigrationStatus::kNone:
      return info;
    case MigrationStatus::kSetup:
      break;
    case MigrationStatus::kActive:
    case MigrationStatus::kCancelling:
    case MigrationStatus::kPostcopyActive:
    case MigrationStatus::kPreSwitchover:
    case MigrationStatus::kDevice:
    case MigrationStatus::kPostcopyPaused:
    case MigrationStatus::kPostcopyRecover:
    case MigrationStatus::kCompleted:
      if (outgoing_) outgoing_->fill_info(info, st);
      break;
    case MigrationStatus::kFailed:
      if (error_desc_) info.error_desc = *error_desc_;
      break;
    default:
      break;
  }
  info.status = st;
  return info;
}

MigrationState& migration_state() {
  static MigrationState s;
  return s;
}

}  // namespace migemu
