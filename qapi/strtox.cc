// qemu_strtou64() / qemu_strtoi64() on a whole string (see strtox.h).
#include "qapi/strtox.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace migemu {

ParseStatus parse_u64(std::string_view s, int base, uint64_t* out) {
  std::string str(s.substr(0, s.find('\0')));
  const char* p = str.c_str();
  char* ep = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(p, &ep, base);
  int err = errno;
  if (err == 0 && ep == p) return ParseStatus::kInvalid;
  if (*ep != '\0') return ParseStatus::kInvalid;
  if (err == ERANGE) {
    *out = UINT64_MAX;
    return ParseStatus::kRange;
  }
  if (err != 0) return ParseStatus::kInvalid;
  *out = v;
  return ParseStatus::kOk;
}

ParseStatus parse_i64(std::string_view s, int base, int64_t* out) {
  std::string str(s.substr(0, s.find('\0')));
  const char* p = str.c_str();
  char* ep = nullptr;
  errno = 0;
  long long v = std::strtoll(p, &ep, base);
  int err = errno;
  if (err == 0 && ep == p) return ParseStatus::kInvalid;
  if (*ep != '\0') return ParseStatus::kInvalid;
  if (err == ERANGE) {
    *out = v;
    return ParseStatus::kRange;
  }
  if (err != 0) return ParseStatus::kInvalid;
  *out = v;
  return ParseStatus::kOk;
}

}  // namespace migemu
