// The one error type of migemu: a QMP error class plus a human-readable text.
//
// Errors are returned (Result<T>), never thrown, so they cross threads and
// C callbacks safely. The desc texts follow QEMU 7.2 wording where QEMU has one.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace migemu {

// QapiErrorClass, in QEMU's order.
enum class ErrorClass {
  GenericError,
  CommandNotFound,
  DeviceNotActive,
  DeviceNotFound,
  KVMMissingCap
};

const char* error_class_name(ErrorClass cls);

struct Error {
  ErrorClass cls = ErrorClass::GenericError;
  std::string desc;
};

inline Error generic_error(std::string desc) {
  return Error{ErrorClass::GenericError, std::move(desc)};
}

// Value-or-Error. Small on purpose: C++20 has no std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error err) : v_(std::move(err)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    assert(ok());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error take_error() { return std::move(std::get<1>(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error err) : err_(std::move(err)) {}  // NOLINT

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *err_;
  }
  Error take_error() { return std::move(*err_); }

 private:
  std::optional<Error> err_;
};

using Status = Result<void>;

}  // namespace migemu

// Propagate an error from an expression yielding a Result.
#define MIGEMU_TRY(expr)                                        \
  do {                                                          \
    auto migemu_try_r_ = (expr);                                \
    if (!migemu_try_r_.ok()) return migemu_try_r_.take_error(); \
  } while (0)
