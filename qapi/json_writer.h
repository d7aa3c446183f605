// Serialises a Value exactly as QEMU 7.2's qobject_to_json does: compact
// (", " / ": " separators) or pretty (4-space indent), ASCII-only output with
// upper-case \uXXXX escapes, %.17g doubles, and dict keys in QDict hash order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qapi/qobject.h"

namespace migemu {

std::string to_json(const Value& v, bool pretty = false);

// Appends `s` as a quoted JSON string (QEMU's escaping rules).
void append_json_string(std::string& out, std::string_view s);

// The bucket QEMU's QDict puts `key` in (tdb_hash % 512).
unsigned qdict_bucket(std::string_view key);

// Indices of d's entries in the order QEMU's qdict_first/qdict_next visit them.
std::vector<size_t> qdict_iteration_order(const Dict& d);

// Decodes one code point of QEMU's "modified UTF-8" starting at s[i]; returns
// -1 for an invalid sequence. `next` receives the index after what was consumed.
int mod_utf8_codepoint(std::string_view s, size_t i, size_t* next);

}  // namespace migemu
