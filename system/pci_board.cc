// The boards' PCI functions (see pci_board.h). IDs, classes, interrupt pins
// and BAR sizes are those QEMU 7.2 (Debian's build, with its option ROMs)
// reports in query-pci; python-tests/test_pci.py compares them.
#include "system/pci_board.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "qapi/bool_parse.h"
#include "system/machine_types.h"

namespace migemu {

namespace {

using Space = PciBar::Space;

// QEMU gives every function that sets no subsystem IDs of its own Red Hat's
// (Qumranet) subsystem vendor and its generic subsystem ID.
constexpr uint16_t kRedHatSubsystemVendor = 0x1af4;
constexpr uint16_t kRedHatSubsystem = 0x1100;
constexpr uint16_t kIntel = 0x8086;

PciFunction function(std::string type, int slot, int fn, uint16_t device, uint16_t cls,
                     uint8_t pin = 0, std::vector<PciBar> bars = {}) {
  PciFunction f;
  f.type = std::move(type);
  f.slot = slot;
  f.function = fn;
  f.vendor_id = kIntel;
  f.device_id = device;
  f.subsystem_vendor_id = kRedHatSubsystemVendor;
  f.subsystem_id = kRedHatSubsystem;
  f.class_id = cls;
  f.interrupt_pin = pin;
  f.bars = std::move(bars);
  return f;
}

PciBar io(int index, uint64_t size) {
  return PciBar{index, Space::kIo, size, false, false};
}
PciBar mem32(int index, uint64_t size, bool prefetch = false) {
  return PciBar{index, Space::kMemory, size, prefetch, false};
}
PciBar mem64_prefetch(int index, uint64_t size) {
  return PciBar{index, Space::kMemory, size, true, true};
}

constexpr uint16_t kClassIde = 0x0101;
constexpr uint16_t kClassSata = 0x0106;
constexpr uint16_t kClassEthernet = 0x0200;
constexpr uint16_t kClassVga = 0x0300;
constexpr uint16_t kClassHostBridge = 0x0600;
constexpr uint16_t kClassIsaBridge = 0x0601;
constexpr uint16_t kClassOtherBridge = 0x0680;
constexpr uint16_t kClassPciBridge = 0x0604;
constexpr uint16_t kRedHatPciVendor = 0x1b36;
constexpr uint16_t kClassUsb = 0x0c03;
constexpr uint16_t kClassSmbus = 0x0c05;

bool prop_is(const MachineConfig& m, const char* key, const char* value) {
  auto it = m.props.find(key);
  return it != m.props.end() && it->second == value;
}

// pc_init1(): the host bridge at 00.0, the PIIX3 at slot 1 with its IDE
// function, USB with usb=on, the power management function unless ACPI is off.
void i440fx_functions(const MachineConfig& m, std::vector<PciFunction>& out) {
  out.push_back(function("i440FX", 0, 0, 0x1237, kClassHostBridge));
  out.push_back(function("PIIX3", 1, 0, 0x7000, kClassIsaBridge));
  out.back().multifunction = true;
  out.push_back(function("piix3-ide", 1, 1, 0x7010, kClassIde, 0, {io(4, 16)}));
  if (m.usb) out.push_back(function("piix3-usb-uhci", 1, 2, 0x7020, kClassUsb, 4, {io(4, 32)}));
  if (!prop_is(m, "acpi", "off")) {
    out.push_back(function("PIIX4_PM", 1, 3, 0x7113, kClassOtherBridge, 1));
  }
}

// pc_q35_init(): the MCH at 00.0, the ICH9 LPC bridge at 1f.0, with usb=on
// the EHCI controller and its UHCI companions at slot 0x1d, then AHCI (1f.2)
// and SMBus (1f.3) unless the machine turns them off.
void q35_functions(const MachineConfig& m, std::vector<PciFunction>& out) {
  out.push_back(function("mch", 0, 0, 0x29c0, kClassHostBridge));
  if (m.usb) {
    out.push_back(function("ich9-usb-uhci1", 29, 0, 0x2934, kClassUsb, 1, {io(4, 32)}));
    out.back().multifunction = true;
    out.push_back(function("ich9-usb-uhci2", 29, 1, 0x2935, kClassUsb, 2, {io(4, 32)}));
    out.push_back(function("ich9-usb-uhci3", 29, 2, 0x2936, kClassUsb, 3, {io(4, 32)}));
    out.push_back(function("ich9-usb-ehci1", 29, 7, 0x293a, kClassUsb, 4, {mem32(0, 4096)}));
  }
  out.push_back(function("ICH9-LPC", 31, 0, 0x2918, kClassIsaBridge));
  out.back().multifunction = true;
  if (!prop_is(m, "sata", "off")) {
    out.push_back(function("ich9-ahci", 31, 2, 0x2922, kClassSata, 1, {io(4, 32), mem32(5, 4096)}));
  }
  if (!prop_is(m, "smbus", "off")) {
    out.push_back(function("ICH9-SMB", 31, 3, 0x2930, kClassSmbus, 1, {io(4, 64)}));
  }
}

// Default devices take the lowest free slots, the display first.
int first_free_slot(const std::vector<PciFunction>& used) {
  for (int slot = 0;; slot++) {
    bool taken = std::any_of(used.begin(), used.end(),
                             [slot](const PciFunction& f) { return f.slot == slot; });
    if (!taken) return slot;
  }
}

void default_functions(const Config& cfg, bool q35, std::vector<PciFunction>& out) {
  if (cfg.default_vga) {
    // The standard VGA: 16 MiB of prefetchable video memory, its MMIO
    // registers and the option ROM (BAR 6).
    PciFunction vga = function("VGA", first_free_slot(out), 0, 0x1111, kClassVga, 0,
                               {mem32(0, 16u << 20, true), mem32(2, 4096), mem32(6, 65536)});
    vga.vendor_id = 0x1234;
    out.push_back(vga);
  }
  if (cfg.default_nic) {
    if (q35) {
      // e1000e brings its own subsystem IDs.
      PciFunction nic = function("e1000e", first_free_slot(out), 0, 0x10d3, kClassEthernet, 1,
                                 {mem32(0, 128 << 10), mem32(1, 128 << 10), io(2, 32),
                                  mem32(3, 16 << 10), mem32(6, 256 << 10)});
      nic.subsystem_vendor_id = kIntel;
      nic.subsystem_id = 0;
      out.push_back(nic);
    } else {
      out.push_back(function("e1000", first_free_slot(out), 0, 0x100e, kClassEthernet, 1,
                             {mem32(0, 128 << 10), io(1, 64), mem32(6, 256 << 10)}));
    }
  }
}

// A virtio device behind QEMU's transitional virtio-pci proxy on a
// conventional bus: Red Hat's vendor ID, the device's legacy PCI device ID,
// its virtio device type as subsystem ID, the legacy I/O BAR 0 and the
// modern 64-bit prefetchable BAR 4 (four 4 KiB capabilities).
PciFunction virtio_pci_function(std::string type, int devfn, uint16_t device_id, uint16_t virtio_id,
                                uint16_t cls, uint64_t io_size) {
  PciFunction f = function(std::move(type), devfn >> 3, devfn & 7, device_id, cls, 1,
                           {io(0, io_size), mem64_prefetch(4, 16 << 10)});
  f.vendor_id = kRedHatSubsystemVendor;
  f.subsystem_id = virtio_id;
  return f;
}

constexpr uint16_t kClassOther = 0x00ff;
constexpr uint16_t kVirtioIdBalloon = 5;
constexpr uint16_t kVirtioBalloonLegacyDeviceId = 0x1002;

// do_pci_register_device(): a taken function names its user, "(null)" for
// the board's own functions, which have no id.
Error devfn_in_use(int devfn, const std::string& driver, const PciFunction& user) {
  return generic_error("PCI: slot " + std::to_string(devfn >> 3) + " function " +
                       std::to_string(devfn & 7) + " not available for " + driver + ", in use by " +
                       user.type + ",id=" + (user.qdev_id.empty() ? "(null)" : user.qdev_id));
}

// multifunction=on: function 0 of its slot admits other functions.
bool wants_multifunction(const DeviceConfig& dev) {
  auto mf = dev.props.find("multifunction");
  return mf != dev.props.end() && qapi_bool_parse(mf->second).value_or(false);
}

// set_pci_devfn(): "SLOT[.FN]" in hex, slot up to 0x1f, function up to 7.
std::optional<int> parse_devfn(const std::string& text) {
  unsigned slot = 0, fn = 0;
  int n = 0;
  if (std::sscanf(text.c_str(), "%x.%x%n", &slot, &fn, &n) != 2) {
    fn = 0;
    if (std::sscanf(text.c_str(), "%x%n", &slot, &n) != 1) return std::nullopt;
  }
  if (text[static_cast<size_t>(n)] != '\0' || fn > 7 || slot > 31) return std::nullopt;
  return static_cast<int>(slot << 3 | fn);
}

}  // namespace

PciFunction pci_device_function(const DeviceConfig& dev) {
  // pcie-root-port or one of the virtio balloons.
  PciFunction f;
  if (dev.driver == "pcie-root-port") {
    // Red Hat's generic root port: a PCI bridge with its MSI-X table in a
    // 4 KiB BAR 0.
    f = function(dev.driver, dev.pci_devfn >> 3, dev.pci_devfn & 7, 0x000c, kClassPciBridge, 1,
                 {mem32(0, 4096)});
    f.vendor_id = kRedHatPciVendor;
    f.bridge = true;
  } else if (virtio_modern_only(dev)) {
    // The modern device ID 0x1040 + N and QEMU's default subsystem; BAR 4.
    f = function(dev.driver, dev.pci_devfn >> 3, dev.pci_devfn & 7, 0x1040 + kVirtioIdBalloon,
                 kClassOther, 1, {mem64_prefetch(4, 16 << 10)});
    f.vendor_id = kRedHatSubsystemVendor;
  } else {
    f = virtio_pci_function(dev.driver, dev.pci_devfn, kVirtioBalloonLegacyDeviceId,
                            kVirtioIdBalloon, kClassOther, 64);
  }
  f.qdev_id = dev.id.value_or("");
  f.multifunction = wants_multifunction(dev);
  return f;
}

bool is_virtio_balloon(const std::string& driver) {
  return driver == "virtio-balloon-pci" || driver == "virtio-balloon-pci-transitional" ||
         driver == "virtio-balloon-pci-non-transitional";
}

bool virtio_modern_only(const DeviceConfig& dev) {
  return dev.driver.ends_with("-non-transitional") ||
         (dev.driver == "virtio-balloon-pci" && !dev.pci_bus.empty());
}

std::string pci_port_bus_name(const DeviceConfig& port) {
  return port.id.value_or("pcie.0");
}

bool machine_is_q35(const Config& cfg) {
  const MachineType* m = find_machine(cfg.machine.type);
  return m && m->is_q35;
}

std::string pci_root_bus_name(const Config& cfg) {
  return machine_is_q35(cfg) ? "pcie.0" : "pci.0";
}

const DeviceConfig* find_root_port(const Config& cfg, const std::string& bus) {
  for (const DeviceConfig& d : cfg.devices) {
    if (d.driver == "pcie-root-port" && d.id && *d.id == bus) return &d;
  }
  return nullptr;
}

Result<int> pci_assign_devfn(const Config& cfg, const DeviceConfig& dev) {
  std::vector<PciFunction> used;
  if (dev.pci_bus.empty()) {
    used = pci_root_bus_functions(cfg);
  } else {
    for (const DeviceConfig& d : cfg.devices) {
      if (d.pci_devfn >= 0 && d.pci_bus == dev.pci_bus) used.push_back(pci_device_function(d));
    }
  }
  auto user_of = [&used](int devfn) -> const PciFunction* {
    for (const PciFunction& f : used) {
      if (f.slot * 8 + f.function == devfn) return &f;
    }
    return nullptr;
  };
  int devfn = -1;
  auto addr = dev.props.find("addr");
  if (addr != dev.props.end()) {
    std::optional<int> parsed = parse_devfn(addr->second);
    if (!parsed) {
      return generic_error("Property '" + dev.driver + ".addr' doesn't take value '" +
                           addr->second + "'");
    }
    devfn = *parsed;
    if (const PciFunction* f = user_of(devfn)) return devfn_in_use(devfn, dev.driver, *f);
  } else {
    for (int d = 0; d < 256 && devfn < 0; d += 8) {
      if (!user_of(d)) devfn = d;
    }
    if (devfn < 0) {
      return generic_error("PCI: no slot/function available for " + dev.driver +
                           ", all in use or reserved");
    }
  }
  // pci_init_multifunction(): function 0 of a slot says whether the slot
  // may hold others.
  int slot = devfn >> 3;
  char msg[96];
  if ((devfn & 7) != 0) {
    const PciFunction* f0 = user_of(slot << 3);
    if (f0 && !f0->multifunction) {
      std::snprintf(msg, sizeof msg,
                    "PCI: single function device can't be populated in function %x.%x", slot,
                    devfn & 7);
      return generic_error(msg);
    }
    return devfn;
  }
  if (wants_multifunction(dev)) return devfn;
  for (int fn = 1; fn < 8; fn++) {
    if (user_of(slot << 3 | fn)) {
      std::snprintf(msg, sizeof msg,
                    "PCI: %x.0 indicates single function, but %x.%x is already populated.", slot,
                    slot, fn);
      return generic_error(msg);
    }
  }
  return devfn;
}

bool machine_has_pci(const Config& cfg) {
  const MachineType* m = find_machine(cfg.machine.type);
  return m && m->is_pc;
}

std::vector<PciFunction> pci_root_bus_functions(const Config& cfg) {
  std::vector<PciFunction> out;
  const MachineType* m = find_machine(cfg.machine.type);
  if (!m || !m->is_pc) return out;
  if (m->is_q35) {
    q35_functions(cfg.machine, out);
  } else {
    i440fx_functions(cfg.machine, out);
  }
  default_functions(cfg, m->is_q35, out);
  for (const DeviceConfig& d : cfg.devices) {
    if (d.pci_devfn >= 0 && d.pci_bus.empty()) out.push_back(pci_device_function(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const PciFunction& a, const PciFunction& b) {
    return a.slot * 8 + a.function < b.slot * 8 + b.function;
  });
  return out;
}

std::string pci_class_description(uint16_t class_id) {
  // The names QEMU prints for the classes of the functions above.
  struct Entry {
    uint16_t id;
    const char* desc;
  };
  static constexpr std::array<Entry, 10> kNames = {{
      {kClassPciBridge, "PCI bridge"},
      {kClassIde, "IDE controller"},
      {kClassSata, "SATA controller"},
      {kClassEthernet, "Ethernet controller"},
      {kClassVga, "VGA controller"},
      {kClassHostBridge, "Host bridge"},
      {kClassIsaBridge, "ISA bridge"},
      {kClassOtherBridge, "Bridge"},
      {kClassUsb, "USB controller"},
      {kClassSmbus, "SMBus"},
  }};
  for (const Entry& e : kNames) {
    if (e.id == class_id) return e.desc;
  }
  return {};
}

}  // namespace migemu
