// QomRegistry: lookups and the three listings, following QEMU 7.2's
// qom/qom-qmp-cmds.c (what is listed, which errors, in which order checked).
#include "system/qom_registry.h"

#include <cassert>

#include "qapi/bool_parse.h"
#include "qapi/strtox.h"
#include "qapi/visit_runtime.h"

namespace migemu {

void QomRegistry::add(QomType type) {
  assert(!index_.count(type.name));
  assert(type.parent.empty() || index_.count(type.parent));
  index_.emplace(type.name, types_.size());
  types_.push_back(std::move(type));
}

const QomType* QomRegistry::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &types_[it->second];
}

bool QomRegistry::is_a(const QomType& type, std::string_view ancestor) const {
  for (const QomType* t = &type; t; t = t->parent.empty() ? nullptr : find(t->parent)) {
    if (t->name == ancestor) return true;
    for (const std::string& i : t->interfaces) {
      const QomType* iface = find(i);
      if (iface && is_a(*iface, ancestor)) return true;
    }
  }
  return false;
}

std::vector<const QomType*> QomRegistry::list(const std::optional<std::string>& implements,
                                              bool include_abstract) const {
  std::vector<const QomType*> out;
  for (const QomType& t : types_) {
    if (t.abstract && !include_abstract) continue;
    if (implements && !is_a(t, *implements)) continue;
    out.push_back(&t);
  }
  return out;
}

std::vector<const QomProperty*> QomRegistry::collect(const QomType& type, bool with_instance,
                                                     bool realized) const {
  // QEMU walks the object's own properties first, then the class chain from
  // the type up to "object".
  std::vector<const QomProperty*> out;
  std::vector<const QomType*> chain;
  for (const QomType* t = &type; t; t = t->parent.empty() ? nullptr : find(t->parent)) {
    chain.push_back(t);
  }
  if (with_instance) {
    for (const QomType* t : chain) {
      for (const QomProperty& p : t->properties) {
        if (p.per_instance && (!p.on_realize || realized)) out.push_back(&p);
      }
    }
  }
  for (const QomType* t : chain) {
    for (const QomProperty& p : t->properties) {
      if (!p.per_instance) out.push_back(&p);
    }
  }
  return out;
}

Result<std::vector<const QomProperty*>> QomRegistry::object_properties(
    std::string_view name) const {
  const QomType* t = find(name);
  if (!t) {
    return Error{ErrorClass::DeviceNotFound, "Class '" + std::string(name) + "' not found"};
  }
  if (!is_a(*t, "object")) {
    return generic_error("Parameter 'typename' expects a QOM type");
  }
  return collect(*t, !t->abstract);
}

std::vector<const QomProperty*> QomRegistry::live_object_properties(const QomType& type) const {
  return collect(type, true, true);
}

Result<std::vector<const QomProperty*>> QomRegistry::device_properties(
    std::string_view name) const {
  const QomType* t = find(name);
  if (!t) {
    return Error{ErrorClass::DeviceNotFound, "Device '" + std::string(name) + "' not found"};
  }
  if (!is_a(*t, "device") || t->abstract) {
    return generic_error("Parameter 'typename' expects a non-abstract device type");
  }
  std::vector<const QomProperty*> out;
  for (const QomProperty* p : collect(*t, true)) {
    // Object's and DeviceState's own properties, and the legacy-* string
    // doubles of qdev properties, are not device settings.
    const std::string& n = p->name;
    if (n == "type" || n == "realized" || n == "hotpluggable" || n == "hotplugged" ||
        n == "parent_bus" || n.rfind("legacy-", 0) == 0) {
      continue;
    }
    out.push_back(p);
  }
  return out;
}

Error qom_not_writable(const std::string& type, const std::string& name) {
  return generic_error("Property '" + type + "." + name + "' is not writable");
}

Error qom_set_after_realize(const std::string& name, const std::string* id,
                            const std::string& type) {
  std::string who = id ? "device '" + *id + "'" : std::string("anonymous device");
  return generic_error("Attempt to set property '" + name + "' on " + who + " (type '" + type +
                       "') after it was realized");
}

Error qom_link_set_after_realize(const std::string& name, const std::string& type) {
  // QEMU prints the id of the link's owner with %s, which is null here.
  return generic_error("Attempt to set link property '" + name + "' on device '(null)' (type '" +
                       type + "') after it was realized");
}

// QEMU reads a qom-set value with a QObject input visitor, named after the
// property, or with a string visitor for HMP's text.
Result<int64_t> qom_set_int(const std::string& name, const QomSetValue& v) {
  int64_t n = 0;
  if (v.text) {
    if (parse_i64(v.value.as_string(), 0, &n) != ParseStatus::kOk) {
      return generic_error("Parameter '" + name + "' expects int64");
    }
    return n;
  }
  qapi::InputVisitor in(v.value);
  if (!in.type_int64(name.c_str(), &n)) return in.take_error();
  return n;
}

Result<bool> qom_set_bool(const std::string& name, const QomSetValue& v) {
  if (v.text) {
    std::optional<bool> b = qapi_bool_parse(v.value.as_string());
    if (!b) return generic_error("Parameter '" + name + "' expects 'on' or 'off'");
    return *b;
  }
  bool b = false;
  qapi::InputVisitor in(v.value);
  if (!in.type_bool(name.c_str(), &b)) return in.take_error();
  return b;
}

Result<std::string> qom_set_str(const std::string& name, const QomSetValue& v) {
  std::string str;
  qapi::InputVisitor in(v.value);
  if (!in.type_str(name.c_str(), &str)) return in.take_error();
  return str;
}

Status qom_set_realized(const std::string& type, const QomSetValue& v) {
  Result<bool> b = qom_set_bool("realized", v);
  if (!b.ok()) return b.take_error();
  if (!*b) return generic_error("unrealizing a " + type + " is not supported by migemu");
  return {};
}

}  // namespace migemu
