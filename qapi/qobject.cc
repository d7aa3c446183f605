#include "qapi/qobject.h"

#include <cmath>
#include <limits>

namespace migemu {

namespace {
constexpr size_t kIndexThreshold = 16;
}

Dict::Dict() = default;
Dict::Dict(const Dict& o) : entries_(o.entries_) {
  reindex();
}
Dict::Dict(Dict&& o) noexcept = default;
Dict& Dict::operator=(const Dict& o) {
  if (this != &o) {
    entries_ = o.entries_;
    reindex();
  }
  return *this;
}
Dict& Dict::operator=(Dict&& o) noexcept = default;
Dict::~Dict() = default;

void Dict::reindex() {
  index_.reset();
  if (entries_.size() < kIndexThreshold) return;
  index_ = std::make_unique<std::unordered_map<std::string, size_t>>();
  for (size_t i = 0; i < entries_.size(); i++) (*index_)[entries_[i].first] = i;
}

void Dict::put(std::string key, Value v) {
  if (Value* existing = get(key)) {
    *existing = std::move(v);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(v));
  if (index_) {
    (*index_)[entries_.back().first] = entries_.size() - 1;
  } else if (entries_.size() >= kIndexThreshold) {
    reindex();
  }
}

const Value* Dict::get(std::string_view key) const {
  if (index_) {
    auto it = index_->find(std::string(key));
    return it == index_->end() ? nullptr : &entries_[it->second].second;
  }
  for (const auto& e : entries_)
    if (e.first == key) return &e.second;
  return nullptr;
}

Value* Dict::get(std::string_view key) {
  return const_cast<Value*>(std::as_const(*this).get(key));
}

bool Dict::remove(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      reindex();
      return true;
    }
  }
  return false;
}

bool Dict::operator==(const Dict& o) const {
  if (size() != o.size()) return false;
  for (const auto& e : entries_) {
    const Value* v = o.get(e.first);
    if (!v || !(*v == e.second)) return false;
  }
  return true;
}

Value Value::i64(int64_t v) {
  Value r;
  r.type_ = Type::Number;
  r.kind_ = NumKind::I64;
  r.i_ = v;
  return r;
}

Value Value::u64(uint64_t v) {
  Value r;
  r.type_ = Type::Number;
  r.kind_ = NumKind::U64;
  r.u_ = v;
  return r;
}

Value Value::number(double v) {
  Value r;
  r.type_ = Type::Number;
  r.kind_ = NumKind::Double;
  r.d_ = v;
  return r;
}

Value::Value(std::vector<Value> l)
    : type_(Type::List), list_(std::make_shared<std::vector<Value>>(std::move(l))) {}
Value::Value(Dict d) : type_(Type::Dict), dict_(std::make_shared<Dict>(std::move(d))) {}

void Value::deep_copy_from(const Value& o) {
  type_ = o.type_;
  kind_ = o.kind_;
  b_ = o.b_;
  i_ = o.i_;
  u_ = o.u_;
  d_ = o.d_;
  s_ = o.s_;
  list_ = o.list_ ? std::make_shared<std::vector<Value>>(*o.list_) : nullptr;
  dict_ = o.dict_ ? std::make_shared<Dict>(*o.dict_) : nullptr;
}

Value::Value(const Value& o) {
  deep_copy_from(o);
}
Value& Value::operator=(const Value& o) {
  if (this != &o) {
    Value tmp(o);
    *this = std::move(tmp);
  }
  return *this;
}

bool Value::get_try_int(int64_t* out) const {
  if (type_ != Type::Number) return false;
  switch (kind_) {
    case NumKind::I64:
      *out = i_;
      return true;
    case NumKind::U64:
      if (u_ > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(u_);
      return true;
    case NumKind::Double:
      return false;
  }
  return false;
}

bool Value::get_try_uint(uint64_t* out) const {
  if (type_ != Type::Number) return false;
  switch (kind_) {
    case NumKind::I64:
      if (i_ < 0) return false;
      *out = static_cast<uint64_t>(i_);
      return true;
    case NumKind::U64:
      *out = u_;
      return true;
    case NumKind::Double:
      return false;
  }
  return false;
}

double Value::get_double() const {
  switch (kind_) {
    case NumKind::I64:
      return static_cast<double>(i_);
    case NumKind::U64:
      return static_cast<double>(u_);
    case NumKind::Double:
      return d_;
  }
  return 0;
}

bool Value::operator==(const Value& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::Null:
      return true;
    case Type::Bool:
      return b_ == o.b_;
    case Type::Number:
      if (kind_ != o.kind_) return false;
      if (kind_ == NumKind::I64) return i_ == o.i_;
      if (kind_ == NumKind::U64) return u_ == o.u_;
      return d_ == o.d_ || (std::isnan(d_) && std::isnan(o.d_));
    case Type::String:
      return s_ == o.s_;
    case Type::List:
      return *list_ == *o.list_;
    case Type::Dict:
      return *dict_ == *o.dict_;
  }
  return false;
}

Dict make_dict(std::initializer_list<std::pair<const char*, Value>> items) {
  Dict d;
  for (const auto& [k, v] : items) d.put(k, v);
  return d;
}

}  // namespace migemu
