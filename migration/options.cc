// Migration capabilities and parameters; see options.h.
#include "migration/options.h"

#include <cstring>
#include <optional>
#include <utility>

#include "qapi/qapi-commands.h"
#include "system/qemu_opts.h"
#include "system/runstate.h"

namespace migemu {

namespace {

using qapi::MigrationCapabilityStatus;
using qapi::MigrationParameters;
using qapi::MultiFDCompression;
using Cap = MigrationCapability;

constexpr size_t idx(Cap c) {
  return static_cast<size_t>(c);
}

// QEMU 7.2's MAX_MIGRATE_DOWNTIME, and how its check message spells it.
constexpr uint64_t kMaxDowntimeMs = 2000 * 1000;
constexpr uint64_t kTargetPageSize = 4096;
// Lengths QEMU 7.2 allows in a block-bitmap-mapping.
constexpr size_t kMaxNodeNameLen = 31;      // sizeof(BlockDriverState.node_name) - 1
constexpr size_t kMaxAliasLen = 255;        // UINT8_MAX
constexpr size_t kMaxBitmapNameLen = 1023;  // BDRV_BITMAP_MAX_NAME_SIZE

// QERR_INVALID_PARAMETER_VALUE.
Error invalid_value(std::string_view name, std::string_view expects) {
  return generic_error("Parameter '" + std::string(name) + "' expects " + std::string(expects));
}

// The capabilities that 7.2 refuses alongside background-snapshot, in the
// order it checks them.
constexpr Cap kBackgroundSnapshotIncompatible[] = {
    Cap::kPostcopyRam,
    Cap::kDirtyBitmaps,
    Cap::kPostcopyBlocktime,
    Cap::kLateBlockActivate,
    Cap::kReturnPath,
    Cap::kMultifd,
    Cap::kPauseBeforeSwitchover,
    Cap::kAutoConverge,
    Cap::kReleaseRam,
    Cap::kRdmaPinAll,
    Cap::kCompress,
    Cap::kXbzrle,
    Cap::kXColo,
    Cap::kValidateUuid,
    Cap::kZeroCopySend,
};

bool uses_tls(const MigrationParameters& p) {
  return p.tls_creds && !p.tls_creds->empty();
}

MigrationParameters default_parameters() {
  MigrationParameters p;
  p.announce_initial = 50;
  p.announce_max = 550;
  p.announce_rounds = 5;
  p.announce_step = 100;
  p.compress_level = 1;
  p.compress_threads = 8;
  p.compress_wait_thread = true;
  p.decompress_threads = 2;
  p.throttle_trigger_threshold = 50;
  p.cpu_throttle_initial = 20;
  p.cpu_throttle_increment = 10;
  p.cpu_throttle_tailslow = false;
  p.tls_creds = "";
  p.tls_hostname = "";
  p.tls_authz = "";  // NULL in QEMU; queried and printed as ""
  p.max_bandwidth = 128ull << 20;
  p.downtime_limit = 300;
  p.x_checkpoint_delay = 20000;
  p.block_incremental = false;
  p.multifd_channels = 2;
  p.xbzrle_cache_size = 64ull << 20;
  p.max_postcopy_bandwidth = 0;
  p.max_cpu_throttle = 99;
  p.multifd_compression = MultiFDCompression::kNone;
  p.multifd_zlib_level = 1;
  p.multifd_zstd_level = 1;
  return p;
}

std::string str_or_null(const qapi::StrOrNull& v) {
  if (const auto* s = std::get_if<std::string>(&v.value)) return *s;
  return "";  // null means "unset", stored as "" (7.2.7+ also for tls-authz)
}

// ---- -global migration.PROP=VALUE ------------------------------------------------

enum class PropKind { kBool, kUint8, kUint32, kUint64, kSize, kEnumCompression, kString };

// Where a property lands: a capability, a parameter (by setter) or a global.
struct Prop {
  std::string_view name;
  PropKind kind;
  std::optional<Cap> cap;
  // For parameters and globals; receives the parsed value.
  void (*set_u64)(MigrationParameters&, GlobalsSnapshot&, uint64_t) = nullptr;
  void (*set_str)(MigrationParameters&, std::string) = nullptr;
};

#define MIGEMU_U64_SETTER(expr)                                \
  [](MigrationParameters& p, GlobalsSnapshot& g, uint64_t v) { \
    (void)p;                                                   \
    (void)g;                                                   \
    expr;                                                      \
  }

// QEMU 7.2's migration_properties[], in its order.
const Prop kProps[] = {
    {"store-global-state", PropKind::kBool, {}, MIGEMU_U64_SETTER(g.store_global_state = v != 0)},
    {"send-configuration", PropKind::kBool, {}, MIGEMU_U64_SETTER(g.send_configuration = v != 0)},
    {"send-section-footer", PropKind::kBool, {}, MIGEMU_U64_SETTER(g.send_section_footer = v != 0)},
    {"decompress-error-check",
     PropKind::kBool,
     {},
     MIGEMU_U64_SETTER(g.decompress_error_check = v != 0)},
    {"x-clear-bitmap-shift",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(g.clear_bitmap_shift = static_cast<uint8_t>(v))},
    {"x-compress-level",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.compress_level = static_cast<uint8_t>(v))},
    {"x-compress-threads",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.compress_threads = static_cast<uint8_t>(v))},
    {"x-compress-wait-thread",
     PropKind::kBool,
     {},
     MIGEMU_U64_SETTER(p.compress_wait_thread = v != 0)},
    {"x-decompress-threads",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.decompress_threads = static_cast<uint8_t>(v))},
    {"x-throttle-trigger-threshold",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.throttle_trigger_threshold = static_cast<uint8_t>(v))},
    {"x-cpu-throttle-initial",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.cpu_throttle_initial = static_cast<uint8_t>(v))},
    {"x-cpu-throttle-increment",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.cpu_throttle_increment = static_cast<uint8_t>(v))},
    {"x-cpu-throttle-tailslow",
     PropKind::kBool,
     {},
     MIGEMU_U64_SETTER(p.cpu_throttle_tailslow = v != 0)},
    {"x-max-bandwidth", PropKind::kSize, {}, MIGEMU_U64_SETTER(p.max_bandwidth = v)},
    {"x-downtime-limit", PropKind::kUint64, {}, MIGEMU_U64_SETTER(p.downtime_limit = v)},
    {"x-checkpoint-delay",
     PropKind::kUint32,
     {},
     MIGEMU_U64_SETTER(p.x_checkpoint_delay = static_cast<uint32_t>(v))},
    {"multifd-channels",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.multifd_channels = static_cast<uint8_t>(v))},
    {"multifd-compression",
     PropKind::kEnumCompression,
     {},
     MIGEMU_U64_SETTER(p.multifd_compression = static_cast<MultiFDCompression>(v))},
    {"multifd-zlib-level",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.multifd_zlib_level = static_cast<uint8_t>(v))},
    {"multifd-zstd-level",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.multifd_zstd_level = static_cast<uint8_t>(v))},
    {"xbzrle-cache-size", PropKind::kSize, {}, MIGEMU_U64_SETTER(p.xbzrle_cache_size = v)},
    {"max-postcopy-bandwidth",
     PropKind::kSize,
     {},
     MIGEMU_U64_SETTER(p.max_postcopy_bandwidth = v)},
    {"max-cpu-throttle",
     PropKind::kUint8,
     {},
     MIGEMU_U64_SETTER(p.max_cpu_throttle = static_cast<uint8_t>(v))},
    {"announce-initial", PropKind::kSize, {}, MIGEMU_U64_SETTER(p.announce_initial = v)},
    {"announce-max", PropKind::kSize, {}, MIGEMU_U64_SETTER(p.announce_max = v)},
    {"announce-rounds", PropKind::kSize, {}, MIGEMU_U64_SETTER(p.announce_rounds = v)},
    {"announce-step", PropKind::kSize, {}, MIGEMU_U64_SETTER(p.announce_step = v)},
    {"x-postcopy-preempt-break-huge",
     PropKind::kBool,
     {},
     MIGEMU_U64_SETTER(g.postcopy_preempt_break_huge = v != 0)},
    {"tls-creds",
     PropKind::kString,
     {},
     nullptr,
     [](MigrationParameters& p, std::string s) { p.tls_creds = std::move(s); }},
    {"tls-hostname",
     PropKind::kString,
     {},
     nullptr,
     [](MigrationParameters& p, std::string s) { p.tls_hostname = std::move(s); }},
    {"tls-authz",
     PropKind::kString,
     {},
     nullptr,
     [](MigrationParameters& p, std::string s) { p.tls_authz = std::move(s); }},
    {"x-xbzrle", PropKind::kBool, Cap::kXbzrle},
    {"x-rdma-pin-all", PropKind::kBool, Cap::kRdmaPinAll},
    {"x-auto-converge", PropKind::kBool, Cap::kAutoConverge},
    {"x-zero-blocks", PropKind::kBool, Cap::kZeroBlocks},
    {"x-compress", PropKind::kBool, Cap::kCompress},
    {"x-events", PropKind::kBool, Cap::kEvents},
    {"x-postcopy-ram", PropKind::kBool, Cap::kPostcopyRam},
    {"x-postcopy-preempt", PropKind::kBool, Cap::kPostcopyPreempt},
    {"x-colo", PropKind::kBool, Cap::kXColo},
    {"x-release-ram", PropKind::kBool, Cap::kReleaseRam},
    {"x-block", PropKind::kBool, Cap::kBlock},
    {"x-return-path", PropKind::kBool, Cap::kReturnPath},
    {"x-multifd", PropKind::kBool, Cap::kMultifd},
    {"x-background-snapshot", PropKind::kBool, Cap::kBackgroundSnapshot},
    {"x-zero-copy-send", PropKind::kBool, Cap::kZeroCopySend},
};

#undef MIGEMU_U64_SETTER

// A property value as QEMU's string input visitor reads it (object_property_parse).
Result<uint64_t> parse_prop_value(const Prop& prop, const std::string& value,
                                  std::vector<std::string>* warnings) {
  const std::string name(prop.name);
  switch (prop.kind) {
    case PropKind::kBool: {
      bool b = false;
      if (!qopts::parse_bool(value, &b)) return generic_error(qopts::bool_error(name));
      return uint64_t{b};
    }
    case PropKind::kUint8:
    case PropKind::kUint32:
    case PropKind::kUint64: {
      uint64_t v = 0;
      if (qopts::parse_u64(value, 0, &v) != qopts::ParseStatus::kOk) {
        return invalid_value(name, "uint64");
      }
      if (prop.kind == PropKind::kUint8 && v > UINT8_MAX) return invalid_value(name, "uint8_t");
      if (prop.kind == PropKind::kUint32 && v > UINT32_MAX) return invalid_value(name, "uint32_t");
      return v;
    }
    case PropKind::kSize: {
      uint64_t v = 0;
      bool hex_suffix = false;
      qopts::ParseStatus st = qopts::parse_size(value, &v, 'B', 1024, &hex_suffix);
      // QEMU warns as soon as it sees the suffix, whatever follows.
      if (hex_suffix && warnings) {
        warnings->push_back("warning: Using a multiplier suffix on hex numbers is deprecated: " +
                            value);
      }
      if (st == qopts::ParseStatus::kRange) {
        return generic_error("Value '" + value + "' is out of range for parameter '" + name + "'");
      }
      if (st != qopts::ParseStatus::kOk) return generic_error(qopts::size_error(name));
      return v;
    }
    case PropKind::kEnumCompression: {
      auto c = qapi::MultiFDCompression_from_string(value);
      if (!c) {
        return generic_error("Parameter '" + name + "' does not accept value '" + value + "'");
      }
      return static_cast<uint64_t>(*c);
    }
    case PropKind::kString:
      return uint64_t{0};
  }
  return uint64_t{0};
}

// What migemu does with each capability (see check_supported_for_start):
// honoured as a source / as a destination. "No-op" means QEMU 7.2 itself does
// nothing with it in migemu's configuration (no block devices, no RDMA, no
// postcopy), so accepting it changes nothing on the wire.
struct Support {
  Cap cap;
  bool outgoing;
  bool incoming;
};
constexpr Support kSupport[] = {
    {Cap::kXbzrle, false, true},                // dest: decoding needs no capability
    {Cap::kRdmaPinAll, true, true},             // no-op: only rdma: URIs use it
    {Cap::kAutoConverge, true, true},           // source throttling; no-op on dest
    {Cap::kZeroBlocks, true, true},             // no-op: only block migration uses it
    {Cap::kCompress, false, false},             // compression threads
    {Cap::kEvents, true, true},                 // MIGRATION / MIGRATION_PASS
    {Cap::kPostcopyRam, false, false},          // no postcopy
    {Cap::kXColo, false, false},                // no COLO
    {Cap::kReleaseRam, true, true},             // no-op without postcopy
    {Cap::kBlock, false, false},                // would add a "block" section
    {Cap::kReturnPath, true, true},             // return path
    {Cap::kPauseBeforeSwitchover, true, true},  // pre-switchover; no-op on dest
    {Cap::kMultifd, true, true},                // multifd channels (migration/multifd_*)
    {Cap::kDirtyBitmaps, true, true},           // no-op: no block dirty bitmaps
    {Cap::kPostcopyBlocktime, true, true},      // no-op without postcopy
    {Cap::kLateBlockActivate, true, true},      // no-op: no block devices
    {Cap::kXIgnoreShared, false, false},        // changes the RAM setup records
    {Cap::kValidateUuid, false, false},         // configuration/uuid subsection
    {Cap::kBackgroundSnapshot, false, true},    // source-only feature
    {Cap::kZeroCopySend, false, true},          // source-only (multifd)
    {Cap::kPostcopyPreempt, false, false},      // no postcopy
};
static_assert(std::size(kSupport) == kMigrationCapabilityCount);

}  // namespace

// ---- construction --------------------------------------------------------------------

MigrationOptions::MigrationOptions() : params_(default_parameters()) {
  for (size_t i = 0; i < std::size(kSupport); ++i) {
    honoured_out_[idx(kSupport[i].cap)] = kSupport[i].outgoing;
    honoured_in_[idx(kSupport[i].cap)] = kSupport[i].incoming;
  }
}

MigrationOptions& migration_options() {
  static MigrationOptions* opts = [] {
    static MigrationOptions o;
    o.in_incoming_runstate = [] { return runstate().check(qapi::RunState::kInmigrate); };
    return &o;
  }();
  return *opts;
}

GlobalsSnapshot migration_globals() {
  return migration_options().globals();
}

bool MigrationOptions::incoming_runstate() const {
  return in_incoming_runstate && in_incoming_runstate();
}

// ---- checks -----------------------------------------------------------------------------

Status MigrationOptions::check_caps(Caps caps,
                                    const std::vector<MigrationCapabilityStatus>& changes,
                                    const MigrationParameters& params, bool incoming,
                                    bool multi_channels_allowed, bool postcopy_supported) {
  const bool old_postcopy = caps[idx(Cap::kPostcopyRam)];
  for (const auto& c : changes) caps[idx(c.capability)] = c.state;
  auto on = [&](Cap c) { return caps[idx(c)]; };

  // 7.2 as Debian builds it has live block migration and replication, so
  // 'block' and 'x-colo' need no check here.
  if (on(Cap::kPostcopyRam)) {
    if (!old_postcopy && incoming && !postcopy_supported) {
      return generic_error("Postcopy is not supported");
    }
    if (on(Cap::kXIgnoreShared)) {
      return generic_error("Postcopy is not compatible with ignore-shared");
    }
  }
  // Write tracking (userfaultfd-wp) is assumed available, as on the hosts
  // real 7.2 runs on here; migemu refuses the capability at `migrate` time.
  if (on(Cap::kBackgroundSnapshot)) {
    for (Cap c : kBackgroundSnapshotIncompatible) {
      if (on(c)) {
        return generic_error(std::string("Background-snapshot is not compatible with ") +
                             qapi::to_string(c));
      }
    }
  }
  if (on(Cap::kZeroCopySend) && (!on(Cap::kMultifd) || on(Cap::kCompress) || on(Cap::kXbzrle) ||
                                 params.multifd_compression.value_or(MultiFDCompression::kNone) !=
                                     MultiFDCompression::kNone ||
                                 uses_tls(params))) {
    return generic_error("Zero copy only available for non-compressed non-TLS multifd migration");
  }
  if (incoming && !multi_channels_allowed && on(Cap::kMultifd)) {
    return generic_error("multifd is not supported by current protocol");
  }
  if (on(Cap::kPostcopyPreempt)) {
    if (!on(Cap::kPostcopyRam)) return generic_error("Postcopy preempt requires postcopy-ram");
    if (on(Cap::kCompress)) return generic_error("Postcopy preempt not compatible with compress");
  }
  if (on(Cap::kMultifd) && on(Cap::kCompress)) {
    return generic_error("Multifd is not compatible with compress");
  }
  return {};
}

Status MigrationOptions::check_params(const MigrationParameters& p, const Caps& caps) {
  // Every member of `p` is set (the stored values overlaid with the new ones).
  if (*p.compress_level > 9) return invalid_value("compress_level", "a value between 0 and 9");
  if (*p.compress_threads < 1) {
    return invalid_value("compress_threads", "a value between 1 and 255");
  }
  if (*p.decompress_threads < 1) {
    return invalid_value("decompress_threads", "a value between 1 and 255");
  }
  if (*p.throttle_trigger_threshold < 1 || *p.throttle_trigger_threshold > 100) {
    return invalid_value("throttle_trigger_threshold", "an integer in the range of 1 to 100");
  }
  if (*p.cpu_throttle_initial < 1 || *p.cpu_throttle_initial > 99) {
    return invalid_value("cpu_throttle_initial", "an integer in the range of 1 to 99");
  }
  if (*p.cpu_throttle_increment < 1 || *p.cpu_throttle_increment > 99) {
    return invalid_value("cpu_throttle_increment", "an integer in the range of 1 to 99");
  }
  // max_bandwidth <= SIZE_MAX always holds on a 64-bit host.
  if (*p.downtime_limit > kMaxDowntimeMs) {
    // 7.2 prints the unexpanded macro.
    return invalid_value("downtime_limit", "an integer in the range of 0 to (2000 * 1000) ms");
  }
  if (*p.multifd_channels < 1) {
    return invalid_value("multifd_channels", "a value between 1 and 255");
  }
  if (*p.multifd_zlib_level > 9) {
    return invalid_value("multifd_zlib_level", "a value between 0 and 9");
  }
  if (*p.multifd_zstd_level > 20) {
    return invalid_value("multifd_zstd_level", "a value between 0 and 20");
  }
  const uint64_t xbz = *p.xbzrle_cache_size;
  if (xbz < kTargetPageSize || (xbz & (xbz - 1)) != 0) {
    return invalid_value("xbzrle_cache_size", "a power of two no less than the target page size");
  }
  if (*p.max_cpu_throttle < *p.cpu_throttle_initial || *p.max_cpu_throttle > 99) {
    return invalid_value("max_cpu_throttle",
                         "an integer in the range of cpu_throttle_initial to 99");
  }
  if (*p.announce_initial > 100000) {
    return invalid_value("announce_initial", "a value between 0 and 100000");
  }
  if (*p.announce_max > 100000) {
    return invalid_value("announce_max", "a value between 0 and 100000");
  }
  if (*p.announce_rounds > 1000) {
    return invalid_value("announce_rounds", "a value between 0 and 1000");
  }
  if (*p.announce_step < 1 || *p.announce_step > 10000) {
    // (sic) 0 is refused although the text allows it.
    return invalid_value("announce_step", "a value between 0 and 10000");
  }
  if (p.block_bitmap_mapping) {
    Status st = check_block_bitmap_mapping(*p.block_bitmap_mapping);
    if (!st.ok()) {
      return generic_error("Invalid mapping given for block-bitmap-mapping: " + st.error().desc);
    }
  }
  if (caps[idx(Cap::kZeroCopySend)] &&
      (*p.multifd_compression != MultiFDCompression::kNone || uses_tls(p))) {
    return generic_error("Zero copy only available for non-compressed non-TLS multifd migration");
  }
  return {};
}

Status check_block_bitmap_mapping(const std::vector<qapi::BitmapMigrationNodeAlias>& mapping) {
  // Checked in both directions (name -> alias, then alias -> name), as 7.2
  // builds both maps.
  for (bool name_to_alias : {true, false}) {
    std::vector<std::string_view> seen_nodes;
    for (const auto& node : mapping) {
      if (!qopts::id_wellformed(node.alias)) {
        return generic_error("The node alias '" + node.alias + "' is not well-formed");
      }
      if (node.alias.size() > kMaxAliasLen) {
        return generic_error("The node alias '" + node.alias + "' is longer than 255 bytes");
      }
      if (node.node_name.size() > kMaxNodeNameLen) {
        return generic_error("The node name '" + node.node_name + "' is longer than 31 bytes");
      }
      std::string_view key = name_to_alias ? node.node_name : node.alias;
      for (std::string_view s : seen_nodes) {
        if (s == key) {
          return generic_error(name_to_alias
                                   ? "The node name '" + node.node_name + "' is mapped twice"
                                   : "The node alias '" + node.alias + "' is used twice");
        }
      }
      seen_nodes.push_back(key);
      std::vector<std::string_view> seen_bitmaps;
      for (const auto& bm : node.bitmaps) {
        if (bm.alias.size() > kMaxAliasLen) {
          return generic_error("The bitmap alias '" + bm.alias + "' is longer than 255 bytes");
        }
        if (bm.name.size() > kMaxBitmapNameLen) {
          return generic_error("The bitmap name '" + bm.name + "' is longer than 1023 bytes");
        }
        std::string_view bkey = name_to_alias ? bm.name : bm.alias;
        for (std::string_view s : seen_bitmaps) {
          if (s == bkey) {
            return generic_error(
                name_to_alias
                    ? "The bitmap '" + node.node_name + "'/'" + bm.name + "' is mapped twice"
                    : "The bitmap alias '" + node.alias + "'/'" + bm.alias + "' is used twice");
          }
        }
        seen_bitmaps.push_back(bkey);
      }
    }
  }
  return {};
}

// ---- QMP ------------------------------------------------------------------------------------

Status MigrationOptions::set_capabilities(const std::vector<MigrationCapabilityStatus>& changes) {
  if (migration_running && migration_running()) {
    return generic_error("There's a migration process in progress");
  }
  const bool incoming = incoming_runstate();
  std::lock_guard<std::mutex> lock(mu_);
  MIGEMU_TRY(check_caps(caps_, changes, params_, incoming, multi_channels_allowed_,
                        postcopy_supported_on_destination));
  for (const auto& c : changes) caps_[idx(c.capability)] = c.state;
  return {};
}

std::vector<MigrationCapabilityStatus> MigrationOptions::query_capabilities() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MigrationCapabilityStatus> out;
  out.reserve(kMigrationCapabilityCount);
  for (Cap c : qapi::MigrationCapability_values()) out.push_back({c, caps_[idx(c)]});
  return out;
}

Status MigrationOptions::set_parameters(const qapi::MigrateSetParameters& in) {
  std::lock_guard<std::mutex> lock(mu_);
  // The candidate: stored values overlaid with the given ones. Like 7.2's
  // migrate_params_test_apply it leaves out tls-authz and the multifd
  // zlib/zstd levels (so their range checks can never fail).
  MigrationParameters t = params_;
  auto overlay = [](auto& dst, const auto& src) {
    if (src) dst = *src;
  };
  overlay(t.announce_initial, in.announce_initial);
  overlay(t.announce_max, in.announce_max);
  overlay(t.announce_rounds, in.announce_rounds);
  overlay(t.announce_step, in.announce_step);
  overlay(t.compress_level, in.compress_level);
  overlay(t.compress_threads, in.compress_threads);
  overlay(t.compress_wait_thread, in.compress_wait_thread);
  overlay(t.decompress_threads, in.decompress_threads);
  overlay(t.throttle_trigger_threshold, in.throttle_trigger_threshold);
  overlay(t.cpu_throttle_initial, in.cpu_throttle_initial);
  overlay(t.cpu_throttle_increment, in.cpu_throttle_increment);
  overlay(t.cpu_throttle_tailslow, in.cpu_throttle_tailslow);
  if (in.tls_creds) t.tls_creds = str_or_null(*in.tls_creds);
  if (in.tls_hostname) t.tls_hostname = str_or_null(*in.tls_hostname);
  overlay(t.max_bandwidth, in.max_bandwidth);
  overlay(t.downtime_limit, in.downtime_limit);
  overlay(t.x_checkpoint_delay, in.x_checkpoint_delay);
  overlay(t.block_incremental, in.block_incremental);
  overlay(t.multifd_channels, in.multifd_channels);
  overlay(t.multifd_compression, in.multifd_compression);
  overlay(t.xbzrle_cache_size, in.xbzrle_cache_size);
  overlay(t.max_postcopy_bandwidth, in.max_postcopy_bandwidth);
  overlay(t.max_cpu_throttle, in.max_cpu_throttle);
  overlay(t.block_bitmap_mapping, in.block_bitmap_mapping);
  MIGEMU_TRY(check_params(t, caps_));
  // Applied: the candidate plus tls-authz; the zlib/zstd levels are dropped.
  if (in.tls_authz) t.tls_authz = str_or_null(*in.tls_authz);
  params_ = std::move(t);
  return {};
}

MigrationParameters MigrationOptions::query_parameters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return params_;
}

// ---- start-up --------------------------------------------------------------------------------

Status MigrationOptions::apply_global(const std::string& prop, const std::string& value,
                                      std::vector<std::string>* warnings) {
  for (const Prop& p : kProps) {
    if (p.name != prop) continue;
    auto v = parse_prop_value(p, value, warnings);
    if (!v.ok()) return v.take_error();
    if (p.cap) {
      caps_[idx(*p.cap)] = *v != 0;
    } else if (p.set_str) {
      p.set_str(params_, value);
    } else {
      p.set_u64(params_, globals_, *v);
    }
    return {};
  }
  return generic_error("Property 'migration." + prop + "' not found");
}

Status MigrationOptions::apply_globals(const std::vector<std::string>& globals,
                                       std::vector<std::string>* warnings) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& g : globals) {
    size_t dot = g.find('.');
    if (dot == std::string::npos || g.compare(0, dot, "migration") != 0) continue;
    size_t eq = g.find('=', dot + 1);
    if (eq == std::string::npos) continue;
    std::string prop = g.substr(dot + 1, eq - dot - 1);
    std::string value = g.substr(eq + 1);
    Status st = apply_global(prop, value, warnings);
    if (!st.ok()) {
      return generic_error("can't apply global migration." + prop + "=" + value + ": " +
                           st.error().desc);
    }
  }
  // 7.2's migration_object_check: the parameters, then the enabled
  // capabilities against an all-off set.
  MIGEMU_TRY(check_params(params_, caps_));
  std::vector<MigrationCapabilityStatus> enabled;
  for (Cap c : qapi::MigrationCapability_values()) {
    if (caps_[idx(c)]) enabled.push_back({c, true});
  }
  return check_caps(Caps{}, enabled, params_, false, multi_channels_allowed_,
                    postcopy_supported_on_destination);
}

void MigrationOptions::set_only_migratable(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  globals_.only_migratable = on;
}

// ---- any thread -------------------------------------------------------------------------------

bool MigrationOptions::capability(MigrationCapability c) const {
  std::lock_guard<std::mutex> lock(mu_);
  return caps_[idx(c)];
}

GlobalsSnapshot MigrationOptions::globals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return globals_;
}

MigrationOptionsSnapshot MigrationOptions::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  MigrationOptionsSnapshot s;
  const MigrationParameters& p = params_;
  s.caps = caps_;
  s.max_bandwidth = *p.max_bandwidth;
  s.max_postcopy_bandwidth = *p.max_postcopy_bandwidth;
  s.downtime_limit_ms = *p.downtime_limit;
  s.throttle_trigger_threshold = *p.throttle_trigger_threshold;
  s.cpu_throttle_initial = *p.cpu_throttle_initial;
  s.cpu_throttle_increment = *p.cpu_throttle_increment;
  s.cpu_throttle_tailslow = *p.cpu_throttle_tailslow;
  s.max_cpu_throttle = *p.max_cpu_throttle;
  s.multifd_channels = *p.multifd_channels;
  s.multifd_compression = *p.multifd_compression;
  s.multifd_zlib_level = *p.multifd_zlib_level;
  s.multifd_zstd_level = *p.multifd_zstd_level;
  s.xbzrle_cache_size = *p.xbzrle_cache_size;
  s.compress_level = *p.compress_level;
  s.compress_threads = *p.compress_threads;
  s.compress_wait_thread = *p.compress_wait_thread;
  s.decompress_threads = *p.decompress_threads;
  s.x_checkpoint_delay_ms = *p.x_checkpoint_delay;
  s.block_incremental = *p.block_incremental;
  s.announce_initial_ms = *p.announce_initial;
  s.announce_max_ms = *p.announce_max;
  s.announce_rounds = *p.announce_rounds;
  s.announce_step_ms = *p.announce_step;
  s.tls_creds = *p.tls_creds;
  s.tls_hostname = *p.tls_hostname;
  s.tls_authz = *p.tls_authz;
  s.globals = globals_;
  return s;
}

// ---- what migemu can do -------------------------------------------------------------------------

void MigrationOptions::set_capability_honoured(MigrationCapability c, bool outgoing,
                                               bool incoming) {
  std::lock_guard<std::mutex> lock(mu_);
  honoured_out_[idx(c)] = outgoing;
  honoured_in_[idx(c)] = incoming;
}

bool MigrationOptions::capability_honoured(MigrationCapability c, bool outgoing) const {
  std::lock_guard<std::mutex> lock(mu_);
  return outgoing ? honoured_out_[idx(c)] : honoured_in_[idx(c)];
}

Status MigrationOptions::check_supported(bool outgoing) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& honoured = outgoing ? honoured_out_ : honoured_in_;
  for (Cap c : qapi::MigrationCapability_values()) {
    if (caps_[idx(c)] && !honoured[idx(c)]) {
      return generic_error(std::string("Migration capability '") + qapi::to_string(c) +
                           "' is not supported by migemu");
    }
  }
  if (uses_tls(params_)) {
    return generic_error("TLS migration (tls-creds '" + *params_.tls_creds +
                         "') is not supported by migemu");
  }
  return {};
}

Status MigrationOptions::check_supported_for_start() const {
  return check_supported(true);
}

Status MigrationOptions::check_supported_for_incoming() const {
  return check_supported(false);
}

void MigrationOptions::set_multi_channels_allowed(bool allowed) {
  std::lock_guard<std::mutex> lock(mu_);
  multi_channels_allowed_ = allowed;
}

bool MigrationOptions::multi_channels_allowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return multi_channels_allowed_;
}

}  // namespace migemu

// ---- QMP command handlers
// ------------------------------------------------------------------------

namespace migemu::qapi {

Status qmp_migrate_set_capabilities(const MigrateSetCapabilitiesArg& args, CommandContext&) {
  return migration_options().set_capabilities(args.capabilities);
}

Result<std::vector<MigrationCapabilityStatus>> qmp_query_migrate_capabilities(CommandContext&) {
  return migration_options().query_capabilities();
}

Status qmp_migrate_set_parameters(const MigrateSetParameters& args, CommandContext&) {
  return migration_options().set_parameters(args);
}

Result<MigrationParameters> qmp_query_migrate_parameters(CommandContext&) {
  return migration_options().query_parameters();
}

}  // namespace migemu::qapi
