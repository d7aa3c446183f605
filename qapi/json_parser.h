// QMP input: a streaming JSON reader with QEMU 7.2's lexer, streamer and
// parser semantics (qobject/json-lexer.c, json-streamer.c, json-parser.c).
//
// Bytes go in through feed(); every complete top-level value, or every error,
// comes out through the callback in input order. Errors carry QEMU's desc text
// ("JSON parse error, ..."); they never carry an id.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "qapi/error.h"
#include "qapi/qobject.h"

namespace migemu {

class JsonMessageParser {
 public:
  // Called once per top-level value or error. The Value is any JSON value (the
  // QMP layer checks that it is an object).
  using Emit = std::function<void(Result<Value>)>;

  explicit JsonMessageParser(Emit emit);
  ~JsonMessageParser();
  JsonMessageParser(const JsonMessageParser&) = delete;
  JsonMessageParser& operator=(const JsonMessageParser&) = delete;

  // Feed raw bytes (any split). May call emit zero or more times.
  void feed(std::string_view bytes);
  // End of input (json_message_parser_flush): emits what a pending partial
  // message amounts to, then starts fresh. Used when a client disconnects.
  void flush();
  // Drop all state without emitting anything (a new client connected).
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses one complete JSON text with the same grammar (QEMU extensions
// included): for -object JSON syntax, tests and tools. Trailing input after
// the first value is an error.
Result<Value> parse_json(std::string_view text);

}  // namespace migemu
