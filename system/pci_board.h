// The PCI functions on the root bus of the board migemu models: what the pc
// (i440FX/PIIX) and q35 (Q35/ICH9) machines of QEMU 7.2 put there for a
// given command line (machine options, default devices). The `none` machine
// has no PCI bus. query-pci and HMP `info pci` are derived from this list.
//
// These functions are part of the board, not user-creatable devices: they are
// not QOM types in system/qom_registry.h (libvirt would otherwise take their
// presence in qom-list-types as "this emulator can create a VGA, ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qapi/error.h"
#include "system/config.h"

namespace migemu {

struct PciBar {
  enum class Space { kIo, kMemory };
  int index = 0;  // 0..5, 6 for the expansion ROM
  Space space = Space::kIo;
  uint64_t size = 0;
  bool prefetch = false;  // memory only
  bool mem64 = false;     // memory only
};

struct PciFunction {
  std::string type;  // QEMU's QOM type name ("i440FX", "PIIX3", ...)
  int slot = 0;
  int function = 0;
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint16_t subsystem_vendor_id = 0;
  uint16_t subsystem_id = 0;
  uint16_t class_id = 0;      // base class << 8 | subclass
  uint8_t interrupt_pin = 0;  // config byte 0x3d: 0 none, 1..4 INTA#..INTD#
  std::vector<PciBar> bars;
  std::string qdev_id;  // the -device id; "" for the board's own functions
  // Function 0 of a slot that may hold more functions (config header type
  // bit 7): the PIIX3/ICH9 bridges, or a -device with multifunction=on.
  bool multifunction = false;
  // A PCI-to-PCI bridge (header type 1: no subsystem IDs, bus numbers and
  // windows instead).
  bool bridge = false;

  // A bridge's bus numbers and windows as reset leaves them: no bus number
  // assigned (firmware does that), every window closed (base above limit).
  static constexpr uint64_t kClosedIoBase = 0xf000, kClosedIoLimit = 0x0fff;
  static constexpr uint64_t kClosedMemBase = 0xfff00000, kClosedMemLimit = 0x000fffff;

  // What the guest's firmware would program. migemu runs no firmware, so
  // config space stays as reset left it: BARs unmapped, interrupt line 0.
  static constexpr uint64_t kUnmapped = ~uint64_t{0};
  uint64_t bar_address(const PciBar&) const { return kUnmapped; }
  uint8_t interrupt_line() const { return 0; }
};

// The root bus's functions in slot/function order, the board's and the
// -device ones of cfg.devices; empty for `none`.
std::vector<PciFunction> pci_root_bus_functions(const Config& cfg);

// The root PCI bus's id: "pci.0" (pc), "pcie.0" (q35).
std::string pci_root_bus_name(const Config& cfg);
// Whether the board is q35 (a PCIe root bus).
bool machine_is_q35(const Config& cfg);
// The pcie-root-port of cfg.devices whose bus is named `bus` (its id).
const DeviceConfig* find_root_port(const Config& cfg, const std::string& bus);

// Where a new PCI device `dev` goes on its bus (dev.pci_bus: "" for the
// root bus, else a root port's id), as slot << 3 | function, given its
// `addr` property if any, with the functions of cfg so far: the property's
// own error (as QEMU's set_pci_devfn), the bus's (do_pci_register_device)
// or the multifunction rule's (pci_init_multifunction), in QEMU's words. A
// device without addr takes the lowest slot whose function 0 is free.
Result<int> pci_assign_devfn(const Config& cfg, const DeviceConfig& dev);

// The PCI function of a -device that migemu creates (cfg.devices entry with
// a pci_devfn).
PciFunction pci_device_function(const DeviceConfig& dev);

// virtio-balloon-pci and its -transitional / -non-transitional variants.
bool is_virtio_balloon(const std::string& driver);
// A virtio device with the modern interface only: the non-transitional type,
// or the generic one behind a PCIe port (disable-legacy=auto resolves so).
bool virtio_modern_only(const DeviceConfig& dev);

// The bus a pcie-root-port provides: named by the port's id ("pcie.0", its
// first child bus, for a port without one).
std::string pci_port_bus_name(const DeviceConfig& port);
// Whether the machine has a PCI host bridge at all (query-pci lists no bus
// otherwise).
bool machine_has_pci(const Config& cfg);

// QEMU's name for a class code ("Host bridge"); empty when it has none.
std::string pci_class_description(uint16_t class_id);

}  // namespace migemu
