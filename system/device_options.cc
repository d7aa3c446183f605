// -device driver checks and help (see device_options.h). The driver's class
// comes from migemu's QOM registry when migemu models it, otherwise from the
// table of QEMU 7.2's device types (qemu_device_types.h).
#include "system/device_options.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

#include "qapi/bool_parse.h"
#include "qapi/json_writer.h"
#include "qapi/strtox.h"
#include "system/pci_board.h"
#include "system/qemu_device_types.h"
#include "system/qemu_opts.h"
#include "system/qom_registry.h"

namespace migemu {

namespace {

// What migemu emulates, with the bus kind each plugs into.
struct Creatable {
  const char* name;
  const char* bus;
};
constexpr Creatable kCreatable[] = {{"isa-serial", "ISA"},
                                    {"virtio-balloon-pci", "PCI"},
                                    {"virtio-balloon-pci-transitional", "PCI"},
                                    {"virtio-balloon-pci-non-transitional", "PCI"},
                                    {"pcie-root-port", "PCI"}};

const Creatable* creatable(const std::string& driver) {
  for (const Creatable& c : kCreatable) {
    if (driver == c.name) return &c;
  }
  return nullptr;
}

Error not_supported(const std::string& driver) {
  return generic_error("device '" + driver + "' is not supported by migemu");
}

Error no_bus(const std::string& bus, const std::string& driver) {
  return generic_error("No '" + bus + "' bus found for device '" + driver + "'");
}

// The buses the board offers: PCI and ISA on pc/q35, USB only with usb=on.
// Other bus kinds (IDE, SCSI, virtio, ...) exist or not in QEMU depending on
// more than the board; migemu emulates no device on them either way.
bool board_lacks_bus(const std::string& bus, const MachineType& m, const MachineConfig& mc) {
  if (bus == "PCI" || bus == "ISA") return !m.is_pc;
  if (bus == "usb-bus") return !(m.is_pc && mc.usb);
  return false;
}

// object_property_help(): "  name=<type>", padded to 24 columns when a
// description or default follows.
std::string property_help_line(const QomProperty& p) {
  std::string line = "  " + p.name + "=<" + p.type + ">";
  if (!p.description && !p.default_value) return line;
  if (line.size() < 24) line.resize(24, ' ');
  line += " - " + p.description.value_or("");
  if (p.default_value) line += " (default: " + to_json(*p.default_value) + ")";
  return line;
}

// The properties of each creatable device that migemu honours or that only
// a guest driver or firmware would notice (none runs): the serial port's
// wiring and UART clock, the balloon's feature bits and virtqueue options,
// the root port's numbers and hotplug settings. Others that change what the
// machine looks like (ROM BAR, legacy/modern layout, iothread, window
// sizes) are refused.
bool property_used(const std::string& driver, const std::string& name) {
  static constexpr const char* kSerial[] = {"chardev", "index",    "iobase",
                                            "irq",     "baudbase", "wakeup"};
  static constexpr const char* kBalloon[] = {
      "addr",           "multifunction", "deflate-on-oom", "free-page-reporting", "page-poison",
      "free-page-hint", "indirect_desc", "event_idx",      "notify_on_empty",     "any_layout",
      "packed"};
  // The port's place and identity, and what only the guest sees of it.
  static constexpr const char* kRootPort[] = {"addr",
                                              "multifunction",
                                              "port",
                                              "chassis",
                                              "slot",
                                              "hotplug",
                                              "x-native-hotplug",
                                              "power_controller_present",
                                              "disable-acs",
                                              "aer_log_max",
                                              "bus-reserve"};
  auto in = [&name](const auto& list) {
    return std::find(std::begin(list), std::end(list), name) != std::end(list);
  };
  if (name == "bus") return true;
  if (driver == "isa-serial") return in(kSerial);
  // The generic balloon's disable-legacy/disable-modern choose its PCI
  // layout, which libvirt picks by type instead; migemu leaves them at auto.
  return driver == "pcie-root-port" ? in(kRootPort) : in(kBalloon);
}

// An integer qdev property from -device key=value: C syntax (decimal, 0x
// hex, 0 octal) with an optional sign and nothing after it.
std::optional<long long> parse_int_setting(const std::string& v) {
  int64_t n = 0;
  if (v.empty() || std::isspace(static_cast<unsigned char>(v[0])) ||
      parse_i64(v, 0, &n) != ParseStatus::kOk) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

uint32_t isa_serial_index(const Config& cfg, const DeviceConfig& dev) {
  // serial_isa_realizefn() counts every port it makes, the board's first;
  // a port without index= takes the count.
  uint32_t counter = static_cast<uint32_t>(cfg.board_serial_ports);
  for (const DeviceConfig& d : cfg.devices) {
    if (&d == &dev) break;
    if (d.driver == "isa-serial") counter++;
  }
  auto given = dev.props.find("index");
  if (given == dev.props.end()) return counter;
  return static_cast<uint32_t>(parse_int_setting(given->second).value_or(0));
}

Result<std::string> check_device_driver(const std::string& driver, const MachineType& machine,
                                        const MachineConfig& machine_cfg) {
  const QomRegistry& reg = qom_registry();
  std::string name = driver;
  if (const QomType* t = reg.find(driver)) {
    if (!reg.is_a(*t, "device")) {
      return generic_error("'" + driver + "' is not a valid device model name");
    }
    if (t->abstract) {
      return generic_error("Parameter 'driver' expects a non-abstract device type");
    }
  } else {
    QemuDeviceType q = find_qemu_device_type(driver);
    switch (q.kind) {
      case QemuDeviceType::Kind::kUnknown:
        return generic_error("'" + driver + "' is not a valid device model name");
      case QemuDeviceType::Kind::kAbstract:
        return generic_error("Parameter 'driver' expects a non-abstract device type");
      case QemuDeviceType::Kind::kBoardOnly:
        return generic_error("Parameter 'driver' expects a pluggable device type");
      case QemuDeviceType::Kind::kCreatable:
        // An alias is reported by the name of the type it stands for.
        name = q.name;
        if (!creatable(name)) {
          if (board_lacks_bus(q.bus, machine, machine_cfg)) return no_bus(q.bus, name);
          return not_supported(name);
        }
    }
  }
  const Creatable* c = creatable(name);
  if (!c) return not_supported(name);  // the CPU models
  if (board_lacks_bus(c->bus, machine, machine_cfg)) return no_bus(c->bus, name);
  return name;
}

Status check_device_bus(const DeviceConfig& dev, const Config& cfg) {
  auto it = dev.props.find("bus");
  if (it == dev.props.end()) return {};
  // qbus_find(): the board's buses by id; then the bus must be of the
  // device's kind. migemu names the root PCI bus, the ISA bus and the buses
  // of root ports.
  const std::string& bus = it->second;
  // The bus's QOM type name: q35's root bus and a root port's bus are PCIe
  // buses, which take PCI devices as well.
  std::string kind, type_name;
  if (bus == pci_root_bus_name(cfg) || find_root_port(cfg, bus)) {
    kind = "PCI";
    type_name = bus == pci_root_bus_name(cfg) && !machine_is_q35(cfg) ? "PCI" : "PCIE";
  }
  if (bus == "isa.0") kind = type_name = "ISA";
  if (kind.empty()) return generic_error("Bus '" + bus + "' not found");
  const Creatable* c = creatable(dev.driver);
  if (c && kind != c->bus) {
    return generic_error("Device '" + dev.driver + "' can't go on " + type_name + " bus");
  }
  if (dev.driver == "pcie-root-port" && find_root_port(cfg, bus)) {
    // QEMU nests them; migemu models one level of ports below the root bus.
    return generic_error("a pcie-root-port behind another is not supported by migemu");
  }
  return {};
}

std::string device_pci_bus(const DeviceConfig& dev, const Config& cfg) {
  auto it = dev.props.find("bus");
  if (it == dev.props.end() || it->second == pci_root_bus_name(cfg)) return {};
  return it->second;
}

Status check_device_properties(const DeviceConfig& dev) {
  auto props = qom_registry().device_properties(dev.driver);
  for (const auto& [name, value] : dev.props) {
    const QomProperty* known = nullptr;
    if (props.ok()) {
      for (const QomProperty* p : *props) {
        if (p->name == name) known = p;
      }
    }
    if (!known && name != "bus") {
      return generic_error("Property '" + dev.driver + "." + name + "' not found");
    }
    if (!property_used(dev.driver, name)) {
      return generic_error("property '" + dev.driver + "." + name + "' is not supported by migemu");
    }
    if (known && known->type == "bool" && !qapi_bool_parse(value)) {
      return generic_error(qopts::bool_error(name));
    }
    if (known && (known->type == "uint8" || known->type == "uint16" || known->type == "uint32")) {
      long long max = known->type == "uint8"    ? UINT8_MAX
                      : known->type == "uint16" ? UINT16_MAX
                                                : UINT32_MAX;
      std::optional<long long> n = parse_int_setting(value);
      if (!n) return generic_error("Parameter '" + name + "' expects integer");
      if (*n < 0 || *n > max) {
        return generic_error("Parameter '" + name + "' expects " + known->type + "_t");
      }
    }
  }
  return {};
}

Status check_device_realize(const DeviceConfig& dev, const Config& cfg) {
  if (dev.driver == "isa-serial" && isa_serial_index(cfg, dev) >= 4) {
    return generic_error("Max. supported number of ISA serial ports is 4.");
  }
  if (dev.driver == "pcie-root-port") {
    // pcie_chassis_add_slot(): each (chassis, slot) pair once, -EBUSY.
    auto number = [](const DeviceConfig& d, const char* key) {
      auto it = d.props.find(key);
      return it == d.props.end() ? 0LL : parse_int_setting(it->second).value_or(0);
    };
    for (const DeviceConfig& d : cfg.devices) {
      if (d.driver == dev.driver && number(d, "chassis") == number(dev, "chassis") &&
          number(d, "slot") == number(dev, "slot")) {
        return generic_error("Can't add chassis slot, error -16");
      }
    }
    return {};
  }
  if (!is_virtio_balloon(dev.driver)) return {};
  // virtio_balloon_device_realize(): one balloon per machine, and free page
  // hinting needs an iothread (which migemu does not create).
  for (const DeviceConfig& d : cfg.devices) {
    if (is_virtio_balloon(d.driver)) return generic_error("Only one balloon device is supported");
  }
  auto hint = dev.props.find("free-page-hint");
  if (hint != dev.props.end() && qapi_bool_parse(hint->second).value_or(false)) {
    return generic_error("'free-page-hint' requires 'iothread' to be set");
  }
  return {};
}

bool device_on_pci(const std::string& driver) {
  const Creatable* c = creatable(driver);
  return c && std::string(c->bus) == "PCI";
}

std::string device_list_help() {
  // qdev_print_devinfos(): one block per category that has a device, each
  // after a blank line except the first category's (bridges); isa-serial is
  // an input device, the balloon a misc one.
  return "Controller/Bridge/Hub devices:\n"
         "name \"pcie-root-port\", bus PCI, desc \"PCI Express Root Port\"\n"
         "\nInput devices:\nname \"isa-serial\", bus ISA\n"
         "\nMisc devices:\nname \"virtio-balloon-pci\", bus PCI, alias \"virtio-balloon\"\n"
         "name \"virtio-balloon-pci-non-transitional\", bus PCI\n"
         "name \"virtio-balloon-pci-transitional\", bus PCI\n";
}

Result<std::string> device_type_help(const std::string& driver) {
  std::string name = driver;
  QemuDeviceType q = find_qemu_device_type(driver);
  if (!qom_registry().find(driver)) {
    if (q.kind == QemuDeviceType::Kind::kAbstract) {
      return generic_error("Parameter 'typename' expects a non-abstract device type");
    }
    if (q.kind == QemuDeviceType::Kind::kCreatable && creatable(q.name)) {
      name = q.name;  // an alias
    } else if (q.kind != QemuDeviceType::Kind::kUnknown) {
      return not_supported(q.name);
    }
  }
  auto props = qom_registry().device_properties(name);
  if (!props.ok()) return props.take_error();
  if (props->empty()) return "There are no options for " + name + ".\n";
  std::vector<std::string> lines;
  for (const QomProperty* p : *props) lines.push_back(property_help_line(*p));
  std::sort(lines.begin(), lines.end());
  std::string out = name + " options:\n";
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

}  // namespace migemu
