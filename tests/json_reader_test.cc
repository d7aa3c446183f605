// Tests of the QMP JSON reader (lexer, streamer, parser). Expected values come
// from transcripts of real qemu-system-x86_64 7.2 (qmp-basic.jsonl,
// qmp-limits.jsonl in the shared reference) and from probing it directly.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "qapi/json_lexer.h"
#include "qapi/json_parser.h"
#include "qapi/json_streamer.h"
#include "qapi/json_writer.h"

namespace migemu {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr size_t kMiB = size_t{1} << 20;

// How the reader's output is shown in tests: "E:<desc>" for an error,
// "V:<compact JSON>" for a value.
std::string show(const Result<Value>& r) {
  return r.ok() ? "V:" + to_json(*r) : "E:" + r.error().desc;
}

// What QEMU's QMP monitor sends for a reader result that never reaches
// command dispatch (the lines of the transcripts, without "\r\n").
std::string wire(const Result<Value>& r) {
  std::string desc;
  if (!r.ok()) {
    desc = r.error().desc;
  } else if (!r->is_dict()) {
    desc = "QMP input must be a JSON object";
  } else {
    return to_json(*r);
  }
  Dict error = make_dict({{"class", Value("GenericError")}, {"desc", Value(desc)}});
  return to_json(Value(make_dict({{"error", Value(error)}})));
}

std::string wire_error(std::string_view desc) {
  return wire(generic_error(std::string(desc)));
}

const std::string kExpectingValue = wire_error("JSON parse error, expecting value");
const std::string kNotObject = wire_error("QMP input must be a JSON object");

// Collects everything a parser emits.
class Reader {
 public:
  Reader() : parser_([this](Result<Value> r) { results_.push_back(std::move(r)); }) {}

  Reader& feed(std::string_view bytes) {
    parser_.feed(bytes);
    return *this;
  }
  Reader& feed_bytewise(std::string_view bytes) {
    for (char c : bytes) parser_.feed(std::string_view(&c, 1));
    return *this;
  }
  Reader& flush() {
    parser_.flush();
    return *this;
  }
  Reader& reset() {
    parser_.reset();
    return *this;
  }
  JsonMessageParser& parser() { return parser_; }

  // Takes (and forgets) what was emitted so far.
  std::vector<std::string> shown() { return take(show); }
  std::vector<std::string> wired() { return take(wire); }
  std::vector<Result<Value>> results() { return std::exchange(results_, {}); }

 private:
  std::vector<std::string> take(std::string (*fmt)(const Result<Value>&)) {
    std::vector<std::string> out;
    for (const auto& r : results_) out.push_back(fmt(r));
    results_.clear();
    return out;
  }

  std::vector<Result<Value>> results_;
  JsonMessageParser parser_;
};

std::vector<std::string> read_all(std::string_view in) {
  return Reader().feed(in).shown();
}
std::vector<std::string> wire_all(std::string_view in) {
  return Reader().feed(in).wired();
}
std::vector<std::string> read_flushed(std::string_view in) {
  return Reader().feed(in).flush().shown();
}

// ------------------------------------------------------- message framing

TEST(JsonReaderFraming, SeveralMessagesInOneWrite) {
  EXPECT_THAT(read_all(R"({"execute":"a"}{"execute":"b"} [1,2]"s"{})"),
              ElementsAre(R"(V:{"execute": "a"})", R"(V:{"execute": "b"})", "V:[1, 2]", R"(V:"s")",
                          "V:{}"));
}

TEST(JsonReaderFraming, TopLevelNumberAndKeywordNeedATerminator) {
  Reader r;
  r.feed("42");
  EXPECT_THAT(r.shown(), IsEmpty());  // "420" could still follow
  r.feed("\n");
  EXPECT_THAT(r.shown(), ElementsAre("V:42"));
  r.feed("true");
  EXPECT_THAT(r.shown(), IsEmpty());
  r.feed("[");
  EXPECT_THAT(r.shown(), ElementsAre("V:true"));
  r.feed("]");
  EXPECT_THAT(r.shown(), ElementsAre("V:[]"));
}

TEST(JsonReaderFraming, ObjectIsDeliveredAtItsClosingBrace) {
  Reader r;
  r.feed(R"({"execute": "query-name", "id": "nonl"})");
  EXPECT_THAT(r.shown(), ElementsAre(R"(V:{"execute": "query-name", "id": "nonl"})"));
}

TEST(JsonReaderFraming, LeadingWhitespaceAndCrlf) {
  // qmp-basic.jsonl "leading whitespace/CRLF".
  EXPECT_THAT(read_all("\r\n  \t{\"execute\": \"query-name\"}\r\n"),
              ElementsAre(R"(V:{"execute": "query-name"})"));
}

TEST(JsonReaderFraming, TranscriptScalarsAndArraysAreNotObjects) {
  // qmp-basic.jsonl "JSON array", "JSON string", "JSON number", ...
  for (const char* in : {"[1, 2]\n", "[{\"execute\": \"query-status\"}]\n", "\"hello\"\n", "42\n",
                         "null\n", "true\n"}) {
    EXPECT_THAT(wire_all(in), ElementsAre(kNotObject)) << in;
  }
}

// The same input split in any way yields the same output.
class JsonReaderSplit : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonReaderSplit, ByteByByteEqualsOneWrite) {
  const std::string& in = GetParam();
  const auto whole = Reader().feed(in).flush().shown();
  EXPECT_EQ(Reader().feed_bytewise(in).flush().shown(), whole);
  std::mt19937 rng(12345);
  for (int round = 0; round < 20; round++) {
    Reader r;
    size_t pos = 0;
    while (pos < in.size()) {
      size_t n = std::uniform_int_distribution<size_t>(1, 7)(rng);
      r.feed(std::string_view(in).substr(pos, n));
      pos += n;
    }
    EXPECT_EQ(r.flush().shown(), whole) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, JsonReaderSplit,
    ::testing::Values(
        R"({"execute": "query-status", "arguments": {"a": [1, -2.5e+3, true, null]}, "id": 7})",
        "{'execute': 'x', 'id': 'it\\'s \"q\"'}\n[\"\\ud83d\\ude00\\u00e9\\n\"]",
        "123 -0 0.5 1e3 1E-2 tru false nul\n", "\"h\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"",
        "01 1. -x \xFF junk {\"a\": 1}\x01[1 2]", "{\"a\":\"b\xFF\" , 3]\n{\"z\":0}",
        "[[[[]]]] ]]} {\"a\":1,\"a\":2} {1:2} {\"a\" 1}", "\"\\q\" \"\\u12\" \"\\uD800x\"",
        "{\"execute\"\n\n{\"execute\":\"y\"}\n\x01{}", "[1, 2", "\"unterminated", "-"));

// ---------------------------------------------------------------- numbers

Value only_value(std::string_view in) {
  auto out = Reader().feed(in).flush().results();
  EXPECT_EQ(out.size(), 1u) << in;
  if (out.size() != 1 || !out[0].ok()) return Value();
  return std::move(*out[0]);
}

TEST(JsonReaderNumbers, Int64Range) {
  Value v = only_value("9223372036854775807");
  EXPECT_EQ(v.num_kind(), Value::NumKind::I64);
  EXPECT_EQ(v.raw_i64(), std::numeric_limits<int64_t>::max());
  v = only_value("-9223372036854775808");
  EXPECT_EQ(v.num_kind(), Value::NumKind::I64);
  EXPECT_EQ(v.raw_i64(), std::numeric_limits<int64_t>::min());
  v = only_value("-5");
  EXPECT_EQ(v.num_kind(), Value::NumKind::I64);
  EXPECT_EQ(v.raw_i64(), -5);
}

TEST(JsonReaderNumbers, Uint64BeyondInt64) {
  Value v = only_value("9223372036854775808");
  EXPECT_EQ(v.num_kind(), Value::NumKind::U64);
  EXPECT_EQ(v.raw_u64(), uint64_t{1} << 63);
  v = only_value("18446744073709551615");
  EXPECT_EQ(v.num_kind(), Value::NumKind::U64);
  EXPECT_EQ(v.raw_u64(), std::numeric_limits<uint64_t>::max());
}

TEST(JsonReaderNumbers, OutOfRangeIntegersBecomeDoubles) {
  Value v = only_value("18446744073709551616");
  EXPECT_EQ(v.num_kind(), Value::NumKind::Double);
  EXPECT_EQ(to_json(v), "1.8446744073709552e+19");  // qmp-basic.jsonl "id big int 2^64"
  v = only_value("-9223372036854775809");
  EXPECT_EQ(v.num_kind(), Value::NumKind::Double);
  EXPECT_EQ(v.get_double(), -9223372036854775808.0);
}

TEST(JsonReaderNumbers, MinusZeroIsAnInteger) {
  Value v = only_value("-0");
  EXPECT_EQ(v.num_kind(), Value::NumKind::I64);
  EXPECT_EQ(to_json(v), "0");
  v = only_value("-0.0");
  EXPECT_EQ(v.num_kind(), Value::NumKind::Double);
  EXPECT_EQ(to_json(v), "-0");
}

TEST(JsonReaderNumbers, FloatsAreDoubles) {
  Value v = only_value("1.5e3");
  EXPECT_EQ(v.num_kind(), Value::NumKind::Double);
  EXPECT_EQ(v.get_double(), 1500.0);
  EXPECT_EQ(to_json(v), "1500");
  EXPECT_EQ(to_json(only_value("1e3")), "1000");  // qmp-basic.jsonl "id exponent"
  EXPECT_EQ(to_json(only_value("1.5")), "1.5");
  EXPECT_EQ(to_json(only_value("3.0")), "3");
  EXPECT_EQ(to_json(only_value("0.1")), "0.10000000000000001");
  EXPECT_EQ(to_json(only_value("2E-1")), "0.20000000000000001");
  EXPECT_EQ(to_json(only_value("1e+2")), "100");
  EXPECT_EQ(to_json(only_value("1e400")), "inf");
  EXPECT_EQ(to_json(only_value("-1e400")), "-inf");
  EXPECT_EQ(only_value("1e400").num_kind(), Value::NumKind::Double);
}

TEST(JsonReaderNumbers, LexicalErrors) {
  EXPECT_THAT(read_all("01 "), ElementsAre("E:JSON parse error, stray '01'"));
  EXPECT_THAT(read_all("-01 "), ElementsAre("E:JSON parse error, stray '-01'"));
  EXPECT_THAT(read_all("1. "), ElementsAre("E:JSON parse error, stray '1. '"));
  EXPECT_THAT(read_all("1.e5 "), ElementsAre("E:JSON parse error, stray '1.e'"));
  EXPECT_THAT(read_all("1e "), ElementsAre("E:JSON parse error, stray '1e '"));
  EXPECT_THAT(read_all("1e+ "), ElementsAre("E:JSON parse error, stray '1e+ '"));
  EXPECT_THAT(read_all("-\n"), ElementsAre("E:JSON parse error, stray '-\n'"));
  EXPECT_THAT(read_all("-a "), ElementsAre("E:JSON parse error, stray '-a'"));
  EXPECT_THAT(read_all("+1 "), ElementsAre("E:JSON parse error, stray '+'"));
  EXPECT_THAT(read_all(".5 "), ElementsAre("E:JSON parse error, stray '.'"));
}

TEST(JsonReaderNumbers, ZeroCannotTakeAnExponent) {
  // "0e5" lexes as 0, the keyword "e", then 5 (probed on QEMU 7.2).
  EXPECT_THAT(
      wire_all("0e5 "),
      ElementsAre(kNotObject, wire_error("JSON parse error, invalid keyword 'e'"), kNotObject));
}

// -------------------------------------------------------------- keywords

TEST(JsonReaderKeywords, Literals) {
  EXPECT_THAT(read_all("true false null "), ElementsAre("V:true", "V:false", "V:null"));
}

TEST(JsonReaderKeywords, InvalidKeywords) {
  // qmp-basic.jsonl "malformed: unquoted word".
  EXPECT_THAT(wire_all("hello\n"),
              ElementsAre(wire_error("JSON parse error, invalid keyword 'hello'")));
  EXPECT_THAT(read_all("tru nulll "), ElementsAre("E:JSON parse error, invalid keyword 'tru'",
                                                  "E:JSON parse error, invalid keyword 'nulll'"));
  // Upper case cannot start a token at all.
  EXPECT_THAT(read_all("True "), ElementsAre("E:JSON parse error, stray 'T'"));
}

TEST(JsonReaderKeywords, LongKeywordMessageIsCutAt1023Bytes) {
  // QEMU formats parser messages into a 1024-byte buffer (probed: 2000 'a').
  auto out = read_all(std::string(2000, 'a') + " ");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "E:JSON parse error, invalid keyword '" + std::string(1006, 'a'));
}

// --------------------------------------------------------------- strings

std::string only_string(std::string_view in) {
  Value v = only_value(in);
  EXPECT_TRUE(v.is_string()) << in;
  return v.is_string() ? v.as_string() : "";
}

TEST(JsonReaderStrings, SingleAndDoubleQuotes) {
  EXPECT_EQ(only_string(R"('a"b')"), "a\"b");
  EXPECT_EQ(only_string(R"("a'b")"), "a'b");
  EXPECT_EQ(only_string(R"('it\'s')"), "it's");
  EXPECT_EQ(only_string(R"("it\'s")"), "it's");  // \' works in both styles
  // qmp-basic.jsonl "single-quoted strings (QEMU extension)".
  EXPECT_THAT(read_all("{'execute': 'query-status'}\n"),
              ElementsAre(R"(V:{"execute": "query-status"})"));
}

TEST(JsonReaderStrings, SimpleEscapes) {
  EXPECT_EQ(only_string(R"("\"\\\/\b\f\n\r\t")"), "\"\\/\b\f\n\r\t");
  // qmp-basic.jsonl "id string with escapes" (round trip through the writer).
  EXPECT_EQ(to_json(only_value(R"("q\"\\/\b\f\n\r\t\u0001")")), R"("q\"\\/\b\f\n\r\t\u0001")");
}

TEST(JsonReaderStrings, InvalidEscape) {
  // qmp-basic.jsonl "malformed: bad escape".
  EXPECT_THAT(wire_all("{\"execute\": \"query-status\", \"id\": \"\\q\"}\n"),
              ElementsAre(wire_error("JSON parse error, invalid escape sequence in string")));
  EXPECT_THAT(read_all(R"("\x")"),
              ElementsAre("E:JSON parse error, invalid escape sequence in string"));
  EXPECT_THAT(read_all("\"\\\xC3\xA9\""),
              ElementsAre("E:JSON parse error, invalid escape sequence in string"));
}

TEST(JsonReaderStrings, UnicodeEscapes) {
  EXPECT_EQ(only_string(R"("\u0041\u00e9\u20AC")"), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(only_string(R"("\ud83d\ude00")"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(only_string(R"("\uDBFF\uDFFD")"), "\xF4\x8F\xBF\xBD");
}

TEST(JsonReaderStrings, NulIsStoredAsC080) {
  EXPECT_EQ(only_string(R"("a\u0000b")"),
            "a\xC0\x80"
            "b");
  EXPECT_EQ(only_string("\"a\xC0\x80z\""), "a\xC0\x80z");
  EXPECT_EQ(to_json(only_value(R"("\u0000")")), R"("\u0000")");
}

TEST(JsonReaderStrings, RawUtf8IsKept) {
  // qmp-basic.jsonl "non-ascii id echoed (utf-8 input)".
  const std::string in =
      "{\"execute\": \"query-name\", \"id\": \"h\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}";
  auto out = Reader().feed(in).results();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(to_json(*out[0]->as_dict().get("id")), R"("h\u00E9\u20AC\uD83D\uDE00")");
  EXPECT_EQ(only_string("\"a\x7f\""), "a\x7f");  // DEL is not a control char here
}

TEST(JsonReaderStrings, InvalidUnicodeCharacters) {
  auto bad = [](const char* what) {
    return "E:JSON parse error, " + std::string(what) + " is not a valid Unicode character";
  };
  // The escape is quoted as written.
  EXPECT_THAT(read_all(R"("\ud800")"), ElementsAre(bad(R"(\ud800)")));
  EXPECT_THAT(read_all(R"("\uDC00")"), ElementsAre(bad(R"(\uDC00)")));
  EXPECT_THAT(read_all(R"("\uD800\u0041")"), ElementsAre(bad(R"(\uD800)")));
  EXPECT_THAT(read_all(R"("\uD800x")"), ElementsAre(bad(R"(\uD800)")));
  EXPECT_THAT(read_all(R"("\uDBFF\uDFFF")"), ElementsAre(bad(R"(\uDBFF\uDFFF)")));
  EXPECT_THAT(read_all(R"("\uFFFE")"), ElementsAre(bad(R"(\uFFFE)")));
  EXPECT_THAT(read_all(R"("\uFDD0")"), ElementsAre(bad(R"(\uFDD0)")));
  EXPECT_THAT(read_all(R"("\u00zz")"), ElementsAre(bad(R"(\u00zz)")));
  // Too few hex digits: QEMU's report runs into the closing quote.
  EXPECT_THAT(read_all(R"("\u12")"), ElementsAre(bad(R"(\u12")")));
  EXPECT_THAT(read_all(R"("\u")"), ElementsAre(bad(R"(\u")")));
}

TEST(JsonReaderStrings, InvalidUtf8) {
  const std::string err = "E:JSON parse error, invalid UTF-8 sequence in string";
  for (const char* in :
       {"\"\xC3\"", "\"\xC3(\"", "\"\x80\"", "\"\xC1\x81\"", "\"\xED\xA0\x80\"", "\"\xEF\xBF\xBE\"",
        "\"\xF4\x90\x80\x80\"", "\"\xF8\x88\x80\x80\x80\"", "\"ok\xE2\x82\""}) {
    EXPECT_THAT(read_all(in), ElementsAre(err)) << in;
  }
}

TEST(JsonReaderStrings, FirstErrorInStringWins) {
  EXPECT_THAT(read_all("\"\\q\xC3\""),
              ElementsAre("E:JSON parse error, invalid escape sequence in string"));
  EXPECT_THAT(read_all("\"\xC3\\q\""),
              ElementsAre("E:JSON parse error, invalid UTF-8 sequence in string"));
}

TEST(JsonReaderStrings, ControlCharactersAreLexicalErrors) {
  // The token text includes the offending byte; the writer escapes it.
  EXPECT_THAT(wire_all("\"a\tb\" "), ElementsAre(wire_error("JSON parse error, stray '\"a\t'")));
  EXPECT_EQ(wire_error("JSON parse error, stray '\"a\t'"),
            R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '\"a\t'"}})");
  EXPECT_THAT(read_all("'a\nb' "), ElementsAre("E:JSON parse error, stray ''a\n'"));
  EXPECT_THAT(read_all("\"a\\\x01\" "), ElementsAre("E:JSON parse error, stray '\"a\\\x01'"));
  // A NUL byte ends the reported text (QEMU prints the token with %s).
  EXPECT_THAT(read_all(std::string("\"abc\0def\"", 9)),
              ElementsAre("E:JSON parse error, stray '\"abc'"));
}

// ---------------------------------------------------------------- parser

TEST(JsonReaderParser, EveryErrorText) {
  const std::string p = "E:JSON parse error, ";
  EXPECT_THAT(read_all("[,1]"), ElementsAre(p + "expecting value"));
  EXPECT_THAT(read_all("[1,]"), ElementsAre(p + "expecting value"));
  EXPECT_THAT(read_all("{\"a\":}"), ElementsAre(p + "expecting value"));
  EXPECT_THAT(read_all("{,}"), ElementsAre(p + "expecting value"));
  EXPECT_THAT(read_all("{\"a\" 1}"), ElementsAre(p + "missing : in object pair"));
  EXPECT_THAT(read_all("{\"a\"}"), ElementsAre(p + "missing : in object pair"));
  EXPECT_THAT(read_all("{1:2}"), ElementsAre(p + "key is not a string in object"));
  EXPECT_THAT(read_all("{[1]:2}"), ElementsAre(p + "key is not a string in object"));
  EXPECT_THAT(read_all("{\"a\":1 \"b\":2}"), ElementsAre(p + "expected separator in dict"));
  EXPECT_THAT(read_all("{\"a\":1 :2}"), ElementsAre(p + "expected separator in dict"));
  EXPECT_THAT(read_all("[1 2]"), ElementsAre(p + "expected separator in list"));
  EXPECT_THAT(read_all("[1:2]"), ElementsAre(p + "expected separator in list"));
  EXPECT_THAT(read_all("{\"a\":1,\"a\":2}"), ElementsAre(p + "duplicate key"));
  EXPECT_THAT(read_flushed("{\"a\":1"), ElementsAre(p + "premature EOI"));
  EXPECT_THAT(read_all("[tru]"), ElementsAre(p + "invalid keyword 'tru'"));
}

TEST(JsonReaderParser, MismatchedBrackets) {
  for (const char* in : {"[}", "{]", "[{]}", "]", "}"}) {
    EXPECT_THAT(wire_all(in), ElementsAre(kExpectingValue)) << in;
  }
}

TEST(JsonReaderParser, ErrorPrecedenceFollowsQemu) {
  // The value is parsed before the duplicate check, the key before the colon.
  EXPECT_THAT(read_all("{\"a\":1,\"a\":tru}"),
              ElementsAre("E:JSON parse error, invalid keyword 'tru'"));
  EXPECT_THAT(read_all("{\"a\":1,\"a\" 2}"),
              ElementsAre("E:JSON parse error, missing : in object pair"));
  EXPECT_THAT(read_all("{\"\\q\" 1}"),
              ElementsAre("E:JSON parse error, invalid escape sequence in string"));
  EXPECT_THAT(read_all("{{\"x\":1}:2}"),
              ElementsAre("E:JSON parse error, key is not a string in object"));
}

TEST(JsonReaderParser, DuplicateKeyTranscript) {
  // qmp-basic.jsonl "duplicate key execute".
  EXPECT_THAT(wire_all("{\"execute\": \"no-such\", \"execute\": \"query-name\"}\n"),
              ElementsAre(wire_error("JSON parse error, duplicate key")));
}

TEST(JsonReaderParser, NestedValuesAndIdsFromTranscript) {
  // qmp-basic.jsonl "id object", "id array", "id float", "id negative number".
  EXPECT_THAT(
      read_all(R"({"a": [1, {"b": null}], "c": "d"} [1, "two", 3.0] 1.5 -5 )"),
      ElementsAre(R"(V:{"a": [1, {"b": null}], "c": "d"})", R"(V:[1, "two", 3])", "V:1.5", "V:-5"));
}

TEST(JsonReaderParser, ManyKeysStayLinear) {
  std::string in = "{";
  for (int i = 0; i < 100000; i++)
    in += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  in += ",\"k77\":0}";
  EXPECT_THAT(read_all(in), ElementsAre("E:JSON parse error, duplicate key"));
}

// ------------------------------------------------------ stray and recovery

TEST(JsonReaderRecovery, TranscriptStrayBytes) {
  // qmp-basic.jsonl "malformed: raw byte 0xff" and "malformed: NUL byte".
  EXPECT_THAT(wire_all("\xFF\n"), ElementsAre(wire_error("JSON parse error, stray '\xFF'")));
  EXPECT_EQ(wire_error("JSON parse error, stray '\xFF'"),
            R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}})");
  EXPECT_THAT(
      wire_all(std::string("\0\n", 2)),
      ElementsAre(R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray ''"}})"));
}

TEST(JsonReaderRecovery, TranscriptInvalidByteInsideString) {
  // qmp-basic.jsonl "malformed: invalid utf-8 inside string id": the pending
  // tokens are dropped, `b"` is skipped, the '}' is parsed on its own.
  EXPECT_THAT(
      wire_all("{\"execute\": \"query-status\", \"id\": \"a\xFF"
               "b\"}\n"),
      ElementsAre(
          R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '\"a\uFFFD'"}})",
          kExpectingValue));
}

TEST(JsonReaderRecovery, EachResyncByteThatIsInvalidIsItsOwnError) {
  // Probed: "\xff\xff" and "\x01\x01" give two errors each.
  EXPECT_THAT(read_all("\xFF\xFF"),
              ElementsAre("E:JSON parse error, stray '\xFF'", "E:JSON parse error, stray '\xFF'"));
  EXPECT_THAT(read_all("\x01\x01"),
              ElementsAre("E:JSON parse error, stray '\x01'", "E:JSON parse error, stray '\x01'"));
  EXPECT_THAT(wire_all("{\"a\":\xFE}"),
              ElementsAre(wire_error("JSON parse error, stray '\xFE'"), kExpectingValue));
}

TEST(JsonReaderRecovery, RecoverySkipsToStructuralOrControlByte) {
  // Letters, quotes, digits and TAB are skipped; '{' resynchronises.
  EXPECT_THAT(read_all("@ abc \"x\" 12\t{\"a\":1}"),
              ElementsAre("E:JSON parse error, stray '@'", R"(V:{"a": 1})"));
  // A newline ends recovery (then "def" is lexed normally)...
  EXPECT_THAT(read_all("@abc\ndef "), ElementsAre("E:JSON parse error, stray '@'",
                                                  "E:JSON parse error, invalid keyword 'def'"));
  // ...a TAB does not.
  EXPECT_THAT(read_all("@abc\tdef "), ElementsAre("E:JSON parse error, stray '@'"));
  // ':' and ',' resynchronise too, and are then parsed as messages.
  EXPECT_THAT(read_all("@x:y,"),
              ElementsAre("E:JSON parse error, stray '@'", "E:JSON parse error, expecting value",
                          "E:JSON parse error, invalid keyword 'y'",
                          "E:JSON parse error, expecting value"));
}

TEST(JsonReaderRecovery, NewlineDoesNotResynchronise) {
  Reader r;
  // The reference's example: the first object is never closed, so the second
  // one is swallowed into it.
  r.feed("{\"execute\":\"x\"\n\n{\"execute\":\"y\"}\n");
  EXPECT_THAT(r.shown(), IsEmpty());
  r.feed("{\"execute\":\"query-name\"}\n\n\n");
  EXPECT_THAT(r.shown(), IsEmpty());
  // A control byte forces a reset (one stray error), then all is well.
  r.feed("\x01");
  EXPECT_THAT(r.wired(), ElementsAre(wire_error("JSON parse error, stray '\x01'")));
  EXPECT_EQ(wire_error("JSON parse error, stray '\x01'"),
            R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '\u0001'"}})");
  r.feed("{\"execute\":\"query-name\"}");
  EXPECT_THAT(r.shown(), ElementsAre(R"(V:{"execute": "query-name"})"));
}

TEST(JsonReaderRecovery, TranscriptIncompleteThenClosingBrace) {
  // qmp-basic.jsonl entries 161-164.
  Reader r;
  r.feed("{\"execute\": ");
  r.feed("\n");
  EXPECT_THAT(r.wired(), IsEmpty());
  r.feed("}\n");
  EXPECT_THAT(r.wired(), ElementsAre(kExpectingValue));
  r.feed("{\"execute\": \"query-status\"}\n");
  EXPECT_THAT(r.shown(), ElementsAre(R"(V:{"execute": "query-status"})"));
  // "malformed: trailing comma", "bare }", "bare ]".
  r.feed("{\"execute\": \"query-status\",}\n}\n]\n");
  EXPECT_THAT(r.wired(), ElementsAre(kExpectingValue, kExpectingValue, kExpectingValue));
}

TEST(JsonReaderRecovery, ControlByteIdleGivesOneErrorAndDropsPending) {
  Reader r;
  r.feed("\x01");
  EXPECT_THAT(r.shown(), ElementsAre("E:JSON parse error, stray '\x01'"));
  r.feed("{\"a\": [1, 2\x01{\"b\": 2}");
  EXPECT_THAT(r.shown(), ElementsAre("E:JSON parse error, stray '\x01'", R"(V:{"b": 2})"));
}

// ------------------------------------------------------------------ limits

std::string nested_id_command(size_t depth) {
  return "{\"execute\": \"query-name\", \"id\": " + std::string(depth, '[') +
         std::string(depth, ']') + "}\n";
}

TEST(JsonReaderLimits, NestingDepth1024IsAccepted) {
  // qmp-limits.jsonl: 1023 arrays inside the command object.
  auto out = Reader().feed(nested_id_command(1023)).results();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(to_json(*out[0]->as_dict().get("id")), std::string(1023, '[') + std::string(1023, ']'));
}

TEST(JsonReaderLimits, NestingDepth1025GivesOneLimitErrorThenOnePerCloser) {
  // qmp-limits.jsonl: recv_count 1026, the first is the limit error.
  Reader r;
  r.feed(nested_id_command(1024));
  auto out = r.wired();
  ASSERT_EQ(out.size(), 1026u);
  EXPECT_EQ(out[0],
            R"({"error": {"class": "GenericError", "desc": "JSON nesting depth limit exceeded"}})");
  for (size_t i = 1; i < out.size(); i++) ASSERT_EQ(out[i], kExpectingValue) << i;
  // "still alive after".
  r.feed(R"({"execute": "query-name", "id": "alive?"})");
  EXPECT_THAT(r.shown(), ElementsAre(R"(V:{"execute": "query-name", "id": "alive?"})"));
}

TEST(JsonReaderLimits, NestingMixesBracesAndBrackets) {
  std::string in;
  for (int i = 0; i < 512; i++) in += "{\"a\":[";
  for (int i = 0; i < 512; i++) in += "]}";
  auto out = read_all(in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].substr(0, 9), "V:{\"a\": [");
  EXPECT_THAT(read_all(in.substr(0, 6 * 512) + "{"),
              ElementsAre("E:JSON nesting depth limit exceeded"));
}

TEST(JsonReaderLimits, HostileOpenBracketFloodIsLinear) {
  // Every 1025th '[' overflows the depth; the rest are held as pending tokens.
  const size_t n = 1025 * 4000;
  Reader r;
  r.feed(std::string(n, '['));
  auto out = r.shown();
  ASSERT_EQ(out.size(), 4000u);
  for (const auto& s : out) ASSERT_EQ(s, "E:JSON nesting depth limit exceeded");
}

std::string zero_list_command(size_t elements) {
  std::string in = "{\"execute\": \"query-name\", \"id\": [";
  for (size_t i = 0; i < elements; i++) in += i ? ",0" : "0";
  return in + "]}\n";
}

TEST(JsonReaderLimits, TokenCountAtLimit) {
  // A command with e list elements has 2e + 9 tokens; at most 2 Mi
  // (2097152) may be queued. e = 1048571 (2097151 tokens) fits (the
  // transcript shows e = 1048570 accepted).
  auto out = Reader().feed(zero_list_command(1048571)).results();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(out[0]->as_dict().get("id")->as_list().size(), 1048571u);
  out.clear();
  // e = 1048572: the final '}' is token 2097153 and is refused.
  EXPECT_THAT(read_all(zero_list_command(1048572)),
              ElementsAre("E:JSON token count limit exceeded"));
  // e = 1048573: the last '0' is refused; ']' and '}' then stand alone.
  EXPECT_THAT(
      read_all(zero_list_command(1048573)),
      ElementsAre("E:JSON token count limit exceeded", "E:JSON parse error, expecting value",
                  "E:JSON parse error, expecting value"));
}

TEST(JsonReaderLimits, TokenCountExceededTranscript) {
  // qmp-limits.jsonl: 1048580 elements = 2097169 tokens give 17 replies:
  // the limit error at a '0', then ",0" x7 (each ',' and each '0' is its own
  // message), then ']' and '}'.
  Reader r;
  r.feed(zero_list_command(1048580));
  std::vector<std::string> expect = {wire_error("JSON token count limit exceeded")};
  for (int i = 0; i < 7; i++) {
    expect.push_back(kExpectingValue);
    expect.push_back(kNotObject);
  }
  expect.push_back(kExpectingValue);
  expect.push_back(kExpectingValue);
  auto out = r.wired();
  EXPECT_EQ(out, expect);
  // recv_lens from the transcript (each line plus "\r\n").
  const std::vector<size_t> lens = {81, 83, 81, 83, 81, 83, 81, 83, 81,
                                    83, 81, 83, 81, 83, 81, 83, 83};
  ASSERT_EQ(out.size(), lens.size());
  for (size_t i = 0; i < out.size(); i++) EXPECT_EQ(out[i].size() + 2, lens[i]) << i;
  r.feed(R"({"execute": "query-name", "id": "alive?"})");
  EXPECT_EQ(r.shown().size(), 1u);
}

TEST(JsonReaderLimits, HugeStringIdEchoedExactly) {
  // qmp-limits.jsonl: a 1 MiB id is accepted and echoed.
  const std::string id(kMiB, 'x');
  auto out = Reader().feed("{\"execute\": \"query-name\", \"id\": \"" + id + "\"}\n").results();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(out[0]->as_dict().get("id")->as_string(), id);
}

TEST(JsonReaderLimits, SingleTokenOver64MiBTranscript) {
  // qmp-limits.jsonl "id string of 67108874 chars (token size)": the string
  // token is cut after 64 MiB, the last 10 'y' become a keyword, and `"}\n`
  // is an unterminated string with a raw newline.
  std::string in = "{\"execute\": \"query-name\", \"id\": \"";
  in.append(67108874, 'y');
  in += "\"}\n";
  Reader r;
  for (size_t pos = 0; pos < in.size(); pos += 65536)
    r.feed(std::string_view(in).substr(pos, 65536));
  in.clear();
  auto out = r.wired();
  EXPECT_THAT(out, ElementsAre(wire_error("JSON token size limit exceeded"),
                               wire_error("JSON parse error, invalid keyword 'yyyyyyyyyy'"),
                               wire_error("JSON parse error, stray '\"}\n'")));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2],
            R"({"error": {"class": "GenericError", "desc": "JSON parse error, stray '\"}\n'"}})");
  // recv_lens 80, 96, 81 (with "\r\n").
  EXPECT_EQ(out[0].size() + 2, 80u);
  EXPECT_EQ(out[1].size() + 2, 96u);
  EXPECT_EQ(out[2].size() + 2, 81u);
  r.feed(R"({"execute": "query-name", "id": "alive?"})");
  EXPECT_EQ(r.shown().size(), 1u);
}

TEST(JsonReaderLimits, SingleTokenBoundary) {
  // A token of 64 MiB - 1 bytes fits; 64 MiB does not (the check counts one
  // byte more than the text).
  std::string s = "\"" + std::string(JsonLexer::kMaxTokenSize - 3, 's') + "\" ";
  auto out = Reader().feed(s).results();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(out[0]->as_string().size(), JsonLexer::kMaxTokenSize - 3);
  out.clear();
  s = "\"" + std::string(JsonLexer::kMaxTokenSize - 2, 's') + "\" ";
  EXPECT_THAT(read_all(s), ElementsAre("E:JSON token size limit exceeded"));
}

TEST(JsonReaderLimits, TotalTokenBytes) {
  // '[' + a string of 64 MiB - 3 bytes: the ']' still fits (1 + S + 1 + 1 =
  // 64 MiB). One byte more and the ']' is refused.
  const std::string fits = "[\"" + std::string(JsonLexer::kMaxTokenSize - 5, 't') + "\"]";
  auto out = Reader().feed(fits).results();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].ok());
  out.clear();
  const std::string over = "[\"" + std::string(JsonLexer::kMaxTokenSize - 4, 't') + "\"]";
  EXPECT_THAT(read_all(over), ElementsAre("E:JSON token size limit exceeded"));
  // Spread over several tokens: the fourth 16 MiB string overflows, the
  // following ']' is a message of its own.
  const std::string part = "\"" + std::string(16 * kMiB - 2, 'u') + "\"";
  EXPECT_THAT(
      read_all("[" + part + "," + part + "," + part + "," + part + "]"),
      ElementsAre("E:JSON token size limit exceeded", "E:JSON parse error, expecting value"));
}

TEST(JsonReaderLimits, LongNumberAndKeywordAreCutToo) {
  std::string in(JsonLexer::kMaxTokenSize + 5, '1');
  in += ' ';
  // The first 64 MiB + 1 digits are cut off; the other 4 form a new number.
  EXPECT_THAT(read_all(in), ElementsAre("E:JSON token size limit exceeded", "V:1111"));
}

// ------------------------------------------------------------ flush/reset

TEST(JsonReaderFlush, EmptyOrIdleEmitsNothing) {
  EXPECT_THAT(read_flushed(""), IsEmpty());
  EXPECT_THAT(read_flushed("  \n"), IsEmpty());
  EXPECT_THAT(read_flushed("{}"), ElementsAre("V:{}"));
}

TEST(JsonReaderFlush, CompletesPendingScalars) {
  EXPECT_THAT(read_flushed("12"), ElementsAre("V:12"));
  EXPECT_THAT(read_flushed("-0"), ElementsAre("V:0"));
  EXPECT_THAT(read_flushed("1.5e3"), ElementsAre("V:1500"));
  EXPECT_THAT(read_flushed("null"), ElementsAre("V:null"));
  EXPECT_THAT(read_flushed("tru"), ElementsAre("E:JSON parse error, invalid keyword 'tru'"));
}

TEST(JsonReaderFlush, UnfinishedTokensAreStray) {
  EXPECT_THAT(read_flushed("\"abc"), ElementsAre("E:JSON parse error, stray '\"abc'"));
  EXPECT_THAT(read_flushed("'ab\\"), ElementsAre("E:JSON parse error, stray ''ab\\'"));
  EXPECT_THAT(read_flushed("-"), ElementsAre("E:JSON parse error, stray '-'"));
  EXPECT_THAT(read_flushed("1."), ElementsAre("E:JSON parse error, stray '1.'"));
  EXPECT_THAT(read_flushed("1e-"), ElementsAre("E:JSON parse error, stray '1e-'"));
  // The stray error replaces the pending message; nothing else follows.
  EXPECT_THAT(read_flushed("{\"a\": \"b"), ElementsAre("E:JSON parse error, stray '\"b'"));
}

TEST(JsonReaderFlush, UnfinishedContainersArePrematureEoi) {
  const std::string eoi = "E:JSON parse error, premature EOI";
  for (const char* in : {"{", "[", "{\"a\"", "{\"a\":", "[1,", "[[1]", "{\"a\":1,"}) {
    EXPECT_THAT(read_flushed(in), ElementsAre(eoi)) << in;
  }
  // An earlier error in the pending tokens wins.
  EXPECT_THAT(read_flushed("[1 2"), ElementsAre("E:JSON parse error, expected separator in list"));
  EXPECT_THAT(read_flushed("[1, 12"), ElementsAre(eoi));  // the 12 is completed first
}

TEST(JsonReaderFlush, InRecoveryEmitsNothingMore) {
  Reader r;
  r.feed("@abc");
  EXPECT_EQ(r.shown().size(), 1u);
  EXPECT_THAT(r.flush().shown(), IsEmpty());
}

TEST(JsonReaderFlush, ParserIsFreshAfterwards) {
  Reader r;
  r.feed("{\"a\": [1").flush();
  EXPECT_EQ(r.shown().size(), 1u);
  r.feed("abc");
  r.flush();  // not skipped as recovery: lexed as a keyword
  EXPECT_THAT(r.shown(), ElementsAre("E:JSON parse error, invalid keyword 'abc'"));
  r.feed("{\"b\": 2}");
  EXPECT_THAT(r.shown(), ElementsAre(R"(V:{"b": 2})"));
}

TEST(JsonReaderReset, DropsPendingMessageSilently) {
  Reader r;
  r.feed("{\"a\": [1, \"unfinished");
  r.reset();
  EXPECT_THAT(r.shown(), IsEmpty());
  r.feed("{\"b\": 1}");
  EXPECT_THAT(r.shown(), ElementsAre(R"(V:{"b": 1})"));
}

TEST(JsonReaderReset, LeavesRecovery) {
  Reader r;
  r.feed("\xFF");
  EXPECT_EQ(r.shown().size(), 1u);
  r.reset();
  r.feed("abc ");
  EXPECT_THAT(r.shown(), ElementsAre("E:JSON parse error, invalid keyword 'abc'"));
}

TEST(JsonReaderReset, FromTheCallbackDropsTheRestOfTheBuffer) {
  std::vector<std::string> seen;
  JsonMessageParser* self = nullptr;
  JsonMessageParser p([&](Result<Value> r) {
    seen.push_back(show(r));
    self->reset();
  });
  self = &p;
  p.feed("{\"a\": 1} {\"b\": 2} [3");
  EXPECT_THAT(seen, ElementsAre(R"(V:{"a": 1})"));
  p.feed("{\"c\": 3}");
  EXPECT_THAT(seen, ElementsAre(R"(V:{"a": 1})", R"(V:{"c": 3})"));
}

// ------------------------------------------------------------- parse_json

TEST(ParseJson, OneValue) {
  auto v = parse_json(" {\"a\": [1, 2.5, \"x\"]} \n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(to_json(*v), R"({"a": [1, 2.5, "x"]})");
  v = parse_json("42");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(to_json(*v), "42");
}

TEST(ParseJson, QobjectFromJsonErrors) {
  auto desc = [](std::string_view in) {
    auto r = parse_json(in);
    return r.ok() ? "ok" : r.error().desc;
  };
  EXPECT_EQ(desc(""), "Expecting a JSON value");
  EXPECT_EQ(desc("  "), "Expecting a JSON value");
  EXPECT_EQ(desc("1 2"), "Expecting at most one JSON value");
  EXPECT_EQ(desc("{} x"), "Expecting at most one JSON value");
  EXPECT_EQ(desc("{"), "JSON parse error, premature EOI");
  EXPECT_EQ(desc("} 1"), "JSON parse error, expecting value");
  EXPECT_EQ(desc("\"abc"), "JSON parse error, stray '\"abc'");
  EXPECT_EQ(desc("{\"a\":1}"), "ok");
}

}  // namespace
}  // namespace migemu
