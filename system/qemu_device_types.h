// What QEMU 7.2 knows about a device type name, for the -device errors of a
// type migemu does not model (system/qemu_device_types.cc has the table).
#pragma once

#include <string>
#include <string_view>

namespace migemu {

struct QemuDeviceType {
  enum class Kind {
    kUnknown,    // not a device type of QEMU 7.2
    kAbstract,   // a device class no object is made of (pci-device)
    kBoardOnly,  // only a board creates it (i440FX-pcihost, PIIX4_PM)
    kCreatable,  // -device can create it in QEMU (virtio-net-pci)
  };
  Kind kind = Kind::kUnknown;
  std::string name;  // an old alias resolved to the type it names
  std::string bus;   // kCreatable: the bus type it plugs into, "" for none
};

QemuDeviceType find_qemu_device_type(std::string_view name);

}  // namespace migemu
