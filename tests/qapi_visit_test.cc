// Tests of the generated QAPI types, visitors and event senders, and of the
// runtime under them (qapi/visit_runtime.h).
//
// Expected error texts are QEMU 7.2's; the ones marked [qemu] were checked
// against the installed qemu-system-x86_64 7.2 over QMP. Types come from the
// main schema (namespace migemu::qapi) and from the tests' schema
// (qapi/gen/tests/qapi-test-schema.json: QEMU's migration.json plus a few
// Test* types, namespace migemu::qapi::test).

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qapi/event_sink.h"
#include "qapi/json_parser.h"
#include "qapi/json_writer.h"
#include "qapi/qapi-events.h"
#include "qapi/qapi-visit.h"
#include "qapi/test-qapi-events.h"
#include "qapi/test-qapi-visit.h"

namespace migemu::qapi {
namespace {

Value J(std::string_view text) {
  Result<Value> r = parse_json(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? std::move(*r) : Value();
}

// The error desc of reading `json` as a T, or "<ok>".
template <typename T>
std::string Err(std::string_view json) {
  Result<T> r = from_value<T>(J(json));
  return r.ok() ? "<ok>" : r.error().desc;
}

template <typename T>
T Ok(std::string_view json) {
  Result<T> r = from_value<T>(J(json));
  EXPECT_TRUE(r.ok()) << json << ": " << (r.ok() ? "" : r.error().desc);
  return r.ok() ? std::move(*r) : T{};
}

// Reads `json` as the arguments of a command whose 'data' is T, the way a
// generated marshaller does.
template <typename T>
std::string ArgsErr(std::string_view json) {
  Value v = J(json);
  InputVisitor iv(v.as_dict());
  T out{};
  if (!iv.start_struct(nullptr) || !visit_members(iv, &out) || !iv.check_struct()) {
    return iv.take_error().desc;
  }
  iv.end_struct();
  return "<ok>";
}

std::vector<std::string> Keys(const Value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.as_dict().entries()) out.push_back(e.first);
  return out;
}

// ---- enums ---------------------------------------------------------------

TEST(QapiEnum, NamesValuesAndLookup) {
  EXPECT_EQ(RunState_MAX, 16);
  EXPECT_STREQ(to_string(RunState::kInternalError), "internal-error");
  EXPECT_STREQ(to_string(RunState::kColo), "colo");
  EXPECT_EQ(RunState_from_string("finish-migrate"), RunState::kFinishMigrate);
  EXPECT_EQ(RunState_from_string("finish_migrate"), std::nullopt);
  EXPECT_EQ(RunState_from_string(""), std::nullopt);
  auto values = RunState_values();
  ASSERT_EQ(values.size(), 16u);
  EXPECT_EQ(values.front(), RunState::kDebug);
  EXPECT_EQ(values.back(), RunState::kColo);
  for (int i = 0; i < RunState_MAX; i++) EXPECT_EQ(static_cast<int>(values[i]), i);
  // '-', '_' and '.' all split words.
  EXPECT_STREQ(to_string(SysEmuTarget::kX8664), "x86_64");
  EXPECT_STREQ(to_string(test::TestEnum::kXYZ), "x.y_z");
  EXPECT_STREQ(to_string(test::TestEnum::kBetaTwo), "beta-two");
  // A value whose condition is false is not there at all.
  EXPECT_EQ(test::TestKind_MAX, 3);
  EXPECT_EQ(test::TestKind_from_string("three"), std::nullopt);
  EXPECT_EQ(test::MultiFDCompression_MAX, 3);  // zstd: CONFIG_ZSTD is defined
}

// ---- input: missing, unexpected, wrong types -------------------------------

TEST(QapiInput, StructHappyPath) {
  auto s = Ok<StatusInfo>(R"({"running": true, "singlestep": false, "status": "paused"})");
  EXPECT_EQ(s, (StatusInfo{.running = true, .singlestep = false, .status = RunState::kPaused}));
}

TEST(QapiInput, MissingInSchemaOrder) {
  EXPECT_EQ(Err<StatusInfo>(R"({"status": "running"})"), "Parameter 'running' is missing");
  EXPECT_EQ(Err<StatusInfo>(R"({"running": true, "status": "running"})"),
            "Parameter 'singlestep' is missing");
  // Members are checked before leftovers. [qemu]
  EXPECT_EQ(ArgsErr<GetfdArg>(R"({"b": 1, "a": 2})"), "Parameter 'fdname' is missing");
  EXPECT_EQ(Err<StatusInfo>(R"({"foo": 1})"), "Parameter 'running' is missing");
}

TEST(QapiInput, Unexpected) {
  EXPECT_EQ(Err<StatusInfo>(R"({"running": true, "singlestep": false, "status": "running",
                                "foo": 1})"),
            "Parameter 'foo' is unexpected");
  EXPECT_EQ(ArgsErr<HumanMonitorCommandArg>(R"({"command-line": "x", "cpu_index": 1})"),
            "Parameter 'cpu_index' is unexpected");
}

TEST(QapiInput, WhichOfSeveralUnexpectedIsNamed) {
  // QEMU names the first key its GHashTable iterator returns. [qemu]
  EXPECT_EQ(check_no_arguments(&J(R"({"a": 1, "b": 2, "c": 3})").as_dict()).error().desc,
            "Parameter 'b' is unexpected");
  EXPECT_EQ(check_no_arguments(&J(R"({"c": 1, "b": 2, "a": 3})").as_dict()).error().desc,
            "Parameter 'b' is unexpected");
  EXPECT_EQ(check_no_arguments(&J(R"({"zeta": 1, "alpha": 2, "mid": 3, "x": 4, "y": 5, "z": 6,
                                      "q": 7, "r": 8, "s": 9, "t": 10})")
                                    .as_dict())
                .error()
                .desc,
            "Parameter 'zeta' is unexpected");
  EXPECT_EQ(ArgsErr<GetfdArg>(R"({"fdname": "x", "b": 1, "a": 2})"), "Parameter 'b' is unexpected");
}

TEST(QapiInput, NoArguments) {
  EXPECT_TRUE(check_no_arguments(nullptr).ok());
  EXPECT_TRUE(check_no_arguments(&empty_dict()).ok());
  EXPECT_EQ(check_no_arguments(&J(R"({"x": null})").as_dict()).error().desc,
            "Parameter 'x' is unexpected");
}

TEST(QapiInput, WrongJsonTypes) {
  const char* base = R"({"running": %s, "singlestep": false, "status": "running"})";
  auto with = [&](const char* v) {
    std::string s = base;
    s.replace(s.find("%s"), 2, v);
    return Err<StatusInfo>(s);
  };
  const char* bool_err = "Invalid parameter type for 'running', expected: boolean";
  EXPECT_EQ(with("null"), bool_err);
  EXPECT_EQ(with("1"), bool_err);
  EXPECT_EQ(with("\"true\""), bool_err);
  EXPECT_EQ(with("[]"), bool_err);
  EXPECT_EQ(with("{}"), bool_err);
  EXPECT_EQ(Err<StatusInfo>(R"({"running": true, "singlestep": false, "status": 1})"),
            "Invalid parameter type for 'status', expected: string");
  // [qemu]
  EXPECT_EQ(ArgsErr<HumanMonitorCommandArg>(R"({"command-line": 1})"),
            "Invalid parameter type for 'command-line', expected: string");
  for (const char* v : {"\"x\"", "1.5", "18446744073709551615", "null", "true"}) {
    EXPECT_EQ(ArgsErr<HumanMonitorCommandArg>(
                  std::string(R"({"command-line": "c", "cpu-index": )") + v + "}"),
              "Invalid parameter type for 'cpu-index', expected: integer")
        << v;
  }
  EXPECT_EQ(Err<test::TestInts>(R"({"i8": 0, "i16": 0, "i32": 0, "i64": 0, "u8": 0, "u16": 0,
                                    "u32": 0, "u64": 0, "sz": 0, "num": "1"})"),
            "Invalid parameter type for 'num', expected: number");
  EXPECT_EQ(Err<VersionInfo>(R"({"qemu": [], "package": ""})"),
            "Invalid parameter type for 'qemu', expected: object");
  EXPECT_EQ(Err<QmpCapabilitiesArg>(R"({"enable": "oob"})"),
            "Invalid parameter type for 'enable', expected: array");  // [qemu]
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "alt": null,
                                     "bytes": null})"),
            "Invalid parameter type for 'bytes', expected: array");
  // The root itself.
  EXPECT_EQ(Err<StatusInfo>("[]"), "Invalid parameter type for '<anonymous>', expected: object");
  EXPECT_EQ(Err<std::string>("1"), "Invalid parameter type for '<anonymous>', expected: string");
  EXPECT_EQ(Err<std::vector<int64_t>>("[1, \"x\"]"),
            "Invalid parameter type for '[1]', expected: integer");
  EXPECT_EQ(Err<std::nullptr_t>("0"), "Invalid parameter type for '<anonymous>', expected: null");
}

TEST(QapiInput, NumbersConvertAsQemu) {
  auto t = Ok<test::TestInts>(R"({"i8": -128, "i16": 32767, "i32": -2147483648,
      "i64": -9223372036854775808, "u8": 255, "u16": 65535, "u32": 4294967295,
      "u64": 18446744073709551615, "sz": 0, "num": 3})");
  EXPECT_EQ(t.i8, -128);
  EXPECT_EQ(t.i16, 32767);
  EXPECT_EQ(t.i32, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(t.i64, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(t.u8, 255);
  EXPECT_EQ(t.u16, 65535);
  EXPECT_EQ(t.u32, 4294967295u);
  EXPECT_EQ(t.u64, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(t.num, 3.0);  // an integer is a fine number
}

std::string IntsWith(std::string_view member, std::string_view value) {
  std::string s = "{";
  for (const char* m : {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "sz", "num"}) {
    if (s.size() > 1) s += ", ";
    s += std::string("\"") + m + "\": " + std::string(m == member ? value : "0");
  }
  return s + "}";
}

TEST(QapiInput, IntegerRanges) {
  auto err = [](std::string_view m, std::string_view v) {
    return Err<test::TestInts>(IntsWith(m, v));
  };
  EXPECT_EQ(err("i8", "128"), "Parameter 'i8' expects int8_t");
  EXPECT_EQ(err("i8", "-129"), "Parameter 'i8' expects int8_t");
  EXPECT_EQ(err("i16", "-32769"), "Parameter 'i16' expects int16_t");
  EXPECT_EQ(err("i32", "2147483648"), "Parameter 'i32' expects int32_t");
  EXPECT_EQ(err("u8", "256"), "Parameter 'u8' expects uint8_t");
  EXPECT_EQ(err("u8", "-1"), "Parameter 'u8' expects uint8_t");
  EXPECT_EQ(err("u16", "65536"), "Parameter 'u16' expects uint16_t");
  EXPECT_EQ(err("u32", "4294967296"), "Parameter 'u32' expects uint32_t");
  // Narrow ints read a uint64 first: a non-number fails as one.
  EXPECT_EQ(err("u8", "\"1\""), "Parameter 'u8' expects uint64");
  EXPECT_EQ(err("i8", "\"1\""), "Invalid parameter type for 'i8', expected: integer");
  EXPECT_EQ(err("u64", "1.0"), "Parameter 'u64' expects uint64");
  EXPECT_EQ(err("sz", "\"1M\""), "Parameter 'sz' expects uint64");
  EXPECT_EQ(err("sz", "null"), "Parameter 'sz' expects uint64");
  EXPECT_EQ(err("i64", "9223372036854775808"),
            "Invalid parameter type for 'i64', expected: integer");
}

TEST(QapiInput, MigrationParametersAsQemu) {
  using test::MigrateSetParameters;
  // [qemu] all of these.
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"downtime-limit": "x"})"),
            "Parameter 'downtime-limit' expects uint64");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"downtime-limit": 1.5})"),
            "Parameter 'downtime-limit' expects uint64");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"multifd-channels": 256})"),
            "Parameter 'multifd-channels' expects uint8_t");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"multifd-channels": -1})"),
            "Parameter 'multifd-channels' expects uint8_t");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"multifd-channels": "x"})"),
            "Parameter 'multifd-channels' expects uint64");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"x-checkpoint-delay": 4294967296})"),
            "Parameter 'x-checkpoint-delay' expects uint32_t");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"multifd-compression": "bogus"})"),
            "Parameter 'multifd-compression' does not accept value 'bogus'");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"tls-creds": 1})"),
            "Invalid parameter type for 'tls-creds', expected: StrOrNull");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"block-bitmap-mapping": [{"node-name": "a",
                "alias": "b", "bitmaps": [{"name": "n", "alias": "a",
                "transform": {"persistent": 1}}]}]})"),
            "Invalid parameter type for "
            "'block-bitmap-mapping[0].bitmaps[0].transform.persistent', expected: boolean");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"block-bitmap-mapping": [{"node-name": "a",
                "alias": "b", "bitmaps": [{"name": "n"}]}]})"),
            "Parameter 'block-bitmap-mapping[0].bitmaps[0].alias' is missing");
  EXPECT_EQ(Err<MigrateSetParameters>(R"({"block-bitmap-mapping": [{"node-name": "a",
                "alias": "b", "bitmaps": [{"name": "n", "alias": "a", "transform": []}]}]})"),
            "Invalid parameter type for 'block-bitmap-mapping[0].bitmaps[0].transform', "
            "expected: object");

  // uint64/size accept negative integers and wrap them. [qemu]
  auto p = Ok<MigrateSetParameters>(R"({"tls-creds": null, "max-bandwidth": -1,
                                        "tls-hostname": "h"})");
  EXPECT_EQ(p.max_bandwidth, std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(p.tls_creds.has_value());
  EXPECT_EQ(p.tls_creds->value.index(), 1u);
  ASSERT_TRUE(p.tls_hostname.has_value());
  EXPECT_EQ(std::get<std::string>(p.tls_hostname->value), "h");
  EXPECT_FALSE(p.downtime_limit.has_value());
  EXPECT_EQ(
      Ok<test::MigrateSetParameters>(R"({"downtime-limit": -9223372036854775808})").downtime_limit,
      uint64_t{1} << 63);
  EXPECT_EQ(Ok<uint64_t>("18446744073709551615"), std::numeric_limits<uint64_t>::max());
}

TEST(QapiInput, ListsAndFullNames) {
  // [qemu]: a top-level list element has no name.
  EXPECT_EQ(Err<QmpCapabilitiesArg>(R"({"enable": ["oob", "foo"]})"),
            "Parameter 'null' does not accept value 'foo'");
  EXPECT_EQ(Err<QmpCapabilitiesArg>(R"({"enable": ["oob", 2]})"),
            "Invalid parameter type for 'enable[1]', expected: string");
  auto caps = Ok<QmpCapabilitiesArg>(R"({"enable": ["oob", "oob"]})");
  ASSERT_TRUE(caps.enable.has_value());
  EXPECT_EQ(caps.enable->size(), 2u);
  EXPECT_EQ(Ok<QmpCapabilitiesArg>("{}").enable, std::nullopt);
  EXPECT_EQ(Ok<QmpCapabilitiesArg>(R"({"enable": []})").enable, std::vector<QMPCapability>{});

  using test::MigrateSetCapabilitiesArg;
  // [qemu] all of these.
  EXPECT_EQ(Err<MigrateSetCapabilitiesArg>(R"({"capabilities": [{"capability": "xbzrle",
                "state": true}, {"capability": "bogus", "state": true}]})"),
            "Parameter 'capability' does not accept value 'bogus'");
  EXPECT_EQ(Err<MigrateSetCapabilitiesArg>(R"({"capabilities": [{"capability": "xbzrle",
                "state": true}, {"capability": "events"}]})"),
            "Parameter 'capabilities[1].state' is missing");
  EXPECT_EQ(Err<MigrateSetCapabilitiesArg>(R"({"capabilities": [{"capability": "xbzrle",
                "state": true, "extra": 1}]})"),
            "Parameter 'capabilities[0].extra' is unexpected");
  EXPECT_EQ(Err<MigrateSetCapabilitiesArg>(R"({"capabilities": [5]})"),
            "Invalid parameter type for 'capabilities[0]', expected: object");
  EXPECT_EQ(Err<MigrateSetCapabilitiesArg>(R"({"capabilities": {}})"),
            "Invalid parameter type for 'capabilities', expected: array");
  EXPECT_EQ(Err<MigrateSetCapabilitiesArg>(R"({"capabilities": [{"capability": "xbzrle",
                "state": "yes"}]})"),
            "Invalid parameter type for 'capabilities[0].state', expected: boolean");

  // Narrow ints in a list: bare name, "null" for the element.
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "bytes": [1, 256]})"),
            "Parameter 'null' expects uint8_t");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "bytes": [1, "x"]})"),
            "Parameter 'bytes[1]' expects uint64");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a", "e": "x"}, "list": []})"),
            "Parameter 'e' does not accept value 'x'");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [{"name": "b"}, {}]})"),
            "Parameter 'list[1].name' is missing");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a", "x": 1}, "list": []})"),
            "Parameter 'inner.x' is unexpected");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "y": 1})"),
            "Parameter 'y' is unexpected");
  EXPECT_EQ(Err<VersionInfo>(R"({"qemu": {"major": 7, "minor": 2}, "package": ""})"),
            "Parameter 'qemu.micro' is missing");
  EXPECT_EQ(Err<std::vector<FdsetInfo>>(R"([{"fdset-id": 0, "fds": [{"fd": 3}, {"opaque": ""}]}])"),
            "Parameter '[0].fds[1].fd' is missing");
}

TEST(QapiInput, Any) {
  auto o = Ok<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [],
                                   "any": {"k": [1, null, "s"]}})");
  ASSERT_TRUE(o.any.has_value());
  EXPECT_EQ(*o.any, J(R"({"k": [1, null, "s"]})"));
  // An explicit null is present, not absent.
  auto m = Ok<SchemaInfoObjectMember>(R"({"name": "n", "type": "int", "default": null})");
  ASSERT_TRUE(m.default_.has_value());
  EXPECT_TRUE(m.default_->is_null());
  EXPECT_EQ(Err<SchemaInfoObjectMember>(R"({"name": "n", "type": "int", "features": null})"),
            "Invalid parameter type for 'features', expected: array");
}

TEST(QapiInput, FlatUnion) {
  using test::SocketAddress;
  using test::SocketAddressType;
  auto a = Ok<SocketAddress>(R"({"type": "inet", "host": "::1", "port": "4444", "to": 4450,
                                 "ipv6": true})");
  EXPECT_EQ(a.type, SocketAddressType::kInet);
  ASSERT_TRUE(a.u.inet.has_value());
  EXPECT_EQ(a.u.inet->host, "::1");
  EXPECT_EQ(a.u.inet->to, 4450);
  EXPECT_FALSE(a.u.unix_.has_value());
  auto u = Ok<SocketAddress>(R"({"type": "unix", "path": "/tmp/s", "abstract": true})");
  ASSERT_TRUE(u.u.unix_.has_value());
  EXPECT_EQ(u.u.unix_->abstract, true);  // CONFIG_LINUX member
  auto fd = Ok<SocketAddress>(R"({"type": "fd", "str": "mon"})");
  ASSERT_TRUE(fd.u.fd.has_value());
  EXPECT_EQ(fd.u.fd->str, "mon");

  EXPECT_EQ(Err<SocketAddress>(R"({"host": "h"})"), "Parameter 'type' is missing");
  EXPECT_EQ(Err<SocketAddress>(R"({"type": "tcp"})"),
            "Parameter 'type' does not accept value 'tcp'");
  EXPECT_EQ(Err<SocketAddress>(R"({"type": "inet", "host": "h"})"), "Parameter 'port' is missing");
  EXPECT_EQ(Err<SocketAddress>(R"({"type": "unix", "path": "/x", "host": "h"})"),
            "Parameter 'host' is unexpected");
  EXPECT_EQ(Err<SocketAddress>(R"({"type": "inet", "host": "h", "port": "1", "to": 70000})"),
            "Parameter 'to' expects uint16_t");
  EXPECT_EQ(Err<test::MigrationInfo>(R"({"socket-address": [{"type": "inet", "host": "h",
                                         "port": "p", "to": -1}]})"),
            "Parameter 'to' expects uint16_t");
  EXPECT_EQ(Err<test::MigrationInfo>(R"({"socket-address": [{"type": "inet", "host": "h"}]})"),
            "Parameter 'socket-address[0].port' is missing");
  // A tag value without a branch takes no further members.
  auto none = Ok<test::TestUnion>(R"({"kind": "none", "extra": 5})");
  EXPECT_EQ(none.kind, test::TestKind::kNone);
  EXPECT_EQ(none.extra, 5);
  EXPECT_EQ(Err<test::TestUnion>(R"({"kind": "none", "name": "x"})"),
            "Parameter 'name' is unexpected");
  EXPECT_EQ(Err<test::TestUnion>(R"({"kind": "three"})"),
            "Parameter 'kind' does not accept value 'three'");
}

TEST(QapiInput, Alternates) {
  using test::TestAlt;
  using test::TestEnum;
  EXPECT_EQ(std::get<int64_t>(Ok<TestAlt>("-3").value), -3);
  EXPECT_EQ(std::get<TestEnum>(Ok<TestAlt>("\"beta-two\"").value), TestEnum::kBetaTwo);
  EXPECT_EQ(std::get<test::TestInner>(Ok<TestAlt>(R"({"name": "n"})").value).name, "n");
  EXPECT_EQ(std::get<bool>(Ok<TestAlt>("false").value), false);
  EXPECT_EQ(std::get<std::vector<int64_t>>(Ok<TestAlt>("[1, 2]").value),
            (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Ok<TestAlt>("null").value.index(), 5u);

  // Mismatches name the member alone, a root or list element as "null".
  EXPECT_EQ(Err<StrOrNull>("1"), "Invalid parameter type for 'null', expected: StrOrNull");
  EXPECT_EQ(Err<StrOrNull>("{}"), "Invalid parameter type for 'null', expected: StrOrNull");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "alts": [1, 1.5]})"),
            "Invalid parameter type for 'alts[1]', expected: integer");
  // Once a branch is chosen, its own errors apply.
  EXPECT_EQ(Err<TestAlt>("\"nope\""), "Parameter 'null' does not accept value 'nope'");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "alt": "nope"})"),
            "Parameter 'alt' does not accept value 'nope'");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "alt": {}})"),
            "Parameter 'alt.name' is missing");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [],
                                     "alts": [1, {"name": "b", "q": 0}]})"),
            "Parameter 'alts[1].q' is unexpected");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "alt": [true]})"),
            "Invalid parameter type for 'alt[0]', expected: integer");
  EXPECT_EQ(Err<test::TestOuter>(R"({"inner": {"name": "a"}, "list": [], "alt": 1.5})"),
            "Invalid parameter type for 'alt', expected: integer");
}

TEST(QapiInput, RecursiveType) {
  auto t = Ok<test::TestTree>(R"({"name": "a", "left": {"name": "b", "left": {"name": "c"}},
                                  "kids": [{"name": "d", "kids": []}]})");
  ASSERT_TRUE(t.left.has_value());
  EXPECT_EQ((*t.left)->name, "b");
  ASSERT_TRUE((*t.left)->left.has_value());
  EXPECT_EQ((*(*t.left)->left)->name, "c");
  EXPECT_FALSE((*(*t.left)->left)->left.has_value());
  ASSERT_TRUE(t.kids.has_value());
  EXPECT_EQ((*t.kids)[0].name, "d");
  EXPECT_EQ(Err<test::TestTree>(R"({"name": "a", "left": {"name": "b", "left": {}}})"),
            "Parameter 'left.left.name' is missing");
  test::TestTree copy = t;
  EXPECT_EQ(copy, t);
  (*copy.left)->name = "x";
  EXPECT_EQ((*t.left)->name, "b");  // a deep copy
  EXPECT_FALSE(copy == t);
  EXPECT_EQ(to_json(to_value(t)),
            to_json(J(R"({"name": "a", "left": {"name": "b", "left": {"name": "c"}},
                          "kids": [{"name": "d", "kids": []}]})")));
}

// ---- output ----------------------------------------------------------------

TEST(QapiOutput, SchemaOrderAndWireOrder) {
  Value v =
      to_value(StatusInfo{.running = true, .singlestep = false, .status = RunState::kRunning});
  EXPECT_EQ(Keys(v), (std::vector<std::string>{"running", "singlestep", "status"}));
  // What QEMU 7.2 puts on the wire for query-status.
  EXPECT_EQ(to_json(v), R"({"status": "running", "singlestep": false, "running": true})");

  VersionInfo ver{.qemu = {.major = 7, .minor = 2, .micro = 22}, .package = "p"};
  EXPECT_EQ(to_json(to_value(ver)),
            R"({"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "p"})");
}

TEST(QapiOutput, OptionalsListsAndNumberKinds) {
  test::MigrationInfo info;
  EXPECT_EQ(to_value(info), Value::dict());
  info.status = test::MigrationStatus::kActive;
  info.total_time = 5;
  info.postcopy_vcpu_blocktime = std::vector<uint32_t>{1, 2};
  info.ram = test::MigrationStats{};
  info.ram->mbps = 1.5;
  Value v = to_value(info);
  EXPECT_EQ(Keys(v),
            (std::vector<std::string>{"status", "ram", "total-time", "postcopy-vcpu-blocktime"}));
  const Dict& d = v.as_dict();
  EXPECT_EQ(d.get("status")->as_string(), "active");
  EXPECT_EQ(d.get("total-time")->num_kind(), Value::NumKind::I64);
  // Unsigned schema types come out as unsigned numbers, as QEMU's do.
  EXPECT_EQ(d.get("postcopy-vcpu-blocktime")->as_list()[1], Value::u64(2));
  const Dict& ram = d.get("ram")->as_dict();
  EXPECT_EQ(ram.entries()[0].first, "transferred");
  EXPECT_EQ(ram.entries().back().first, "dirty-sync-missed-zero-copy");
  EXPECT_EQ(*ram.get("mbps"), Value::number(1.5));
  EXPECT_EQ(ram.get("multifd-bytes")->num_kind(), Value::NumKind::U64);

  test::MigrationParameters p;
  p.max_bandwidth = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(to_json(to_value(p)), R"({"max-bandwidth": 18446744073709551615})");
}

TEST(QapiOutput, UnionAndAlternate) {
  test::SocketAddress a;
  a.type = test::SocketAddressType::kInet;
  a.u.inet = test::InetSocketAddress{.host = "h", .port = "1", .numeric = {}, .to = 9};
  Value v = to_value(a);
  EXPECT_EQ(Keys(v), (std::vector<std::string>{"type", "host", "port", "to"}));
  EXPECT_EQ(v.as_dict().get("to")->num_kind(), Value::NumKind::U64);

  test::TestUnion none{.kind = test::TestKind::kNone, .extra = {}, .u = {}};
  EXPECT_EQ(to_json(to_value(none)), R"({"kind": "none"})");

  EXPECT_EQ(to_value(StrOrNull{nullptr}), Value());
  EXPECT_EQ(to_value(StrOrNull{std::string("x")}), Value("x"));
  test::TestAlt alt{test::TestInner{.name = "n", .e = test::TestEnum::kAlpha}};
  EXPECT_EQ(to_json(to_value(alt)), R"({"name": "n", "e": "alpha"})");
}

TEST(QapiOutput, RoundTrip) {
  const char* text = R"({"status": "completed", "ram": {"transferred": 1, "remaining": 0,
      "total": 3, "duplicate": 4, "skipped": 0, "normal": 5, "normal-bytes": 6,
      "dirty-pages-rate": 0, "mbps": 268.5, "dirty-sync-count": 2, "postcopy-requests": 0,
      "page-size": 4096, "multifd-bytes": 0, "pages-per-second": 7, "precopy-bytes": 8,
      "downtime-bytes": 9, "postcopy-bytes": 0, "dirty-sync-missed-zero-copy": 0},
      "total-time": 100, "downtime": 10, "setup-time": 1,
      "socket-address": [{"type": "unix", "path": "/s"}]})";
  auto info = Ok<test::MigrationInfo>(text);
  Value out = to_value(info);
  Value in = J(text);
  EXPECT_EQ(to_json(out), to_json(in));
  EXPECT_EQ(Ok<test::MigrationInfo>(to_json(out)), info);
}

// ---- events ----------------------------------------------------------------

struct Captured {
  std::string name;
  std::optional<Dict> data;
};

class QapiEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    set_event_sink([this](const char* name, std::optional<Dict> data) {
      events.push_back({name, std::move(data)});
    });
  }
  void TearDown() override { set_event_sink(nullptr); }
  std::vector<Captured> events;
};

TEST_F(QapiEvents, DataInSchemaOrder) {
  qapi_event_send_shutdown(true, ShutdownCause::kGuestShutdown);
  qapi_event_send_reset(false, ShutdownCause::kHostQmpSystemReset);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "SHUTDOWN");
  ASSERT_TRUE(events[0].data.has_value());
  EXPECT_EQ(Keys(Value(*events[0].data)), (std::vector<std::string>{"guest", "reason"}));
  EXPECT_EQ(to_json(Value(*events[0].data)), R"({"guest": true, "reason": "guest-shutdown"})");
  EXPECT_EQ(events[1].name, "RESET");
  EXPECT_EQ(to_json(Value(*events[1].data)),
            R"({"guest": false, "reason": "host-qmp-system-reset"})");
}

TEST_F(QapiEvents, NoData) {
  qapi_event_send_stop();
  qapi_event_send_resume();
  qapi_event_send_powerdown();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "STOP");
  EXPECT_FALSE(events[0].data.has_value());
  EXPECT_EQ(events[1].name, "RESUME");
  EXPECT_EQ(events[2].name, "POWERDOWN");
  // All members optional and absent: no "data" either, as QEMU.
  test::qapi_event_send_test_optional(std::nullopt);
  test::qapi_event_send_test_optional(7);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_FALSE(events[3].data.has_value());
  EXPECT_EQ(to_json(Value(*events[4].data)), R"({"x": 7})");
}

TEST_F(QapiEvents, OptionalsNamedAndBoxed) {
  test::qapi_event_send_migration(test::MigrationStatus::kSetup);
  test::qapi_event_send_migration_pass(3);
  test::qapi_event_send_test_event(1, std::nullopt, test::TestInner{.name = "n", .e = {}});
  test::qapi_event_send_test_event(2, "b", std::nullopt);
  test::qapi_event_send_test_named("nm", test::TestEnum::kAlpha);
  test::qapi_event_send_test_boxed(test::TestUnion{
      .kind = test::TestKind::kOne, .extra = 4, .u = {.one = test::TestInner{.name = "i"}}});
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].name, "MIGRATION");
  EXPECT_EQ(to_json(Value(*events[0].data)), R"({"status": "setup"})");
  EXPECT_EQ(events[1].name, "MIGRATION_PASS");
  EXPECT_EQ(to_json(Value(*events[1].data)), R"({"pass": 3})");
  EXPECT_EQ(Keys(Value(*events[2].data)), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(Keys(Value(*events[3].data)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(events[4].name, "TEST_NAMED");
  EXPECT_EQ(Keys(Value(*events[4].data)), (std::vector<std::string>{"name", "e"}));
  EXPECT_EQ(events[5].name, "TEST_BOXED");
  EXPECT_EQ(Keys(Value(*events[5].data)), (std::vector<std::string>{"kind", "extra", "name"}));
}

}  // namespace
}  // namespace migemu::qapi
