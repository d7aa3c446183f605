// Stage 2 of the QMP JSON reader: groups tokens into messages the way QEMU
// 7.2's JSON streamer does, and enforces its per-message limits.
//
// Tokens are queued while an object or array is open; as soon as the open
// '{' and '[' counts are both back to zero (or either goes negative) the queue
// is parsed as one value (parse_json_tokens, in json_parser.cc). A scalar at
// top level is therefore a message of its own. A lexical error, a limit
// violation or end of input ends the message early.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/error.h"
#include "qapi/json_lexer.h"
#include "qapi/qobject.h"

namespace migemu {

// The tokens of one pending message, stored compactly: all texts in one
// buffer (hostile input may queue millions of one-byte tokens).
class JsonTokenQueue {
 public:
  void push(JsonTokenType type, std::string_view text);
  void clear();
  size_t size() const { return tokens_.size(); }
  bool empty() const { return tokens_.empty(); }
  JsonTokenType type(size_t i) const { return tokens_[i].type; }
  std::string_view text(size_t i) const {
    return std::string_view(text_).substr(tokens_[i].offset, tokens_[i].size);
  }
  // Sum of the text sizes of all queued tokens.
  size_t text_bytes() const { return text_.size(); }

 private:
  struct Token {
    JsonTokenType type;
    uint32_t size;  // <= 64 MiB, the streamer's limit
    size_t offset;
  };
  std::vector<Token> tokens_;
  std::string text_;
};

// Parses a complete message (stage 3, json_parser.cc). Errors are QEMU's
// "JSON parse error, ..." texts.
Result<Value> parse_json_tokens(const JsonTokenQueue& tokens);

class JsonStreamer {
 public:
  // Limits per message (QEMU: "security considerations").
  static constexpr size_t kMaxTotalTokenBytes = size_t{64} << 20;
  static constexpr size_t kMaxTokenCount = size_t{2} << 20;
  static constexpr int kMaxNesting = 1024;

  using Emit = std::function<void(Result<Value>)>;

  explicit JsonStreamer(Emit emit);

  // Takes one token from the lexer; may emit a value or an error.
  void process_token(JsonTokenType type, std::string_view text);
  // Drops the pending message without emitting anything.
  void reset();

 private:
  // Ends the current message: forgets its tokens, then emits `result`.
  void finish(Result<Value> result);

  Emit emit_;
  JsonTokenQueue tokens_;
  int brace_count_ = 0;
  int bracket_count_ = 0;
};

}  // namespace migemu
