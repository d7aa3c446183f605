// Fuzz target: the QMP JSON reader (lexer, streamer, parser) and writer.
//
// The input is what a QMP client sends. Byte 0 picks how the rest is cut
// into feed() calls (a socket delivers arbitrary splits), then the client
// "disconnects" (flush). Checks beyond "no crash":
//   - the messages and errors do not depend on how the input was cut;
//   - every value written out (compact and pretty) reads back, and what
//     reads back is stable from then on (write -> read is the identity on
//     values that came from the writer).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/json_parser.h"
#include "qapi/json_writer.h"
#include "qapi/qobject.h"

namespace {

using migemu::JsonMessageParser;
using migemu::Result;
using migemu::Value;

// The written text of a value, or the error text: what QMP sends back is
// derived from exactly this, so it is what must not depend on the split.
std::string describe(const Result<Value>& r) {
  return r.ok() ? "ok " + migemu::to_json(*r) : "error " + r.error().desc;
}

bool has_non_finite(const Value& v) {
  switch (v.type()) {
    case Value::Type::Number:
      return v.num_kind() == Value::NumKind::Double && !std::isfinite(v.get_double());
    case Value::Type::List:
      for (const Value& e : v.as_list()) {
        if (has_non_finite(e)) return true;
      }
      return false;
    case Value::Type::Dict:
      for (const auto& e : v.as_dict().entries()) {
        if (has_non_finite(e.second)) return true;
      }
      return false;
    default:
      return false;
  }
}

// Feeds `input` in pieces of `chunk` bytes (0: all at once), then flushes.
std::vector<Result<Value>> read_messages(std::string_view input, size_t chunk) {
  std::vector<Result<Value>> out;
  JsonMessageParser parser([&out](Result<Value> r) { out.push_back(std::move(r)); });
  if (chunk == 0) chunk = input.size() + 1;
  for (size_t at = 0; at < input.size(); at += chunk) parser.feed(input.substr(at, chunk));
  parser.flush();
  return out;
}

void check_write_read(const Value& v) {
  for (bool pretty : {false, true}) {
    std::string first = migemu::to_json(v, pretty);
    Result<Value> again = migemu::parse_json(first);
    if (!again.ok()) {
      // QEMU writes inf and nan as bare words that no JSON reader takes back.
      if (has_non_finite(v)) continue;
      std::abort();
    }
    // The first pass may normalise (invalid UTF-8 becomes U+FFFD, a double
    // with an integral value reads back as an integer); after that the
    // writer's output must read back to the very same value.
    Result<Value> third = migemu::parse_json(migemu::to_json(*again, pretty));
    if (!third.ok() || !(*third == *again)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Byte 0: 0 feeds everything at once, N feeds N-byte pieces (1 is QEMU's
  // own byte-at-a-time pace, which the lexer's bulk paths must match).
  size_t chunk = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<Result<Value>> whole = read_messages(input, 0);
  std::vector<Result<Value>> pieces = read_messages(input, chunk);
  if (whole.size() != pieces.size()) std::abort();
  for (size_t i = 0; i < whole.size(); i++) {
    if (describe(whole[i]) != describe(pieces[i])) std::abort();
  }
  for (const Result<Value>& r : whole) {
    if (r.ok()) check_write_read(*r);
  }
  return 0;
}
