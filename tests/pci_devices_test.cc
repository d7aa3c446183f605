// The PCI placement of -device virtio-balloon-pci on the modelled boards and
// the balloon's state. Texts and placements were checked against
// qemu-system-x86_64 7.2 (python-tests/test_devices.py, test_balloon.py
// compare whole sessions).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "system/balloon.h"
#include "system/cmdline.h"
#include "system/pci_board.h"

namespace migemu {
namespace {

// A -nodefaults command line of the board, with extra options.
Result<Config> parse(const char* board, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-M", board, "-nodefaults", "-display", "none"};
  args.insert(args.end(), extra.begin(), extra.end());
  return parse_command_line(args);
}

Config board(const char* name, std::vector<std::string> extra) {
  Result<Config> r = parse(name, std::move(extra));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().desc);
  return r.ok() ? std::move(*r) : Config{};
}
Config machine(std::vector<std::string> extra) {
  return board("pc", std::move(extra));
}
Config q35(std::vector<std::string> extra) {
  return board("q35", std::move(extra));
}

std::string board_error(const char* name, std::vector<std::string> extra) {
  Result<Config> r = parse(name, std::move(extra));
  return r.ok() ? "<ok>" : r.error().desc;
}
std::string error_of(std::vector<std::string> extra) {
  return board_error("pc", std::move(extra));
}
std::string q35_error(std::vector<std::string> extra) {
  return board_error("q35", std::move(extra));
}

TEST(PciDevices, BalloonTakesTheLowestFreeSlotOrItsAddress) {
  Config c = machine({"-device", "virtio-balloon-pci,id=b"});
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].pci_devfn, 2 << 3);  // 00.0 host bridge, 01.x PIIX3
  c = machine({"-device", "virtio-balloon,id=b,addr=0x1f.7"});
  EXPECT_EQ(c.devices[0].driver, "virtio-balloon-pci");  // the alias names its type
  EXPECT_EQ(c.devices[0].pci_devfn, 0x1f << 3 | 7);
  std::vector<PciFunction> fns = pci_root_bus_functions(c);
  const PciFunction& f = fns.back();
  EXPECT_EQ(f.slot, 0x1f);
  EXPECT_EQ(f.function, 7);
  EXPECT_EQ(f.vendor_id, 0x1af4);
  EXPECT_EQ(f.device_id, 0x1002);
  EXPECT_EQ(f.subsystem_id, 5);
  EXPECT_EQ(f.class_id, 0x00ff);
  EXPECT_EQ(f.qdev_id, "b");
  ASSERT_EQ(f.bars.size(), 2u);
  EXPECT_EQ(f.bars[0].size, 64u);
  EXPECT_TRUE(f.bars[1].mem64 && f.bars[1].prefetch);
  // On q35 slot 1 is free.
  Result<Config> q35 = parse_command_line(
      {"-M", "q35", "-nodefaults", "-display", "none", "-device", "virtio-balloon-pci"});
  ASSERT_TRUE(q35.ok());
  EXPECT_EQ(q35->devices[0].pci_devfn, 1 << 3);
}

TEST(PciDevices, AddressErrorsAsQemu) {
  EXPECT_EQ(error_of({"-device", "virtio-balloon-pci,addr=1"}),
            "-device virtio-balloon-pci,addr=1: PCI: slot 1 function 0 not available for "
            "virtio-balloon-pci, in use by PIIX3,id=(null)");
  EXPECT_EQ(error_of({"-device", "virtio-balloon-pci,id=a,addr=3", "-device",
                      "virtio-balloon-pci,id=b,addr=3"}),
            "-device virtio-balloon-pci,id=b,addr=3: PCI: slot 3 function 0 not available for "
            "virtio-balloon-pci, in use by virtio-balloon-pci,id=a");
  for (const char* bad : {"0x20", "3.8", "zz", "3.", "3x", ""}) {
    EXPECT_EQ(error_of({"-device", std::string("virtio-balloon-pci,addr=") + bad}),
              std::string("-device virtio-balloon-pci,addr=") + bad +
                  ": Property 'virtio-balloon-pci.addr' doesn't take value '" + bad + "'")
        << bad;
  }
  EXPECT_EQ(error_of({"-device", "virtio-balloon-pci,bus=pci.1"}),
            "-device virtio-balloon-pci,bus=pci.1: Bus 'pci.1' not found");
  EXPECT_EQ(error_of({"-device", "isa-serial,bus=pci.0"}),
            "-device isa-serial,bus=pci.0: Device 'isa-serial' can't go on PCI bus");
  EXPECT_EQ(error_of({"-device", "virtio-balloon-pci,rombar=0"}),
            "-device virtio-balloon-pci,rombar=0: property 'virtio-balloon-pci.rombar' is not "
            "supported by migemu");
}

TEST(PciDevices, RootPortsAndTheBalloonBehindOne) {
  // libvirt's q35 domain with the default balloon.
  Config c = q35({"-device",
                  "pcie-root-port,port=8,chassis=1,id=pci.1,bus=pcie.0,"
                  "multifunction=on,addr=0x1",
                  "-device", "pcie-root-port,port=9,chassis=2,id=pci.2,bus=pcie.0,addr=0x1.0x1",
                  "-device", "virtio-balloon-pci,id=balloon0,bus=pci.1,addr=0x0"});
  ASSERT_EQ(c.devices.size(), 3u);
  EXPECT_EQ(c.devices[2].pci_bus, "pci.1");
  EXPECT_EQ(c.devices[2].pci_devfn, 0);
  EXPECT_TRUE(virtio_modern_only(c.devices[2]));
  std::vector<PciFunction> root = pci_root_bus_functions(c);
  int bridges = 0;
  for (const PciFunction& f : root) {
    EXPECT_NE(f.qdev_id, "balloon0");  // behind its port, not on the root bus
    if (f.bridge) {
      bridges++;
      EXPECT_EQ(f.vendor_id, 0x1b36);
      EXPECT_EQ(f.device_id, 0x000c);
      EXPECT_EQ(f.slot, 1);
    }
  }
  EXPECT_EQ(bridges, 2);
  // The balloon on a conventional bus keeps its legacy interface.
  Config pc = machine({"-device", "virtio-balloon-pci-non-transitional,id=b"});
  EXPECT_TRUE(virtio_modern_only(pc.devices[0]));
  EXPECT_EQ(pci_root_bus_functions(pc).back().device_id, 0x1045);
  EXPECT_FALSE(virtio_modern_only(machine({"-device", "virtio-balloon-pci"}).devices[0]));
}

TEST(PciDevices, MultifunctionAndChassisRules) {
  EXPECT_EQ(q35_error({"-device", "pcie-root-port,id=a", "-device", "pcie-root-port,id=b"}),
            "-device pcie-root-port,id=b: Can't add chassis slot, error -16");
  EXPECT_EQ(q35_error({"-device", "pcie-root-port,id=a,addr=2", "-device",
                       "pcie-root-port,id=b,addr=2.1,chassis=2"}),
            "-device pcie-root-port,id=b,addr=2.1,chassis=2: PCI: single function device can't "
            "be populated in function 2.1");
  EXPECT_EQ(q35_error({"-device", "pcie-root-port,id=a,addr=2.1", "-device",
                       "pcie-root-port,id=b,addr=2,chassis=2"}),
            "-device pcie-root-port,id=b,addr=2,chassis=2: PCI: 2.0 indicates single function, "
            "but 2.1 is already populated.");
  // The board's multifunction ISA bridge takes more functions in its slot.
  EXPECT_EQ(q35_error({"-device", "virtio-balloon-pci,addr=0x1f.5"}), "<ok>");
  EXPECT_EQ(q35_error({"-device", "pcie-root-port,id=a", "-device", "pcie-root-port,bus=a"}),
            "-device pcie-root-port,bus=a: a pcie-root-port behind another is not supported by "
            "migemu");
  EXPECT_EQ(q35_error({"-device", "pcie-root-port,port=256"}),
            "-device pcie-root-port,port=256: Parameter 'port' expects uint8_t");
}

TEST(Balloon, TargetAndActual) {
  Config none = machine({});
  Balloon b;
  Result<int64_t> a = b.actual(none);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().cls, ErrorClass::DeviceNotActive);
  EXPECT_EQ(a.error().desc, "No balloon device has been activated");

  Config c = machine({"-m", "256", "-device", "virtio-balloon-pci"});
  EXPECT_EQ(b.set_target(c, 0).error().desc, "Parameter 'target' expects a size");
  ASSERT_TRUE(b.set_target(c, 64 << 20).ok());
  EXPECT_EQ(b.target_pages(), (192u << 20) >> 12);
  ASSERT_TRUE(b.set_target(c, int64_t{1} << 40).ok());  // more than RAM: all of it
  EXPECT_EQ(b.target_pages(), 0u);
  // No driver gives pages up.
  EXPECT_EQ(*b.actual(c), 256 << 20);
  EXPECT_EQ(b.set_poll_interval(-1).error().desc, "timer value must be greater than zero");
  EXPECT_EQ(b.set_poll_interval(int64_t{1} << 32).error().desc, "timer value is too big");
  ASSERT_TRUE(b.set_poll_interval(7).ok());
  EXPECT_EQ(b.poll_interval(), 7);
}

}  // namespace
}  // namespace migemu
