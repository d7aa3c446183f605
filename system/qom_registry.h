// A small model of QEMU's QOM type system: the types migemu implements, with
// their parents, interfaces and properties as QEMU 7.2 reports them. It
// answers qom-list-types, qom-list-properties and device-list-properties,
// and the machine, CPU and object tables elsewhere register into it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/error.h"
#include "qapi/qobject.h"

namespace migemu {

struct QomProperty {
  std::string name;
  std::string type;  // QEMU's property type text ("bool", "link<bus>", ...)
  std::optional<std::string> description;
  // The default a qdev property reports in device-list-properties.
  std::optional<Value> default_value;
  // Added to each object when it is created (not to the class): a listing of
  // an abstract type, which has no objects, leaves these out.
  bool per_instance = false;
  // Added when the object is realized (memory regions, buses): only a live
  // object's qom-list shows these, never a type's property listing.
  bool on_realize = false;
  // For a property QEMU adds as an alias of a child's property: the child's
  // type, which qom-set errors name (virtio-balloon-device, serial).
  std::string alias_of;
};

struct QomType {
  std::string name;
  std::string parent;  // empty for a root ("object", "interface")
  bool abstract = false;
  bool is_interface = false;
  std::vector<std::string> interfaces;
  std::vector<QomProperty> properties;  // this type's own
};

class QomRegistry {
 public:
  void add(QomType type);
  const QomType* find(std::string_view name) const;
  // object_class_dynamic_cast(): the type itself, an ancestor, or an
  // interface that it or an ancestor implements.
  bool is_a(const QomType& type, std::string_view ancestor) const;
  // In registration order.
  const std::vector<QomType>& types() const { return types_; }

  // What qom-list-types {implements, abstract} lists.
  std::vector<const QomType*> list(const std::optional<std::string>& implements,
                                   bool include_abstract) const;
  // qom-list-properties: Class 'X' not found (DeviceNotFound) / not a QOM
  // type; an abstract type lists its class properties, a concrete one
  // those of a new object.
  Result<std::vector<const QomProperty*>> object_properties(std::string_view name) const;
  // device-list-properties: Device 'X' not found / not a concrete device;
  // the properties of a new device without QOM's and qdev's own.
  Result<std::vector<const QomProperty*>> device_properties(std::string_view name) const;
  // qom-list of a realized object of this concrete type: its instance and
  // class properties plus those its realization adds.
  std::vector<const QomProperty*> live_object_properties(const QomType& type) const;

 private:
  std::vector<const QomProperty*> collect(const QomType& type, bool with_instance,
                                          bool realized = false) const;

  std::vector<QomType> types_;
  std::map<std::string, size_t, std::less<>> index_;
};

// The registry of everything migemu models, built on first use.
const QomRegistry& qom_registry();

// qom-set's answers on a realized object, in QEMU 7.2's words (the QObject
// input visitor's type errors, object_property_set's and
// qdev_prop_set_after_realize's). `id` is the device's id, null for an
// anonymous one.
Error qom_not_writable(const std::string& type, const std::string& name);
Error qom_set_after_realize(const std::string& name, const std::string* id,
                            const std::string& type);
Error qom_link_set_after_realize(const std::string& name, const std::string& type);
//
// The value to set comes from QMP (a JSON value, read as the QObject input
// visitor reads it) or from HMP `qom-set` without -j (text, which each
// property parses as its own type, as QEMU's string input visitor does).
struct QomSetValue {
  const Value& value;
  bool text = false;  // value is the HMP text (a string)
};
Result<int64_t> qom_set_int(const std::string& name, const QomSetValue& v);
Result<bool> qom_set_bool(const std::string& name, const QomSetValue& v);
Result<std::string> qom_set_str(const std::string& name, const QomSetValue& v);
// realized: true leaves the object as it is; false would unrealize it,
// which QEMU allows and migemu refuses (its objects cannot be remade).
Status qom_set_realized(const std::string& type, const QomSetValue& v);

}  // namespace migemu
