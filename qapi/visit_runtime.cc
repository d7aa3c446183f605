#include "qapi/visit_runtime.h"

#include <glib.h>

#include <cassert>
#include <limits>

#include "qapi/json_writer.h"

namespace migemu::qapi {

InputVisitor::InputVisitor(const Value& root) {
  root_.value = &root;
}
InputVisitor::InputVisitor(const Dict& root) {
  root_.dict = &root;
}

Error InputVisitor::take_error() {
  assert(error_.has_value());
  Error e = std::move(*error_);
  error_.reset();
  return e;
}

bool InputVisitor::fail(std::string desc) {
  if (!error_) error_ = generic_error(std::move(desc));
  return false;
}

// The path QEMU's full_name() builds: walk the open containers from the
// innermost out, prefixing ".member" for objects and "[i]" for arrays.
std::string InputVisitor::full_name(const char* name) const {
  std::string out;
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
    if (it->dict) {
      out.insert(0, name ? name : "<anonymous>");
      out.insert(0, ".");
    } else {
      out.insert(0, "[" + std::to_string(it->index) + "]");
    }
    name = it->name;
  }
  if (name) {
    out.insert(0, name);
  } else if (!out.empty() && out[0] == '.') {
    out.erase(0, 1);
  } else if (out.empty()) {
    return "<anonymous>";
  }
  return out;
}

bool InputVisitor::fail_type(const char* name, const char* expected) {
  return fail("Invalid parameter type for '" + full_name(name) + "', expected: " + expected);
}

// Range errors of the narrow integer types name the member alone (QEMU's
// visit_type_intN/uintN), and a list element as "null".
bool InputVisitor::range_fail(const char* name, const char* type) {
  return fail(std::string("Parameter '") + (name ? name : "null") + "' expects " + type);
}

InputVisitor::Node InputVisitor::get(const char* name, bool consume) {
  if (stack_.empty()) return root_;
  Frame& top = stack_.back();
  Node n;
  if (top.dict) {
    assert(name);
    n.value = top.dict->get(name);
    if (n.value && consume) top.consumed.push_back(name);
    return n;
  }
  assert(!name);
  if (top.next < top.list->size()) {
    n.value = &(*top.list)[top.next];
    if (consume) top.next++;
  }
  if (consume) top.index++;
  return n;
}

InputVisitor::Node InputVisitor::get_or_fail(const char* name) {
  Node n = get(name, true);
  if (!n) fail("Parameter '" + full_name(name) + "' is missing");
  return n;
}

bool InputVisitor::start_struct(const char* name) {
  Node n = get_or_fail(name);
  if (!n) return false;
  const Dict* d = n.as_dict();
  if (!d) return fail_type(name, "object");
  Frame f;
  f.name = name;
  f.dict = d;
  stack_.push_back(std::move(f));
  return true;
}

// QEMU keeps the not-yet-visited keys in a GHashTable (filled in QDict
// order, emptied as members are visited) and reports the first key its
// iterator returns. The same table is rebuilt here, only when a key is
// left over, so that with several extra keys the same one is named.
std::string InputVisitor::first_leftover(const Frame& f) const {
  GHashTable* h = g_hash_table_new(g_str_hash, g_str_equal);
  const auto& entries = f.dict->entries();
  for (size_t i : qdict_iteration_order(*f.dict)) {
    g_hash_table_insert(h, const_cast<char*>(entries[i].first.c_str()), nullptr);
  }
  for (const char* key : f.consumed) g_hash_table_remove(h, key);
  GHashTableIter it;
  gpointer key = nullptr;
  g_hash_table_iter_init(&it, h);
  std::string out;
  if (g_hash_table_iter_next(&it, &key, nullptr)) out = static_cast<const char*>(key);
  g_hash_table_unref(h);
  return out;
}

bool InputVisitor::check_struct() {
  assert(!stack_.empty() && stack_.back().dict);
  const Frame& top = stack_.back();
  if (top.consumed.size() == top.dict->size()) return true;
  std::string key = first_leftover(top);
  return fail("Parameter '" + full_name(key.c_str()) + "' is unexpected");
}

void InputVisitor::end_struct() {
  assert(!stack_.empty() && stack_.back().dict);
  stack_.pop_back();
}

bool InputVisitor::start_list(const char* name) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (!n.value || !n.value->is_list()) return fail_type(name, "array");
  Frame f;
  f.name = name;
  f.list = &n.value->as_list();
  stack_.push_back(std::move(f));
  return true;
}

bool InputVisitor::has_next() const {
  assert(!stack_.empty() && stack_.back().list);
  const Frame& top = stack_.back();
  return top.next < top.list->size();
}

void InputVisitor::end_list() {
  assert(!stack_.empty() && stack_.back().list);
  stack_.pop_back();
}

std::optional<Value::Type> InputVisitor::start_alternate(const char* name) {
  Node n = get(name, false);
  if (!n) {
    fail("Parameter '" + full_name(name) + "' is missing");
    return std::nullopt;
  }
  return n.value ? n.value->type() : Value::Type::Dict;
}

bool InputVisitor::fail_alternate(const char* name, const char* alternate_name) {
  return fail(std::string("Invalid parameter type for '") + (name ? name : "null") +
              "', expected: " + alternate_name);
}

bool InputVisitor::optional(const char* name) {
  return static_cast<bool>(get(name, false));
}

bool InputVisitor::type_int64(const char* name, int64_t* out) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (!n.value || !n.value->is_number() || !n.value->get_try_int(out)) {
    return fail_type(name, "integer");
  }
  return true;
}

bool InputVisitor::type_int32(const char* name, int32_t* out) {
  int64_t v;
  if (!type_int64(name, &v)) return false;
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return range_fail(name, "int32_t");
  }
  *out = static_cast<int32_t>(v);
  return true;
}

bool InputVisitor::type_int16(const char* name, int16_t* out) {
  int64_t v;
  if (!type_int64(name, &v)) return false;
  if (v < std::numeric_limits<int16_t>::min() || v > std::numeric_limits<int16_t>::max()) {
    return range_fail(name, "int16_t");
  }
  *out = static_cast<int16_t>(v);
  return true;
}

bool InputVisitor::type_int8(const char* name, int8_t* out) {
  int64_t v;
  if (!type_int64(name, &v)) return false;
  if (v < std::numeric_limits<int8_t>::min() || v > std::numeric_limits<int8_t>::max()) {
    return range_fail(name, "int8_t");
  }
  *out = static_cast<int8_t>(v);
  return true;
}

bool InputVisitor::type_uint64(const char* name, uint64_t* out) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (n.value && n.value->is_number()) {
    if (n.value->get_try_uint(out)) return true;
    int64_t i;
    if (n.value->get_try_int(&i)) {
      *out = static_cast<uint64_t>(i);
      return true;
    }
  }
  return fail("Parameter '" + full_name(name) + "' expects uint64");
}

bool InputVisitor::type_uint32(const char* name, uint32_t* out) {
  uint64_t v;
  if (!type_uint64(name, &v)) return false;
  if (v > std::numeric_limits<uint32_t>::max()) return range_fail(name, "uint32_t");
  *out = static_cast<uint32_t>(v);
  return true;
}

bool InputVisitor::type_uint16(const char* name, uint16_t* out) {
  uint64_t v;
  if (!type_uint64(name, &v)) return false;
  if (v > std::numeric_limits<uint16_t>::max()) return range_fail(name, "uint16_t");
  *out = static_cast<uint16_t>(v);
  return true;
}

bool InputVisitor::type_uint8(const char* name, uint8_t* out) {
  uint64_t v;
  if (!type_uint64(name, &v)) return false;
  if (v > std::numeric_limits<uint8_t>::max()) return range_fail(name, "uint8_t");
  *out = static_cast<uint8_t>(v);
  return true;
}

bool InputVisitor::type_bool(const char* name, bool* out) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (!n.value || !n.value->is_bool()) return fail_type(name, "boolean");
  *out = n.value->as_bool();
  return true;
}

bool InputVisitor::type_str(const char* name, std::string* out) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (!n.value || !n.value->is_string()) return fail_type(name, "string");
  *out = n.value->as_string();
  return true;
}

bool InputVisitor::type_number(const char* name, double* out) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (!n.value || !n.value->is_number()) return fail_type(name, "number");
  *out = n.value->get_double();
  return true;
}

bool InputVisitor::type_any(const char* name, Value* out) {
  Node n = get_or_fail(name);
  if (!n) return false;
  *out = n.value ? *n.value : Value(*n.dict);
  return true;
}

bool InputVisitor::type_null(const char* name) {
  Node n = get_or_fail(name);
  if (!n) return false;
  if (!n.value || !n.value->is_null()) return fail_type(name, "null");
  return true;
}

bool InputVisitor::fail_enum(const char* name, std::string_view value) {
  return fail(std::string("Parameter '") + (name ? name : "null") + "' does not accept value '" +
              std::string(value) + "'");
}

const Dict& empty_dict() {
  static const Dict d;
  return d;
}

Status check_no_arguments(const Dict* args) {
  InputVisitor v(args ? *args : empty_dict());
  if (!v.start_struct(nullptr) || !v.check_struct()) return v.take_error();
  v.end_struct();
  return {};
}

bool visit_in(InputVisitor& v, const char* name, int64_t* out) {
  return v.type_int64(name, out);
}
bool visit_in(InputVisitor& v, const char* name, int32_t* out) {
  return v.type_int32(name, out);
}
bool visit_in(InputVisitor& v, const char* name, int16_t* out) {
  return v.type_int16(name, out);
}
bool visit_in(InputVisitor& v, const char* name, int8_t* out) {
  return v.type_int8(name, out);
}
bool visit_in(InputVisitor& v, const char* name, uint64_t* out) {
  return v.type_uint64(name, out);
}
bool visit_in(InputVisitor& v, const char* name, uint32_t* out) {
  return v.type_uint32(name, out);
}
bool visit_in(InputVisitor& v, const char* name, uint16_t* out) {
  return v.type_uint16(name, out);
}
bool visit_in(InputVisitor& v, const char* name, uint8_t* out) {
  return v.type_uint8(name, out);
}
bool visit_in(InputVisitor& v, const char* name, bool* out) {
  return v.type_bool(name, out);
}
bool visit_in(InputVisitor& v, const char* name, double* out) {
  return v.type_number(name, out);
}
bool visit_in(InputVisitor& v, const char* name, std::string* out) {
  return v.type_str(name, out);
}
bool visit_in(InputVisitor& v, const char* name, Value* out) {
  return v.type_any(name, out);
}
bool visit_in(InputVisitor& v, const char* name, std::nullptr_t* out) {
  *out = nullptr;
  return v.type_null(name);
}

}  // namespace migemu::qapi
