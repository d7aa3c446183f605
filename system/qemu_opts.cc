// QemuOpts and keyval parsing with QEMU 7.2's behaviour (see qemu_opts.h).

#include "system/qemu_opts.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include "qapi/bool_parse.h"

namespace migemu::qopts {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

// Multiplier of a size suffix letter, or 0 if it is none.
uint64_t suffix_multiplier(char suffix, uint64_t unit) {
  int power;
  switch (suffix) {
    case 'b':
    case 'B':
      power = 0;
      break;
    case 'k':
    case 'K':
      power = 1;
      break;
    case 'm':
    case 'M':
      power = 2;
      break;
    case 'g':
    case 'G':
      power = 3;
      break;
    case 't':
    case 'T':
      power = 4;
      break;
    case 'p':
    case 'P':
      power = 5;
      break;
    case 'e':
    case 'E':
      power = 6;
      break;
    default:
      return 0;
  }
  uint64_t m = 1;
  for (int i = 0; i < power; i++) m *= unit;
  return m;
}

// strtoull() at the start of `p` (a NUL-terminated string); *end gets where
// it stopped. kInvalid when no digits were read, kRange on overflow.
ParseStatus strtou64_prefix(const char* p, int base, const char** end, uint64_t* out) {
  char* ep = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(p, &ep, base);
  int err = errno;
  *end = ep;
  if (err == ERANGE) {
    *out = UINT64_MAX;
    return ParseStatus::kRange;
  }
  if (ep == p) return ParseStatus::kInvalid;
  *out = v;
  return ParseStatus::kOk;
}

// The extent of what strtod() would read from `f`, which points at '.' and
// is preceded by decimal digits: the digits after the point and, if one
// follows, an exponent. Sets *has_exponent, *digits_end and returns the
// end, or nullptr if there are no digits after the point.
const char* scan_fraction(const char* f, bool* has_exponent, const char** digits_end) {
  const char* p = f + 1;
  while (is_digit(*p)) p++;
  *digits_end = p;
  *has_exponent = false;
  if (p == f + 1) return nullptr;
  if (*p == 'e' || *p == 'E') {
    const char* q = p + 1;
    if (*q == '+' || *q == '-') q++;
    if (is_digit(*q)) {
      while (is_digit(*q)) q++;
      *has_exponent = true;
      return q;
    }
  }
  return p;
}

}  // namespace

ParseStatus parse_size(std::string_view s, uint64_t* out, char default_suffix, uint64_t unit,
                       bool* hex_with_suffix) {
  // QEMU sees a C string: it ends at the first NUL.
  std::string str(s.substr(0, s.find('\0')));
  const char* nptr = str.c_str();
  const char* endptr = nptr;
  uint64_t val = 0;
  uint64_t valf = 0;
  bool hex = false;
  if (hex_with_suffix) *hex_with_suffix = false;

  ParseStatus st = strtou64_prefix(nptr, 10, &endptr, &val);
  if (st != ParseStatus::kOk) return st;
  if (std::memchr(nptr, '-', endptr - nptr) != nullptr) return ParseStatus::kInvalid;
  if (val == 0 && (*endptr == 'x' || *endptr == 'X')) {
    st = strtou64_prefix(nptr, 16, &endptr, &val);
    if (st != ParseStatus::kOk) return st;
    if (*endptr == '.') return ParseStatus::kInvalid;
    hex = true;
  } else if (*endptr == '.') {
    bool has_exponent = false;
    const char* digits_end = nullptr;
    const char* fend = scan_fraction(endptr, &has_exponent, &digits_end);
    if (fend == nullptr) {
      endptr++;  // "1." and "1.k": no fraction digits, skip the point
    } else if (has_exponent) {
      return ParseStatus::kInvalid;
    } else {
      std::string frac = "0" + std::string(endptr, digits_end);
      double fraction = 0;
      std::from_chars(frac.data(), frac.data() + frac.size(), fraction);
      // A fraction that rounds to 1.0 does not fit; QEMU's conversion then
      // yields 0 on x86-64, so "0.99999999999999999k" is 0 there too.
      double scaled = fraction * 0x1p64;
      valf = scaled < 0x1p64 ? static_cast<uint64_t>(scaled) : 0;
      endptr = fend;
    }
  }

  uint64_t mul = suffix_multiplier(*endptr, unit);
  if (*endptr != '\0' && mul > 0) {
    if (hex && hex_with_suffix) *hex_with_suffix = true;
    endptr++;
  } else {
    mul = suffix_multiplier(default_suffix, unit);
  }
  if (mul == 1) {
    if (valf != 0) return ParseStatus::kInvalid;
  } else {
    unsigned __int128 whole = static_cast<unsigned __int128>(val) * mul;
    unsigned __int128 part = static_cast<unsigned __int128>(valf) * mul;
    whole += part >> 64;
    whole += (static_cast<uint64_t>(part) >> 63);  // round half up
    if ((whole >> 64) != 0) return ParseStatus::kRange;
    val = static_cast<uint64_t>(whole);
  }
  if (*endptr != '\0') return ParseStatus::kInvalid;
  *out = val;
  return ParseStatus::kOk;
}

bool parse_bool(std::string_view s, bool* out) {
  std::optional<bool> b = qapi_bool_parse(s);
  if (b) *out = *b;
  return b.has_value();
}

std::string bool_error(std::string_view name) {
  return "Parameter '" + std::string(name) + "' expects 'on' or 'off'";
}

std::string size_error(std::string_view name) {
  return "Parameter '" + std::string(name) +
         "' expects a non-negative number below 2^64\n"
         "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
         "and exabytes, respectively.";
}

bool id_wellformed(std::string_view id) {
  if (id.empty() || !is_alpha(id[0])) return false;
  for (char c : id.substr(1)) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

std::string bad_id_error() {
  return "Parameter 'id' expects an identifier\n"
         "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.";
}

bool is_help_option(std::string_view s) {
  return s == "help" || s == "?";
}

// ---- QemuOpts --------------------------------------------------------------

const OptDesc* OptsList::find(std::string_view key) const {
  for (const OptDesc& d : desc) {
    if (d.name == key) return &d;
  }
  return nullptr;
}

namespace {

// get_opt_value(): the value starting at p up to a single comma; ",," is one
// comma. Returns the position of the terminating comma or end.
size_t take_value(std::string_view s, size_t p, std::string* value) {
  value->clear();
  while (true) {
    size_t comma = s.find(',', p);
    if (comma == std::string_view::npos) {
      value->append(s.substr(p));
      return s.size();
    }
    value->append(s.substr(p, comma - p));
    if (comma + 1 < s.size() && s[comma + 1] == ',') {
      value->push_back(',');
      p = comma + 2;
      continue;
    }
    return comma;
  }
}

struct NameValue {
  std::string name;
  std::string value;
  bool is_help = false;
};

// get_opt_name_value(): one item at s[p]; returns the position after it
// (past its comma).
size_t next_name_value(std::string_view s, size_t p, std::string_view firstname, bool warn_on_flag,
                       NameValue* out, std::vector<Warning>* warnings) {
  size_t len = s.substr(p).find_first_of("=,");
  if (len == std::string_view::npos) len = s.size() - p;
  out->is_help = false;
  size_t end;
  if (p + len >= s.size() || s[p + len] != '=') {
    if (!firstname.empty()) {
      out->name = std::string(firstname);
      end = take_value(s, p, &out->value);
    } else {
      out->name = std::string(s.substr(p, len));
      end = p + len;
      std::string prefix;
      if (out->name.compare(0, 2, "no") == 0) {
        out->name.erase(0, 2);
        out->value = "off";
        prefix = "no";
      } else {
        out->value = "on";
        out->is_help = is_help_option(out->name);
      }
      if (!out->is_help && warn_on_flag && warnings) {
        Warning w;
        w.report = "warning: short-form boolean option '" + prefix + out->name + "' deprecated";
        if (out->name == "delay") {
          w.plain =
              std::string("Please use nodelay=") + (prefix.empty() ? "off" : "on") + " instead";
        } else {
          w.plain = "Please use " + out->name + "=" + out->value + " instead";
        }
        warnings->push_back(std::move(w));
      }
    }
  } else {
    out->name = std::string(s.substr(p, len));
    end = take_value(s, p + len + 1, &out->value);
  }
  if (end < s.size()) end++;  // the comma
  return end;
}

// opt_validate() + qemu_opt_parse().
Status validate_opt(const OptsList& list, Opt* opt, std::vector<Warning>* warnings) {
  opt->desc = list.find(opt->name);
  if (!opt->desc && !list.accepts_any()) {
    return generic_error("Invalid parameter '" + opt->name + "'");
  }
  if (!opt->desc) return {};
  switch (opt->desc->type) {
    case OptType::kString:
      return {};
    case OptType::kBool:
      if (!parse_bool(opt->str, &opt->boolean)) return generic_error(bool_error(opt->name));
      return {};
    case OptType::kNumber: {
      ParseStatus st = parse_u64(opt->str, 0, &opt->number);
      if (st == ParseStatus::kRange) {
        return generic_error("Value '" + opt->str + "' is too large for parameter '" + opt->name +
                             "'");
      }
      if (st != ParseStatus::kOk) {
        return generic_error("Parameter '" + opt->name + "' expects a number");
      }
      return {};
    }
    case OptType::kSize: {
      bool hex_suffix = false;
      ParseStatus st = parse_size(opt->str, &opt->number, 'B', 1024, &hex_suffix);
      if (hex_suffix && warnings) {
        warnings->push_back(
            {"warning: Using a multiplier suffix on hex numbers is deprecated: " + opt->str, ""});
      }
      if (st == ParseStatus::kRange) {
        return generic_error("Value '" + opt->str + "' is out of range for parameter '" +
                             opt->name + "'");
      }
      if (st != ParseStatus::kOk) return generic_error(size_error(opt->name));
      return {};
    }
  }
  return {};
}

}  // namespace

const Opt* Opts::find(std::string_view name) const {
  for (auto it = opts_.rbegin(); it != opts_.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

std::optional<std::string> Opts::get(std::string_view name) const {
  const Opt* o = find(name);
  if (!o) return std::nullopt;
  return o->str;
}

bool Opts::get_bool(std::string_view name, bool def) const {
  const Opt* o = find(name);
  return o ? o->boolean : def;
}

uint64_t Opts::get_number(std::string_view name, uint64_t def) const {
  const Opt* o = find(name);
  return o ? o->number : def;
}

Status Opts::set(std::string_view name, std::string value) {
  Opt opt;
  opt.name = std::string(name);
  opt.str = std::move(value);
  Status st = validate_opt(*list_, &opt, nullptr);
  if (!st.ok()) return st;
  opts_.push_back(std::move(opt));
  return {};
}

Status Opts::parse(std::string_view params, std::string_view firstname, bool warn_on_flag,
                   bool* help_wanted, std::vector<Warning>* warnings) {
  size_t p = 0;
  // QEMU sees a C string.
  params = params.substr(0, params.find('\0'));
  while (p < params.size()) {
    NameValue nv;
    p = next_name_value(params, p, firstname, warn_on_flag, &nv, warnings);
    if (help_wanted && nv.is_help) {
      *help_wanted = true;
      return generic_error("");
    }
    firstname = {};
    if (nv.name == "id") continue;
    Opt opt;
    opt.name = std::move(nv.name);
    opt.str = std::move(nv.value);
    Status st = validate_opt(*list_, &opt, warnings);
    if (!st.ok()) return st;
    opts_.push_back(std::move(opt));
  }
  return {};
}

std::optional<std::string> opts_parse_id(std::string_view params) {
  params = params.substr(0, params.find('\0'));
  size_t p = 0;
  while (p < params.size()) {
    NameValue nv;
    p = next_name_value(params, p, {}, false, &nv, nullptr);
    if (nv.name == "id") return nv.value;
  }
  return std::nullopt;
}

Result<Opts*> OptsStore::create(std::optional<std::string> id) {
  if (list_->merge_lists) {
    if (id) return generic_error("Invalid parameter 'id'");
    if (!sets_.empty()) return &sets_.front();
  } else if (id) {
    if (!id_wellformed(*id)) return generic_error(bad_id_error());
    if (find(id)) {
      return generic_error("Duplicate ID '" + *id + "' for " + std::string(list_->name));
    }
  }
  sets_.emplace_back(list_, std::move(id));
  return &sets_.back();
}

Result<Opts*> OptsStore::parse(std::string_view params, bool permit_abbrev, bool warn_on_flag,
                               bool* help_wanted, std::vector<Warning>* warnings) {
  std::optional<std::string> id = opts_parse_id(params);
  size_t before = sets_.size();
  Result<Opts*> created = create(std::move(id));
  if (!created.ok()) return created.take_error();
  Opts* opts = *created;
  std::string_view firstname = permit_abbrev ? list_->implied : std::string_view();
  Status st = opts->parse(params, firstname, warn_on_flag, help_wanted, warnings);
  if (!st.ok()) {
    // qemu_opts_del(): the set goes away, even a merged one.
    if (sets_.size() > before) {
      sets_.pop_back();
    } else {
      sets_.clear();
    }
    return st.take_error();
  }
  return opts;
}

Opts* OptsStore::find(const std::optional<std::string>& id) {
  for (Opts& o : sets_) {
    if (!o.id() && !id) return &o;
    if (o.id() && id && *o.id() == *id) return &o;
  }
  return nullptr;
}

// ---- GHashTable order --------------------------------------------------------

namespace {

constexpr uint32_t kUnusedHash = 0;
constexpr uint32_t kTombstoneHash = 1;
bool real_hash(uint32_t h) {
  return h >= 2;
}

// g_str_hash(): djb2 over signed chars.
uint32_t str_hash(std::string_view s) {
  uint32_t h = 5381;
  for (char c : s)
    h = h * 33 + static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
  return h;
}

// The largest prime below each power of two, as GLib's table sizes use.
uint32_t prime_below_pow2(int shift) {
  static const uint32_t kPrimes[] = {1,   2,    3,    7,    13,   31,    61,    127,  251,
                                     509, 1021, 2039, 4093, 8191, 16381, 32749, 65521};
  return kPrimes[shift];
}

}  // namespace

StrHashTableOrder::StrHashTableOrder() {
  set_shift(3);
  hashes_.assign(8, kUnusedHash);
  keys_.assign(8, "");
}

void StrHashTableOrder::set_shift(int shift) {
  mod_ = prime_below_pow2(shift);
  mask_ = (1u << shift) - 1;
}

size_t StrHashTableOrder::find(std::string_view key, uint32_t* hash) const {
  uint32_t h = str_hash(key);
  if (!real_hash(h)) h = 2;
  *hash = h;
  size_t idx = bucket_of(h);
  uint32_t step = 0;
  std::optional<size_t> tombstone;
  while (hashes_[idx] != kUnusedHash) {
    if (hashes_[idx] == h && keys_[idx] == key) return idx;
    if (hashes_[idx] == kTombstoneHash && !tombstone) tombstone = idx;
    step++;
    idx = (idx + step) & mask_;
  }
  return tombstone ? *tombstone : idx;
}

void StrHashTableOrder::insert(std::string_view key) {
  uint32_t h;
  size_t idx = find(key, &h);
  if (real_hash(hashes_[idx])) return;
  bool was_unused = hashes_[idx] == kUnusedHash;
  hashes_[idx] = h;
  keys_[idx] = std::string(key);
  nnodes_++;
  if (was_unused) {
    noccupied_++;
    maybe_resize();
  }
}

void StrHashTableOrder::remove(std::string_view key) {
  uint32_t h;
  size_t idx = find(key, &h);
  if (!real_hash(hashes_[idx])) return;
  hashes_[idx] = kTombstoneHash;
  keys_[idx].clear();
  nnodes_--;
  maybe_resize();
}

void StrHashTableOrder::maybe_resize() {
  int size = static_cast<int>(hashes_.size());
  if ((size > nnodes_ * 4 && size > 8) || size <= noccupied_ + noccupied_ / 16) resize();
}

// GLib rehashes in place: it walks the old buckets and moves each entry to
// its new home, carrying along whatever entry it displaces.
void StrHashTableOrder::resize() {
  int want = static_cast<int>(nnodes_ * 1.333);
  int shift = 0;
  while (want) {
    want >>= 1;
    shift++;
  }
  shift = std::max(shift, 3);
  size_t old_size = hashes_.size();
  size_t new_size = size_t{1} << shift;
  set_shift(shift);
  if (new_size > old_size) {
    hashes_.resize(new_size, kUnusedHash);
    keys_.resize(new_size);
  }
  std::vector<bool> placed(std::max(new_size, old_size), false);
  for (size_t i = 0; i < old_size; i++) {
    uint32_t h = hashes_[i];
    if (!real_hash(h)) {
      hashes_[i] = kUnusedHash;
      continue;
    }
    if (placed[i]) continue;
    hashes_[i] = kUnusedHash;
    std::string k = std::move(keys_[i]);
    keys_[i].clear();
    while (true) {
      size_t idx = bucket_of(h);
      uint32_t step = 0;
      while (placed[idx]) {
        step++;
        idx = (idx + step) & mask_;
      }
      placed[idx] = true;
      uint32_t displaced_hash = hashes_[idx];
      std::string displaced_key = std::move(keys_[idx]);
      hashes_[idx] = h;
      keys_[idx] = std::move(k);
      if (!real_hash(displaced_hash)) break;
      h = displaced_hash;
      k = std::move(displaced_key);
    }
  }
  if (new_size < old_size) {
    hashes_.resize(new_size);
    keys_.resize(new_size);
  }
  noccupied_ = nnodes_;
}

std::vector<std::string> StrHashTableOrder::keys() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < hashes_.size(); i++) {
    if (real_hash(hashes_[i])) out.push_back(keys_[i]);
  }
  return out;
}

// ---- keyval ----------------------------------------------------------------

namespace {

// parse_qapi_name(s, false): length of the QAPI name at the start of s, or -1.
int qapi_name_length(std::string_view s) {
  size_t p = 0;
  if (p < s.size() && s[p] == '_') {
    p++;
    if (p >= s.size() || s[p] != '_') return -1;
    p++;
    while (p < s.size() && (is_alnum(s[p]) || s[p] == '-' || s[p] == '.')) p++;
    if (p >= s.size() || s[p] != '_') return -1;
    p++;
  }
  if (p >= s.size() || !is_alpha(s[p])) return -1;
  p++;
  while (p < s.size() && (is_alnum(s[p]) || s[p] == '-' || s[p] == '_')) p++;
  return static_cast<int>(p);
}

// key_to_index(): a list index at the start of s (decimal digits), with its
// length in *len; -1 if s does not start with a digit.
long key_to_index(std::string_view s, size_t* len) {
  if (s.empty() || !is_digit(s[0])) return -1;
  size_t p = 0;
  unsigned long long v = 0;
  bool overflow = false;
  while (p < s.size() && is_digit(s[p])) {
    if (v > (ULLONG_MAX - 9) / 10) overflow = true;
    if (!overflow) v = v * 10 + static_cast<unsigned>(s[p] - '0');
    p++;
  }
  if (len) *len = p;
  if (overflow || v > INT_MAX) return INT_MAX;
  return static_cast<long>(v);
}

size_t help_prefix_length(std::string_view s) {
  if (!s.empty() && s[0] == '?') return 1;
  if (s.substr(0, 4) == "help") return 4;
  return 0;
}

// keyval_parse_put(): value null means "the dict for a key fragment".
Result<Value*> keyval_put(Dict& cur, const std::string& key_in_cur,
                          std::optional<std::string> value, std::string_view key_so_far) {
  Value* old = cur.get(key_in_cur);
  if (old) {
    bool want_string = value.has_value();
    if ((want_string && !old->is_string()) || (!want_string && !old->is_dict())) {
      return generic_error("Parameters '" + std::string(key_so_far) + ".*' used inconsistently");
    }
    if (!want_string) return old;
    *old = Value(std::move(*value));
    return old;
  }
  if (value) {
    cur.put(key_in_cur, Value(std::move(*value)));
  } else {
    cur.put(key_in_cur, Value::dict());
  }
  return cur.get(key_in_cur);
}

Result<size_t> keyval_parse_one(Dict& dict, std::string_view params, size_t start,
                                std::string_view implied_key, bool* help) {
  std::string_view rest = params.substr(start);
  size_t len = rest.find_first_of("=,");
  if (len == std::string_view::npos) len = rest.size();
  std::string_view key = rest;
  size_t val_end = 0;
  bool implied = false;
  if (len && (len >= rest.size() || rest[len] != '=')) {
    if (help_prefix_length(rest) == len) {
      *help = true;
      size_t s = start + len;
      if (s < params.size() && params[s] == ',') s++;
      return s;
    }
    if (!implied_key.empty()) {
      key = implied_key;
      val_end = len;
      len = implied_key.size();
      implied = true;
    }
  }
  std::string_view whole_key = key.substr(0, len);

  Dict* cur = &dict;
  std::string key_in_cur;
  size_t s = 0;  // offset within key
  while (true) {
    size_t flen;
    if (s != 0 && key_to_index(key.substr(s), &flen) >= 0) {
      // flen set by key_to_index
    } else {
      int n = qapi_name_length(key.substr(s));
      flen = n < 0 ? 0 : static_cast<size_t>(n);
    }
    if (flen == 0 || (s + flen < len && key[s + flen] != '.')) {
      return generic_error("Invalid parameter '" + std::string(whole_key) + "'");
    }
    if (flen >= 128) {
      bool fragment = s != 0 || s + flen != len;
      return generic_error(std::string("Parameter") + (fragment ? " fragment" : "") + " '" +
                           std::string(key.substr(s, flen)) + "' is too long");
    }
    if (s != 0) {
      Result<Value*> next = keyval_put(*cur, key_in_cur, std::nullopt, key.substr(0, s - 1));
      if (!next.ok()) return next.take_error();
      cur = &(*next)->as_dict();
    }
    key_in_cur = std::string(key.substr(s, flen));
    s += flen;
    if (s >= key.size() || key[s] != '.') break;
    s++;
  }

  std::string val;
  size_t pos;
  if (implied) {
    val = std::string(rest.substr(0, val_end));
    pos = start + val_end;
    if (pos < params.size() && params[pos] == ',') pos++;
  } else {
    if (s >= rest.size() || rest[s] != '=') {
      return generic_error("Expected '=' after parameter '" + std::string(rest.substr(0, s)) + "'");
    }
    pos = start + s + 1;
    while (pos < params.size()) {
      if (params[pos] == ',') {
        pos++;
        if (pos >= params.size() || params[pos] != ',') break;
      }
      val.push_back(params[pos++]);
    }
  }
  Result<Value*> put = keyval_put(*cur, key_in_cur, std::move(val), whole_key);
  if (!put.ok()) return put.take_error();
  return pos;
}

std::string reassemble_key(const std::vector<std::string>& path) {
  std::string s;
  for (const std::string& p : path) s += p + ".";
  return s;
}

// keyval_listify(): dicts whose keys are all indexes become lists.
Status listify(Value& v, std::vector<std::string>& path) {
  Dict& cur = v.as_dict();
  bool has_index = false;
  bool has_member = false;
  for (size_t i = 0; i < cur.size(); i++) {
    const std::string key = cur.entries()[i].first;
    size_t klen = 0;
    if (key_to_index(key, &klen) >= 0 && klen == key.size()) {
      has_index = true;
    } else {
      has_member = true;
    }
    Value* child = cur.get(key);
    if (child->is_dict()) {
      path.push_back(key);
      Status st = listify(*child, path);
      path.pop_back();
      if (!st.ok()) return st;
    }
  }
  if (has_index && has_member) {
    return generic_error("Parameters '" + reassemble_key(path) + "*' used inconsistently");
  }
  if (!has_index) return {};
  size_t nelt = cur.size() + 1;
  std::vector<const Value*> elt(nelt, nullptr);
  long max_index = -1;
  for (const auto& [key, val] : cur.entries()) {
    long index = key_to_index(key, nullptr);
    if (index > max_index) max_index = index;
    if (static_cast<size_t>(index) >= nelt - 1) continue;
    elt[static_cast<size_t>(index)] = &val;
  }
  std::vector<Value> list;
  size_t limit = std::min(nelt, static_cast<size_t>(max_index + 1));
  for (size_t i = 0; i < limit; i++) {
    if (!elt[i]) {
      return generic_error("Parameter '" + reassemble_key(path) + std::to_string(i) + "' missing");
    }
    list.push_back(*elt[i]);
  }
  v = Value(std::move(list));
  return {};
}

}  // namespace

Status keyval_parse_into(Dict& dict, std::string_view params, std::string_view implied_key,
                         bool* help) {
  params = params.substr(0, params.find('\0'));
  bool want_help = false;
  size_t s = 0;
  while (s < params.size()) {
    Result<size_t> next = keyval_parse_one(dict, params, s, implied_key, &want_help);
    if (!next.ok()) return next.take_error();
    s = *next;
    implied_key = {};
  }
  if (help) {
    *help = want_help;
  } else if (want_help) {
    return generic_error("Help is not available for this option");
  }
  Value root(std::move(dict));
  std::vector<std::string> path;
  Status st = listify(root, path);
  dict = std::move(root.as_dict());
  return st;
}

Result<Dict> keyval_parse(std::string_view params, std::string_view implied_key, bool* help) {
  Dict d;
  Status st = keyval_parse_into(d, params, implied_key, help);
  if (!st.ok()) return st.take_error();
  return d;
}

namespace {

Status do_merge(Dict& dest, const Dict& merged, std::string& path) {
  for (const auto& [key, val] : merged.entries()) {
    Value* old = dest.get(key);
    if (old) {
      if (old->type() != val.type()) {
        return generic_error("Parameter '" + path + key + "' used inconsistently");
      }
      if (val.is_dict()) {
        size_t save = path.size();
        path += key + ".";
        Status st = do_merge(old->as_dict(), val.as_dict(), path);
        path.resize(save);
        if (!st.ok()) return st;
        continue;
      }
      if (val.is_list()) {
        for (const Value& item : val.as_list()) old->as_list().push_back(item);
        continue;
      }
    }
    dest.put(key, val);
  }
  return {};
}

}  // namespace

Status keyval_merge(Dict& dest, const Dict& src) {
  std::string path;
  return do_merge(dest, src, path);
}

}  // namespace migemu::qopts
