// The two key=value dialects of QEMU's command line, with QEMU 7.2's
// semantics and error texts:
//
//  * QemuOpts (util/qemu-option.c): "-m", "-name", "-chardev", "-mon", ...
//    A value runs to the next single comma; ",," stands for one comma. The
//    first item may omit "key=" when the option list has an implied key. A
//    bare "flag" means flag=on and "noflag" flag=off (deprecated, with a
//    warning). Typed options (bool, number, size) are checked at parse time.
//  * keyval (util/keyval.c): "-machine", "-smp", "-boot", "-object". Keys
//    are QAPI names with "." for nesting and numbers for list indexes; every
//    value is a string until a visitor gives it a type.
//
// Plus the number, size and boolean parsers both share (util/cutils.c,
// qapi/qapi-util.c).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/error.h"
#include "qapi/qobject.h"
#include "qapi/strtox.h"

namespace migemu::qopts {

// ---- Scalars --------------------------------------------------------------

// ParseStatus, parse_u64() and parse_i64() (qapi/strtox.h), which layers
// below the command line use too.
using migemu::parse_i64;
using migemu::parse_u64;
using migemu::ParseStatus;

// qemu_strtosz(): "12345", "1.5G", "0x1000"; suffixes B K M G T P E (any
// case) scaled by `unit`; a number without a suffix is scaled by
// `default_suffix`. Fractions need a scale and round half up; a hex number
// takes no fraction, and a hex number with a suffix is accepted but sets
// *hex_with_suffix (QEMU warns about it). Negative numbers are invalid.
ParseStatus parse_size(std::string_view s, uint64_t* out, char default_suffix = 'B',
                       uint64_t unit = 1024, bool* hex_with_suffix = nullptr);

// qapi_bool_parse(): on/yes/true/y and off/no/false/n.
bool parse_bool(std::string_view s, bool* out);

// "Parameter 'NAME' expects 'on' or 'off'".
std::string bool_error(std::string_view name);
// "Parameter 'NAME' expects a non-negative number below 2^64" plus QEMU's
// two-line hint about suffixes.
std::string size_error(std::string_view name);

// id_wellformed(): a letter, then letters, digits, '-', '.', '_'.
bool id_wellformed(std::string_view id);
// The error (and hint) QEMU gives for an id that is not well formed.
std::string bad_id_error();

// is_help_option(): "help" or "?".
bool is_help_option(std::string_view s);

// ---- QemuOpts --------------------------------------------------------------

enum class OptType { kString, kBool, kNumber, kSize };

struct OptDesc {
  std::string_view name;
  OptType type;
  // QEMU's help text and default, as query-command-line-options reports
  // them (empty: none).
  std::string_view help = {};
  std::string_view def = {};
};

// A QemuOptsList: its name (used in "Duplicate ID 'x' for NAME"), implied
// first key, whether all uses merge into one set, and the accepted keys (an
// empty list accepts any key, unchecked).
struct OptsList {
  std::string_view name;
  std::string_view implied;  // empty: none
  bool merge_lists = false;
  std::vector<OptDesc> desc;

  bool accepts_any() const { return desc.empty(); }
  const OptDesc* find(std::string_view key) const;
};

struct Opt {
  std::string name;
  std::string str;  // the text as given
  const OptDesc* desc = nullptr;
  bool boolean = false;
  uint64_t number = 0;  // kNumber and kSize
};

// A warning QEMU prints while parsing: a reported line ("warning: ...",
// printed as "PROG: LOCATION: warning: ...") and an optional plain line
// printed as is.
struct Warning {
  std::string report;
  std::string plain;
};

// One QemuOpts: an optional id and the options in the order given. Lookups
// return the last setting of a key, as QEMU's do.
class Opts {
 public:
  Opts(const OptsList* list, std::optional<std::string> id) : list_(list), id_(std::move(id)) {}

  const OptsList& list() const { return *list_; }
  const std::optional<std::string>& id() const { return id_; }
  const std::vector<Opt>& all() const { return opts_; }

  const Opt* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  std::optional<std::string> get(std::string_view name) const;
  bool get_bool(std::string_view name, bool def) const;
  uint64_t get_number(std::string_view name, uint64_t def) const;
  uint64_t get_size(std::string_view name, uint64_t def) const { return get_number(name, def); }

  // qemu_opt_set(): appends and validates against the list.
  Status set(std::string_view name, std::string value);
  // Parses params into this set (qemu_opts_do_parse / opts_do_parse). "id"
  // keys are skipped (the id is taken by the caller). `firstname` names the
  // implied first key. With warn_on_flag, a bare flag adds a Warning. With
  // help_wanted non-null, a "help"/"?" flag stops parsing and sets it.
  Status parse(std::string_view params, std::string_view firstname, bool warn_on_flag,
               bool* help_wanted, std::vector<Warning>* warnings);

 private:
  const OptsList* list_;
  std::optional<std::string> id_;
  std::vector<Opt> opts_;
};

// Every Opts created for one OptsList, in creation order (QTAILQ head).
class OptsStore {
 public:
  explicit OptsStore(const OptsList* list) : list_(list) {}

  const OptsList& list() const { return *list_; }
  // qemu_opts_create(): merge lists return the single set (an id is then an
  // error); otherwise a new set, with the id checked for form and
  // uniqueness ("Duplicate ID 'x' for LIST").
  Result<Opts*> create(std::optional<std::string> id);
  // qemu_opts_parse(): create from params, taking "id=" from them. On
  // failure nothing is added. help_wanted as in Opts::parse (only used for
  // lists that do not accept any key, like qemu_opts_parse_noisily).
  Result<Opts*> parse(std::string_view params, bool permit_abbrev, bool warn_on_flag,
                      bool* help_wanted, std::vector<Warning>* warnings);
  Opts* find(const std::optional<std::string>& id);
  std::deque<Opts>& all() { return sets_; }
  const std::deque<Opts>& all() const { return sets_; }
  void remove_last() { sets_.pop_back(); }

 private:
  const OptsList* list_;
  std::deque<Opts> sets_;
};

// The value of "id=" in params, if any (opts_parse_id).
std::optional<std::string> opts_parse_id(std::string_view params);

// ---- GHashTable order --------------------------------------------------------

// Where GLib (2.74) keeps string keys in a GHashTable made with g_str_hash:
// QEMU's visitors collect the keys they have not consumed yet in such a
// table and report the first one it iterates over as "unexpected", so that
// iteration order decides which of several bad keys an error names. This
// models the table's layout (open addressing with quadratic probing, its
// grow/shrink rules and in-place rehash) for insertions and removals.
class StrHashTableOrder {
 public:
  StrHashTableOrder();
  void insert(std::string_view key);  // no-op if present
  void remove(std::string_view key);  // no-op if absent
  // The keys in iteration order.
  std::vector<std::string> keys() const;

 private:
  // Bucket index of key, or where it would go.
  size_t find(std::string_view key, uint32_t* hash) const;
  void set_shift(int shift);
  void maybe_resize();
  void resize();
  uint32_t bucket_of(uint32_t hash) const { return (hash * 11u) % mod_; }

  std::vector<uint32_t> hashes_;  // 0 unused, 1 tombstone, else the key's hash
  std::vector<std::string> keys_;
  uint32_t mod_ = 7;
  uint32_t mask_ = 7;
  int nnodes_ = 0;
  int noccupied_ = 0;
};

// ---- keyval ----------------------------------------------------------------

// keyval_parse_into(): adds params to `dict` (string leaves, nested dicts,
// lists for numeric keys). `implied_key` may be empty. If `help` is non-null
// a "help"/"?" item sets it; otherwise such an item is an error.
Status keyval_parse_into(Dict& dict, std::string_view params, std::string_view implied_key,
                         bool* help);
Result<Dict> keyval_parse(std::string_view params, std::string_view implied_key, bool* help);

// keyval_merge(): scalars of `src` replace, dicts merge, lists append.
Status keyval_merge(Dict& dest, const Dict& src);

}  // namespace migemu::qopts
