// Tests of the JSON writer (qapi/json_writer.h) against output of real QEMU
// 7.2 (transcripts in the shared reference, and the reference's tables).

#include "qapi/json_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "qapi/json_parser.h"
#include "qapi/qobject.h"

namespace migemu {
namespace {

using ::testing::ElementsAreArray;

std::string str_json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string num_json(Value v) {
  return to_json(v);
}

// ---------------------------------------------------------------- strings

TEST(JsonWriterString, PlainAsciiAndSlashUnescaped) {
  EXPECT_EQ(str_json("abc / xyz ~"), "\"abc / xyz ~\"");
  EXPECT_EQ(str_json(""), "\"\"");
}

TEST(JsonWriterString, ShortEscapes) {
  EXPECT_EQ(str_json("\"\\\b\f\n\r\t"), R"("\"\\\b\f\n\r\t")");
}

TEST(JsonWriterString, OtherControlCharsUseUpperCaseHex) {
  EXPECT_EQ(str_json("\x01\x1f\x0b"), R"("\u0001\u001F\u000B")");
  EXPECT_EQ(str_json("\x7f"), R"("\u007F")");
}

TEST(JsonWriterString, TranscriptEscapesEcho) {
  // qmp-basic.jsonl "id string with escapes": the parsed id is written back.
  EXPECT_EQ(str_json("q\"\\/\b\f\n\r\t\x01"), R"("q\"\\/\b\f\n\r\t\u0001")");
}

TEST(JsonWriterString, NonAsciiBecomesUpperCaseUnicodeEscapes) {
  // qmp-basic.jsonl "non-ascii id echoed (utf-8 input)".
  EXPECT_EQ(str_json("h\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), R"("h\u00E9\u20AC\uD83D\uDE00")");
  EXPECT_EQ(str_json("\xF4\x8F\xBF\xBD"), R"("\uDBFF\uDFFD")");  // U+10FFFD
}

TEST(JsonWriterString, ModifiedUtf8NulIsWrittenAsU0000) {
  EXPECT_EQ(str_json("a\xC0\x80z"), R"("a\u0000z")");
}

TEST(JsonWriterString, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(str_json("\xFF"), R"("\uFFFD")");
  EXPECT_EQ(str_json("\xFE"), R"("\uFFFD")");
  EXPECT_EQ(str_json("a\xC3"), R"("a\uFFFD")");            // truncated sequence
  EXPECT_EQ(str_json("\xC3(x"), R"("\uFFFD(x")");          // missing continuation
  EXPECT_EQ(str_json("\x80\x80"), R"("\uFFFD\uFFFD")");    // stray continuations
  EXPECT_EQ(str_json("\xC1\x81"), R"("\uFFFD")");          // overlong 'A'
  EXPECT_EQ(str_json("\xED\xA0\x80"), R"("\uFFFD")");      // encoded surrogate
  EXPECT_EQ(str_json("\xEF\xBF\xBE"), R"("\uFFFD")");      // noncharacter U+FFFE
  EXPECT_EQ(str_json("\xF4\x90\x80\x80"), R"("\uFFFD")");  // beyond U+10FFFF
  // The transcript's stray error for `"a<FF>` (qmp-basic.jsonl).
  EXPECT_EQ(str_json("JSON parse error, stray '\"a\xFF'"),
            R"("JSON parse error, stray '\"a\uFFFD'")");
}

TEST(JsonWriterString, NulByteEndsTheString) {
  // QEMU strings are C strings; nothing after a NUL byte can be written.
  EXPECT_EQ(str_json(std::string("ab\0cd", 5)), R"("ab")");
}

// ---------------------------------------------------------------- numbers

TEST(JsonWriterNumber, Integers) {
  EXPECT_EQ(num_json(Value::i64(0)), "0");
  EXPECT_EQ(num_json(Value::i64(-5)), "-5");
  EXPECT_EQ(num_json(Value::i64(std::numeric_limits<int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(num_json(Value::i64(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(num_json(Value::u64(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(num_json(Value::u64(0)), "0");
}

TEST(JsonWriterNumber, DoublesUsePercent17g) {
  EXPECT_EQ(num_json(Value::number(0.1)), "0.10000000000000001");
  EXPECT_EQ(num_json(Value::number(1.0)), "1");
  EXPECT_EQ(num_json(Value::number(1.5)), "1.5");
  EXPECT_EQ(num_json(Value::number(1500.0)), "1500");
  EXPECT_EQ(num_json(Value::number(-0.0)), "-0");
  EXPECT_EQ(num_json(Value::number(1e21)), "1e+21");
  EXPECT_EQ(num_json(Value::number(18446744073709551616.0)), "1.8446744073709552e+19");
  EXPECT_EQ(num_json(Value::number(5e-324)), "4.9406564584124654e-324");
  EXPECT_EQ(num_json(Value::number(std::numeric_limits<double>::infinity())), "inf");
  EXPECT_EQ(num_json(Value::number(-std::numeric_limits<double>::infinity())), "-inf");
  EXPECT_EQ(num_json(Value::number(std::numeric_limits<double>::quiet_NaN())), "nan");
}

TEST(JsonWriterScalar, Keywords) {
  EXPECT_EQ(to_json(Value::null()), "null");
  EXPECT_EQ(to_json(Value(true)), "true");
  EXPECT_EQ(to_json(Value(false)), "false");
}

// ------------------------------------------------------- compact and pretty

TEST(JsonWriterCompact, ContainersAndSeparators) {
  EXPECT_EQ(to_json(Value::list()), "[]");
  EXPECT_EQ(to_json(Value::dict()), "{}");
  std::vector<Value> l;
  l.push_back(Value::i64(1));
  l.push_back(Value("two"));
  l.push_back(Value::number(3.0));
  l.push_back(Value::list());
  EXPECT_EQ(to_json(Value(l)), R"([1, "two", 3, []])");
  EXPECT_EQ(to_json(Value(make_dict({{"return", Value::dict()}, {"id", Value("a")}}))),
            R"({"return": {}, "id": "a"})");
}

// Golden output of qemu-system-x86_64 7.2 with -mon ...,mode=control,pretty=on
// (the monitor turns each \n into \r\n; the writer emits \n).
TEST(JsonWriterPretty, EmptyContainersGetNewlineBeforeClose) {
  EXPECT_EQ(to_json(Value::dict(), true), "{\n}");
  EXPECT_EQ(to_json(Value::list(), true), "[\n]");
  EXPECT_EQ(to_json(Value(make_dict({{"return", Value::dict()}})), true),
            "{\n    \"return\": {\n    }\n}");
  EXPECT_EQ(to_json(Value(make_dict({{"return", Value::list()}})), true),
            "{\n    \"return\": [\n    ]\n}");
}

TEST(JsonWriterPretty, NestedQueryStatusReplyWithId) {
  auto id = parse_json(R"([1, [], {}, {"a": [2]}])");
  ASSERT_TRUE(id.ok());
  Dict status = make_dict(
      {{"running", Value(true)}, {"singlestep", Value(false)}, {"status", Value("running")}});
  Dict reply = make_dict({{"return", Value(status)}, {"id", *id}});
  EXPECT_EQ(to_json(Value(reply), true),
            "{\n"
            "    \"return\": {\n"
            "        \"status\": \"running\",\n"
            "        \"singlestep\": false,\n"
            "        \"running\": true\n"
            "    },\n"
            "    \"id\": [\n"
            "        1,\n"
            "        [\n"
            "        ],\n"
            "        {\n"
            "        },\n"
            "        {\n"
            "            \"a\": [\n"
            "                2\n"
            "            ]\n"
            "        }\n"
            "    ]\n"
            "}");
}

TEST(JsonWriterPretty, GreetingAndNumbers) {
  // Built in QAPI insertion order (major, minor, micro): "micro" and "minor"
  // share a hash bucket, so insertion order decides between them.
  Dict triple =
      make_dict({{"major", Value::i64(7)}, {"minor", Value::i64(2)}, {"micro", Value::i64(22)}});
  Dict version =
      make_dict({{"qemu", Value(triple)}, {"package", Value("Debian 1:7.2+dfsg-7+deb12u18+b3")}});
  Dict qmp = make_dict(
      {{"version", Value(version)}, {"capabilities", Value(std::vector<Value>{Value("oob")})}});
  Value greeting(make_dict({{"QMP", Value(qmp)}}));
  EXPECT_EQ(to_json(greeting),
            R"({"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, )"
            R"("package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}})");
  EXPECT_EQ(to_json(greeting, true),
            "{\n"
            "    \"QMP\": {\n"
            "        \"version\": {\n"
            "            \"qemu\": {\n"
            "                \"micro\": 22,\n"
            "                \"minor\": 2,\n"
            "                \"major\": 7\n"
            "            },\n"
            "            \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"\n"
            "        },\n"
            "        \"capabilities\": [\n"
            "            \"oob\"\n"
            "        ]\n"
            "    }\n"
            "}");
  auto nums = parse_json(
      "[0.1, 1.0, -0.0, 1e400, -1e400, 18446744073709551615, -9223372036854775808, 1e21, 5e-324]");
  ASSERT_TRUE(nums.ok());
  EXPECT_EQ(to_json(*nums, true),
            "[\n    0.10000000000000001,\n    1,\n    -0,\n    inf,\n    -inf,\n"
            "    18446744073709551615,\n    -9223372036854775808,\n    1e+21,\n"
            "    4.9406564584124654e-324\n]");
}

TEST(JsonWriterPretty, StringEscapesSameAsCompact) {
  Value v(make_dict({{"id", Value("h\xC3\xA9 \xC0\x80 \t/")}}));
  EXPECT_EQ(to_json(v, true), "{\n    \"id\": \"h\\u00E9 \\u0000 \\t/\"\n}");
}

// ------------------------------------------------------------- key order

// Builds a dict by inserting `keys` in the given (QAPI schema) order and
// returns the keys in the order the writer puts them on the wire.
std::vector<std::string> wire_order(const std::vector<std::string>& insertion) {
  Dict d;
  for (const auto& k : insertion) d.put(k, Value::null());
  std::vector<std::string> keys;
  for (size_t i : qdict_iteration_order(d)) keys.push_back(d.entries()[i].first);
  // The serialised form must agree with qdict_iteration_order.
  std::string expect = "{";
  for (size_t i = 0; i < keys.size(); i++) expect += (i ? ", \"" : "\"") + keys[i] + "\": null";
  EXPECT_EQ(to_json(Value(d)), expect + "}");
  return keys;
}

struct KeyOrderCase {
  const char* name;
  std::vector<std::string> schema_order;
  std::vector<std::string> wire_order;  // reference section 1.9.4
};

class JsonWriterKeyOrder : public ::testing::TestWithParam<KeyOrderCase> {};

TEST_P(JsonWriterKeyOrder, MatchesQemuHashOrder) {
  const KeyOrderCase& c = GetParam();
  EXPECT_THAT(wire_order(c.schema_order), ElementsAreArray(c.wire_order)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    ReferenceTable, JsonWriterKeyOrder,
    ::testing::Values(
        KeyOrderCase{"reply", {"return", "id"}, {"return", "id"}},
        KeyOrderCase{"error reply", {"error", "id"}, {"id", "error"}},
        KeyOrderCase{"error", {"class", "desc"}, {"class", "desc"}},
        KeyOrderCase{"event", {"event", "timestamp", "data"}, {"timestamp", "event", "data"}},
        KeyOrderCase{"timestamp", {"seconds", "microseconds"}, {"seconds", "microseconds"}},
        KeyOrderCase{"greeting", {"QMP"}, {"QMP"}},
        KeyOrderCase{"greeting QMP", {"version", "capabilities"}, {"version", "capabilities"}},
        KeyOrderCase{"VersionInfo", {"qemu", "package"}, {"qemu", "package"}},
        KeyOrderCase{"VersionTriple", {"major", "minor", "micro"}, {"micro", "minor", "major"}},
        KeyOrderCase{
            "StatusInfo", {"running", "singlestep", "status"}, {"status", "singlestep", "running"}},
        KeyOrderCase{
            "MigrationInfo",
            {"status", "ram", "disk", "vfio", "xbzrle-cache", "total-time", "expected-downtime",
             "downtime", "setup-time", "cpu-throttle-percentage", "error-desc", "blocked-reasons",
             "postcopy-blocktime", "postcopy-vcpu-blocktime", "compression", "socket-address"},
            {"expected-downtime", "postcopy-blocktime", "cpu-throttle-percentage", "vfio",
             "compression", "xbzrle-cache", "status", "disk", "setup-time", "error-desc",
             "downtime", "total-time", "postcopy-vcpu-blocktime", "ram", "socket-address",
             "blocked-reasons"}},
        KeyOrderCase{
            "MigrationStats",
            {"transferred", "remaining", "total", "duplicate", "skipped", "normal", "normal-bytes",
             "dirty-pages-rate", "mbps", "dirty-sync-count", "postcopy-requests", "page-size",
             "multifd-bytes", "pages-per-second", "precopy-bytes", "downtime-bytes",
             "postcopy-bytes", "dirty-sync-missed-zero-copy"},
            {"total", "postcopy-requests", "dirty-sync-count", "multifd-bytes", "pages-per-second",
             "downtime-bytes", "page-size", "remaining", "postcopy-bytes", "mbps", "transferred",
             "dirty-sync-missed-zero-copy", "precopy-bytes", "duplicate", "dirty-pages-rate",
             "skipped", "normal-bytes", "normal"}},
        KeyOrderCase{"XBZRLECacheStats",
                     {"cache-size", "bytes", "pages", "cache-miss", "cache-miss-rate",
                      "encoding-rate", "overflow"},
                     {"encoding-rate", "bytes", "cache-size", "cache-miss-rate", "pages",
                      "overflow", "cache-miss"}},
        KeyOrderCase{"CompressionStats",
                     {"pages", "busy", "busy-rate", "compressed-size", "compression-rate"},
                     {"compression-rate", "busy", "compressed-size", "pages", "busy-rate"}},
        KeyOrderCase{"MigrationCapabilityStatus", {"capability", "state"}, {"state", "capability"}},
        KeyOrderCase{"MigrationParameters",
                     {"announce-initial",
                      "announce-max",
                      "announce-rounds",
                      "announce-step",
                      "compress-level",
                      "compress-threads",
                      "compress-wait-thread",
                      "decompress-threads",
                      "throttle-trigger-threshold",
                      "cpu-throttle-initial",
                      "cpu-throttle-increment",
                      "cpu-throttle-tailslow",
                      "tls-creds",
                      "tls-hostname",
                      "tls-authz",
                      "max-bandwidth",
                      "downtime-limit",
                      "x-checkpoint-delay",
                      "block-incremental",
                      "multifd-channels",
                      "xbzrle-cache-size",
                      "max-postcopy-bandwidth",
                      "max-cpu-throttle",
                      "multifd-compression",
                      "multifd-zlib-level",
                      "multifd-zstd-level",
                      "block-bitmap-mapping"},
                     {"cpu-throttle-tailslow",
                      "xbzrle-cache-size",
                      "cpu-throttle-initial",
                      "announce-max",
                      "decompress-threads",
                      "block-bitmap-mapping",
                      "compress-threads",
                      "compress-level",
                      "multifd-channels",
                      "multifd-zstd-level",
                      "announce-initial",
                      "block-incremental",
                      "compress-wait-thread",
                      "downtime-limit",
                      "tls-authz",
                      "multifd-compression",
                      "announce-rounds",
                      "announce-step",
                      "tls-creds",
                      "multifd-zlib-level",
                      "max-cpu-throttle",
                      "max-postcopy-bandwidth",
                      "tls-hostname",
                      "throttle-trigger-threshold",
                      "max-bandwidth",
                      "x-checkpoint-delay",
                      "cpu-throttle-increment"}},
        KeyOrderCase{
            "SocketAddress inet",
            {"type", "host", "port", "numeric", "to", "ipv4", "ipv6", "keep-alive", "mptcp"},
            {"numeric", "port", "mptcp", "ipv6", "ipv4", "host", "keep-alive", "to", "type"}},
        KeyOrderCase{"SocketAddress unix",
                     {"type", "path", "abstract", "tight"},
                     {"abstract", "path", "type", "tight"}}));

TEST(JsonWriterKeyOrderWire, QueryStatusReply) {
  Dict status = make_dict(
      {{"running", Value(true)}, {"singlestep", Value(false)}, {"status", Value("running")}});
  EXPECT_EQ(to_json(Value(make_dict({{"return", Value(status)}}))),
            R"({"return": {"status": "running", "singlestep": false, "running": true}})");
}

TEST(JsonWriterKeyOrderWire, ErrorReplyWithId) {
  Dict error = make_dict({{"class", Value("CommandNotFound")},
                          {"desc", Value("The command nope has not been found")}});
  Dict reply = make_dict({{"error", Value(error)}, {"id", Value::i64(5)}});
  EXPECT_EQ(to_json(Value(reply)), R"({"id": 5, "error": {"class": "CommandNotFound", )"
                                   R"("desc": "The command nope has not been found"}})");
}

TEST(JsonWriterKeyOrderWire, QueryMigrateParametersTranscriptLine) {
  // qmp-basic.jsonl "query-migrate-parameters after valid sets", rebuilt by
  // inserting the members in schema order.
  const std::string line =
      R"({"cpu-throttle-tailslow": false, "xbzrle-cache-size": 67108864, )"
      R"("cpu-throttle-initial": 20, "announce-max": 550, "decompress-threads": 2, )"
      R"("compress-threads": 8, "compress-level": 1, "multifd-channels": 4, )"
      R"("multifd-zstd-level": 1, "announce-initial": 50, "block-incremental": false, )"
      R"("compress-wait-thread": true, "downtime-limit": 500, "tls-authz": "", )"
      R"("multifd-compression": "none", "announce-rounds": 5, "announce-step": 100, )"
      R"("tls-creds": "", "multifd-zlib-level": 1, "max-cpu-throttle": 99, )"
      R"("max-postcopy-bandwidth": 0, "tls-hostname": "", "throttle-trigger-threshold": 50, )"
      R"("max-bandwidth": 1073741824, "x-checkpoint-delay": 20000, "cpu-throttle-increment": 10})";
  auto parsed = parse_json(line);
  ASSERT_TRUE(parsed.ok());
  const std::vector<std::string> schema = {"announce-initial",
                                           "announce-max",
                                           "announce-rounds",
                                           "announce-step",
                                           "compress-level",
                                           "compress-threads",
                                           "compress-wait-thread",
                                           "decompress-threads",
                                           "throttle-trigger-threshold",
                                           "cpu-throttle-initial",
                                           "cpu-throttle-increment",
                                           "cpu-throttle-tailslow",
                                           "tls-creds",
                                           "tls-hostname",
                                           "tls-authz",
                                           "max-bandwidth",
                                           "downtime-limit",
                                           "x-checkpoint-delay",
                                           "block-incremental",
                                           "multifd-channels",
                                           "xbzrle-cache-size",
                                           "max-postcopy-bandwidth",
                                           "max-cpu-throttle",
                                           "multifd-compression",
                                           "multifd-zlib-level",
                                           "multifd-zstd-level"};
  Dict rebuilt;
  for (const auto& k : schema) {
    const Value* v = parsed->as_dict().get(k);
    ASSERT_NE(v, nullptr) << k;
    rebuilt.put(k, *v);
  }
  EXPECT_EQ(to_json(Value(rebuilt)), line);
}

TEST(JsonWriterKeyOrderWire, ReplacingAValueKeepsItsPlace) {
  // qdict_put_obj on an existing key replaces the value in place.
  Dict d = make_dict({{"status", Value("a")}, {"running", Value(true)}});
  d.put("status", Value("b"));
  EXPECT_EQ(to_json(Value(d)), R"({"status": "b", "running": true})");
}

}  // namespace
}  // namespace migemu
