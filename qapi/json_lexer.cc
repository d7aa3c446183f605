#include "qapi/json_lexer.h"

#include <algorithm>
#include <array>
#include <utility>

namespace migemu {

namespace {

using State = JsonLexer::State;

// What a byte does in a given state.
enum class Action : uint8_t {
  Shift,         // part of the token; continue in `next`
  Skip,          // not part of any token (whitespace, or skipped in recovery)
  Accept,        // last byte of the token: emit it
  AcceptBefore,  // the token ended before this byte: emit it, re-lex the byte
  Resync,        // recovery is over: re-lex the byte from the start state
  Fail,          // lexical error; the byte still counts as part of the bad token
};

struct Step {
  Action action = Action::Fail;
  State next = State::Start;
  JsonTokenType type = JsonTokenType::Error;
};

constexpr Step shift(State s) {
  return {Action::Shift, s, JsonTokenType::Error};
}
constexpr Step accept(JsonTokenType t) {
  return {Action::Accept, State::Start, t};
}
constexpr Step accept_before(JsonTokenType t) {
  return {Action::AcceptBefore, State::Start, t};
}
constexpr Step skip() {
  return {Action::Skip, State::Start, JsonTokenType::Error};
}
constexpr Step resync() {
  return {Action::Resync, State::Start, JsonTokenType::Error};
}
constexpr Step fail() {
  return {};
}

constexpr bool is_digit(unsigned c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_lower(unsigned c) {
  return c >= 'a' && c <= 'z';
}
// Bytes allowed inside a string (or after a backslash): QEMU refuses control
// characters and the two bytes that can never occur in UTF-8.
constexpr bool is_string_byte(unsigned c) {
  return c >= 0x20 && c <= 0xFD;
}
constexpr bool is_structural(unsigned c) {
  return c == '[' || c == ']' || c == '{' || c == '}' || c == ':' || c == ',';
}

constexpr Step start_step(unsigned c) {
  switch (c) {
    case '"':
      return shift(State::DqString);
    case '\'':
      return shift(State::SqString);
    case '0':
      return shift(State::Zero);
    case '-':
      return shift(State::Sign);
    case '{':
      return accept(JsonTokenType::LCurly);
    case '}':
      return accept(JsonTokenType::RCurly);
    case '[':
      return accept(JsonTokenType::LSquare);
    case ']':
      return accept(JsonTokenType::RSquare);
    case ',':
      return accept(JsonTokenType::Comma);
    case ':':
      return accept(JsonTokenType::Colon);
    case ' ':
    case '\t':
    case '\r':
    case '\n':
      return skip();
    default:
      break;
  }
  if (is_digit(c)) return shift(State::IntDigits);
  if (is_lower(c)) return shift(State::Keyword);
  return fail();
}

constexpr Step recovery_step(unsigned c) {
  // Structural characters and line ends are likely message boundaries; the
  // other control bytes and 0xFE/0xFF are what clients send to force a reset.
  if (is_structural(c) || (c < 0x20 && c != '\t') || c >= 0xFE) return resync();
  return skip();
}

constexpr Step string_step(unsigned c, unsigned quote, State self, State escape) {
  if (c == quote) return accept(JsonTokenType::String);
  if (c == '\\') return shift(escape);
  if (is_string_byte(c)) return shift(self);
  return fail();
}

// Numbers follow RFC 8259 exactly: no leading zeros, digits required after
// '.' and after the exponent mark. A number ends at the first byte that
// cannot extend it; that byte is then lexed on its own.
constexpr Step number_step(State s, unsigned c) {
  switch (s) {
    case State::Zero:
      if (is_digit(c)) return fail();
      if (c == '.') return shift(State::FracStart);
      return accept_before(JsonTokenType::Integer);
    case State::Sign:
      if (c == '0') return shift(State::Zero);
      if (is_digit(c)) return shift(State::IntDigits);
      return fail();
    case State::IntDigits:
      if (is_digit(c)) return shift(State::IntDigits);
      if (c == '.') return shift(State::FracStart);
      if (c == 'e' || c == 'E') return shift(State::ExpMark);
      return accept_before(JsonTokenType::Integer);
    case State::FracStart:
      return is_digit(c) ? shift(State::FracDigits) : fail();
    case State::FracDigits:
      if (is_digit(c)) return shift(State::FracDigits);
      if (c == 'e' || c == 'E') return shift(State::ExpMark);
      return accept_before(JsonTokenType::Float);
    case State::ExpMark:
      if (c == '+' || c == '-') return shift(State::ExpSign);
      return is_digit(c) ? shift(State::ExpDigits) : fail();
    case State::ExpSign:
      return is_digit(c) ? shift(State::ExpDigits) : fail();
    case State::ExpDigits:
      return is_digit(c) ? shift(State::ExpDigits) : accept_before(JsonTokenType::Float);
    default:
      return fail();
  }
}

constexpr Step compute_step(State s, unsigned c) {
  switch (s) {
    case State::Start:
      return start_step(c);
    case State::Recovery:
      return recovery_step(c);
    case State::DqString:
      return string_step(c, '"', State::DqString, State::DqEscape);
    case State::SqString:
      return string_step(c, '\'', State::SqString, State::SqEscape);
    // Any printable byte may follow a backslash; the parser judges escapes.
    case State::DqEscape:
      return is_string_byte(c) ? shift(State::DqString) : fail();
    case State::SqEscape:
      return is_string_byte(c) ? shift(State::SqString) : fail();
    case State::Keyword:
      return is_lower(c) ? shift(State::Keyword) : accept_before(JsonTokenType::Keyword);
    default:
      return number_step(s, c);
  }
}

constexpr size_t kStateCount = static_cast<size_t>(State::Count_);
using Row = std::array<Step, 256>;
using Table = std::array<Row, kStateCount>;

// Precomputed so that the per-byte work is one lookup.
constexpr Table make_table() {
  Table t{};
  for (size_t s = 0; s < kStateCount; s++)
    for (unsigned c = 0; c < 256; c++) t[s][c] = compute_step(static_cast<State>(s), c);
  return t;
}

constexpr Table kTable = make_table();

const Step& lookup(State s, unsigned char c) {
  return kTable[static_cast<size_t>(s)][c];
}

// A token buffer that once held a huge token is given back rather than kept
// for the rest of the connection.
constexpr size_t kKeepCapacity = size_t{1} << 20;

}  // namespace

JsonLexer::JsonLexer(Sink sink) : sink_(std::move(sink)) {}

void JsonLexer::feed(std::string_view bytes) {
  const uint64_t epoch = epoch_;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t run = feed_run(bytes.substr(i));
    if (run > 0) {
      i += run;
      check_token_size();
    } else {
      feed_byte(static_cast<unsigned char>(bytes[i]));
      i++;
    }
    if (epoch_ != epoch) return;  // the sink reset us: the rest is stale
  }
}

size_t JsonLexer::feed_run(std::string_view rest) {
  const Row& row = kTable[static_cast<size_t>(state_)];
  const Step& first = row[static_cast<unsigned char>(rest[0])];
  const bool skipping = first.action == Action::Skip;
  if (!skipping && !(first.action == Action::Shift && first.next == state_)) return 0;

  size_t limit = rest.size();
  // Stop where QEMU's per-byte size check would fire.
  if (!skipping) limit = std::min(limit, kMaxTokenSize + 1 - token_.size());
  size_t n = 0;
  while (n < limit) {
    const Step& st = row[static_cast<unsigned char>(rest[n])];
    if (st.action != first.action || st.next != first.next) break;
    n++;
  }
  if (!skipping) token_.append(rest.data(), n);
  return n;
}

void JsonLexer::feed_byte(unsigned char c) {
  const uint64_t epoch = epoch_;
  for (;;) {
    const Step& st = lookup(state_, c);
    switch (st.action) {
      case Action::Skip:
        break;
      case Action::Shift:
        token_ += static_cast<char>(c);
        state_ = st.next;
        break;
      case Action::Accept:
        token_ += static_cast<char>(c);
        emit(st.type);
        if (epoch_ == epoch) state_ = State::Start;
        break;
      case Action::AcceptBefore:
        emit(st.type);
        if (epoch_ != epoch) return;
        state_ = State::Start;
        continue;  // the byte still has to be lexed
      case Action::Resync:
        state_ = State::Start;
        continue;
      case Action::Fail:
        token_ += static_cast<char>(c);
        emit(JsonTokenType::Error);
        if (epoch_ == epoch) state_ = State::Recovery;
        break;
    }
    break;
  }
  if (epoch_ == epoch) check_token_size();
}

void JsonLexer::flush() {
  const uint64_t epoch = epoch_;
  // End of input acts like a NUL byte that is looked at but never kept: it
  // completes numbers and keywords, and is an error inside anything else.
  while (state_ != State::Start) {
    const Step& st = lookup(state_, 0);
    switch (st.action) {
      case Action::AcceptBefore:
      case Action::Accept:
        emit(st.type);
        if (epoch_ != epoch) return;
        state_ = State::Start;
        break;
      case Action::Fail:
        emit(JsonTokenType::Error);
        if (epoch_ != epoch) return;
        state_ = State::Recovery;
        break;
      case Action::Shift:
        state_ = st.next;
        break;
      case Action::Skip:
      case Action::Resync:
        clear_token();
        state_ = State::Start;
        break;
    }
  }
  sink_(JsonTokenType::EndOfInput, std::string_view());
}

void JsonLexer::reset() {
  clear_token();
  state_ = State::Start;
  epoch_++;
}

void JsonLexer::emit(JsonTokenType type) {
  const uint64_t epoch = epoch_;
  sink_(type, token_);
  if (epoch_ == epoch) clear_token();
}

void JsonLexer::clear_token() {
  if (token_.capacity() > kKeepCapacity) {
    std::string().swap(token_);
  } else {
    token_.clear();
  }
}

void JsonLexer::check_token_size() {
  // A single token may not grow without bound (QEMU: security limit). The
  // fragment goes to the streamer, which rejects it, and lexing restarts
  // with the next byte as if a new token began there.
  if (token_.size() <= kMaxTokenSize) return;
  const uint64_t epoch = epoch_;
  emit(JsonTokenType::Oversized);
  if (epoch_ == epoch) state_ = State::Start;
}

}  // namespace migemu
