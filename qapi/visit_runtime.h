// What the generated QAPI code (qapi-visit.h, qapi-commands.h) is built on:
//
//  - InputVisitor: reads a Value tree strictly, with QEMU 7.2's argument
//    error texts (qapi/qobject-input-visitor.c + qapi/qapi-visit-core.c):
//      missing member       Parameter 'NAME' is missing
//      member left over     Parameter 'NAME' is unexpected
//      wrong JSON type      Invalid parameter type for 'NAME', expected: TYPE
//      alternate mismatch   Invalid parameter type for 'BARE', expected: ALT
//      uint64/size          Parameter 'NAME' expects uint64
//      narrower ints        Parameter 'BARE' expects uint8_t (int8_t, ...)
//      enum                 Parameter 'BARE' does not accept value 'V'
//    NAME is the full path ("a.b", "list[2].c"); BARE is the member's own
//    name, or "null" for a list element, as QEMU prints them.
//  - visit_in() / to_value() for the built-in types and std::vector, which
//    generated overloads for schema types complete;
//  - from_value<T>(): a whole Value to a T.
#pragma once

#include <cassert>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qapi/error.h"
#include "qapi/qobject.h"

namespace migemu::qapi {

// Holds a T on the heap with value semantics (copies copy the T): how a
// generated type holds a member or branch whose type contains the holder
// (recursive schema types). Starts empty, so that default construction
// ends; the non-const * and -> create a T{} when empty.
template <typename T>
class Box {
 public:
  Box() = default;
  Box(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit
  Box(const Box& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  bool has_value() const { return p_ != nullptr; }
  T& operator*() { return *get(); }
  T* operator->() { return get(); }
  const T& operator*() const {
    assert(p_);
    return *p_;
  }
  const T* operator->() const {
    assert(p_);
    return p_.get();
  }
  bool operator==(const Box& o) const { return p_ && o.p_ ? *p_ == *o.p_ : p_ == o.p_; }

 private:
  T* get() {
    if (!p_) p_ = std::make_unique<T>();
    return p_.get();
  }
  std::unique_ptr<T> p_;
};

// After a failed call the visit is over: the caller returns false up to the
// top, leaving containers open, and takes the error.
class InputVisitor {
 public:
  // The root may be any Value, or a Dict (command arguments).
  explicit InputVisitor(const Value& root);
  explicit InputVisitor(const Dict& root);
  InputVisitor(const InputVisitor&) = delete;
  InputVisitor& operator=(const InputVisitor&) = delete;

  // Objects. start_struct consumes member `name` of the enclosing object
  // (or the root when nothing is open) and requires a JSON object.
  bool start_struct(const char* name);
  // Fails when the open object has members nobody asked for.
  bool check_struct();
  void end_struct();

  // Arrays. Elements are visited with a null name while has_next().
  bool start_list(const char* name);
  bool has_next() const;
  void end_list();

  // Alternates: the JSON type of member `name`, without consuming it.
  std::optional<Value::Type> start_alternate(const char* name);
  bool fail_alternate(const char* name, const char* alternate_name);

  // Whether optional member `name` is present.
  bool optional(const char* name);

  bool type_int64(const char* name, int64_t* out);
  bool type_int32(const char* name, int32_t* out);
  bool type_int16(const char* name, int16_t* out);
  bool type_int8(const char* name, int8_t* out);
  // uint64 and size: negative integers are accepted and wrap, as in QEMU.
  bool type_uint64(const char* name, uint64_t* out);
  bool type_uint32(const char* name, uint32_t* out);
  bool type_uint16(const char* name, uint16_t* out);
  bool type_uint8(const char* name, uint8_t* out);
  bool type_bool(const char* name, bool* out);
  bool type_str(const char* name, std::string* out);
  bool type_number(const char* name, double* out);
  bool type_any(const char* name, Value* out);
  bool type_null(const char* name);
  // After type_str: `value` is not one of the enum's values.
  bool fail_enum(const char* name, std::string_view value);

  bool ok() const { return !error_.has_value(); }
  // The first error (there is at most one: visits stop at it).
  Error take_error();

 private:
  // A node of the input: a Value, or the Dict root.
  struct Node {
    const Value* value = nullptr;
    const Dict* dict = nullptr;
    explicit operator bool() const { return value || dict; }
    const Dict* as_dict() const {
      return dict ? dict : (value && value->is_dict() ? &value->as_dict() : nullptr);
    }
  };
  struct Frame {
    const char* name = nullptr;
    const Dict* dict = nullptr;
    const std::vector<Value>* list = nullptr;
    size_t next = 0;                    // list: next element to hand out
    unsigned index = UINT_MAX;          // list: index of the element handed out last
    std::vector<const char*> consumed;  // dict: members taken, in order
  };

  Node get(const char* name, bool consume);
  Node get_or_fail(const char* name);
  std::string full_name(const char* name) const;
  bool fail(std::string desc);
  bool fail_type(const char* name, const char* expected);
  bool range_fail(const char* name, const char* type);
  std::string first_leftover(const Frame& f) const;

  Node root_;
  std::vector<Frame> stack_;
  std::optional<Error> error_;
};

// The empty argument dict (a command sent without "arguments").
const Dict& empty_dict();

// For hand-written marshallers of commands without arguments: accepts a
// missing or empty "arguments", else fails like a generated marshaller.
Status check_no_arguments(const Dict* args);

// Built-in types. Generated code adds overloads for every schema type.
bool visit_in(InputVisitor& v, const char* name, int64_t* out);
bool visit_in(InputVisitor& v, const char* name, int32_t* out);
bool visit_in(InputVisitor& v, const char* name, int16_t* out);
bool visit_in(InputVisitor& v, const char* name, int8_t* out);
bool visit_in(InputVisitor& v, const char* name, uint64_t* out);
bool visit_in(InputVisitor& v, const char* name, uint32_t* out);
bool visit_in(InputVisitor& v, const char* name, uint16_t* out);
bool visit_in(InputVisitor& v, const char* name, uint8_t* out);
bool visit_in(InputVisitor& v, const char* name, bool* out);
bool visit_in(InputVisitor& v, const char* name, double* out);
bool visit_in(InputVisitor& v, const char* name, std::string* out);
bool visit_in(InputVisitor& v, const char* name, Value* out);
bool visit_in(InputVisitor& v, const char* name, std::nullptr_t* out);

// Output as QEMU's output visitor produces it: signed schema integers are
// I64 numbers, unsigned ones (uint8..uint64, size) U64 numbers.
inline Value to_value(int64_t v) {
  return Value::i64(v);
}
inline Value to_value(int32_t v) {
  return Value::i64(v);
}
inline Value to_value(int16_t v) {
  return Value::i64(v);
}
inline Value to_value(int8_t v) {
  return Value::i64(v);
}
inline Value to_value(uint64_t v) {
  return Value::u64(v);
}
inline Value to_value(uint32_t v) {
  return Value::u64(v);
}
inline Value to_value(uint16_t v) {
  return Value::u64(v);
}
inline Value to_value(uint8_t v) {
  return Value::u64(v);
}
inline Value to_value(bool v) {
  return Value(v);
}
inline Value to_value(double v) {
  return Value::number(v);
}
inline Value to_value(const std::string& v) {
  return Value(v);
}
inline Value to_value(const char* v) {
  return Value(v);
}
inline Value to_value(const Value& v) {
  return v;
}
inline Value to_value(std::nullptr_t) {
  return Value();
}

template <typename T>
bool visit_in(InputVisitor& v, const char* name, std::vector<T>* out) {
  if (!v.start_list(name)) return false;
  out->clear();
  while (v.has_next()) {
    T elem{};
    if (!visit_in(v, nullptr, &elem)) return false;
    out->push_back(std::move(elem));
  }
  v.end_list();
  return true;
}

template <typename T>
bool visit_in(InputVisitor& v, const char* name, Box<T>* out) {
  return visit_in(v, name, &**out);
}

template <typename T>
Value to_value(const Box<T>& v) {
  return v.has_value() ? to_value(*v) : to_value(T{});
}

template <typename T>
Value to_value(const std::vector<T>& v) {
  std::vector<Value> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(to_value(e));
  return Value(std::move(out));
}

// Reads a whole Value as a T (a schema type, a built-in or a vector of
// them), e.g. from_value<MigrationParameters>(v). Error texts name the
// members relative to `v`.
template <typename T>
Result<T> from_value(const Value& v) {
  InputVisitor iv(v);
  T out{};
  if (!visit_in(iv, nullptr, &out)) return iv.take_error();
  return out;
}

}  // namespace migemu::qapi
