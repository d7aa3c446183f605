// -device: which driver names migemu creates, QEMU 7.2's errors for the ones
// it cannot (as qdev_device_add reports them), and the -device help texts.
// migemu creates isa-serial, virtio-balloon-pci and pcie-root-port; a
// device QEMU has and migemu does not emulate is refused with "device 'X' is
// not supported by migemu" rather than accepted and silently left out of the
// machine. Where QEMU itself would refuse the device (unknown name, abstract
// or board-only type, no bus of its kind), migemu gives QEMU's error.
#pragma once

#include <cstdint>
#include <string>

#include "qapi/error.h"
#include "system/config.h"
#include "system/machine_types.h"

namespace migemu {

// The driver checks of qdev_device_add, in its order: the class (unknown,
// abstract, not user-creatable), then whether the board has a bus of its
// kind. desc only, no "-device ...: " location. Returns the type's name (an
// alias names the type it stands for: virtio-balloon -> virtio-balloon-pci).
Result<std::string> check_device_driver(const std::string& driver, const MachineType& machine,
                                        const MachineConfig& machine_cfg);
// bus=: qbus_find's "not found", or a bus of another kind than the device's.
Status check_device_bus(const DeviceConfig& dev, const Config& cfg);
// The properties of a driver that passed check_device_driver, in QEMU's
// words where QEMU refuses them too.
Status check_device_properties(const DeviceConfig& dev);
// What realizing it checks against the machine so far (cfg.devices).
Status check_device_realize(const DeviceConfig& dev, const Config& cfg);
// The number of an isa-serial port (its index property), which also picks
// its COM address and IRQ. `dev` is in cfg.devices, or is the next device.
uint32_t isa_serial_index(const Config& cfg, const DeviceConfig& dev);
// The PCI bus a device's bus= names: "" for the root bus (or none given),
// else the id of the pcie-root-port it goes behind.
std::string device_pci_bus(const DeviceConfig& dev, const Config& cfg);
// Whether the driver plugs into a PCI bus.
bool device_on_pci(const std::string& driver);

// `-device help`: the devices migemu can create, in QEMU's list format.
std::string device_list_help();
// `-device DRIVER,help`: its options as QEMU lists them, or the error QEMU
// prints for it (Error.desc; QEMU still exits 0 after it).
Result<std::string> device_type_help(const std::string& driver);

}  // namespace migemu
