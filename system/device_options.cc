// -device driver checks and help (see device_options.h). The driver's class
// comes from migemu's QOM registry when migemu models it, otherwise from the
// table of QEMU 7.2's device types (qemu_device_types.h).
#include "system/device_options.h"

#include <algorithm>

#include "qapi/json_writer.h"
#include "system/qemu_device_types.h"
#include "system/qom_registry.h"

namespace migemu {

namespace {

// What migemu emulates: the serial port and nothing else.
constexpr const char* kCreatable = "isa-serial";

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

}  // namespace

Status check_device_driver(const std::string& driver, const MachineType& machine,
                           const MachineConfig& machine_cfg) {
  const QomRegistry& reg = qom_registry();
  if (const QomType* t = reg.find(driver)) {
    if (!reg.is_a(*t, "device")) {
      return generic_error("'" + driver + "' is not a valid device model name");
    }
    if (t->abstract) {
      return generic_error("Parameter 'driver' expects a non-abstract device type");
    }
    if (driver != kCreatable) return not_supported(driver);  // the CPU models
    if (board_lacks_bus("ISA", machine, machine_cfg)) return no_bus("ISA", driver);
    return {};
  }
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
      if (board_lacks_bus(q.bus, machine, machine_cfg)) return no_bus(q.bus, q.name);
      return not_supported(q.name);
  }
  return not_supported(driver);
}

Status check_device_properties(const DeviceConfig& dev) {
  // What migemu's serial port uses; the rest of isa-serial's properties
  // (baudbase, wakeup) and an explicit bus= it does not emulate.
  static constexpr const char* kUsed[] = {"chardev", "index", "iobase", "irq"};
  for (const auto& [name, value] : dev.props) {
    if (std::find(std::begin(kUsed), std::end(kUsed), name) != std::end(kUsed)) continue;
    auto props = qom_registry().device_properties(dev.driver);
    bool known = name == "bus";
    if (props.ok()) {
      for (const QomProperty* p : *props) known = known || p->name == name;
    }
    if (!known) return generic_error("Property '" + dev.driver + "." + name + "' not found");
    return generic_error("property '" + dev.driver + "." + name + "' is not supported by migemu");
  }
  return {};
}

std::string device_list_help() {
  // qdev_print_devinfos(): one block per category that has a device, each
  // after a blank line except the first category's (bridges); isa-serial is
  // an input device.
  return "\nInput devices:\nname \"" + std::string(kCreatable) + "\", bus ISA\n";
}

Result<std::string> device_type_help(const std::string& driver) {
  std::string name = driver;
  QemuDeviceType q = find_qemu_device_type(driver);
  if (!qom_registry().find(driver)) {
    if (q.kind == QemuDeviceType::Kind::kAbstract) {
      return generic_error("Parameter 'typename' expects a non-abstract device type");
    }
    if (q.kind != QemuDeviceType::Kind::kUnknown) return not_supported(q.name);
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
