// HMP command-line parsing; see hmp_args.h. Messages and corner cases were
// checked against qemu-system-x86_64 7.2 over a unix-socket monitor.
#include "monitor/hmp_args.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "monitor/readline.h"

namespace migemu {

namespace {

constexpr size_t kWordMax = 1023;    // QEMU reads words into a 1024-byte buffer
constexpr size_t kCmdNameMax = 255;  // and command names into 256 bytes
constexpr size_t kMaxCmdlineArgs = 16;

// Everything below treats its input as a C string: it ends at the first NUL,
// and reading past the end yields NUL.
std::string_view c_string(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

class Cursor {
 public:
  explicit Cursor(std::string_view s, size_t pos = 0) : s_(s), pos_(pos) {}
  char peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < s_.size() ? s_[i] : '\0';
  }
  bool at_end() const { return peek() == '\0'; }
  void advance(size_t n = 1) { pos_ += n; }
  void skip_spaces() {
    while (hmp_isspace(peek())) ++pos_;
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view rest() const { return pos_ < s_.size() ? s_.substr(pos_) : std::string_view(); }
  std::string_view text() const { return s_; }

 private:
  std::string_view s_;
  size_t pos_;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_graph(char c) {
  return c > ' ' && c < 0x7f;
}

std::string char_str(char c) {
  return std::string(1, c);
}

// get_str on an already NUL-free string.
bool read_word(Cursor& cur, std::string& out, HmpProcessOutput* proc) {
  out.clear();
  auto put = [&](char c) {
    if (out.size() < kWordMax) out.push_back(c);
  };
  cur.skip_spaces();
  if (cur.at_end()) return false;
  if (cur.peek() != '"') {
    while (!cur.at_end() && !hmp_isspace(cur.peek())) {
      put(cur.peek());
      cur.advance();
    }
    return true;
  }
  cur.advance();
  while (!cur.at_end() && cur.peek() != '"') {
    if (cur.peek() != '\\') {
      put(cur.peek());
      cur.advance();
      continue;
    }
    cur.advance();
    char c = cur.peek();
    cur.advance();
    switch (c) {
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case '\\':
      case '\'':
      case '"':
        break;
      default:
        if (proc) proc->out += "unsupported escape code: '\\" + char_str(c) + "'\n";
        return false;
    }
    put(c);
  }
  if (cur.peek() != '"') {
    if (proc) proc->out += "unterminated string\n";
    return false;
  }
  cur.advance();
  return true;
}

// ---- integer expressions (i, l, M) ----

// Recursive-descent evaluator with QEMU's grammar and messages:
//   sum   := logic (('+'|'-') logic)*
//   logic := prod (('&'|'|'|'^') prod)*
//   prod  := unary (('*'|'/'|'%') unary)*
//   unary := '+' unary | '-' unary | '~' unary | '(' sum ')' | 'c' | $reg | number
// Arithmetic wraps at 64 bits. There are no CPUs, so $reg always fails.
class ExprParser {
 public:
  explicit ExprParser(Cursor& cur) : cur_(cur) {}

  std::optional<int64_t> parse(std::string* error) {
    cur_.skip_spaces();
    uint64_t v = sum();
    if (failed_) {
      *error = std::move(error_);
      return std::nullopt;
    }
    return static_cast<int64_t>(v);
  }

 private:
  void fail(std::string msg) {
    if (!failed_) {
      failed_ = true;
      error_ = std::move(msg);
    }
  }
  // Steps over the current character and the spaces after it.
  void next() {
    if (!cur_.at_end()) {
      cur_.advance();
      cur_.skip_spaces();
    }
  }

  uint64_t sum() {
    uint64_t v = logic();
    while (!failed_ && (cur_.peek() == '+' || cur_.peek() == '-')) {
      char op = cur_.peek();
      next();
      uint64_t r = logic();
      v = op == '+' ? v + r : v - r;
    }
    return v;
  }

  uint64_t logic() {
    uint64_t v = prod();
    while (!failed_ && (cur_.peek() == '&' || cur_.peek() == '|' || cur_.peek() == '^')) {
      char op = cur_.peek();
      next();
      uint64_t r = prod();
      v = op == '&' ? (v & r) : op == '|' ? (v | r) : (v ^ r);
    }
    return v;
  }

  uint64_t prod() {
    uint64_t v = unary();
    while (!failed_ && (cur_.peek() == '*' || cur_.peek() == '/' || cur_.peek() == '%')) {
      char op = cur_.peek();
      next();
      uint64_t r = unary();
      if (failed_) return 0;
      if (op == '*') {
        v *= r;
        continue;
      }
      if (r == 0) {
        fail("division by zero");
        return 0;
      }
      auto a = static_cast<int64_t>(v);
      auto b = static_cast<int64_t>(r);
      if (b == -1) {
        // INT64_MIN / -1 would trap; the wrapped result is what 2's complement gives.
        v = op == '/' ? (0 - v) : 0;
      } else {
        v = static_cast<uint64_t>(op == '/' ? a / b : a % b);
      }
    }
    return v;
  }

  uint64_t unary() {
    if (failed_) return 0;
    // QEMU recurses without a limit, so a long enough "((((..." or "----..."
    // overflows its stack (human-monitor-command's strings have no length
    // bound). Here it is an error past kMaxDepth levels: each level is a
    // chain of several frames, and the bound keeps even a sanitizer build's
    // larger frames well inside the smallest stack a thread gets.
    if (depth_ >= kMaxDepth) {
      fail("expression too deeply nested");
      return 0;
    }
    ++depth_;
    uint64_t v = unary_at_depth();
    --depth_;
    return v;
  }

  uint64_t unary_at_depth() {
    switch (cur_.peek()) {
      case '+':
        next();
        return unary();
      case '-':
        next();
        return 0 - unary();
      case '~':
        next();
        return ~unary();
      case '(': {
        next();
        uint64_t v = sum();
        if (failed_) return 0;
        if (cur_.peek() != ')') {
          fail("')' expected");
          return 0;
        }
        next();
        return v;
      }
      case '\'': {
        cur_.advance();
        if (cur_.at_end()) {
          fail("character constant expected");
          return 0;
        }
        // A plain (signed) char, as on x86 hosts.
        auto v = static_cast<int64_t>(static_cast<signed char>(cur_.peek()));
        cur_.advance();
        if (cur_.peek() != '\'') {
          fail("missing terminating ' character");
          return 0;
        }
        next();
        return static_cast<uint64_t>(v);
      }
      case '$':
        cur_.advance();
        while (is_register_char(cur_.peek())) cur_.advance();
        cur_.skip_spaces();
        fail("unknown register");
        return 0;
      case '\0':
        fail("unexpected end of expression");
        return 0;
      default:
        return number();
    }
  }

  static bool is_register_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.';
  }

  static int digit_value(char c) {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
  }

  // strtoull(..., 0): 0x/0X hex, leading 0 octal, else decimal.
  uint64_t number() {
    unsigned base = 10;
    size_t i = 0;
    if (cur_.peek() == '0') {
      if ((cur_.peek(1) == 'x' || cur_.peek(1) == 'X') && digit_value(cur_.peek(2)) < 16) {
        base = 16;
        i = 2;
      } else {
        base = 8;
      }
    }
    const size_t first = i;
    uint64_t v = 0;
    bool overflow = false;
    for (; digit_value(cur_.peek(i)) < static_cast<int>(base); ++i) {
      auto d = static_cast<uint64_t>(digit_value(cur_.peek(i)));
      if (v > (std::numeric_limits<uint64_t>::max() - d) / base) overflow = true;
      v = v * base + d;
    }
    if (i == first) {
      fail("invalid char '" + char_str(cur_.peek()) + "' in expression");
      return 0;
    }
    if (overflow) {
      fail("number too large");
      return 0;
    }
    cur_.advance(i);
    cur_.skip_spaces();
    return v;
  }

  static constexpr int kMaxDepth = 1024;  // nested unary operators and parentheses

  Cursor& cur_;
  bool failed_ = false;
  std::string error_;
  int depth_ = 0;
};

// ---- sizes (o): QEMU's qemu_strtosz_MiB ----

int64_t suffix_multiplier(char c) {
  switch (c) {
    case 'B':
    case 'b':
      return 1;
    case 'K':
    case 'k':
      return int64_t{1} << 10;
    case 'M':
    case 'm':
      return int64_t{1} << 20;
    case 'G':
    case 'g':
      return int64_t{1} << 30;
    case 'T':
    case 't':
      return int64_t{1} << 40;
    case 'P':
    case 'p':
      return int64_t{1} << 50;
    case 'E':
    case 'e':
      return int64_t{1} << 60;
    default:
      return -1;
  }
}

// Parses a size at the start of `s` (NUL-terminated storage). On success
// returns the value and sets *consumed.
std::optional<uint64_t> parse_size_mib(const std::string& s, size_t* consumed,
                                       HmpProcessOutput* proc) {
  const char* start = s.c_str();
  char* endp = nullptr;
  errno = 0;
  unsigned long long val = std::strtoull(start, &endp, 10);
  if (errno != 0 || endp == start) return std::nullopt;
  if (std::string_view(start, static_cast<size_t>(endp - start)).find('-') !=
      std::string_view::npos) {
    return std::nullopt;
  }
  const char* end = endp;
  bool hex = false;
  uint64_t frac = 0;  // fraction as 0.64 fixed point
  if (val == 0 && (*end == 'x' || *end == 'X')) {
    errno = 0;
    val = std::strtoull(start, &endp, 16);
    if (errno != 0 || endp == start) return std::nullopt;
    end = endp;
    if (*end == '.') return std::nullopt;
    hex = true;
  } else if (*end == '.') {
    const char* f = end;
    errno = 0;
    double fraction = std::strtod(f, &endp);
    const bool converted = endp != f;
    if (!converted || errno != 0 || !std::isfinite(fraction)) {
      // QEMU then steps one byte past where strtod stopped (or past the '.'
      // when it read nothing or got infinity) and carries on without a
      // fraction: "1.k" is 1 KiB. Never step over the terminating NUL.
      end = (converted && errno != 0) ? endp : f;
      if (*end != '\0') ++end;
    } else {
      std::string_view digits(f, static_cast<size_t>(endp - f));
      if (digits.find_first_of("eE") != std::string_view::npos) return std::nullopt;
      end = endp;
      frac = static_cast<uint64_t>(fraction * 0x1p64);
    }
  }
  int64_t mul = suffix_multiplier(*end);
  if (mul > 0) {
    if (hex && proc) {
      proc->err +=
          "warning: Using a multiplier suffix on hex numbers is deprecated: " + std::string(start) +
          "\n";
    }
    ++end;
  } else {
    mul = suffix_multiplier('M');
  }
  uint64_t result = val;
  if (mul == 1) {
    if (frac != 0) return std::nullopt;
  } else {
    // 64.64 fixed point times an integer, rounded half up; overflow fails.
    using u128 = unsigned __int128;
    u128 whole = static_cast<u128>(val) * static_cast<u128>(mul);
    u128 part = static_cast<u128>(frac) * static_cast<u128>(mul);
    u128 total = whole + (part >> 64) + ((part >> 63) & 1);
    if (total >> 64) return std::nullopt;
    result = static_cast<uint64_t>(total);
  }
  *consumed = static_cast<size_t>(end - start);
  return result;
}

// get_double + unit suffix for 'T'.
std::optional<double> parse_seconds(Cursor& cur, std::string* error) {
  std::string rest(cur.rest());
  const char* start = rest.c_str();
  char* endp = nullptr;
  double d = std::strtod(start, &endp);
  if (endp == start) {
    *error = "Number expected";
    return std::nullopt;
  }
  if (std::isnan(d) || std::isinf(d)) {
    *error = "Bad number";
    return std::nullopt;
  }
  cur.advance(static_cast<size_t>(endp - start));
  if (!cur.at_end() && cur.peek(1) == 's') {
    switch (cur.peek()) {
      case 'm':
        d /= 1e3;
        cur.advance(2);
        break;
      case 'u':
        d /= 1e6;
        cur.advance(2);
        break;
      case 'n':
        d /= 1e9;
        cur.advance(2);
        break;
      default:
        break;
    }
  }
  if (!cur.at_end() && !hmp_isspace(cur.peek())) {
    *error = "Unknown unit suffix";
    return std::nullopt;
  }
  return d;
}

int g_default_fmt_format = 'x';
int g_default_fmt_size = 4;

// The x/print format "/[count][format][size]" ('/' type).
bool parse_format(Cursor& cur, Dict& dict, std::string* error) {
  int count = 1;
  int format = 0;
  int size = 0;
  cur.skip_spaces();
  if (cur.peek() == '/') {
    cur.advance();
    if (is_digit(cur.peek())) {
      uint32_t n = 0;
      while (is_digit(cur.peek())) {
        n = n * 10u + static_cast<uint32_t>(cur.peek() - '0');
        cur.advance();
      }
      count = static_cast<int32_t>(n);
    }
    size = -1;
    format = -1;
    for (bool more = true; more;) {
      switch (char c = cur.peek()) {
        case 'o':
        case 'd':
        case 'u':
        case 'x':
        case 'i':
        case 'c':
          format = c;
          cur.advance();
          break;
        case 'b':
          size = 1;
          cur.advance();
          break;
        case 'h':
          size = 2;
          cur.advance();
          break;
        case 'w':
          size = 4;
          cur.advance();
          break;
        case 'g':
        case 'L':
          size = 8;
          cur.advance();
          break;
        default:
          more = false;
          break;
      }
    }
    if (!cur.at_end() && !hmp_isspace(cur.peek())) {
      *error = "invalid char in format: '" + char_str(cur.peek()) + "'";
      return false;
    }
    if (format < 0) format = g_default_fmt_format;
    if (format != 'i') {
      // For 'i' an unspecified size stays -1.
      if (size < 0) size = g_default_fmt_size;
      g_default_fmt_size = size;
    }
    g_default_fmt_format = format;
  } else {
    format = g_default_fmt_format;
    size = format != 'i' ? g_default_fmt_size : -1;
  }
  dict.put("count", Value::i64(count));
  dict.put("format", Value::i64(format));
  dict.put("size", Value::i64(size));
  return true;
}

}  // namespace

bool hmp_isspace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

HmpWord hmp_get_str(std::string_view text, size_t pos, HmpProcessOutput* proc) {
  text = c_string(text);
  Cursor cur(text, pos);
  HmpWord w;
  w.ok = read_word(cur, w.value, proc);
  w.end = std::min(cur.pos(), text.size());
  if (!w.ok) w.value.clear();
  return w;
}

std::optional<HmpCommandName> hmp_get_command_name(std::string_view line, size_t pos) {
  Cursor cur(c_string(line), pos);
  cur.skip_spaces();
  if (cur.at_end()) return std::nullopt;
  size_t start = cur.pos();
  while (!cur.at_end() && cur.peek() != '/' && !hmp_isspace(cur.peek())) cur.advance();
  HmpCommandName n;
  n.name = std::string(cur.text().substr(start, std::min(cur.pos() - start, kCmdNameMax)));
  n.end = cur.pos();
  return n;
}

bool hmp_compare_cmd(std::string_view name, std::string_view list) {
  size_t start = 0;
  while (true) {
    size_t bar = list.find('|', start);
    std::string_view alias = list.substr(start, bar == std::string_view::npos ? bar : bar - start);
    if (alias == name) return true;
    if (bar == std::string_view::npos) return false;
    start = bar + 1;
  }
}

std::optional<std::vector<std::string>> hmp_parse_cmdline(std::string_view cmdline,
                                                          HmpProcessOutput* proc) {
  Cursor cur(c_string(cmdline));
  std::vector<std::string> args;
  while (true) {
    cur.skip_spaces();
    if (cur.at_end()) break;
    if (args.size() >= kMaxCmdlineArgs) return std::nullopt;
    std::string w;
    if (!read_word(cur, w, proc)) return std::nullopt;
    args.push_back(std::move(w));
  }
  return args;
}

void hmp_reset_format_defaults() {
  g_default_fmt_format = 'x';
  g_default_fmt_size = 4;
}

std::string hmp_error_output(const Error& err) {
  std::string out = err.desc + "\n";
  if (auto nul = out.find('\0'); nul != std::string::npos) out.resize(nul);
  return out;
}

std::string hmp_error_text(const Status& st) {
  return st.ok() ? std::string() : "Error: " + st.error().desc + "\n";
}

const std::string* hmp_str_arg(const Dict& args, std::string_view key) {
  const Value* v = args.get(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

bool hmp_bool_arg(const Dict& args, std::string_view key) {
  const Value* v = args.get(key);
  return v && v->is_bool() && v->as_bool();
}

Result<Dict> parse_hmp_arguments(std::string_view cmdname, std::string_view args_type,
                                 std::string_view args, HmpProcessOutput* proc) {
  const std::string name(c_string(cmdname));
  const std::string_view line = c_string(args);
  const std::string_view types = c_string(args_type);
  Cursor cur(line);
  Cursor ty(types);
  Dict dict;
  std::string word;
  auto fail = [](std::string msg) -> Result<Dict> { return generic_error(std::move(msg)); };

  while (true) {
    // Next "key:type" entry. A malformed type string simply ends the list.
    if (ty.peek() == ',') ty.advance();
    size_t colon = ty.rest().find(':');
    if (colon == std::string_view::npos) break;
    const std::string key(ty.rest().substr(0, colon));
    ty.advance(colon + 1);
    const char type = ty.peek();
    ty.advance();

    switch (type) {
      case 's':
      case 'F':
      case 'B': {
        cur.skip_spaces();
        if (ty.peek() == '?') {
          ty.advance();
          if (cur.at_end()) break;
        }
        if (!read_word(cur, word, proc)) {
          if (type == 'F') return fail(name + ": filename expected");
          if (type == 'B') return fail(name + ": block device name expected");
          return fail(name + ": string expected");
        }
        dict.put(key, Value(word));
        break;
      }
      case 'S': {
        cur.skip_spaces();
        if (ty.peek() == '?') {
          ty.advance();
          if (cur.at_end()) break;
        }
        if (cur.at_end()) return fail(name + ": string expected");
        dict.put(key, Value(cur.rest()));
        cur.set_pos(line.size());
        break;
      }
      case 'i':
      case 'l':
      case 'M': {
        cur.skip_spaces();
        const char mod = ty.peek();
        if (mod == '?' || mod == '.') {
          ty.advance();
          if (mod == '?' && cur.at_end()) break;
          if (mod == '.') {
            if (cur.peek() != '.') break;
            cur.advance();
            cur.skip_spaces();
          }
        }
        std::string err;
        std::optional<int64_t> v = ExprParser(cur).parse(&err);
        if (!v) return fail(err);
        int64_t val = *v;
        if (type == 'i' && ((static_cast<uint64_t>(val) >> 32) & 0xffffffffu) != 0) {
          return fail("'" + name + "' has failed: integer is for 32-bit values");
        }
        if (type == 'M') {
          if (val < 0) return fail("enter a positive value");
          val = static_cast<int64_t>(static_cast<uint64_t>(val) << 20);
        }
        dict.put(key, Value::i64(val));
        break;
      }
      case 'o': {
        cur.skip_spaces();
        if (ty.peek() == '?') {
          ty.advance();
          if (cur.at_end()) break;
        }
        size_t used = 0;
        std::optional<uint64_t> v = parse_size_mib(std::string(cur.rest()), &used, proc);
        if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return fail("invalid size");
        }
        dict.put(key, Value::i64(static_cast<int64_t>(*v)));
        cur.advance(used);
        break;
      }
      case 'T': {
        cur.skip_spaces();
        if (ty.peek() == '?') {
          ty.advance();
          if (cur.at_end()) break;
        }
        std::string err;
        std::optional<double> v = parse_seconds(cur, &err);
        if (!v) return fail(err);
        dict.put(key, Value::number(*v));
        break;
      }
      case 'b': {
        cur.skip_spaces();
        size_t beg = cur.pos();
        while (is_graph(cur.peek())) cur.advance();
        std::string_view w = line.substr(beg, cur.pos() - beg);
        if (w == "on") {
          dict.put(key, Value(true));
        } else if (w == "off") {
          dict.put(key, Value(false));
        } else {
          return fail("Expected 'on' or 'off'");
        }
        break;
      }
      case '/': {
        std::string err;
        if (!parse_format(cur, dict, &err)) return fail(err);
        break;
      }
      case '-': {
        const char flag = ty.peek();
        ty.advance();
        if (flag == '\0') return fail(name + ": unknown type '" + char_str('\0') + "'");
        const size_t before = cur.pos();
        cur.skip_spaces();
        if (cur.peek() == '-') {
          cur.advance();
          const char given = cur.peek();
          if (given != flag) {
            // Another flag of this command, later in args_type: leave it for
            // that entry. (QEMU searches the rest of args_type for "-X".)
            std::string needle = "-";
            if (given != '\0') needle.push_back(given);
            if (ty.rest().find(needle) == std::string_view::npos) {
              return fail(name + ": unsupported option -" + char_str(given));
            }
            // As in QEMU, a skipped "-Xs" entry does not step over its 's'.
            cur.set_pos(before);
          } else if (ty.peek() == 's') {
            ty.advance();
            cur.advance();
            cur.skip_spaces();
            if (!read_word(cur, word, proc)) {
              return fail(name + ": value expected for -" + char_str(flag));
            }
            dict.put(key, Value(word));
          } else {
            cur.advance();
            dict.put(key, Value(true));
          }
        } else if (ty.peek() == 's') {
          ty.advance();
        }
        break;
      }
      default:
        // Includes 'O': there are no QemuOpts lists here.
        return fail(name + ": unknown type '" + char_str(type) + "'");
    }
  }
  cur.skip_spaces();
  if (!cur.at_end()) return fail(name + ": extraneous characters at the end of line");
  return dict;
}

// ---- dispatch ----------------------------------------------------------------

namespace {

const HmpCommand* find_command(std::span<const HmpCommand> table, std::string_view name) {
  for (const HmpCommand& c : table) {
    if (hmp_compare_cmd(name, c.name)) return &c;
  }
  return nullptr;
}

}  // namespace

HmpParsedLine hmp_parse_command_line(std::string_view line_in, std::span<const HmpCommand> table) {
  const std::string_view line = c_string(line_in);
  HmpParsedLine res;
  size_t pos = 0;
  const HmpCommand* cmd = nullptr;
  while (true) {
    std::optional<HmpCommandName> n = hmp_get_command_name(line, pos);
    if (!n) {
      if (!cmd) return res;  // blank line
      break;
    }
    const HmpCommand* found = find_command(table, n->name);
    if (!found) {
      res.status = HmpParsedLine::Status::UnknownCommand;
      res.output = "unknown command: '" + std::string(line.substr(0, n->end)) + "'\n";
      return res;
    }
    cmd = found;
    pos = n->end;
    while (pos < line.size() && hmp_isspace(line[pos])) ++pos;
    if (cmd->sub_table.empty() || pos >= line.size()) break;
    table = cmd->sub_table;
  }
  res.cmd = cmd;
  Result<Dict> args = parse_hmp_arguments(cmd->name, cmd->args_type, line.substr(pos), &res.proc);
  if (!args.ok()) {
    size_t name_end = pos;
    while (name_end > 0 && hmp_isspace(line[name_end - 1])) --name_end;
    res.status = HmpParsedLine::Status::BadArguments;
    res.output = hmp_error_output(args.error()) + "Try \"help " +
                 std::string(line.substr(0, name_end)) + "\" for more information\n";
    return res;
  }
  res.status = HmpParsedLine::Status::Ok;
  res.args = std::move(*args);
  return res;
}

// ---- help --------------------------------------------------------------------

namespace {

void help_dump_one(std::string& out, const HmpCommand& cmd, const std::vector<std::string>& args,
                   size_t prefix_count) {
  for (size_t i = 0; i < prefix_count; ++i) out += args[i] + " ";
  out +=
      std::string(cmd.name) + " " + std::string(cmd.params) + " -- " + std::string(cmd.help) + "\n";
}

void help_dump(std::string& out, std::span<const HmpCommand> table,
               const std::vector<std::string>& args, size_t index) {
  if (index >= args.size()) {
    for (const HmpCommand& c : table) help_dump_one(out, c, args, index);
    return;
  }
  if (const HmpCommand* c = find_command(table, args[index])) {
    if (!c->sub_table.empty()) {
      help_dump(out, c->sub_table, args, index + 1);
    } else {
      help_dump_one(out, *c, args, index);
    }
    return;
  }
  out += "unknown command: '";
  for (size_t i = 0; i <= index; ++i) out += args[i] + (i == index ? "'\n" : " ");
}

}  // namespace

std::string hmp_help_text(std::span<const HmpCommand> table, std::optional<std::string_view> name,
                          HmpProcessOutput* proc) {
  std::vector<std::string> args;
  if (name) {
    std::optional<std::vector<std::string>> parsed = hmp_parse_cmdline(*name, proc);
    if (!parsed) return {};
    args = std::move(*parsed);
  }
  std::string out;
  help_dump(out, table, args, 0);
  return out;
}

// ---- completion --------------------------------------------------------------

namespace {

// Adds each alias of `list` that starts with `prefix`.
void complete_command_name(Readline& rl, std::string_view prefix, std::string_view list) {
  size_t start = 0;
  while (true) {
    size_t bar = list.find('|', start);
    std::string_view alias = list.substr(start, bar == std::string_view::npos ? bar : bar - start);
    if (alias.size() > 126) alias = alias.substr(0, 126);
    if (alias.starts_with(prefix)) rl.add_completion(std::string(alias));
    if (bar == std::string_view::npos) return;
    start = bar + 1;
  }
}

void complete_file_name(Readline& rl, std::string_view input) {
  std::string dir;
  std::string prefix;
  size_t dir_len = 0;
  size_t slash = input.rfind('/');
  if (slash == std::string_view::npos) {
    dir = ".";
    prefix = std::string(input);
  } else {
    dir_len = slash + 1;
    dir = std::string(input.substr(0, dir_len));
    prefix = std::string(input.substr(dir_len));
  }
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string_view entry = e->d_name;
    if (entry == "." || entry == "..") continue;
    if (!entry.starts_with(prefix)) continue;
    std::string file = std::string(input.substr(0, dir_len)) + std::string(entry);
    struct stat sb {};
    if (stat(file.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode)) file += "/";
    rl.add_completion(std::move(file));
  }
  closedir(d);
}

// Moves past one "key:type" entry (QEMU's next_arg_type).
std::string_view next_arg_type(std::string_view t) {
  size_t colon = t.find(':');
  return colon == std::string_view::npos ? t : t.substr(colon + 1);
}

void complete_by_table(Readline& rl, std::span<const HmpCommand> table,
                       std::span<const std::string> args) {
  if (args.size() <= 1) {
    std::string_view prefix = args.empty() ? std::string_view() : std::string_view(args[0]);
    rl.set_completion_index(static_cast<int>(prefix.size()));
    for (const HmpCommand& c : table) complete_command_name(rl, prefix, c.name);
    return;
  }
  const HmpCommand* cmd = find_command(table, args[0]);
  if (!cmd) return;
  if (!cmd->sub_table.empty()) {
    complete_by_table(rl, cmd->sub_table, args.subspan(1));
    return;
  }
  if (cmd->completion) {
    cmd->completion(rl, static_cast<int>(args.size()), args.back());
    return;
  }
  std::string_view ptype = next_arg_type(cmd->args_type);
  for (size_t i = 0; i + 2 < args.size(); ++i) {
    if (!ptype.empty()) {
      ptype = next_arg_type(ptype);
      while (!ptype.empty() && ptype[0] == '?') {
        std::string_view after = next_arg_type(ptype);
        if (after.data() == ptype.data()) break;  // QEMU would spin here
        ptype = after;
      }
    }
  }
  const std::string& str = args.back();
  // Flags are not completed: skip over them.
  std::string_view old;
  while (!ptype.empty() && ptype[0] == '-' && old.data() != ptype.data()) {
    old = ptype;
    ptype = next_arg_type(ptype);
  }
  const char t = ptype.empty() ? '\0' : ptype[0];
  switch (t) {
    case 'F':
      rl.set_completion_index(static_cast<int>(str.size()));
      complete_file_name(rl, str);
      break;
    case 'B':
      // There are no block devices to offer.
      rl.set_completion_index(static_cast<int>(str.size()));
      break;
    case 's':
    case 'S':
      if (cmd->name == "help|?") complete_by_table(rl, table, args.subspan(1));
      break;
    default:
      break;
  }
}

}  // namespace

void hmp_find_completion(Readline& rl, std::string_view cmdline_in,
                         std::span<const HmpCommand> table) {
  const std::string_view cmdline = c_string(cmdline_in);
  std::optional<std::vector<std::string>> args = hmp_parse_cmdline(cmdline);
  if (!args) return;
  // A trailing space means: complete the next (empty) word.
  if (!cmdline.empty() && hmp_isspace(cmdline.back())) {
    if (args->size() >= kMaxCmdlineArgs) return;
    args->emplace_back();
  }
  complete_by_table(rl, table, *args);
}

void hmp_add_completion_option(Readline& rl, std::string_view str, std::string_view option) {
  if (option.starts_with(str)) rl.add_completion(std::string(option));
}

}  // namespace migemu
