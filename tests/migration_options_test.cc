// Migration capabilities and parameters (migration/options.h) and their HMP
// texts (migration/migration_hmp.h), against QEMU 7.2.
//
// The golden files in tests/data were recorded from the real
// qemu-system-x86_64 7.2 by tests/data/gen_migration_options_golden.py:
//   qemu72-migration-options-qmp.jsonl  every capability alone and in
//       combinations, cumulative checks, every parameter's range/type errors,
//       block-bitmap-mapping, queries in between (one QEMU session);
//   qemu72-migration-options-hmp.jsonl  migrate_set_capability /
//       migrate_set_parameter / info migrate* lines (same QEMU, afterwards);
//   qemu72-info-migrate.jsonl  query-migrate replies with the `info migrate`
//       text taken just before, in each state, source and destination.
#include <gtest/gtest.h>

#include <unistd.h>
#include "tests/test_data.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "migration/migration_hmp.h"
#include "migration/options.h"
#include "monitor/hmp_args.h"
#include "monitor/readline.h"
#include "qapi/json_parser.h"
#include "qapi/json_writer.h"
#include "qapi/qapi-visit.h"

namespace migemu {
namespace {

using qapi::MigrationCapabilityStatus;
using Cap = MigrationCapability;

std::vector<Dict> read_jsonl(const std::string& name) {
  std::ifstream in(data_path(name));
  EXPECT_TRUE(in.good()) << data_path(name);
  std::vector<Dict> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto v = parse_json(line);
    EXPECT_TRUE(v.ok() && v->is_dict()) << line;
    if (v.ok() && v->is_dict()) out.push_back(v->as_dict());
  }
  return out;
}

const std::string& str(const Dict& d, const char* key) {
  static const std::string empty;
  const Value* v = d.get(key);
  return v && v->is_string() ? v->as_string() : empty;
}

std::string crlf(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\n') o += '\r';
    o += c;
  }
  return o;
}

// ---- a QMP dispatcher for the four commands, as the generated marshallers do -----

Value error_reply(const Error& e) {
  return Value(make_dict({{"error", Value(make_dict({{"class", Value(error_class_name(e.cls))},
                                                     {"desc", Value(e.desc)}}))}}));
}

Value return_reply(Value v) {
  return Value(make_dict({{"return", std::move(v)}}));
}

template <typename Arg>
Result<Arg> visit_args(const Dict& args) {
  qapi::InputVisitor v(args);
  if (!v.start_struct(nullptr)) return v.take_error();
  Arg arg{};
  if (!qapi::visit_members(v, &arg) || !v.check_struct()) return v.take_error();
  v.end_struct();
  return arg;
}

Status visit_no_args(const Dict& args) {
  qapi::InputVisitor v(args);
  if (!v.start_struct(nullptr)) return v.take_error();
  if (!v.check_struct()) return v.take_error();
  v.end_struct();
  return {};
}

std::string dispatch(MigrationOptions& o, const std::string& request) {
  auto req = parse_json(request);
  EXPECT_TRUE(req.ok()) << request;
  const Dict& d = req->as_dict();
  const std::string& cmd = str(d, "execute");
  const Value* a = d.get("arguments");
  Dict args = a && a->is_dict() ? a->as_dict() : Dict();
  Value reply;
  if (cmd == "migrate-set-capabilities") {
    auto arg = visit_args<qapi::MigrateSetCapabilitiesArg>(args);
    Status st = arg.ok() ? o.set_capabilities(arg->capabilities) : Status(arg.take_error());
    reply = st.ok() ? return_reply(Value::dict()) : error_reply(st.error());
  } else if (cmd == "migrate-set-parameters") {
    auto arg = visit_args<qapi::MigrateSetParameters>(args);
    Status st = arg.ok() ? o.set_parameters(*arg) : Status(arg.take_error());
    reply = st.ok() ? return_reply(Value::dict()) : error_reply(st.error());
  } else if (cmd == "query-migrate-capabilities") {
    Status st = visit_no_args(args);
    reply =
        st.ok() ? return_reply(qapi::to_value(o.query_capabilities())) : error_reply(st.error());
  } else if (cmd == "query-migrate-parameters") {
    Status st = visit_no_args(args);
    reply = st.ok() ? return_reply(qapi::to_value(o.query_parameters())) : error_reply(st.error());
  } else {
    ADD_FAILURE() << "unexpected command " << cmd;
  }
  return to_json(reply) + "\r\n";
}

// ---- an HMP table with the commands of this module --------------------------------------

enum { kSetCap, kSetParam, kInfo, kInfoMigrate, kInfoCaps, kInfoParams };

constexpr HmpCommand kInfoTable[] = {
    {.name = "migrate", .args_type = "", .params = "", .help = "", .id = kInfoMigrate},
    {.name = "migrate_capabilities", .args_type = "", .params = "", .help = "", .id = kInfoCaps},
    {.name = "migrate_parameters", .args_type = "", .params = "", .help = "", .id = kInfoParams},
};

constexpr HmpCommand kTable[] = {
    {.name = "info",
     .args_type = "item:s?",
     .params = "[subcommand]",
     .help = "",
     .sub_table = kInfoTable,
     .id = kInfo},
    {.name = "migrate_set_capability",
     .args_type = "capability:s,state:b",
     .params = "capability state",
     .help = "",
     .completion = &hmp_migrate_set_capability_completion,
     .id = kSetCap},
    {.name = "migrate_set_parameter",
     .args_type = "parameter:s,value:s",
     .params = "parameter value",
     .help = "",
     .completion = &hmp_migrate_set_parameter_completion,
     .id = kSetParam},
};

std::string run_hmp(MigrationOptions& o, const std::string& line) {
  HmpParsedLine p = hmp_parse_command_line(line, kTable);
  if (p.status != HmpParsedLine::Status::Ok) return crlf(p.output);
  switch (p.cmd->id) {
    case kSetCap:
      return crlf(hmp_migrate_set_capability(o, p.args));
    case kSetParam:
      return crlf(hmp_migrate_set_parameter(o, p.args));
    case kInfoMigrate:
      return crlf(format_info_migrate(qapi::MigrationInfo{}, o.globals()));
    case kInfoCaps:
      return crlf(hmp_info_migrate_capabilities(o));
    case kInfoParams:
      return crlf(hmp_info_migrate_parameters(o));
  }
  return "?";
}

// ---- golden sessions ------------------------------------------------------------------------

TEST(MigrationOptionsGolden, QmpAndHmpSessionsMatchQemu) {
  MigrationOptions o;
  size_t n = 0;
  for (const Dict& ex : read_jsonl("qemu72-migration-options-qmp.jsonl")) {
    const std::string& send = str(ex, "send");
    EXPECT_EQ(dispatch(o, send), str(ex, "recv")) << "QMP exchange " << n << ": " << send;
    ++n;
  }
  EXPECT_GT(n, 500u);
  // The HMP lines were sent to the same QEMU afterwards.
  n = 0;
  for (const Dict& ex : read_jsonl("qemu72-migration-options-hmp.jsonl")) {
    const std::string& cmd = str(ex, "cmd");
    EXPECT_EQ(run_hmp(o, cmd), str(ex, "out")) << "HMP line " << n << ": " << cmd;
    ++n;
  }
  EXPECT_GT(n, 100u);
}

TEST(MigrationOptionsGolden, InfoMigrateMatchesQemu) {
  size_t n = 0;
  for (const Dict& ex : read_jsonl("qemu72-info-migrate.jsonl")) {
    const std::string& label = str(ex, "label");
    auto reply = parse_json(str(ex, "qmp"));
    ASSERT_TRUE(reply.ok()) << label;
    auto info = qapi::from_value<qapi::MigrationInfo>(*reply->as_dict().get("return"));
    ASSERT_TRUE(info.ok()) << label << ": " << info.error().desc;
    const std::string& text = str(ex, "hmp");
    // The text was taken a moment before the reply: a running migration's
    // total time may have moved on meanwhile.
    size_t t = text.find("total time: ");
    if (t != std::string::npos && info->total_time) {
      info->total_time = std::stoll(text.substr(t + 12));
    }
    MigrationOptions o;
    if (label == "globals") {
      o.set_only_migratable(true);
      std::vector<std::string> globals = {
          "migration.store-global-state=off",    "migration.send-section-footer=off",
          "migration.decompress-error-check=no", "migration.x-clear-bitmap-shift=20",
          "migration.send-configuration=false",  "migration.x-events=on",
          "migration.x-max-bandwidth=0x10k",     "migration.tls-authz=az"};
      ASSERT_TRUE(o.apply_globals(globals).ok());
    }
    EXPECT_EQ(crlf(format_info_migrate(*info, o.globals())), text) << label;
    ++n;
  }
  EXPECT_EQ(n, 10u);
}

// ---- capabilities -----------------------------------------------------------------------------

Status set(MigrationOptions& o, std::initializer_list<std::pair<Cap, bool>> caps) {
  std::vector<MigrationCapabilityStatus> v;
  for (auto [c, s] : caps) v.push_back({c, s});
  return o.set_capabilities(v);
}

std::string err(const Status& st) {
  return st.ok() ? "" : st.error().desc;
}

TEST(MigrationCapabilities, DefaultsAllOffInEnumOrder) {
  MigrationOptions o;
  auto caps = o.query_capabilities();
  ASSERT_EQ(caps.size(), 21u);
  EXPECT_EQ(caps.front().capability, Cap::kXbzrle);
  EXPECT_EQ(caps.back().capability, Cap::kPostcopyPreempt);
  for (const auto& c : caps) EXPECT_FALSE(c.state);
  EXPECT_EQ(
      to_json(qapi::to_value(caps)).substr(0, 90),
      R"([{"state": false, "capability": "xbzrle"}, {"state": false, "capability": "rdma-pin-all"},)");
}

TEST(MigrationCapabilities, ChecksAreCumulative) {
  MigrationOptions o;
  EXPECT_TRUE(set(o, {{Cap::kZeroCopySend, true}, {Cap::kMultifd, true}}).ok());
  // The zero-copy check comes before the multifd one.
  EXPECT_EQ(err(set(o, {{Cap::kCompress, true}})),
            "Zero copy only available for non-compressed non-TLS multifd migration");
  EXPECT_EQ(err(set(o, {{Cap::kZeroCopySend, false}, {Cap::kCompress, true}})),
            "Multifd is not compatible with compress");
  // A failed call changes nothing.
  EXPECT_TRUE(o.capability(Cap::kZeroCopySend));
  EXPECT_FALSE(o.capability(Cap::kCompress));
  // Zero copy and the parameters: compression or TLS.
  EXPECT_EQ(err(o.set_parameters({.multifd_compression = qapi::MultiFDCompression::kZstd})),
            "Zero copy only available for non-compressed non-TLS multifd migration");
  EXPECT_EQ(err(o.set_parameters({.tls_creds = qapi::StrOrNull{std::string("x")}})),
            "Zero copy only available for non-compressed non-TLS multifd migration");
  EXPECT_TRUE(o.set_parameters({.tls_creds = qapi::StrOrNull{nullptr}}).ok());
  // Turning one of a pair off alone is checked too.
  EXPECT_EQ(err(set(o, {{Cap::kMultifd, false}})),
            "Zero copy only available for non-compressed non-TLS multifd migration");
  EXPECT_TRUE(set(o, {{Cap::kMultifd, false}, {Cap::kZeroCopySend, false}}).ok());
  // The last entry for a capability wins.
  EXPECT_TRUE(set(o, {{Cap::kEvents, true}, {Cap::kEvents, false}}).ok());
  EXPECT_FALSE(o.capability(Cap::kEvents));
}

TEST(MigrationCapabilities, PostcopyChecks) {
  MigrationOptions o;
  EXPECT_EQ(err(set(o, {{Cap::kPostcopyPreempt, true}})), "Postcopy preempt requires postcopy-ram");
  EXPECT_EQ(
      err(set(o,
              {{Cap::kPostcopyPreempt, true}, {Cap::kPostcopyRam, true}, {Cap::kCompress, true}})),
      "Postcopy preempt not compatible with compress");
  EXPECT_EQ(err(set(o, {{Cap::kPostcopyRam, true}, {Cap::kXIgnoreShared, true}})),
            "Postcopy is not compatible with ignore-shared");
  EXPECT_EQ(err(set(o, {{Cap::kBackgroundSnapshot, true}, {Cap::kPauseBeforeSwitchover, true}})),
            "Background-snapshot is not compatible with pause-before-switchover");
  // The first incompatible one in 7.2's list order is named.
  EXPECT_EQ(
      err(set(
          o, {{Cap::kBackgroundSnapshot, true}, {Cap::kXbzrle, true}, {Cap::kDirtyBitmaps, true}})),
      "Background-snapshot is not compatible with dirty-bitmaps");
}

TEST(MigrationCapabilities, DestinationChecks) {
  MigrationOptions o;
  bool inmigrate = true;
  o.in_incoming_runstate = [&] { return inmigrate; };
  EXPECT_EQ(err(set(o, {{Cap::kPostcopyRam, true}})), "Postcopy is not supported");
  o.set_multi_channels_allowed(false);
  EXPECT_EQ(err(set(o, {{Cap::kMultifd, true}})), "multifd is not supported by current protocol");
  o.set_multi_channels_allowed(true);
  EXPECT_TRUE(set(o, {{Cap::kMultifd, true}}).ok());
  // Only a destination (inmigrate) asks.
  inmigrate = false;
  o.set_multi_channels_allowed(false);
  EXPECT_TRUE(set(o, {{Cap::kPostcopyRam, true}}).ok());
  // Postcopy already on: not checked again.
  inmigrate = true;
  EXPECT_TRUE(set(o, {{Cap::kEvents, true}, {Cap::kMultifd, false}}).ok());
  o.postcopy_supported_on_destination = true;
  EXPECT_TRUE(set(o, {{Cap::kPostcopyRam, false}}).ok());
  EXPECT_TRUE(set(o, {{Cap::kPostcopyRam, true}}).ok());
}

TEST(MigrationCapabilities, LockedWhileMigrationRuns) {
  MigrationOptions o;
  bool running = true;
  o.migration_running = [&] { return running; };
  EXPECT_EQ(err(set(o, {{Cap::kEvents, true}})), "There's a migration process in progress");
  EXPECT_EQ(err(set(o, {})), "There's a migration process in progress");
  // Parameters may change during a migration.
  EXPECT_TRUE(o.set_parameters({.max_bandwidth = 1000}).ok());
  EXPECT_EQ(o.snapshot().max_bandwidth, 1000u);
  running = false;
  EXPECT_TRUE(set(o, {{Cap::kEvents, true}}).ok());
  EXPECT_TRUE(o.snapshot().cap(Cap::kEvents));
}

TEST(MigrationCapabilities, SupportedForStart) {
  MigrationOptions o;
  EXPECT_TRUE(o.check_supported_for_start().ok());
  // Honoured by the migration code, or no-ops for migemu's machine.
  for (Cap c : {Cap::kEvents, Cap::kPauseBeforeSwitchover, Cap::kAutoConverge, Cap::kReturnPath,
                Cap::kRdmaPinAll, Cap::kZeroBlocks, Cap::kReleaseRam, Cap::kDirtyBitmaps,
                Cap::kPostcopyBlocktime, Cap::kLateBlockActivate}) {
    EXPECT_TRUE(o.capability_honoured(c, true)) << qapi::to_string(c);
  }
  EXPECT_TRUE(set(o, {{Cap::kEvents, true},
                      {Cap::kPauseBeforeSwitchover, true},
                      {Cap::kAutoConverge, true},
                      {Cap::kReturnPath, true},
                      {Cap::kLateBlockActivate, true}})
                  .ok());
  EXPECT_TRUE(o.check_supported_for_start().ok());
  EXPECT_TRUE(o.check_supported_for_incoming().ok());
  for (Cap c : {Cap::kXbzrle, Cap::kCompress, Cap::kPostcopyRam, Cap::kXColo, Cap::kBlock,
                Cap::kXIgnoreShared, Cap::kValidateUuid, Cap::kBackgroundSnapshot}) {
    MigrationOptions m;
    ASSERT_TRUE(set(m, {{c, true}}).ok()) << qapi::to_string(c);
    EXPECT_EQ(err(m.check_supported_for_start()), std::string("Migration capability '") +
                                                      qapi::to_string(c) +
                                                      "' is not supported by migemu");
  }
  {
    // Multifd is supported; zero copy (which needs it) is not.
    MigrationOptions m;
    ASSERT_TRUE(set(m, {{Cap::kMultifd, true}}).ok());
    EXPECT_TRUE(m.check_supported_for_start().ok());
    EXPECT_TRUE(m.check_supported_for_incoming().ok());
    ASSERT_TRUE(set(m, {{Cap::kZeroCopySend, true}}).ok());
    EXPECT_EQ(err(m.check_supported_for_start()),
              "Migration capability 'zero-copy-send' is not supported by migemu");
    ASSERT_TRUE(set(m, {{Cap::kPostcopyRam, true}, {Cap::kPostcopyPreempt, true}}).ok());
    EXPECT_EQ(err(m.check_supported_for_start()),
              "Migration capability 'postcopy-ram' is not supported by migemu");
  }
  // Source-only features are no-ops on a destination.
  {
    MigrationOptions m;
    ASSERT_TRUE(set(m, {{Cap::kXbzrle, true}, {Cap::kBackgroundSnapshot, false}}).ok());
    EXPECT_TRUE(m.check_supported_for_incoming().ok());
    ASSERT_TRUE(set(m, {{Cap::kValidateUuid, true}}).ok());
    EXPECT_EQ(err(m.check_supported_for_incoming()),
              "Migration capability 'validate-uuid' is not supported by migemu");
  }
  // TLS.
  ASSERT_TRUE(o.set_parameters({.tls_creds = qapi::StrOrNull{std::string("tls0")}}).ok());
  EXPECT_EQ(err(o.check_supported_for_start()),
            "TLS migration (tls-creds 'tls0') is not supported by migemu");
  EXPECT_EQ(err(o.check_supported_for_incoming()),
            "TLS migration (tls-creds 'tls0') is not supported by migemu");
  // The table can change once a feature lands.
  MigrationOptions m;
  ASSERT_TRUE(set(m, {{Cap::kXbzrle, true}}).ok());
  m.set_capability_honoured(Cap::kXbzrle, true, false);
  EXPECT_TRUE(m.check_supported_for_start().ok());
  EXPECT_FALSE(m.check_supported_for_incoming().ok());
}

// ---- parameters -----------------------------------------------------------------------------

TEST(MigrationParameters, DefaultQueryIsQemus) {
  MigrationOptions o;
  EXPECT_EQ(
      to_json(return_reply(qapi::to_value(o.query_parameters()))),
      R"({"return": {"cpu-throttle-tailslow": false, "xbzrle-cache-size": 67108864, "cpu-throttle-initial": 20, "announce-max": 550, "decompress-threads": 2, "compress-threads": 8, "compress-level": 1, "multifd-channels": 2, "multifd-zstd-level": 1, "announce-initial": 50, "block-incremental": false, "compress-wait-thread": true, "downtime-limit": 300, "tls-authz": "", "multifd-compression": "none", "announce-rounds": 5, "announce-step": 100, "tls-creds": "", "multifd-zlib-level": 1, "max-cpu-throttle": 99, "max-postcopy-bandwidth": 0, "tls-hostname": "", "throttle-trigger-threshold": 50, "max-bandwidth": 134217728, "x-checkpoint-delay": 20000, "cpu-throttle-increment": 10}})");
  MigrationOptionsSnapshot s = o.snapshot();
  EXPECT_EQ(s.max_bandwidth, 134217728u);
  EXPECT_EQ(s.downtime_limit_ms, 300u);
  EXPECT_EQ(s.cpu_throttle_initial, 20);
  EXPECT_EQ(s.cpu_throttle_increment, 10);
  EXPECT_EQ(s.max_cpu_throttle, 99);
  EXPECT_EQ(s.throttle_trigger_threshold, 50);
  EXPECT_FALSE(s.cpu_throttle_tailslow);
  EXPECT_EQ(s.multifd_channels, 2);
  EXPECT_EQ(s.xbzrle_cache_size, 64u << 20);
}

std::string set_json(MigrationOptions& o, const std::string& args) {
  return dispatch(o, R"({"execute": "migrate-set-parameters", "arguments": )" + args + "}");
}

std::string error_json(const std::string& desc) {
  return R"({"error": {"class": "GenericError", "desc": ")" + desc + "\"}}\r\n";
}

const std::string kOk = "{\"return\": {}}\r\n";

TEST(MigrationParameters, RangesNameTheCFields) {
  MigrationOptions o;
  EXPECT_EQ(set_json(o, R"({"downtime-limit": 2000001})"),
            error_json("Parameter 'downtime_limit' expects an integer in the range of 0 to "
                       "(2000 * 1000) ms"));
  EXPECT_EQ(set_json(o, R"({"downtime-limit": 2000000})"), kOk);
  // Type errors use the QAPI name.
  EXPECT_EQ(set_json(o, R"({"multifd-channels": 256})"),
            error_json("Parameter 'multifd-channels' expects uint8_t"));
  EXPECT_EQ(set_json(o, R"({"multifd-channels": 0})"),
            error_json("Parameter 'multifd_channels' expects a value between 1 and 255"));
  EXPECT_EQ(set_json(o, R"({"announce-step": 0})"),
            error_json("Parameter 'announce_step' expects a value between 0 and 10000"));
  EXPECT_EQ(set_json(o, R"({"xbzrle-cache-size": 2048})"),
            error_json("Parameter 'xbzrle_cache_size' expects a power of two no less than the "
                       "target page size"));
  EXPECT_EQ(set_json(o, R"({"cpu-throttle-initial": 50, "max-cpu-throttle": 40})"),
            error_json("Parameter 'max_cpu_throttle' expects an integer in the range of "
                       "cpu_throttle_initial to 99"));
  // A failing call applies nothing, not even its valid members.
  EXPECT_EQ(set_json(o, R"({"downtime-limit": 450, "multifd-channels": 0})"),
            error_json("Parameter 'multifd_channels' expects a value between 1 and 255"));
  EXPECT_EQ(o.snapshot().downtime_limit_ms, 2000000u);
}

TEST(MigrationParameters, Uint64WrapsNegativeNumbers) {
  MigrationOptions o;
  EXPECT_EQ(set_json(o, R"({"max-bandwidth": -1})"), kOk);
  EXPECT_EQ(o.snapshot().max_bandwidth, UINT64_MAX);
  EXPECT_EQ(set_json(o, R"({"max-bandwidth": 18446744073709551616})"),
            error_json("Parameter 'max-bandwidth' expects uint64"));
  EXPECT_EQ(set_json(o, R"({"downtime-limit": -1})"),
            error_json("Parameter 'downtime_limit' expects an integer in the range of 0 to "
                       "(2000 * 1000) ms"));
  EXPECT_EQ(set_json(o, R"({"downtime-limit": 1.5})"),
            error_json("Parameter 'downtime-limit' expects uint64"));
}

TEST(MigrationParameters, TlsNullIsEmptyAndLevelsAreNotApplied) {
  MigrationOptions o;
  EXPECT_EQ(set_json(o, R"({"tls-creds": "a", "tls-hostname": "b", "tls-authz": "c"})"), kOk);
  auto p = o.query_parameters();
  EXPECT_EQ(*p.tls_creds, "a");
  EXPECT_EQ(*p.tls_hostname, "b");
  EXPECT_EQ(*p.tls_authz, "c");
  EXPECT_EQ(set_json(o, R"({"tls-creds": null, "tls-hostname": null, "tls-authz": null})"), kOk);
  p = o.query_parameters();
  EXPECT_EQ(*p.tls_creds, "");
  EXPECT_EQ(*p.tls_hostname, "");
  EXPECT_EQ(*p.tls_authz, "");
  // 7.2 accepts any uint8 for these two and keeps the old value.
  EXPECT_EQ(set_json(o, R"({"multifd-zlib-level": 10, "multifd-zstd-level": 21})"), kOk);
  p = o.query_parameters();
  EXPECT_EQ(*p.multifd_zlib_level, 1);
  EXPECT_EQ(*p.multifd_zstd_level, 1);
  EXPECT_FALSE(p.block_bitmap_mapping.has_value());
  EXPECT_EQ(set_json(o, R"({"block-bitmap-mapping": []})"), kOk);
  EXPECT_TRUE(o.query_parameters().block_bitmap_mapping.has_value());
}

TEST(MigrationParameters, BlockBitmapMappingText) {
  MigrationOptions o;
  EXPECT_EQ(set_json(o, R"({"block-bitmap-mapping": [{"node-name": "drive0", "alias": "n0",
      "bitmaps": [{"name": "bm0", "alias": "b0"}]}, {"node-name": "d1", "alias": "n1",
      "bitmaps": []}]})"),
            kOk);
  std::string t = hmp_info_migrate_parameters(o);
  EXPECT_NE(t.find("tls-authz: ''\nblock-bitmap-mapping:\n  'drive0' -> 'n0'\n    'bm0' -> "
                   "'b0'\n  'd1' -> 'n1'\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(set_json(o, R"({"block-bitmap-mapping": [{"node-name": "a", "alias": "x",
      "bitmaps": []}, {"node-name": "b", "alias": "x", "bitmaps": []}]})"),
            error_json("Invalid mapping given for block-bitmap-mapping: The node alias 'x' is "
                       "used twice"));
}

// ---- HMP ----------------------------------------------------------------------------------------

std::string setp(MigrationOptions& o, const std::string& name, const std::string& value) {
  return hmp_migrate_set_parameter(
      o, make_dict({{"parameter", Value(name)}, {"value", Value(value)}}));
}

TEST(MigrationHmp, SetParameterValueParsing) {
  MigrationOptions o;
  // max-bandwidth: MiB by default.
  EXPECT_EQ(setp(o, "max-bandwidth", "100"), "");
  EXPECT_EQ(o.snapshot().max_bandwidth, 100u << 20);
  EXPECT_EQ(setp(o, "max-bandwidth", "512k"), "");
  EXPECT_EQ(o.snapshot().max_bandwidth, 512u << 10);
  EXPECT_EQ(setp(o, "max-bandwidth", "1.5"), "");
  EXPECT_EQ(o.snapshot().max_bandwidth, 3u << 19);
  EXPECT_EQ(setp(o, "max-bandwidth", "1x"), "Error: Invalid size 1x\n");
  EXPECT_EQ(setp(o, "max-bandwidth", "8E"), "Error: Invalid size 8E\n");
  // Others: bytes by default, with suffixes.
  EXPECT_EQ(setp(o, "downtime-limit", "1k"), "");
  EXPECT_EQ(o.snapshot().downtime_limit_ms, 1024u);
  EXPECT_EQ(setp(o, "downtime-limit", "abc"),
            "Error: Parameter 'downtime-limit' expects a non-negative number below 2^64\n"
            "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
            "and exabytes, respectively.\n");
  EXPECT_EQ(setp(o, "downtime-limit", "20E"),
            "Error: Value '20E' is out of range for parameter 'downtime-limit'\n");
  EXPECT_EQ(setp(o, "downtime-limit", "0x10k"),
            "warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k\n");
  EXPECT_EQ(o.snapshot().downtime_limit_ms, 16384u);
  EXPECT_EQ(setp(o, "xbzrle-cache-size", "9E"), "Error: Invalid size 9E\n");
  // Integers: C prefixes, wrap, then the width check.
  EXPECT_EQ(setp(o, "compress-level", "010"), "");
  EXPECT_EQ(o.snapshot().compress_level, 8);
  EXPECT_EQ(setp(o, "compress-level", "-1"), "Error: Parameter 'compress-level' expects uint8_t\n");
  EXPECT_EQ(setp(o, "compress-level", "x"), "Error: Parameter 'compress-level' expects uint64\n");
  EXPECT_EQ(setp(o, "x-checkpoint-delay", "4294967296"),
            "Error: Parameter 'x-checkpoint-delay' expects uint32_t\n");
  // Booleans.
  for (const char* yes : {"on", "yes", "true", "y"}) {
    EXPECT_EQ(setp(o, "block-incremental", yes), "");
    EXPECT_TRUE(o.snapshot().block_incremental);
    EXPECT_EQ(setp(o, "block-incremental", "off"), "");
  }
  for (const char* no : {"off", "no", "false", "n"}) {
    EXPECT_EQ(setp(o, "cpu-throttle-tailslow", "on"), "");
    EXPECT_EQ(setp(o, "cpu-throttle-tailslow", no), "");
    EXPECT_FALSE(o.snapshot().cpu_throttle_tailslow);
  }
  EXPECT_EQ(setp(o, "block-incremental", "ON"),
            "Error: Parameter 'block-incremental' expects 'on' or 'off'\n");
  EXPECT_EQ(setp(o, "multifd-compression", "lz4"),
            "Error: Parameter 'multifd-compression' does not accept value 'lz4'\n");
  EXPECT_EQ(setp(o, "block-bitmap-mapping", "x"),
            "Error: The block-bitmap-mapping parameter can only be set through QMP\n");
  EXPECT_EQ(setp(o, "bogus", "1"), "Error: invalid parameter value: bogus\n");
  EXPECT_EQ(setp(o, "tls-creds", ""), "");
  EXPECT_EQ(setp(o, "tls-hostname", "a b"), "");
  EXPECT_EQ(o.snapshot().tls_hostname, "a b");
}

TEST(MigrationHmp, SetCapability) {
  MigrationOptions o;
  auto setc = [&](const char* name, bool on) {
    return hmp_migrate_set_capability(
        o, make_dict({{"capability", Value(name)}, {"state", Value(on)}}));
  };
  EXPECT_EQ(setc("events", true), "");
  EXPECT_TRUE(o.capability(Cap::kEvents));
  EXPECT_EQ(setc("foo", true), "Error: invalid parameter value: foo\n");
  EXPECT_EQ(setc("zero-copy-send", true),
            "Error: Zero copy only available for non-compressed non-TLS multifd migration\n");
  o.migration_running = [] { return true; };
  EXPECT_EQ(setc("events", false), "Error: There's a migration process in progress\n");
}

TEST(MigrationHmp, InfoCapabilitiesAndParametersTexts) {
  MigrationOptions o;
  std::string caps = hmp_info_migrate_capabilities(o);
  EXPECT_EQ(caps.substr(0, 43), "xbzrle: off\nrdma-pin-all: off\nauto-converge");
  EXPECT_EQ(std::count(caps.begin(), caps.end(), '\n'), 21);
  EXPECT_EQ(hmp_info_migrate_parameters(o),
            "announce-initial: 50 ms\nannounce-max: 550 ms\nannounce-rounds: 5\n"
            "announce-step: 100 ms\ncompress-level: 1\ncompress-threads: 8\n"
            "compress-wait-thread: on\ndecompress-threads: 2\nthrottle-trigger-threshold: 50\n"
            "cpu-throttle-initial: 20\ncpu-throttle-increment: 10\ncpu-throttle-tailslow: off\n"
            "max-cpu-throttle: 99\ntls-creds: ''\ntls-hostname: ''\n"
            "max-bandwidth: 134217728 bytes/second\ndowntime-limit: 300 ms\n"
            "x-checkpoint-delay: 20000 ms\nblock-incremental: off\nmultifd-channels: 2\n"
            "multifd-compression: none\nxbzrle-cache-size: 67108864 bytes\n"
            "max-postcopy-bandwidth: 0\ntls-authz: ''\n");
}

TEST(MigrationHmp, Completion) {
  Readline rl(
      [](std::string_view) {},
      [](Readline& r, std::string_view cmdline) { hmp_find_completion(r, cmdline, kTable); });
  rl.start("(qemu) ", [](std::string) {});
  rl.handle_bytes("migrate_set_capability postcopy-b\t");
  EXPECT_EQ(rl.buffer(), "migrate_set_capability postcopy-blocktime ");
  rl.handle_bytes("of\t");
  EXPECT_EQ(rl.buffer(), "migrate_set_capability postcopy-blocktime off ");
  rl.handle_bytes("\r");
  rl.handle_bytes("migrate_set_parameter max-b\t");
  EXPECT_EQ(rl.buffer(), "migrate_set_parameter max-bandwidth ");
  rl.handle_bytes("1\t");  // values are not completed
  EXPECT_EQ(rl.buffer(), "migrate_set_parameter max-bandwidth 1");
}

// ---- info migrate -----------------------------------------------------------------------------

const char kGlobals[] =
    "globals:\nstore-global-state: on\nonly-migratable: off\nsend-configuration: on\n"
    "send-section-footer: on\ndecompress-error-check: on\nclear-bitmap-shift: 18\n";

TEST(InfoMigrate, NothingYet) {
  EXPECT_EQ(format_info_migrate(qapi::MigrationInfo{}, GlobalsSnapshot{}), kGlobals);
}

TEST(InfoMigrate, EveryBlock) {
  qapi::MigrationInfo i;
  i.status = qapi::MigrationStatus::kActive;
  i.blocked_reasons = std::vector<std::string>{"non-migratable device: a", "b"};
  i.total_time = 5;
  i.expected_downtime = 6;
  i.setup_time = 7;
  qapi::MigrationStats r;
  r.transferred = 2048;
  r.remaining = 4096 + 1023;
  r.total = 1 << 20;
  r.duplicate = 1;
  r.normal = 2;
  r.normal_bytes = 8192;
  r.mbps = 1.005;
  r.dirty_sync_count = 3;
  r.page_size = 4096;
  r.multifd_bytes = 3072;
  r.pages_per_second = 9;
  r.dirty_pages_rate = 10;
  r.postcopy_requests = 11;
  r.precopy_bytes = 1024;
  r.downtime_bytes = 2048;
  r.postcopy_bytes = 5000;
  r.dirty_sync_missed_zero_copy = 12;
  i.ram = r;
  qapi::MigrationStats d;
  d.transferred = 1024;
  d.remaining = 2048;
  d.total = 4096;
  i.disk = d;
  i.xbzrle_cache = qapi::XBZRLECacheStats{.cache_size = 4096,
                                          .bytes = 10240,
                                          .pages = 3,
                                          .cache_miss = 4,
                                          .cache_miss_rate = 0.125,
                                          .encoding_rate = 2.5,
                                          .overflow = 5};
  i.compression = qapi::CompressionStats{
      .pages = 1, .busy = 2, .busy_rate = 0.333, .compressed_size = 3072, .compression_rate = 4};
  i.cpu_throttle_percentage = 30;
  i.postcopy_blocktime = 13;
  i.postcopy_vcpu_blocktime = std::vector<uint32_t>{5, 0, 1, 2, 9, 7, 8};
  qapi::SocketAddress inet{.type = qapi::SocketAddressType::kInet};
  inet.u.inet = qapi::InetSocketAddress{.host = "::1", .port = "4444"};
  qapi::SocketAddress unix_addr{.type = qapi::SocketAddressType::kUnix};
  unix_addr.u.unix_ = qapi::UnixSocketAddress{.path = "/tmp/s"};
  qapi::SocketAddress vsock{.type = qapi::SocketAddressType::kVsock};
  vsock.u.vsock = qapi::VsockSocketAddress{.cid = "3", .port = "5"};
  qapi::SocketAddress fd{.type = qapi::SocketAddressType::kFd};
  fd.u.fd = qapi::String{.str = "myfd"};
  i.socket_address = std::vector<qapi::SocketAddress>{inet, unix_addr, vsock, fd};
  i.vfio = qapi::VfioStats{.transferred = 4096};
  EXPECT_EQ(format_info_migrate(i, GlobalsSnapshot{}),
            std::string(kGlobals) +
                "Outgoing migration blocked:\n  non-migratable device: a\n  b\n"
                "Migration status: active\ntotal time: 5 ms\nexpected downtime: 6 ms\n"
                "setup: 7 ms\n"
                "transferred ram: 2 kbytes\nthroughput: 1.00 mbps\nremaining ram: 4 kbytes\n"
                "total ram: 1024 kbytes\nduplicate: 1 pages\nskipped: 0 pages\n"
                "normal: 2 pages\nnormal bytes: 8 kbytes\ndirty sync count: 3\n"
                "page size: 4 kbytes\nmultifd bytes: 3 kbytes\npages-per-second: 9\n"
                "dirty pages rate: 10 pages\npostcopy request count: 11\n"
                "precopy ram: 1 kbytes\ndowntime ram: 2 kbytes\npostcopy ram: 4 kbytes\n"
                "Zero-copy-send fallbacks happened: 12 times\n"
                "transferred disk: 1 kbytes\nremaining disk: 2 kbytes\ntotal disk: 4 kbytes\n"
                "cache size: 4096 bytes\nxbzrle transferred: 10 kbytes\nxbzrle pages: 3 pages\n"
                "xbzrle cache miss: 4 pages\nxbzrle cache miss rate: 0.12\n"
                "xbzrle encoding rate: 2.50\nxbzrle overflow: 5\n"
                "compression pages: 1 pages\ncompression busy: 2\n"
                "compression busy rate: 0.33\ncompressed size: 3 kbytes\n"
                "compression rate: 4.00\n"
                "cpu throttle percentage: 30\npostcopy blocktime: 13\n"
                "postcopy vcpu blocktime: 0-2,5,7-9\n"
                "socket address: [\n\ttcp:::1:4444\n\tunix:/tmp/s\n\tvsock:3:5\n\tfd:myfd\n]\n"
                "vfio device transferred: 4 kbytes\n");
}

TEST(InfoMigrate, StatusLines) {
  qapi::MigrationInfo i;
  i.status = qapi::MigrationStatus::kFailed;
  EXPECT_EQ(format_info_migrate(i, GlobalsSnapshot{}),
            std::string(kGlobals) + "Migration status: failed\ntotal time: 0 ms\n");
  i.error_desc = "boom";
  EXPECT_EQ(format_info_migrate(i, GlobalsSnapshot{}),
            std::string(kGlobals) + "Migration status: failed (boom)\ntotal time: 0 ms\n");
  // Only 'failed' shows the description.
  i.status = qapi::MigrationStatus::kCancelled;
  EXPECT_EQ(format_info_migrate(i, GlobalsSnapshot{}),
            std::string(kGlobals) + "Migration status: cancelled\ntotal time: 0 ms\n");
  i = {};
  i.status = qapi::MigrationStatus::kCompleted;
  i.total_time = 100;
  i.downtime = 20;
  i.setup_time = 1;
  EXPECT_EQ(format_info_migrate(i, GlobalsSnapshot{}),
            std::string(kGlobals) +
                "Migration status: completed\ntotal time: 100 ms\ndowntime: 20 ms\nsetup: 1 ms\n");
}

TEST(InfoMigrate, Ranges) {
  EXPECT_EQ(format_uint32_ranges({}), "");
  EXPECT_EQ(format_uint32_ranges({7}), "7");
  EXPECT_EQ(format_uint32_ranges({3, 1, 2}), "1-3");
  EXPECT_EQ(format_uint32_ranges({4, 4, 0}), "0,4");
  EXPECT_EQ(format_uint32_ranges({1, 3, 4, 10, 11, 12, 20}), "1,3-4,10-12,20");
}

// ---- -global migration.* ------------------------------------------------------------------------

std::string globals_err(const std::vector<std::string>& g) {
  MigrationOptions o;
  Status st = o.apply_globals(g);
  return st.ok() ? "" : st.error().desc;
}

TEST(MigrationGlobals, AppliesKnobsParametersAndCapabilities) {
  MigrationOptions o;
  std::vector<std::string> warnings;
  ASSERT_TRUE(
      o.apply_globals({"migration.x-events=on", "migration.x-downtime-limit=123",
                       "migration.x-max-bandwidth=0x10k", "migration.tls-authz=zz",
                       "migration.multifd-compression=zstd", "migration.multifd-zlib-level=5",
                       "virtio-net-pci.x=1", "migration.store-global-state=off"},
                      &warnings)
          .ok());
  EXPECT_EQ(warnings,
            std::vector<std::string>{
                "warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k"});
  auto s = o.snapshot();
  EXPECT_TRUE(s.cap(Cap::kEvents));
  EXPECT_EQ(s.downtime_limit_ms, 123u);
  EXPECT_EQ(s.max_bandwidth, 16384u);
  EXPECT_EQ(s.tls_authz, "zz");
  EXPECT_EQ(s.multifd_compression, qapi::MultiFDCompression::kZstd);
  EXPECT_EQ(s.multifd_zlib_level, 5);
  EXPECT_FALSE(s.globals.store_global_state);
  EXPECT_EQ(*o.query_parameters().multifd_zlib_level, 5);
}

TEST(MigrationGlobals, ErrorsAsQemuPrintsThem) {
  EXPECT_EQ(globals_err({"migration.x-downtime-limit=abc"}),
            "can't apply global migration.x-downtime-limit=abc: Parameter 'x-downtime-limit' "
            "expects uint64");
  EXPECT_EQ(globals_err({"migration.foo=1"}),
            "can't apply global migration.foo=1: Property 'migration.foo' not found");
  EXPECT_EQ(globals_err({"migration.x-validate-uuid=on"}),
            "can't apply global migration.x-validate-uuid=on: Property "
            "'migration.x-validate-uuid' not found");
  EXPECT_EQ(globals_err({"migration.x-clear-bitmap-shift=300"}),
            "can't apply global migration.x-clear-bitmap-shift=300: Parameter "
            "'x-clear-bitmap-shift' expects uint8_t");
  EXPECT_EQ(globals_err({"migration.x-events=maybe"}),
            "can't apply global migration.x-events=maybe: Parameter 'x-events' expects 'on' or "
            "'off'");
  EXPECT_EQ(globals_err({"migration.x-max-bandwidth=abc"}),
            "can't apply global migration.x-max-bandwidth=abc: Parameter 'x-max-bandwidth' "
            "expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means "
            "kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.");
  EXPECT_EQ(globals_err({"migration.x-max-bandwidth=20E"}),
            "can't apply global migration.x-max-bandwidth=20E: Value '20E' is out of range for "
            "parameter 'x-max-bandwidth'");
  EXPECT_EQ(globals_err({"migration.x-checkpoint-delay=-1"}),
            "can't apply global migration.x-checkpoint-delay=-1: Parameter 'x-checkpoint-delay' "
            "expects uint32_t");
  EXPECT_EQ(globals_err({"migration.multifd-compression=lz4"}),
            "can't apply global migration.multifd-compression=lz4: Parameter "
            "'multifd-compression' does not accept value 'lz4'");
  // Then the start-up check of the result.
  EXPECT_EQ(globals_err({"migration.x-downtime-limit=2000001"}),
            "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms");
  EXPECT_EQ(globals_err({"migration.max-cpu-throttle=10"}),
            "Parameter 'max_cpu_throttle' expects an integer in the range of cpu_throttle_initial "
            "to 99");
  EXPECT_EQ(globals_err({"migration.announce-step=0"}),
            "Parameter 'announce_step' expects a value between 0 and 10000");
  EXPECT_EQ(globals_err({"migration.x-zero-copy-send=on"}),
            "Zero copy only available for non-compressed non-TLS multifd migration");
  EXPECT_EQ(globals_err({"migration.x-postcopy-preempt=on"}),
            "Postcopy preempt requires postcopy-ram");
  EXPECT_EQ(globals_err({"migration.x-zero-copy-send=on", "migration.x-multifd=on",
                         "migration.multifd-compression=zlib"}),
            "Zero copy only available for non-compressed non-TLS multifd migration");
  EXPECT_EQ(globals_err({"migration.x-zero-copy-send=on", "migration.x-multifd=on"}), "");
  // The first bad one stops.
  EXPECT_EQ(globals_err({"migration.foo=1", "migration.bar=2"}),
            "can't apply global migration.foo=1: Property 'migration.foo' not found");
}

// ---- threads ------------------------------------------------------------------------------------

TEST(MigrationOptions, GlobalStoreAndQmpHandlers) {
  MigrationOptions& o = migration_options();
  EXPECT_EQ(&o, &migration_options());
  EXPECT_EQ(migration_globals().clear_bitmap_shift, 18);
  EXPECT_TRUE(o.set_parameters({.downtime_limit = 301}).ok());
  EXPECT_EQ(o.snapshot().downtime_limit_ms, 301u);
  EXPECT_TRUE(o.set_parameters({.downtime_limit = 300}).ok());
}

}  // namespace
}  // namespace migemu
