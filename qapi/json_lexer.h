// Stage 1 of the QMP JSON reader: a byte-at-a-time tokenizer with the token
// rules, error recovery and single-token size cap of QEMU 7.2's JSON lexer.
//
// The lexer never parses: it hands each token's raw text to a sink. Lexical
// errors are tokens too (type Error, text = the bytes gathered for the bad
// token, including the offending byte). After an error the lexer skips input
// until a resynchronisation byte (structural character, control character
// other than TAB, or 0xFE/0xFF) and lexes that byte afresh.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace migemu {

enum class JsonTokenType : uint8_t {
  Error,  // lexical error; the text is what QEMU reports as "stray"
  LCurly,
  RCurly,
  LSquare,
  RSquare,
  Colon,
  Comma,
  Integer,
  Float,
  Keyword,  // any run of [a-z]; the parser rejects all but true/false/null
  String,   // text still has its quotes and escapes
  // A token cut off because it grew past kMaxTokenSize. QEMU hands such a
  // fragment on with an internal state number as its type; all that matters
  // is that the streamer treats it as a plain token (which then always fails
  // the total-size check).
  Oversized,
  EndOfInput,  // only from flush()
};

class JsonLexer {
 public:
  // A token longer than this is force-emitted as Oversized (64 MiB).
  static constexpr size_t kMaxTokenSize = size_t{64} << 20;

  // The text view is only valid during the call.
  using Sink = std::function<void(JsonTokenType, std::string_view)>;

  explicit JsonLexer(Sink sink);

  void feed(std::string_view bytes);
  // Terminates a pending token as if end of input were a byte that no token
  // can continue with, then emits EndOfInput. Leaves the lexer in its start
  // state.
  void flush();
  // Forgets the pending token and any recovery state. If called from inside
  // the sink, the rest of the buffer being fed is dropped too.
  void reset();

  // Lexer states (exposed for the transition table in the .cc file).
  enum class State : uint8_t {
    Start,
    Recovery,  // after an error: skipping to a resynchronisation byte
    DqString,
    DqEscape,
    SqString,
    SqEscape,
    Zero,       // "0" or "-0": no more digits may follow
    Sign,       // "-"
    IntDigits,  // [1-9][0-9]*
    FracStart,  // after '.', a digit is required
    FracDigits,
    ExpMark,  // after 'e'/'E'
    ExpSign,  // after the exponent's sign, a digit is required
    ExpDigits,
    Keyword,
    Count_,
  };

 private:
  // Lexes one byte; stops early if the sink calls reset().
  void feed_byte(unsigned char c);
  // Consumes as many bytes from the front of `rest` as leave the state
  // unchanged, in bulk. Returns the number of bytes taken.
  size_t feed_run(std::string_view rest);
  // Hands the pending token to the sink and (unless the sink reset us)
  // clears it. The caller sets the next state.
  void emit(JsonTokenType type);
  void clear_token();
  void check_token_size();

  Sink sink_;
  State state_ = State::Start;
  std::string token_;
  // Bumped by reset(); lets feed() notice a reset done by the sink.
  uint64_t epoch_ = 0;
};

}  // namespace migemu
