// query-pci and HMP `info pci`, both read from the board's PCI functions
// (system/pci_board.h) and the state firmware would have changed, which in
// migemu stays as reset left it. The HMP text is printed from the QMP reply,
// as QEMU prints it, so the two cannot disagree.
#include "system/pci_commands.h"

#include <cinttypes>

#include "qapi/qapi-commands.h"
#include "system/pci_board.h"
#include "system/vm.h"

namespace migemu {

namespace {

qapi::PciDeviceInfo device_info(const PciFunction& f) {
  qapi::PciDeviceInfo d;
  d.bus = 0;
  d.slot = f.slot;
  d.function = f.function;
  std::string desc = pci_class_description(f.class_id);
  if (!desc.empty()) d.class_info.desc = desc;
  d.class_info.class_ = f.class_id;
  d.id.vendor = f.vendor_id;
  d.id.device = f.device_id;
  if (!f.bridge) {
    d.id.subsystem_vendor = f.subsystem_vendor_id;
    d.id.subsystem = f.subsystem_id;
  } else {
    // Nothing behind it is listed: its secondary bus has no number until
    // firmware assigns one.
    qapi::PciBridgeInfo br;
    br.bus.number = 0;
    br.bus.secondary = 0;
    br.bus.subordinate = 0;
    br.bus.io_range = {PciFunction::kClosedIoBase, PciFunction::kClosedIoLimit};
    br.bus.memory_range = {PciFunction::kClosedMemBase, PciFunction::kClosedMemLimit};
    br.bus.prefetchable_range = br.bus.memory_range;
    d.pci_bridge = std::move(br);
  }
  // The interrupt line is reported only for functions that use a pin.
  if (f.interrupt_pin != 0) d.irq = f.interrupt_line();
  d.irq_pin = f.interrupt_pin;
  d.qdev_id = f.qdev_id;
  for (const PciBar& b : f.bars) {
    qapi::PciMemoryRegion r;
    r.bar = b.index;
    // An unmapped BAR's address is all ones, which the int member carries as -1.
    r.address = static_cast<int64_t>(f.bar_address(b));
    r.size = static_cast<int64_t>(b.size);
    if (b.space == PciBar::Space::kIo) {
      r.type = "io";
    } else {
      r.type = "memory";
      r.prefetch = b.prefetch;
      r.mem_type_64 = b.mem64;
    }
    d.regions.push_back(std::move(r));
  }
  return d;
}

void print_device(Monitor& mon, const qapi::PciDeviceInfo& d) {
  mon.printf("  Bus %2" PRId64 ", device %3" PRId64 ", function %" PRId64 ":\n", d.bus, d.slot,
             d.function);
  if (d.class_info.desc) {
    mon.printf("    %s", d.class_info.desc->c_str());
  } else {
    mon.printf("    Class %04" PRId64, d.class_info.class_);
  }
  mon.printf(": PCI device %04" PRIx64 ":%04" PRIx64 "\n", d.id.vendor, d.id.device);
  if (d.id.subsystem_vendor && d.id.subsystem) {
    mon.printf("      PCI subsystem %04" PRIx64 ":%04" PRIx64 "\n", *d.id.subsystem_vendor,
               *d.id.subsystem);
  }
  if (d.irq) {
    mon.printf("      IRQ %" PRId64 ", pin %c\n", *d.irq, static_cast<char>('A' + d.irq_pin - 1));
  }
  if (d.pci_bridge) {
    const qapi::PciBusInfo& b = (*d.pci_bridge)->bus;
    mon.printf("      BUS %" PRId64 ".\n", b.number);
    mon.printf("      secondary bus %" PRId64 ".\n", b.secondary);
    mon.printf("      subordinate bus %" PRId64 ".\n", b.subordinate);
    mon.printf("      IO range [0x%04" PRIx64 ", 0x%04" PRIx64 "]\n", b.io_range.base,
               b.io_range.limit);
    mon.printf("      memory range [0x%08" PRIx64 ", 0x%08" PRIx64 "]\n", b.memory_range.base,
               b.memory_range.limit);
    mon.printf("      prefetchable memory range [0x%08" PRIx64 ", 0x%08" PRIx64 "]\n",
               b.prefetchable_range.base, b.prefetchable_range.limit);
  }
  for (const qapi::PciMemoryRegion& r : d.regions) {
    // 7.2 prints unmapped BARs with the all-ones address and an end that
    // wraps around (address + size - 1).
    uint64_t addr = static_cast<uint64_t>(r.address);
    uint64_t end = addr + static_cast<uint64_t>(r.size) - 1;
    if (r.type == "io") {
      mon.printf("      BAR%" PRId64 ": I/O at 0x%04" PRIx64 " [0x%04" PRIx64 "].\n", r.bar, addr,
                 end);
    } else {
      mon.printf("      BAR%" PRId64 ": %d bit%s memory at 0x%08" PRIx64 " [0x%08" PRIx64 "].\n",
                 r.bar, r.mem_type_64.value_or(false) ? 64 : 32,
                 r.prefetch.value_or(false) ? " prefetchable" : "", addr, end);
    }
  }
  mon.printf("      id \"%s\"\n", d.qdev_id.c_str());
}

}  // namespace

namespace qapi {

Result<std::vector<PciInfo>> qmp_query_pci(CommandContext&) {
  std::vector<PciInfo> out;
  const Config& cfg = vm().config();
  if (!machine_has_pci(cfg)) return out;
  PciInfo bus;
  bus.bus = 0;
  for (const PciFunction& f : pci_root_bus_functions(cfg)) bus.devices.push_back(device_info(f));
  out.push_back(std::move(bus));
  return out;
}

}  // namespace qapi

void hmp_info_pci(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  Result<std::vector<qapi::PciInfo>> buses = qapi::qmp_query_pci(ctx);
  if (!buses.ok()) return;
  for (const qapi::PciInfo& bus : *buses) {
    for (const qapi::PciDeviceInfo& d : bus.devices) print_device(mon, d);
  }
}

}  // namespace migemu
