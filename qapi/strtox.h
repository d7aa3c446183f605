// Whole-string integer parsing with QEMU's semantics (qemu_strtou64(),
// qemu_strtoi64()), shared by the command line, -device settings and HMP
// qom-set.
#pragma once

#include <cstdint>
#include <string_view>

namespace migemu {

// Status codes of the parsers, like the C functions' 0 / -EINVAL / -ERANGE.
enum class ParseStatus { kOk, kInvalid, kRange };

// strtoull/strtoll with `base` (0 = C prefixes), leading blanks and a sign
// allowed ("-1" is UINT64_MAX for the unsigned one), nothing after the
// number.
ParseStatus parse_u64(std::string_view s, int base, uint64_t* out);
ParseStatus parse_i64(std::string_view s, int base, int64_t* out);

}  // namespace migemu
