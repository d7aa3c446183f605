// HMP texts of migration capabilities, parameters and status; see migration_hmp.h.
#include "migration/migration_hmp.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "monitor/hmp_args.h"
#include "monitor/readline.h"
#include "system/qemu_opts.h"

namespace migemu {

namespace {

using qapi::MigrationParameter;
using Param = MigrationParameter;

// printf into a std::string.
void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  if (n > 0) {
    size_t old = out.size();
    out.resize(old + static_cast<size_t>(n) + 1);
    std::vsnprintf(out.data() + old, static_cast<size_t>(n) + 1, fmt, ap2);
    out.resize(old + static_cast<size_t>(n));
  }
  va_end(ap2);
}

// QEMU prints these int64 members with PRIu64.
uint64_t u(int64_t v) {
  return static_cast<uint64_t>(v);
}
// ... and their ">> 10" is an arithmetic shift of the int64.
uint64_t kb(int64_t v) {
  return static_cast<uint64_t>(v >> 10);
}

const char* on_off(bool b) {
  return b ? "on" : "off";
}

const char* pname(Param p) {
  return qapi::to_string(p);
}

std::string socket_uri(const qapi::SocketAddress& a) {
  switch (a.type) {
    case qapi::SocketAddressType::kInet:
      return "tcp:" + a.u.inet->host + ":" + a.u.inet->port;
    case qapi::SocketAddressType::kUnix:
      return "unix:" + a.u.unix_->path;
    case qapi::SocketAddressType::kFd:
      return "fd:" + a.u.fd->str;
    case qapi::SocketAddressType::kVsock:
      return "vsock:" + a.u.vsock->cid + ":" + a.u.vsock->port;
  }
  return "unknown address type";
}

// QEMU's string input visitor, as hmp_migrate_set_parameter uses it. Each
// returns the value or the visitor's error for parameter `name`.
Result<uint64_t> visit_uint(std::string_view name, const std::string& s, uint64_t max,
                            const char* type) {
  uint64_t v = 0;
  if (qopts::parse_u64(s, 0, &v) != qopts::ParseStatus::kOk) {
    return generic_error("Parameter '" + std::string(name) + "' expects uint64");
  }
  if (v > max) return generic_error("Parameter '" + std::string(name) + "' expects " + type);
  return v;
}

Result<uint8_t> visit_uint8(std::string_view name, const std::string& s) {
  auto v = visit_uint(name, s, UINT8_MAX, "uint8_t");
  if (!v.ok()) return v.take_error();
  return static_cast<uint8_t>(*v);
}

Result<bool> visit_bool(std::string_view name, const std::string& s) {
  bool b = false;
  if (!qopts::parse_bool(s, &b)) return generic_error(qopts::bool_error(name));
  return b;
}

// visit_type_size: qemu_strtosz with byte default; `warn` gets QEMU's
// deprecation warning for a hex number with a suffix.
Result<uint64_t> visit_size(std::string_view name, const std::string& s, std::string& warn) {
  uint64_t v = 0;
  bool hex_suffix = false;
  qopts::ParseStatus st = qopts::parse_size(s, &v, 'B', 1024, &hex_suffix);
  // QEMU warns as soon as it sees the suffix, whatever follows.
  if (hex_suffix)
    warn += "warning: Using a multiplier suffix on hex numbers is deprecated: " + s + "\n";
  if (st == qopts::ParseStatus::kRange) {
    return generic_error("Value '" + s + "' is out of range for parameter '" + std::string(name) +
                         "'");
  }
  if (st != qopts::ParseStatus::kOk) return generic_error(qopts::size_error(name));
  return v;
}

// Unsigned values as sorted, merged ranges (QEMU's string output visitor).
void append_ranges(std::string& out, std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (i != 0) out += ",";
    if (j == i) {
      appendf(out, "%" PRIu32, v[i]);
    } else {
      appendf(out, "%" PRIu32 "-%" PRIu32, v[i], v[j]);
    }
    i = j + 1;
  }
}

}  // namespace

std::string format_uint32_ranges(const std::vector<uint32_t>& values) {
  std::string out;
  append_ranges(out, values);
  return out;
}

// ---- info migrate -------------------------------------------------------------------

std::string format_info_migrate(const qapi::MigrationInfo& info, const GlobalsSnapshot& g) {
  std::string o;
  o += "globals:\n";
  appendf(o, "store-global-state: %s\n", on_off(g.store_global_state));
  appendf(o, "only-migratable: %s\n", on_off(g.only_migratable));
  appendf(o, "send-configuration: %s\n", on_off(g.send_configuration));
  appendf(o, "send-section-footer: %s\n", on_off(g.send_section_footer));
  appendf(o, "decompress-error-check: %s\n", on_off(g.decompress_error_check));
  appendf(o, "clear-bitmap-shift: %u\n", unsigned{g.clear_bitmap_shift});

  if (info.blocked_reasons) {
    o += "Outgoing migration blocked:\n";
    for (const std::string& r : *info.blocked_reasons) appendf(o, "  %s\n", r.c_str());
  }

  if (info.status) {
    appendf(o, "Migration status: %s", qapi::to_string(*info.status));
    if (*info.status == qapi::MigrationStatus::kFailed && info.error_desc) {
      appendf(o, " (%s)\n", info.error_desc->c_str());
    } else {
      o += "\n";
    }
    // An absent total-time prints as 0 (the destination never has one).
    appendf(o, "total time: %" PRIu64 " ms\n", u(info.total_time.value_or(0)));
    if (info.expected_downtime) {
      appendf(o, "expected downtime: %" PRIu64 " ms\n", u(*info.expected_downtime));
    }
    if (info.downtime) appendf(o, "downtime: %" PRIu64 " ms\n", u(*info.downtime));
    if (info.setup_time) appendf(o, "setup: %" PRIu64 " ms\n", u(*info.setup_time));
  }

  if (info.ram) {
    const qapi::MigrationStats& r = *info.ram;
    appendf(o, "transferred ram: %" PRIu64 " kbytes\n", kb(r.transferred));
    appendf(o, "throughput: %0.2f mbps\n", r.mbps);
    appendf(o, "remaining ram: %" PRIu64 " kbytes\n", kb(r.remaining));
    appendf(o, "total ram: %" PRIu64 " kbytes\n", kb(r.total));
    appendf(o, "duplicate: %" PRIu64 " pages\n", u(r.duplicate));
    appendf(o, "skipped: %" PRIu64 " pages\n", u(r.skipped));
    appendf(o, "normal: %" PRIu64 " pages\n", u(r.normal));
    appendf(o, "normal bytes: %" PRIu64 " kbytes\n", kb(r.normal_bytes));
    appendf(o, "dirty sync count: %" PRIu64 "\n", u(r.dirty_sync_count));
    appendf(o, "page size: %" PRIu64 " kbytes\n", kb(r.page_size));
    appendf(o, "multifd bytes: %" PRIu64 " kbytes\n", r.multifd_bytes >> 10);
    appendf(o, "pages-per-second: %" PRIu64 "\n", r.pages_per_second);
    if (r.dirty_pages_rate) {
      appendf(o, "dirty pages rate: %" PRIu64 " pages\n", u(r.dirty_pages_rate));
    }
    if (r.postcopy_requests) {
      appendf(o, "postcopy request count: %" PRIu64 "\n", u(r.postcopy_requests));
    }
    if (r.precopy_bytes) appendf(o, "precopy ram: %" PRIu64 " kbytes\n", r.precopy_bytes >> 10);
    if (r.downtime_bytes) {
      appendf(o, "downtime ram: %" PRIu64 " kbytes\n", r.downtime_bytes >> 10);
    }
    if (r.postcopy_bytes) {
      appendf(o, "postcopy ram: %" PRIu64 " kbytes\n", r.postcopy_bytes >> 10);
    }
    if (r.dirty_sync_missed_zero_copy) {
      appendf(o, "Zero-copy-send fallbacks happened: %" PRIu64 " times\n",
              r.dirty_sync_missed_zero_copy);
    }
  }

  if (info.disk) {
    appendf(o, "transferred disk: %" PRIu64 " kbytes\n", kb(info.disk->transferred));
    appendf(o, "remaining disk: %" PRIu64 " kbytes\n", kb(info.disk->remaining));
    appendf(o, "total disk: %" PRIu64 " kbytes\n", kb(info.disk->total));
  }

  if (info.xbzrle_cache) {
    const qapi::XBZRLECacheStats& x = *info.xbzrle_cache;
    appendf(o, "cache size: %" PRIu64 " bytes\n", x.cache_size);
    appendf(o, "xbzrle transferred: %" PRIu64 " kbytes\n", kb(x.bytes));
    appendf(o, "xbzrle pages: %" PRIu64 " pages\n", u(x.pages));
    appendf(o, "xbzrle cache miss: %" PRIu64 " pages\n", u(x.cache_miss));
    appendf(o, "xbzrle cache miss rate: %0.2f\n", x.cache_miss_rate);
    appendf(o, "xbzrle encoding rate: %0.2f\n", x.encoding_rate);
    appendf(o, "xbzrle overflow: %" PRIu64 "\n", u(x.overflow));
  }

  if (info.compression) {
    const qapi::CompressionStats& c = *info.compression;
    appendf(o, "compression pages: %" PRIu64 " pages\n", u(c.pages));
    appendf(o, "compression busy: %" PRIu64 "\n", u(c.busy));
    appendf(o, "compression busy rate: %0.2f\n", c.busy_rate);
    appendf(o, "compressed size: %" PRIu64 " kbytes\n", kb(c.compressed_size));
    appendf(o, "compression rate: %0.2f\n", c.compression_rate);
  }

  if (info.cpu_throttle_percentage) {
    appendf(o, "cpu throttle percentage: %" PRIu64 "\n", u(*info.cpu_throttle_percentage));
  }
  if (info.postcopy_blocktime) appendf(o, "postcopy blocktime: %u\n", *info.postcopy_blocktime);
  if (info.postcopy_vcpu_blocktime) {
    o += "postcopy vcpu blocktime: ";
    append_ranges(o, *info.postcopy_vcpu_blocktime);
    o += "\n";
  }
  if (info.socket_address) {
    o += "socket address: [\n";
    for (const qapi::SocketAddress& a : *info.socket_address) {
      o += "\t" + socket_uri(a) + "\n";
    }
    o += "]\n";
  }
  if (info.vfio) {
    appendf(o, "vfio device transferred: %" PRIu64 " kbytes\n", kb(info.vfio->transferred));
  }
  return o;
}

// ---- info migrate_capabilities / migrate_parameters -------------------------------------

std::string format_info_migrate_capabilities(
    const std::vector<qapi::MigrationCapabilityStatus>& caps) {
  std::string o;
  for (const auto& c : caps) {
    appendf(o, "%s: %s\n", qapi::to_string(c.capability), on_off(c.state));
  }
  return o;
}

std::string format_info_migrate_parameters(const qapi::MigrationParameters& p) {
  std::string o;
  auto u64 = [](const std::optional<uint64_t>& v) { return v.value_or(0); };
  auto u8 = [](const std::optional<uint8_t>& v) { return unsigned{v.value_or(0)}; };
  auto b = [](const std::optional<bool>& v) { return on_off(v.value_or(false)); };
  auto s = [](const std::optional<std::string>& v) { return v ? v->c_str() : ""; };
  appendf(o, "%s: %" PRIu64 " ms\n", pname(Param::kAnnounceInitial), u64(p.announce_initial));
  appendf(o, "%s: %" PRIu64 " ms\n", pname(Param::kAnnounceMax), u64(p.announce_max));
  appendf(o, "%s: %" PRIu64 "\n", pname(Param::kAnnounceRounds), u64(p.announce_rounds));
  appendf(o, "%s: %" PRIu64 " ms\n", pname(Param::kAnnounceStep), u64(p.announce_step));
  appendf(o, "%s: %u\n", pname(Param::kCompressLevel), u8(p.compress_level));
  appendf(o, "%s: %u\n", pname(Param::kCompressThreads), u8(p.compress_threads));
  appendf(o, "%s: %s\n", pname(Param::kCompressWaitThread), b(p.compress_wait_thread));
  appendf(o, "%s: %u\n", pname(Param::kDecompressThreads), u8(p.decompress_threads));
  appendf(o, "%s: %u\n", pname(Param::kThrottleTriggerThreshold), u8(p.throttle_trigger_threshold));
  appendf(o, "%s: %u\n", pname(Param::kCpuThrottleInitial), u8(p.cpu_throttle_initial));
  appendf(o, "%s: %u\n", pname(Param::kCpuThrottleIncrement), u8(p.cpu_throttle_increment));
  appendf(o, "%s: %s\n", pname(Param::kCpuThrottleTailslow), b(p.cpu_throttle_tailslow));
  appendf(o, "%s: %u\n", pname(Param::kMaxCpuThrottle), u8(p.max_cpu_throttle));
  appendf(o, "%s: '%s'\n", pname(Param::kTlsCreds), s(p.tls_creds));
  appendf(o, "%s: '%s'\n", pname(Param::kTlsHostname), s(p.tls_hostname));
  appendf(o, "%s: %" PRIu64 " bytes/second\n", pname(Param::kMaxBandwidth), u64(p.max_bandwidth));
  appendf(o, "%s: %" PRIu64 " ms\n", pname(Param::kDowntimeLimit), u64(p.downtime_limit));
  appendf(o, "%s: %u ms\n", pname(Param::kXCheckpointDelay), p.x_checkpoint_delay.value_or(0));
  appendf(o, "%s: %s\n", pname(Param::kBlockIncremental), b(p.block_incremental));
  appendf(o, "%s: %u\n", pname(Param::kMultifdChannels), u8(p.multifd_channels));
  appendf(o, "%s: %s\n", pname(Param::kMultifdCompression),
          qapi::to_string(p.multifd_compression.value_or(qapi::MultiFDCompression::kNone)));
  appendf(o, "%s: %" PRIu64 " bytes\n", pname(Param::kXbzrleCacheSize), u64(p.xbzrle_cache_size));
  appendf(o, "%s: %" PRIu64 "\n", pname(Param::kMaxPostcopyBandwidth),
          u64(p.max_postcopy_bandwidth));
  appendf(o, "%s: '%s'\n", pname(Param::kTlsAuthz), s(p.tls_authz));
  if (p.block_bitmap_mapping) {
    appendf(o, "%s:\n", pname(Param::kBlockBitmapMapping));
    for (const auto& node : *p.block_bitmap_mapping) {
      appendf(o, "  '%s' -> '%s'\n", node.node_name.c_str(), node.alias.c_str());
      for (const auto& bm : node.bitmaps) {
        appendf(o, "    '%s' -> '%s'\n", bm.name.c_str(), bm.alias.c_str());
      }
    }
  }
  return o;
}

std::string hmp_info_migrate_capabilities(const MigrationOptions& opts) {
  return format_info_migrate_capabilities(opts.query_capabilities());
}

std::string hmp_info_migrate_parameters(const MigrationOptions& opts) {
  return format_info_migrate_parameters(opts.query_parameters());
}

// ---- migrate_set_capability / migrate_set_parameter ---------------------------------------

std::string hmp_migrate_set_capability(MigrationOptions& opts, const Dict& args) {
  const std::string* cap = hmp_str_arg(args, "capability");
  const Value* state = args.get("state");
  const std::string name = cap ? *cap : std::string();
  auto c = qapi::MigrationCapability_from_string(name);
  if (!c) return "Error: invalid parameter value: " + name + "\n";
  return hmp_error_text(
      opts.set_capabilities({{*c, state && state->is_bool() && state->as_bool()}}));
}

std::string hmp_migrate_set_parameter(MigrationOptions& opts, const Dict& args) {
  const std::string* pn = hmp_str_arg(args, "parameter");
  const std::string* pv = hmp_str_arg(args, "value");
  const std::string param = pn ? *pn : std::string();
  const std::string value = pv ? *pv : std::string();
  auto which = qapi::MigrationParameter_from_string(param);
  if (!which) return "Error: invalid parameter value: " + param + "\n";

  std::string warn;  // printed before any error, as QEMU's warn_report is
  qapi::MigrateSetParameters p;
  Status err;
  // Sets `field` from a visit result, or records the error.
  auto take = [&err](auto&& r, auto& field) {
    if (r.ok()) {
      field = *r;
    } else {
      err = r.take_error();
    }
  };
  switch (*which) {
    case Param::kCompressLevel:
      take(visit_uint8(param, value), p.compress_level);
      break;
    case Param::kCompressThreads:
      take(visit_uint8(param, value), p.compress_threads);
      break;
    case Param::kCompressWaitThread:
      take(visit_bool(param, value), p.compress_wait_thread);
      break;
    case Param::kDecompressThreads:
      take(visit_uint8(param, value), p.decompress_threads);
      break;
    case Param::kThrottleTriggerThreshold:
      take(visit_uint8(param, value), p.throttle_trigger_threshold);
      break;
    case Param::kCpuThrottleInitial:
      take(visit_uint8(param, value), p.cpu_throttle_initial);
      break;
    case Param::kCpuThrottleIncrement:
      take(visit_uint8(param, value), p.cpu_throttle_increment);
      break;
    case Param::kCpuThrottleTailslow:
      take(visit_bool(param, value), p.cpu_throttle_tailslow);
      break;
    case Param::kMaxCpuThrottle:
      take(visit_uint8(param, value), p.max_cpu_throttle);
      break;
    case Param::kTlsCreds:
      p.tls_creds = qapi::StrOrNull{value};
      break;
    case Param::kTlsHostname:
      p.tls_hostname = qapi::StrOrNull{value};
      break;
    case Param::kTlsAuthz:
      p.tls_authz = qapi::StrOrNull{value};
      break;
    case Param::kMaxBandwidth: {
      // Unlike the other sizes, a plain number means MiB/s here.
      uint64_t v = 0;
      bool hex_suffix = false;
      qopts::ParseStatus st = qopts::parse_size(value, &v, 'M', 1024, &hex_suffix);
      if (hex_suffix) {
        warn += "warning: Using a multiplier suffix on hex numbers is deprecated: " + value + "\n";
      }
      if (st != qopts::ParseStatus::kOk || v > static_cast<uint64_t>(INT64_MAX)) {
        err = generic_error("Invalid size " + value);
      } else {
        p.max_bandwidth = v;
      }
      break;
    }
    case Param::kDowntimeLimit:
      take(visit_size(param, value, warn), p.downtime_limit);
      break;
    case Param::kXCheckpointDelay: {
      auto r = visit_uint(param, value, UINT32_MAX, "uint32_t");
      if (r.ok()) {
        p.x_checkpoint_delay = static_cast<uint32_t>(*r);
      } else {
        err = r.take_error();
      }
      break;
    }
    case Param::kBlockIncremental:
      take(visit_bool(param, value), p.block_incremental);
      break;
    case Param::kMultifdChannels:
      take(visit_uint8(param, value), p.multifd_channels);
      break;
    case Param::kMultifdCompression: {
      auto c = qapi::MultiFDCompression_from_string(value);
      if (c) {
        p.multifd_compression = *c;
      } else {
        err = generic_error("Parameter '" + param + "' does not accept value '" + value + "'");
      }
      break;
    }
    case Param::kMultifdZlibLevel:
      take(visit_uint8(param, value), p.multifd_zlib_level);
      break;
    case Param::kMultifdZstdLevel:
      take(visit_uint8(param, value), p.multifd_zstd_level);
      break;
    case Param::kXbzrleCacheSize: {
      auto r = visit_size(param, value, warn);
      if (!r.ok()) {
        err = r.take_error();
      } else if (*r > static_cast<uint64_t>(INT64_MAX)) {
        err = generic_error("Invalid size " + value);
      } else {
        p.xbzrle_cache_size = *r;
      }
      break;
    }
    case Param::kMaxPostcopyBandwidth:
      take(visit_size(param, value, warn), p.max_postcopy_bandwidth);
      break;
    case Param::kAnnounceInitial:
      take(visit_size(param, value, warn), p.announce_initial);
      break;
    case Param::kAnnounceMax:
      take(visit_size(param, value, warn), p.announce_max);
      break;
    case Param::kAnnounceRounds:
      take(visit_size(param, value, warn), p.announce_rounds);
      break;
    case Param::kAnnounceStep:
      take(visit_size(param, value, warn), p.announce_step);
      break;
    case Param::kBlockBitmapMapping:
      err = generic_error("The block-bitmap-mapping parameter can only be set through QMP");
      break;
  }
  if (err.ok()) err = opts.set_parameters(p);
  return warn + hmp_error_text(err);
}

// ---- completion ------------------------------------------------------------------------------

void hmp_migrate_set_capability_completion(Readline& rl, int nb_args, std::string_view str) {
  rl.set_completion_index(static_cast<int>(str.size()));
  if (nb_args == 2) {
    for (auto c : qapi::MigrationCapability_values()) {
      std::string_view name = qapi::to_string(c);
      if (name.starts_with(str)) rl.add_completion(std::string(name));
    }
  } else if (nb_args == 3) {
    for (std::string_view opt : {"on", "off"}) {
      if (opt.starts_with(str)) rl.add_completion(std::string(opt));
    }
  }
}

void hmp_migrate_set_parameter_completion(Readline& rl, int nb_args, std::string_view str) {
  rl.set_completion_index(static_cast<int>(str.size()));
  if (nb_args == 2) {
    for (auto p : qapi::MigrationParameter_values()) {
      std::string_view name = qapi::to_string(p);
      if (name.starts_with(str)) rl.add_completion(std::string(name));
    }
  }
}

}  // namespace migemu
