// Stage 3 of the QMP JSON reader: turns one message's tokens into a Value,
// with QEMU 7.2's grammar, error texts and error precedence.
//
// The grammar is walked with an explicit stack instead of recursion, so deep
// nesting costs heap, not call stack. The first error ends the parse; QEMU's
// recursive parser also stops at its first error, so the reported text is
// the same.

#include "qapi/json_parser.h"

#include <locale.h>
#include <stdlib.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qapi/json_lexer.h"
#include "qapi/json_streamer.h"
#include "qapi/json_writer.h"

namespace migemu {

namespace {

// QEMU formats parser messages into a 1024-byte buffer, so a long one (say,
// an invalid keyword of 2000 letters) is cut to 1023 bytes.
constexpr size_t kMaxMessageBody = 1023;

Error parse_error(std::string_view message) {
  return generic_error("JSON parse error, " + std::string(message.substr(0, kMaxMessageBody)));
}

bool is_valid_codepoint(int cp) {
  if (cp < 0 || cp > 0x10FFFF) return false;
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return false;  // noncharacters
  return !(cp >= 0xD800 && cp <= 0xDFFF);                                       // surrogates
}

// QEMU keeps strings in "modified UTF-8": U+0000 becomes C0 80 so that a
// string never contains a NUL byte.
void append_mod_utf8(std::string& out, int cp) {
  auto byte = [&out](int b) { out += static_cast<char>(b); };
  if (cp > 0 && cp <= 0x7F) {
    byte(cp);
  } else if (cp <= 0x7FF) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp <= 0xFFFF) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at s[pos]; -1 if one is missing or not a hex digit.
int read_hex4(std::string_view s, size_t pos) {
  int cp = 0;
  for (size_t k = 0; k < 4; k++) {
    int h = pos + k < s.size() ? hex_value(s[pos + k]) : -1;
    if (h < 0) return -1;
    cp = (cp << 4) | h;
  }
  return cp;
}

char char_at(std::string_view s, size_t pos) {
  return pos < s.size() ? s[pos] : '\0';
}

// Decodes \uXXXX (and a following low surrogate) starting at the backslash
// s[*pos]; advances *pos past what was used.
std::optional<Error> decode_unicode_escape(std::string_view s, size_t* pos, std::string& out) {
  const size_t begin = *pos;
  size_t i = begin + 2;
  int cp = read_hex4(s, i);
  i += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF && char_at(s, i) == '\\' && char_at(s, i + 1) == 'u') {
    int low = read_hex4(s, i + 2);
    if (low >= 0xDC00 && low <= 0xDFFF) {
      cp = 0x10000 + ((cp & 0x3FF) << 10) + (low & 0x3FF);
      i += 6;
    } else {
      cp = -1;  // a high surrogate must be followed by a low one
    }
  }
  if (!is_valid_codepoint(cp)) {
    // The report quotes the escape as written (up to the token's end).
    std::string_view written = s.substr(begin, std::min(i, s.size()) - begin);
    return parse_error(std::string(written) + " is not a valid Unicode character");
  }
  append_mod_utf8(out, cp);
  *pos = i;
  return std::nullopt;
}

bool is_plain_ascii(char c, char quote) {
  return static_cast<unsigned char>(c) < 0x80 && c != '\\' && c != quote;
}

// `token` is a complete string token including its quotes (double or single).
Result<Value> decode_string(std::string_view token) {
  const char quote = token[0];
  std::string out;
  out.reserve(token.size());
  size_t i = 1;
  while (i < token.size() && token[i] != quote) {
    // Plain ASCII is the common case (and hostile 60 MB ids are all of it):
    // copy it in runs.
    size_t run = i;
    while (run < token.size() && is_plain_ascii(token[run], quote)) run++;
    if (run > i) {
      out.append(token, i, run - i);
      i = run;
      continue;
    }
    if (token[i] != '\\') {
      // Other raw bytes must be valid modified UTF-8; a valid sequence
      // re-encodes to itself, so it is copied as is.
      size_t next;
      if (mod_utf8_codepoint(token, i, &next) < 0) {
        return parse_error("invalid UTF-8 sequence in string");
      }
      out.append(token, i, next - i);
      i = next;
      continue;
    }
    const char esc = char_at(token, i + 1);
    const char* simple = nullptr;
    switch (esc) {
      case '"':
        simple = "\"";
        break;
      case '\'':
        simple = "'";
        break;
      case '\\':
        simple = "\\";
        break;
      case '/':
        simple = "/";
        break;
      case 'b':
        simple = "\b";
        break;
      case 'f':
        simple = "\f";
        break;
      case 'n':
        simple = "\n";
        break;
      case 'r':
        simple = "\r";
        break;
      case 't':
        simple = "\t";
        break;
      case 'u':
        if (auto err = decode_unicode_escape(token, &i, out)) return std::move(*err);
        continue;
      default:
        return parse_error("invalid escape sequence in string");
    }
    out += simple;
    i += 2;
  }
  return Value(std::move(out));
}

// Integers become int64 if they fit, else uint64 if they fit (non-negative
// only), else double; floats are always double (strtod: 1e400 is inf).
Value decode_number(JsonTokenType type, std::string_view text) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (type == JsonTokenType::Integer) {
    int64_t i = 0;
    auto [pi, ei] = std::from_chars(first, last, i);
    if (ei == std::errc() && pi == last) return Value::i64(i);
    uint64_t u = 0;
    if (text[0] != '-') {
      auto [pu, eu] = std::from_chars(first, last, u);
      if (eu == std::errc() && pu == last) return Value::u64(u);
    }
  }
  // strtod() gives QEMU's rounding, overflow (inf) and underflow results; the
  // C locale keeps '.' the decimal point whatever the process locale is.
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  const std::string nul_terminated(text);
  return Value::number(strtod_l(nul_terminated.c_str(), nullptr, c_locale));
}

Result<Value> decode_keyword(std::string_view text) {
  if (text == "true") return Value(true);
  if (text == "false") return Value(false);
  if (text == "null") return Value::null();
  return parse_error("invalid keyword '" + std::string(text) + "'");
}

// The recursive-descent grammar of QEMU's parser, unrolled onto a stack of
// open containers.
class TokenParser {
 public:
  explicit TokenParser(const JsonTokenQueue& tokens) : tokens_(tokens) {}

  Result<Value> run() {
    for (;;) {
      auto started = start_value();
      if (!started.ok()) return started.take_error();
      if (!started->has_value()) continue;  // a container opened; parse its first item
      Value done = std::move(**started);
      // Hand the finished value to the enclosing containers; each one that
      // closes as a result is itself a finished value.
      for (;;) {
        if (open_.empty()) return done;
        auto delivered = deliver(std::move(done));
        if (!delivered.ok()) return delivered.take_error();
        if (!delivered->has_value()) break;  // the container wants another item
        done = std::move(**delivered);
      }
    }
  }

 private:
  struct Container {
    bool is_dict = false;
    bool want_key = true;  // dicts: the next value is a key
    std::string key;
    std::vector<Value> items;
    Dict members;
  };
  using Step = Result<std::optional<Value>>;

  bool at_end() const { return pos_ >= tokens_.size(); }

  // Parses a scalar or an empty container, or opens a container and returns
  // nullopt. A token that cannot start a value is left unconsumed.
  Step start_value() {
    if (at_end()) return parse_error("premature EOI");
    const JsonTokenType type = tokens_.type(pos_);
    const std::string_view text = tokens_.text(pos_);
    switch (type) {
      case JsonTokenType::LCurly:
        return open_container(true);
      case JsonTokenType::LSquare:
        return open_container(false);
      case JsonTokenType::Integer:
      case JsonTokenType::Float:
        pos_++;
        return std::optional<Value>(decode_number(type, text));
      case JsonTokenType::String:
      case JsonTokenType::Keyword: {
        pos_++;
        auto v = type == JsonTokenType::String ? decode_string(text) : decode_keyword(text);
        if (!v.ok()) return v.take_error();
        return std::optional<Value>(std::move(*v));
      }
      default:
        return parse_error("expecting value");
    }
  }

  Step open_container(bool is_dict) {
    pos_++;
    if (at_end()) return parse_error("premature EOI");
    const JsonTokenType close = is_dict ? JsonTokenType::RCurly : JsonTokenType::RSquare;
    if (tokens_.type(pos_) == close) {
      pos_++;
      return std::optional<Value>(is_dict ? Value::dict() : Value::list());
    }
    open_.emplace_back();
    open_.back().is_dict = is_dict;
    return std::optional<Value>();
  }

  // Stores `v` in the innermost open container, then reads the separator or
  // closing token that must follow it.
  Step deliver(Value v) {
    Container& c = open_.back();
    if (!c.is_dict) {
      c.items.push_back(std::move(v));
      return after_item(JsonTokenType::RSquare, "expected separator in list");
    }
    if (c.want_key) {
      if (!v.is_string()) return parse_error("key is not a string in object");
      c.key = std::move(v.as_string());
      c.want_key = false;
      if (at_end()) return parse_error("premature EOI");
      if (tokens_.type(pos_++) != JsonTokenType::Colon) {
        return parse_error("missing : in object pair");
      }
      return std::optional<Value>();
    }
    if (c.members.has(c.key)) return parse_error("duplicate key");
    c.members.put(std::move(c.key), std::move(v));
    c.key.clear();
    c.want_key = true;
    return after_item(JsonTokenType::RCurly, "expected separator in dict");
  }

  Step after_item(JsonTokenType close, const char* bad_separator) {
    if (at_end()) return parse_error("premature EOI");
    const JsonTokenType type = tokens_.type(pos_++);
    if (type == JsonTokenType::Comma) return std::optional<Value>();
    if (type != close) return parse_error(bad_separator);
    Container& c = open_.back();
    Value done = c.is_dict ? Value(std::move(c.members)) : Value(std::move(c.items));
    open_.pop_back();
    return std::optional<Value>(std::move(done));
  }

  const JsonTokenQueue& tokens_;
  size_t pos_ = 0;
  std::vector<Container> open_;
};

}  // namespace

Result<Value> parse_json_tokens(const JsonTokenQueue& tokens) {
  return TokenParser(tokens).run();
}

struct JsonMessageParser::Impl {
  explicit Impl(Emit emit)
      : streamer(std::move(emit)), lexer([this](JsonTokenType type, std::string_view text) {
          streamer.process_token(type, text);
        }) {}

  JsonStreamer streamer;
  JsonLexer lexer;
};

JsonMessageParser::JsonMessageParser(Emit emit) : impl_(std::make_unique<Impl>(std::move(emit))) {}

JsonMessageParser::~JsonMessageParser() = default;

void JsonMessageParser::feed(std::string_view bytes) {
  impl_->lexer.feed(bytes);
}

void JsonMessageParser::flush() {
  impl_->lexer.flush();
}

void JsonMessageParser::reset() {
  impl_->lexer.reset();
  impl_->streamer.reset();
}

// Same outcome as QEMU's qobject_from_json(): the first error wins, a second
// value is an error, and no value at all is an error.
Result<Value> parse_json(std::string_view text) {
  std::optional<Value> result;
  std::optional<Error> error;
  JsonMessageParser parser([&](Result<Value> r) {
    if (result) {
      result.reset();
      error = generic_error("Expecting at most one JSON value");
    }
    if (error) return;
    if (r.ok()) {
      result = std::move(*r);
    } else {
      error = r.take_error();
    }
  });
  // QEMU reads a C string, so input ends at the first NUL byte.
  parser.feed(text.substr(0, text.find('\0')));
  parser.flush();
  if (error) return std::move(*error);
  if (!result) return generic_error("Expecting a JSON value");
  return std::move(*result);
}

}  // namespace migemu
