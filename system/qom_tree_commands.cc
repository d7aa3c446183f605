// qom-list and qom-get on the objects migemu models in QEMU's composition
// tree: the vCPUs (/machine/unattached/device[N]), the containers of
// user-created devices (/machine/peripheral, /machine/peripheral-anon) and
// the devices in them. Other paths are not modelled and answer as QEMU does
// for a path that does not exist.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "qapi/bool_parse.h"
#include "qapi/qapi-commands.h"
#include "system/balloon.h"
#include "system/device_options.h"
#include "system/pci_board.h"
#include "system/qom_registry.h"
#include "system/vcpus.h"
#include "system/vm.h"
#include "util/hash_order.h"

namespace migemu::qapi {

namespace {

constexpr const char* kPeripheral = "/machine/peripheral";
constexpr const char* kPeripheralAnon = "/machine/peripheral-anon";

struct Resolved {
  enum class Kind { None, Ambiguous, Cpu, Container, Device } kind = Kind::None;
  const X86Cpu* cpu = nullptr;
  std::string path;
  const DeviceConfig* device = nullptr;
};

// Where a -device lives: /machine/peripheral/ID, or device[N] in
// /machine/peripheral-anon for the N-th device without an id.
std::vector<std::pair<std::string, const DeviceConfig*>> device_paths() {
  std::vector<std::pair<std::string, const DeviceConfig*>> out;
  int anon = 0;
  for (const DeviceConfig& d : vm().config().devices) {
    out.emplace_back(d.id
                         ? std::string(kPeripheral) + "/" + *d.id
                         : std::string(kPeripheralAnon) + "/device[" + std::to_string(anon++) + "]",
                     &d);
  }
  return out;
}

std::vector<std::string> object_paths() {
  std::vector<std::string> paths = {"/machine/peripheral", "/machine/peripheral-anon"};
  for (size_t i = 0; i < vcpus().count(); i++) paths.push_back(vcpus().cpu(i).qom_path());
  for (const auto& [path, dev] : device_paths()) paths.push_back(path);
  return paths;
}

// object_resolve_path: an absolute path names one object; a partial path
// matches any object whose path ends in it, and must match exactly one.
Resolved resolve(const std::string& path) {
  std::string found;
  int matches = 0;
  for (const std::string& p : object_paths()) {
    bool hit =
        path.starts_with('/') ? p == path : (p.size() > path.size() && p.ends_with("/" + path));
    if (hit) {
      found = p;
      matches++;
    }
  }
  Resolved r;
  if (matches > 1) r.kind = Resolved::Kind::Ambiguous;
  if (matches != 1) return r;
  r.path = found;
  if (const X86Cpu* cpu = vcpus().find_by_path(found)) {
    r.kind = Resolved::Kind::Cpu;
    r.cpu = cpu;
  } else if (found == kPeripheral || found == kPeripheralAnon) {
    r.kind = Resolved::Kind::Container;
  } else {
    r.kind = Resolved::Kind::Device;
    for (const auto& [path, dev] : device_paths()) {
      if (found == path) r.device = dev;
    }
  }
  return r;
}

Error not_found(const Resolved& r, const std::string& path) {
  if (r.kind == Resolved::Kind::Ambiguous) return generic_error("Path '" + path + "' is ambiguous");
  return Error{ErrorClass::DeviceNotFound, "Device '" + path + "' not found"};
}

std::vector<ObjectPropertyInfo> container_children(bool anon) {
  // The container's class property, then its children as QEMU lists them:
  // hash order, reversed by prepending.
  std::vector<ObjectPropertyInfo> out = {ObjectPropertyInfo{"type", "string", {}, {}}};
  std::vector<std::string> names;
  std::map<std::string, std::string> types;
  int anon_n = 0;
  for (const DeviceConfig& d : vm().config().devices) {
    std::string name = d.id ? *d.id : "device[" + std::to_string(anon_n++) + "]";
    if (d.id.has_value() == anon) continue;
    names.push_back(name);
    types[name] = d.driver;
  }
  std::vector<std::string> order = ghash_iteration_order(names);
  std::reverse(order.begin(), order.end());
  for (const std::string& n : order) {
    out.push_back(ObjectPropertyInfo{n, "child<" + types[n] + ">", {}, {}});
  }
  return out;
}

// The properties of a realized -device: its type's, and what realizing it
// in this machine added or left out (a root port's bus, named by its id; a
// virtio device behind a PCIe port has no legacy I/O region).
std::vector<QomProperty> live_properties(const DeviceConfig& dev) {
  std::vector<QomProperty> out;
  const QomType* t = qom_registry().find(dev.driver);
  if (!t) return out;
  for (const QomProperty* p : qom_registry().live_object_properties(*t)) {
    if (p->name == "virtio-pci[1]" && virtio_modern_only(dev)) continue;  // the legacy I/O BAR
    out.push_back(*p);
  }
  if (dev.driver == "pcie-root-port") {
    QomProperty bus;
    bus.name = pci_port_bus_name(dev);
    bus.type = "child<PCIE>";
    out.push_back(bus);
  }
  return out;
}

const QomProperty* find_property(const std::vector<QomProperty>& props, const std::string& name) {
  for (const QomProperty& p : props) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// The value a qdev property `p` of dev reads back: the -device setting (a
// bool as parsed), or its default; nullopt for a property without one.
std::optional<Value> configured_or_default(const DeviceConfig& dev, const QomProperty* p) {
  if (!p || !p->default_value) return std::nullopt;
  auto given = dev.props.find(p->name);
  if (given == dev.props.end()) return *p->default_value;
  // Checked when the device was made (device_options.cc).
  const std::string& v = given->second;
  if (p->type == "bool") return Value(qapi_bool_parse(v).value_or(false));
  if (p->type.starts_with("uint")) return Value::u64(std::strtoull(v.c_str(), nullptr, 0));
  return *p->default_value;
}

// qom-get on isa-serial: serial_isa_realizefn() numbers the ports in the
// order they are made, the board's first, and gives each the standard
// COM port address and IRQ of its number unless told otherwise.
std::optional<Value> serial_property(const DeviceConfig& dev, const std::string& name,
                                     const QomProperty* p) {
  static constexpr uint32_t kIobase[] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
  static constexpr uint32_t kIrq[] = {4, 3, 4, 3};
  const Config& cfg = vm().config();
  uint32_t index = isa_serial_index(cfg, dev);
  auto setting = [&dev](const char* key, uint32_t fallback) {
    // Checked as an unsigned 32-bit integer when the device was made.
    auto it = dev.props.find(key);
    return Value::u64(it != dev.props.end() ? std::strtoull(it->second.c_str(), nullptr, 0)
                                            : fallback);
  };
  if (name == "index") return Value::u64(index);
  if (name == "iobase") return setting("iobase", index < 4 ? kIobase[index] : 0);
  if (name == "irq") return setting("irq", index < 4 ? kIrq[index] : 0);
  if (name == "hotpluggable" || name == "hotplugged") return Value(false);
  if (name == "chardev") return Value(std::string());  // none given
  if (name == "parent_bus") {
    // The ISA bridge: made right after the vCPUs (and, on pc, the host bridge).
    return Value("/machine/unattached/device[" +
                 std::to_string(vcpus().count() + (machine_is_q35(cfg) ? 1 : 2)) + "]/isa.0");
  }
  return configured_or_default(dev, p);
}

// qom-get on the PCI device migemu creates (virtio-balloon-pci), read back
// as QEMU 7.2 reports a realized one; nullopt for a name it does not have.
std::optional<Value> pci_device_property(const DeviceConfig& dev, const std::string& name,
                                         const QomProperty* p) {
  if (name == "guest-stats") return balloon().guest_stats();
  if (name == "guest-stats-polling-interval") return Value::i64(balloon().poll_interval());
  if (name == "addr") return Value::i64(dev.pci_devfn);
  if (name == "legacy-addr") {
    char text[16];
    std::snprintf(text, sizeof text, "%02x.%x", dev.pci_devfn >> 3, dev.pci_devfn & 7);
    return Value(std::string(text));
  }
  const bool q35 = machine_is_q35(vm().config());
  const bool behind_port = !dev.pci_bus.empty();
  if (name == "parent_bus") {
    if (behind_port) {
      return Value(std::string(kPeripheral) + "/" + dev.pci_bus + "/" + dev.pci_bus);
    }
    return Value(std::string(q35 ? "/machine/q35/pcie.0" : "/machine/i440fx/pci.0"));
  }
  // The PCIe root bus of q35 takes no hotplug; pc's PCI bus and a root
  // port (hotplug=on, its default) do.
  if (name == "hotpluggable") {
    if (!behind_port) return Value(!q35);
    if (const DeviceConfig* port = find_root_port(vm().config(), dev.pci_bus)) {
      std::vector<QomProperty> port_props = live_properties(*port);
      return configured_or_default(*port, find_property(port_props, "hotplug"));
    }
  }
  if (name == "hotplugged") return Value(false);
  // A transitional virtio device keeps its legacy interface on a
  // conventional bus and drops it behind a PCIe port.
  if (name == "disable-legacy" && dev.driver == "virtio-balloon-pci") {
    return Value(std::string(behind_port ? "on" : "off"));
  }
  // Unset strings and links read as "".
  if (p && (p->type == "str" || p->type.starts_with("link<"))) return Value(std::string());
  return configured_or_default(dev, p);
}

// qom-set on a -device (isa-serial, virtio-balloon-pci), realized: the
// stats interval of the balloon is the one property QEMU lets a running one
// change; the rest are read-only or qdev properties fixed by realize.
Status device_set(const DeviceConfig& dev, const std::string& name, const QomSetValue& value) {
  std::vector<QomProperty> props = live_properties(dev);
  const QomProperty* prop = find_property(props, name);
  if (!prop) return generic_error("Property '" + dev.driver + "." + name + "' not found");
  if (name == "realized") return qom_set_realized(dev.driver, value);
  if (name == "guest-stats-polling-interval") {
    Result<int64_t> n = qom_set_int(name, value);
    if (!n.ok()) return n.take_error();
    return balloon().set_poll_interval(*n);
  }
  const std::string& owner = prop->alias_of.empty() ? dev.driver : prop->alias_of;
  // Read-only: QOM's and qdev's own, children, the legacy-* strings, stats.
  if (name == "type" || name == "hotplugged" || name == "hotpluggable" || name == "parent_bus" ||
      name == "guest-stats" || name.starts_with("legacy-") || prop->type.starts_with("child<")) {
    return qom_not_writable(owner, name);
  }
  if (prop->type.starts_with("link<")) {
    Result<std::string> target = qom_set_str(name, value);
    if (!target.ok()) return target.take_error();
    if (!target->empty()) {
      Resolved::Kind kind = resolve(*target).kind;
      if (kind != Resolved::Kind::Container && kind != Resolved::Kind::Device) {
        return Error{ErrorClass::DeviceNotFound, "Device '" + *target + "' not found"};
      }
    }
    return qom_link_set_after_realize(name, owner);
  }
  // An alias names the child, which has no id.
  const std::string* id = prop->alias_of.empty() && dev.id ? &*dev.id : nullptr;
  return qom_set_after_realize(name, id, owner);
}

}  // namespace

Status qom_set(const std::string& path, const std::string& property, const QomSetValue& value) {
  Resolved r = resolve(path);
  switch (r.kind) {
    case Resolved::Kind::Cpu:
      return vcpus().find_by_path(r.path)->set(property, value);
    case Resolved::Kind::Container:
      // Its class property and its children, none of them writable.
      for (const ObjectPropertyInfo& p : container_children(r.path == kPeripheralAnon)) {
        if (p.name == property) return qom_not_writable("container", property);
      }
      return generic_error("Property 'container." + property + "' not found");
    case Resolved::Kind::Device:
      return device_set(*r.device, property, value);
    default:
      // qom-set, like qom-get, does not tell an ambiguous path apart.
      return Error{ErrorClass::DeviceNotFound, "Device '" + path + "' not found"};
  }
}

Status qmp_qom_set(const QomSetArg& args, CommandContext&) {
  return qom_set(args.path, args.property, QomSetValue{args.value});
}

Result<std::vector<ObjectPropertyInfo>> qmp_qom_list(const QomListArg& args, CommandContext&) {
  Resolved r = resolve(args.path);
  switch (r.kind) {
    case Resolved::Kind::Cpu: {
      std::vector<ObjectPropertyInfo> out;
      for (const QomPropertyEntry& p : r.cpu->properties()) {
        out.push_back(ObjectPropertyInfo{p.name, p.type, {}, {}});
      }
      return out;
    }
    case Resolved::Kind::Container:
      return container_children(r.path == kPeripheralAnon);
    case Resolved::Kind::Device: {
      std::vector<ObjectPropertyInfo> out;
      for (const QomProperty& p : live_properties(*r.device)) {
        out.push_back(ObjectPropertyInfo{p.name, p.type, {}, {}});
      }
      return out;
    }
    default:
      return not_found(r, args.path);
  }
}

Result<Value> qmp_qom_get(const QomGetArg& args, CommandContext&) {
  Resolved r = resolve(args.path);
  if (r.kind == Resolved::Kind::Ambiguous || r.kind == Resolved::Kind::None) {
    return Error{ErrorClass::DeviceNotFound, "Device '" + args.path + "' not found"};
  }
  if (r.kind == Resolved::Kind::Cpu) return r.cpu->get(args.property);
  if (r.kind == Resolved::Kind::Container) {
    for (const ObjectPropertyInfo& p : container_children(r.path == kPeripheralAnon)) {
      if (p.name == args.property && p.name != "type") return Value(r.path + "/" + p.name);
    }
  }
  if (args.property == "type") {
    return Value(std::string(r.kind == Resolved::Kind::Container ? "container" : r.device->driver));
  }
  std::string type = r.kind == Resolved::Kind::Container ? "container" : r.device->driver;
  if (r.kind == Resolved::Kind::Device) {
    if (args.property == "realized") return Value(true);
    auto it = r.device->props.find(args.property);
    if (it != r.device->props.end() && args.property == "chardev") return Value(it->second);
    std::vector<QomProperty> props = live_properties(*r.device);
    const QomProperty* p = find_property(props, args.property);
    if (p && p->type.starts_with("child<")) return Value(r.path + "/" + args.property);
    std::optional<Value> v = r.device->pci_devfn >= 0
                                 ? pci_device_property(*r.device, args.property, p)
                                 : serial_property(*r.device, args.property, p);
    if (v) return std::move(*v);
  }
  return generic_error("Property '" + type + "." + args.property + "' not found");
}

}  // namespace migemu::qapi
