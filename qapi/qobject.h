// A JSON value the way QEMU's QObject models it: null, bool, a number that is
// an int64, a uint64 or a double (QNum's three kinds), string, list, dict.
//
// Dicts keep insertion order; the writer (json_writer.h) turns that into
// QEMU's hash-table iteration order, which is what 7.2 puts on the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace migemu {

class Value;

// Insertion-ordered string -> Value map. put() of an existing key replaces the
// value in place, as qdict_put_obj does.
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;

  Dict();
  Dict(const Dict&);
  Dict(Dict&&) noexcept;
  Dict& operator=(const Dict&);
  Dict& operator=(Dict&&) noexcept;
  ~Dict();

  void put(std::string key, Value v);
  const Value* get(std::string_view key) const;
  Value* get(std::string_view key);
  bool has(std::string_view key) const { return get(key) != nullptr; }
  bool remove(std::string_view key);
  // Defined after Value: using entries_ needs Value complete (clang checks
  // this where the member is written, gcc only where it is used).
  size_t size() const;
  bool empty() const;
  const std::vector<Entry>& entries() const { return entries_; }

  bool operator==(const Dict& o) const;

 private:
  void reindex();
  std::vector<Entry> entries_;
  // Built only for large dicts so lookups in hostile input stay O(1).
  std::unique_ptr<std::unordered_map<std::string, size_t>> index_;
};

class Value {
 public:
  enum class Type { Null, Bool, Number, String, List, Dict };
  enum class NumKind { I64, U64, Double };

  Value() = default;  // null
  static Value null() { return Value(); }
  explicit Value(bool b) : type_(Type::Bool), b_(b) {}
  static Value boolean(bool b) { return Value(b); }
  static Value i64(int64_t v);
  static Value u64(uint64_t v);
  static Value number(double v);
  // Convenience for literal ints in code.
  static Value integer(int64_t v) { return i64(v); }
  explicit Value(const char* s) : type_(Type::String), s_(s) {}
  explicit Value(std::string s) : type_(Type::String), s_(std::move(s)) {}
  explicit Value(std::string_view s) : type_(Type::String), s_(s) {}
  explicit Value(std::vector<Value> l);
  explicit Value(Dict d);
  static Value list() { return Value(std::vector<Value>{}); }
  static Value dict() { return Value(Dict{}); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_list() const { return type_ == Type::List; }
  bool is_dict() const { return type_ == Type::Dict; }
  NumKind num_kind() const { return kind_; }

  bool as_bool() const { return b_; }
  const std::string& as_string() const { return s_; }
  std::string& as_string() { return s_; }
  const std::vector<Value>& as_list() const { return *list_; }
  std::vector<Value>& as_list() { return *list_; }
  const Dict& as_dict() const { return *dict_; }
  Dict& as_dict() { return *dict_; }

  // QNum accessors with QEMU's semantics (qnum_get_try_int/uint, qnum_get_double).
  bool get_try_int(int64_t* out) const;
  bool get_try_uint(uint64_t* out) const;
  double get_double() const;
  int64_t raw_i64() const { return i_; }
  uint64_t raw_u64() const { return u_; }

  bool operator==(const Value& o) const;

 private:
  Type type_ = Type::Null;
  NumKind kind_ = NumKind::I64;
  bool b_ = false;
  int64_t i_ = 0;
  uint64_t u_ = 0;
  double d_ = 0;
  std::string s_;
  // Copy-on-construct; lists/dicts are owned (deep copies on copy).
  std::shared_ptr<std::vector<Value>> list_;
  std::shared_ptr<Dict> dict_;
  friend class Dict;
  void deep_copy_from(const Value& o);

 public:
  Value(const Value& o);
  Value(Value&&) noexcept = default;
  Value& operator=(const Value& o);
  Value& operator=(Value&&) noexcept = default;
  ~Value() = default;
};

inline size_t Dict::size() const {
  return entries_.size();
}
inline bool Dict::empty() const {
  return entries_.empty();
}

// Builder helper: Dict from an initializer list, insertion order kept.
Dict make_dict(std::initializer_list<std::pair<const char*, Value>> items);

}  // namespace migemu
