#include "qapi/json_writer.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace migemu {

namespace {

constexpr unsigned kQdictBuckets = 512;

bool is_valid_codepoint(int cp) {
  if (cp > 0x10FFFF) return false;
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return false;  // noncharacters
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;                               // surrogates
  return true;
}

void append_u4(std::string& out, unsigned v) {
  char buf[8];
  snprintf(buf, sizeof buf, "\\u%04X", v & 0xFFFF);
  out += buf;
}

void newline(std::string& out, bool pretty, int indent) {
  if (!pretty) return;
  out += '\n';
  out.append(static_cast<size_t>(indent) * 4, ' ');
}

void write(const Value& v, bool pretty, int indent, std::string& out) {
  switch (v.type()) {
    case Value::Type::Null:
      out += "null";
      return;
    case Value::Type::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Type::Number: {
      // Empty unless a kind below fills it (a kind out of range writes nothing
      // rather than stack garbage).
      char buf[64] = "";
      switch (v.num_kind()) {
        case Value::NumKind::I64:
          snprintf(buf, sizeof buf, "%" PRId64, v.raw_i64());
          break;
        case Value::NumKind::U64:
          snprintf(buf, sizeof buf, "%" PRIu64, v.raw_u64());
          break;
        case Value::NumKind::Double:
          snprintf(buf, sizeof buf, "%.17g", v.get_double());
          break;
      }
      out += buf;
      return;
    }
    case Value::Type::String:
      append_json_string(out, v.as_string());
      return;
    case Value::Type::List: {
      const char* sep = "";
      out += '[';
      for (const Value& e : v.as_list()) {
        out += sep;
        newline(out, pretty, indent + 1);
        write(e, pretty, indent + 1, out);
        sep = pretty ? "," : ", ";
      }
      newline(out, pretty, indent);
      out += ']';
      return;
    }
    case Value::Type::Dict: {
      const Dict& d = v.as_dict();
      const char* sep = "";
      out += '{';
      for (size_t idx : qdict_iteration_order(d)) {
        const auto& [key, val] = d.entries()[idx];
        out += sep;
        newline(out, pretty, indent + 1);
        append_json_string(out, key);
        out += ": ";
        write(val, pretty, indent + 1, out);
        sep = pretty ? "," : ", ";
      }
      newline(out, pretty, indent);
      out += '}';
      return;
    }
  }
}

}  // namespace

int mod_utf8_codepoint(std::string_view s, size_t i, size_t* next) {
  static const int kMinCp[5] = {0x80, 0x800, 0x10000, 0x200000, 0x4000000};
  size_t n = std::min<size_t>(6, s.size() - i);
  size_t p = i;
  unsigned byte = static_cast<unsigned char>(s[p++]);
  int cp;
  if (byte < 0x80) {
    cp = static_cast<int>(byte);
  } else if (byte >= 0xFE) {
    cp = -1;
  } else if ((byte & 0x40) == 0) {
    cp = -1;  // stray continuation byte
  } else {
    unsigned len = 0, mask;
    for (mask = 0x80; byte & mask; mask >>= 1) len++;
    cp = static_cast<int>(byte & (mask - 1));
    for (unsigned k = 1; k < len; k++) {
      unsigned b = k < n ? static_cast<unsigned char>(s[p]) : 0;
      if ((b & 0xC0) != 0x80) {
        cp = -1;
        *next = p;
        return cp;
      }
      p++;
      cp = (cp << 6) | static_cast<int>(b & 0x3F);
    }
    if (!is_valid_codepoint(cp)) {
      cp = -1;
    } else if (cp < kMinCp[len - 2] && !(cp == 0 && len == 2)) {
      cp = -1;  // overlong, except the C0 80 encoding of NUL
    }
  }
  *next = p;
  return cp;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  // QEMU's strings are C strings, so a NUL byte ends the text.
  while (i < s.size() && s[i] != '\0') {
    size_t next;
    int cp = mod_utf8_codepoint(s, i, &next);
    if (next == i) next = i + 1;
    i = next;
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (cp < 0) cp = 0xFFFD;
        if (cp > 0xFFFF) {
          unsigned c = static_cast<unsigned>(cp) - 0x10000;
          append_u4(out, 0xD800 | (c >> 10));
          append_u4(out, 0xDC00 | (c & 0x3FF));
        } else if (cp < 0x20 || cp >= 0x7F) {
          append_u4(out, static_cast<unsigned>(cp));
        } else {
          out += static_cast<char>(cp);
        }
    }
  }
  out += '"';
}

unsigned qdict_bucket(std::string_view key) {
  uint32_t value = 0x238F13AFu * static_cast<uint32_t>(key.size());
  for (size_t i = 0; i < key.size(); i++)
    value += static_cast<uint32_t>(static_cast<unsigned char>(key[i])) << ((i * 5) % 24);
  uint32_t hash = 1103515243u * value + 12345u;
  return hash % kQdictBuckets;
}

std::vector<size_t> qdict_iteration_order(const Dict& d) {
  const auto& e = d.entries();
  std::vector<std::pair<unsigned, size_t>> keyed;
  keyed.reserve(e.size());
  for (size_t i = 0; i < e.size(); i++) keyed.emplace_back(qdict_bucket(e[i].first), i);
  // Buckets in ascending order; within a bucket the newest insertion first.
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  std::vector<size_t> order;
  order.reserve(e.size());
  for (const auto& k : keyed) order.push_back(k.second);
  return order;
}

std::string to_json(const Value& v, bool pretty) {
  std::string out;
  write(v, pretty, 0, out);
  return out;
}

}  // namespace migemu
