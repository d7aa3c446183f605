// Migration capabilities and parameters (QEMU 7.2's MigrationState
// enabled_capabilities[] and parameters): their 7.2 defaults, the checks that
// migrate-set-capabilities / migrate-set-parameters run (with 7.2's texts),
// the "-global migration.PROP=VALUE" knobs, and what the migration threads
// read of them.
//
// Threads: the set_* / apply_* / query_* methods run on the main thread (the
// monitors'). snapshot(), capability() and globals() may be called from any
// thread: the store is guarded by a mutex and those return copies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/error.h"
#include "qapi/qapi-types.h"

namespace migemu {

using qapi::MigrationCapability;

inline constexpr size_t kMigrationCapabilityCount =
    static_cast<size_t>(qapi::MigrationCapability_MAX);

// The "globals:" block of `info migrate`: -global migration.* knobs that are
// neither parameters nor capabilities, plus -only-migratable.
struct GlobalsSnapshot {
  bool store_global_state = true;
  bool only_migratable = false;
  bool send_configuration = true;
  bool send_section_footer = true;
  bool decompress_error_check = true;
  uint8_t clear_bitmap_shift = 18;          // -global migration.x-clear-bitmap-shift
  bool postcopy_preempt_break_huge = true;  // not printed; kept for completeness
};

// Everything the migration threads need, copied at one instant.
struct MigrationOptionsSnapshot {
  std::array<bool, kMigrationCapabilityCount> caps{};
  bool cap(MigrationCapability c) const { return caps[static_cast<size_t>(c)]; }

  uint64_t max_bandwidth = 128ull << 20;  // bytes/s; 0 = no limit at all
  uint64_t max_postcopy_bandwidth = 0;    // bytes/s; 0 = no limit
  uint64_t downtime_limit_ms = 300;
  uint8_t throttle_trigger_threshold = 50;  // percent
  uint8_t cpu_throttle_initial = 20;        // percent
  uint8_t cpu_throttle_increment = 10;      // percent
  bool cpu_throttle_tailslow = false;
  uint8_t max_cpu_throttle = 99;  // percent
  uint8_t multifd_channels = 2;
  qapi::MultiFDCompression multifd_compression = qapi::MultiFDCompression::kNone;
  uint8_t multifd_zlib_level = 1;
  uint8_t multifd_zstd_level = 1;
  uint64_t xbzrle_cache_size = 64ull << 20;
  uint8_t compress_level = 1;
  uint8_t compress_threads = 8;
  bool compress_wait_thread = true;
  uint8_t decompress_threads = 2;
  uint32_t x_checkpoint_delay_ms = 20000;
  bool block_incremental = false;
  uint64_t announce_initial_ms = 50, announce_max_ms = 550, announce_rounds = 5,
           announce_step_ms = 100;
  std::string tls_creds, tls_hostname, tls_authz;
  GlobalsSnapshot globals;
};

class MigrationOptions {
 public:
  MigrationOptions();  // QEMU 7.2's defaults, every capability off

  // ---- hooks, installed once at start-up (main thread) ------------------------
  // True while an outgoing migration is running (7.2's migration_is_running:
  // setup, active, postcopy-*, pre-switchover, device, wait-unplug,
  // cancelling): capabilities are then locked. Unset = never running.
  std::function<bool()> migration_running;
  // True while the run state is "inmigrate" (the destination's checks of
  // postcopy-ram and multifd). Unset = false. migration_options() installs
  // one that reads the run state machine.
  std::function<bool()> in_incoming_runstate;

  // ---- QMP semantics (main thread) ----------------------------------------------
  // migrate-set-capabilities: "There's a migration process in progress" while
  // running; otherwise the whole resulting set is checked first (7.2's
  // cumulative checks and texts), then applied.
  Status set_capabilities(const std::vector<qapi::MigrationCapabilityStatus>& caps);
  // query-migrate-capabilities: all 21 in enum order.
  std::vector<qapi::MigrationCapabilityStatus> query_capabilities() const;
  // migrate-set-parameters: tls-* null -> ""; the current values overlaid with
  // the given ones are checked (texts name the C fields, e.g. 'downtime_limit'),
  // then applied; multifd-zlib-level and multifd-zstd-level pass the check
  // but are not stored (7.2 does the same).
  Status set_parameters(const qapi::MigrateSetParameters& params);
  // query-migrate-parameters: every member set; block-bitmap-mapping only
  // once it has been set.
  qapi::MigrationParameters query_parameters() const;

  // ---- start-up ----------------------------------------------------------------------
  // Applies the "migration.PROP=VALUE" entries of -global (others are
  // skipped) in order, then runs 7.2's start-up check of all parameters and
  // capabilities. On failure Error::desc is what QEMU prints after
  // "<program>: " before exiting with status 1; it may have more lines (the
  // size-suffix hint), printed without the program prefix.
  // Warnings QEMU prints on stderr meanwhile (e.g. "warning: Using a
  // multiplier suffix on hex numbers is deprecated: 0x10k") are appended to
  // `warnings`, without the program prefix.
  Status apply_globals(const std::vector<std::string>& globals,
                       std::vector<std::string>* warnings = nullptr);
  void set_only_migratable(bool on);

  // ---- any thread ----------------------------------------------------------------------
  bool capability(MigrationCapability c) const;
  MigrationOptionsSnapshot snapshot() const;
  GlobalsSnapshot globals() const;

  // ---- what migemu can do ------------------------------------------------------------
  // `migrate` (before anything starts): an error naming the first enabled
  // capability that migemu cannot honour as a source, or TLS (tls-creds set).
  // Text: "Migration capability 'NAME' is not supported by migemu" /
  // "TLS migration (tls-creds 'ID') is not supported by migemu".
  Status check_supported_for_start() const;
  // The same for a destination (migrate-incoming / -incoming).
  Status check_supported_for_incoming() const;
  // Changes the table behind the two checks (e.g. once a feature lands).
  void set_capability_honoured(MigrationCapability c, bool outgoing, bool incoming);
  bool capability_honoured(MigrationCapability c, bool outgoing) const;

  // 7.2's migrate_protocol_allow_multi_channels: false after an incoming URI
  // that is not tcp:/unix:/vsock: ("multifd is not supported by current
  // protocol" while in inmigrate). Default true.
  void set_multi_channels_allowed(bool allowed);
  bool multi_channels_allowed() const;

  // Whether a destination can do postcopy. When false (migemu: no
  // userfaultfd-backed RAM), enabling postcopy-ram while in inmigrate fails
  // with 7.2's "Postcopy is not supported".
  bool postcopy_supported_on_destination = false;

 private:
  using Caps = std::array<bool, kMigrationCapabilityCount>;
  // Stored parameters: a MigrationParameters with every member set except
  // block_bitmap_mapping (set once given).
  static Status check_caps(Caps caps, const std::vector<qapi::MigrationCapabilityStatus>& changes,
                           const qapi::MigrationParameters& params, bool incoming,
                           bool multi_channels_allowed, bool postcopy_supported);
  static Status check_params(const qapi::MigrationParameters& p, const Caps& caps);
  Status apply_global(const std::string& prop, const std::string& value,
                      std::vector<std::string>* warnings);
  Status check_supported(bool outgoing) const;
  bool incoming_runstate() const;

  mutable std::mutex mu_;
  Caps caps_{};
  qapi::MigrationParameters params_;
  GlobalsSnapshot globals_;
  bool multi_channels_allowed_ = true;
  std::array<bool, kMigrationCapabilityCount> honoured_out_{};
  std::array<bool, kMigrationCapabilityCount> honoured_in_{};
};

// The process-wide store (what the monitors and the migration code use).
MigrationOptions& migration_options();
// migration_options().globals(): the argument format_info_migrate() takes.
GlobalsSnapshot migration_globals();

// 7.2's check of a block-bitmap-mapping (node/bitmap names and aliases),
// without the "Invalid mapping given for block-bitmap-mapping: " prefix.
Status check_block_bitmap_mapping(const std::vector<qapi::BitmapMigrationNodeAlias>& mapping);

}  // namespace migemu
