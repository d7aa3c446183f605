#include "qapi/json_streamer.h"

#include <utility>

namespace migemu {

namespace {

// Buffers that held a huge message are released instead of being kept for the
// rest of the connection.
constexpr size_t kKeepTextCapacity = size_t{1} << 20;
constexpr size_t kKeepTokenCapacity = size_t{1} << 16;

// QEMU formats the stray token with %s, so a NUL byte (which the lexer does
// keep in the token) ends the reported text.
std::string stray_text(std::string_view token) {
  return std::string(token.substr(0, token.find('\0')));
}

}  // namespace

void JsonTokenQueue::push(JsonTokenType type, std::string_view text) {
  tokens_.push_back(Token{type, static_cast<uint32_t>(text.size()), text_.size()});
  text_.append(text);
}

void JsonTokenQueue::clear() {
  if (text_.capacity() > kKeepTextCapacity) {
    std::string().swap(text_);
  } else {
    text_.clear();
  }
  if (tokens_.capacity() > kKeepTokenCapacity) {
    std::vector<Token>().swap(tokens_);
  } else {
    tokens_.clear();
  }
}

JsonStreamer::JsonStreamer(Emit emit) : emit_(std::move(emit)) {}

void JsonStreamer::process_token(JsonTokenType type, std::string_view text) {
  switch (type) {
    case JsonTokenType::LCurly:
      brace_count_++;
      break;
    case JsonTokenType::RCurly:
      brace_count_--;
      break;
    case JsonTokenType::LSquare:
      bracket_count_++;
      break;
    case JsonTokenType::RSquare:
      bracket_count_--;
      break;
    case JsonTokenType::Error:
      finish(generic_error("JSON parse error, stray '" + stray_text(text) + "'"));
      return;
    case JsonTokenType::EndOfInput:
      // Only an unfinished object/array can be pending here, so this always
      // yields an error (usually "premature EOI").
      if (!tokens_.empty()) finish(parse_json_tokens(tokens_));
      return;
    default:
      break;
  }

  // The limit errors carry no "JSON parse error" prefix. The offending token
  // is dropped along with the rest of the message; the bytes that follow are
  // read as new messages.
  if (tokens_.text_bytes() + text.size() + 1 > kMaxTotalTokenBytes) {
    finish(generic_error("JSON token size limit exceeded"));
    return;
  }
  if (tokens_.size() + 1 > kMaxTokenCount) {
    finish(generic_error("JSON token count limit exceeded"));
    return;
  }
  if (brace_count_ + bracket_count_ > kMaxNesting) {
    finish(generic_error("JSON nesting depth limit exceeded"));
    return;
  }

  tokens_.push(type, text);

  const bool open = brace_count_ > 0 || bracket_count_ > 0;
  const bool unbalanced = brace_count_ < 0 || bracket_count_ < 0;
  if (open && !unbalanced) return;
  finish(parse_json_tokens(tokens_));
}

void JsonStreamer::reset() {
  brace_count_ = 0;
  bracket_count_ = 0;
  tokens_.clear();
}

void JsonStreamer::finish(Result<Value> result) {
  reset();
  emit_(std::move(result));
}

}  // namespace migemu
