// The QOM types migemu models and their properties, as QEMU 7.2 (Debian's
// qemu-system-x86_64) reports them: the roots, accelerators, memory
// backends, the secret object, the isa-serial device, the machine types of
// system/machine_types.h and the CPU models of system/cpu_models.h with the
// properties of system/x86_cpu.h.
// Property texts are QEMU's own, including its missing spaces, because
// management software compares them as strings.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "system/cpu_models.h"
#include "system/machine_types.h"
#include "system/qom_registry.h"
#include "system/x86_cpu.h"

namespace migemu {
namespace {

QomProperty prop(std::string name, std::string type, std::string desc = {}) {
  QomProperty p;
  p.name = std::move(name);
  p.type = std::move(type);
  if (!desc.empty()) p.description = std::move(desc);
  return p;
}

QomProperty instance_prop(std::string name, std::string type, std::string desc = {}) {
  QomProperty p = prop(std::move(name), std::move(type), std::move(desc));
  p.per_instance = true;
  return p;
}

// A qdev property: it reports a default in device-list-properties.
QomProperty qdev_prop(std::string name, std::string type, Value def, std::string desc = {}) {
  QomProperty p = prop(std::move(name), std::move(type), std::move(desc));
  p.default_value = std::move(def);
  return p;
}

QomType type(std::string name, std::string parent, bool abstract,
             std::vector<QomProperty> props = {}) {
  QomType t;
  t.name = std::move(name);
  t.parent = std::move(parent);
  t.abstract = abstract;
  t.properties = std::move(props);
  return t;
}

void add_roots(QomRegistry& r) {
  QomType iface = type("interface", "", true);
  iface.is_interface = true;
  r.add(iface);
  QomType uc = type("user-creatable", "interface", true);
  uc.is_interface = true;
  r.add(uc);
  r.add(type("object", "", true, {prop("type", "string")}));
  r.add(type("container", "object", false));
}

void add_accels(QomRegistry& r) {
  r.add(type("accel", "object", false));
  r.add(type("tcg-accel", "accel", false,
             {prop("tb-size", "int", "TCG translation block cache size"),
              prop("split-wx", "bool", "Map jit pages into separate RW and RX regions"),
              prop("thread", "string")}));
  // Present as in a QEMU built with KVM; migemu falls back to TCG when asked
  // for it, as QEMU does on a host without /dev/kvm.
  r.add(type(
      "kvm-accel", "accel", false,
      {prop("kvm-shadow-mem", "int", "KVM shadow MMU size"),
       prop("kernel-irqchip", "on|off|split", "Configure KVM in-kernel irqchip"),
       prop("dirty-ring-size", "uint32",
            "Size of KVM dirty page ring buffer (default: 0, i.e. use bitmap)"),
       prop("notify-vmexit", "NotifyVMexitOption", "Enable notify VM exit"),
       prop("notify-window", "uint32",
            "Clock cycles without an event window after which a notification VM exit occurs")}));
}

void add_objects(QomRegistry& r) {
  QomType backend =
      type("memory-backend", "object", true,
           {prop("merge", "bool", "Mark memory as mergeable"),
            prop("dump", "bool", "Set to 'off' to exclude from core dump"),
            prop("prealloc", "bool", "Preallocate memory"),
            prop("prealloc-threads", "int", "Number of CPU threads to use for prealloc"),
            prop("prealloc-context", "link<thread-context>",
                 "Context to use for creating CPU threads for preallocation"),
            prop("size", "int", "Size of the memory region (ex: 500M)"),
            prop("host-nodes", "int", "Binds memory to the list of NUMA host nodes"),
            prop("policy", "HostMemPolicy", "Set the NUMA policy"),
            prop("share", "bool", "Mark the memory as private to QEMU or shared"),
            prop("reserve", "bool", "Reserve swap space (or huge pages) if applicable"),
            prop("x-use-canonical-path-for-ramblock-id", "bool")});
  backend.interfaces = {"user-creatable"};
  r.add(backend);
  r.add(type("memory-backend-ram", "memory-backend", false));
  r.add(type("memory-backend-file", "memory-backend", false,
             {prop("mem-path", "string"), prop("discard-data", "bool"), prop("align", "int"),
              prop("pmem", "bool"), prop("readonly", "bool")}));
  r.add(type("memory-backend-memfd", "memory-backend", false,
             {prop("hugetlb", "bool", "Use huge pages"),
              prop("hugetlbsize", "int", "Huge pages size (ex: 2M, 1G)"),
              prop("seal", "bool", "Seal growing & shrinking")}));
  QomType secret_common = type("secret_common", "object", true,
                               {prop("loaded", "bool"), prop("format", "QCryptoSecretFormat"),
                                prop("keyid", "string"), prop("iv", "string")});
  secret_common.interfaces = {"user-creatable"};
  r.add(secret_common);
  r.add(type("secret", "secret_common", false, {prop("data", "string"), prop("file", "string")}));
}

// The UART's own settings, which isa-serial offers as aliases.
QomProperty serial_alias(QomProperty p) {
  p.alias_of = "serial";
  return p;
}

QomProperty on_off(std::string name, bool def) {
  return qdev_prop(std::move(name), "bool", Value(def), "on/off");
}

QomProperty realize_child(std::string name, std::string type) {
  QomProperty p = instance_prop(std::move(name), "child<" + std::move(type) + ">");
  p.on_realize = true;
  return p;
}

// The PCIe root port (libvirt's pcie-root-port controller on q35) and its
// abstract ancestors; the bus it provides is a realize-time child named by
// the port's id (system/qom_tree_commands.cc adds it).
void add_pcie_root_port(QomRegistry& r) {
  r.add(type("base-pci-bridge", "pci-device", true));
  r.add(type("pcie-port", "base-pci-bridge", true,
             {qdev_prop("port", "uint8", Value::u64(0)),
              qdev_prop("aer_log_max", "uint16", Value::u64(8))}));
  r.add(type(
      "pcie-slot", "pcie-port", true,
      {qdev_prop("hotplug", "bool", Value(true)),
       qdev_prop("x-native-hotplug", "bool", Value(true)),
       qdev_prop("slot", "uint16", Value::u64(0)), qdev_prop("chassis", "uint8", Value::u64(0))}));
  QomType base = type(
      "pcie-root-port-base", "pcie-slot", true,
      {on_off("power_controller_present", true), qdev_prop("disable-acs", "bool", Value(false))});
  base.interfaces = {"pci-express-device"};
  r.add(base);
  // "Not set": the firmware picks the window sizes.
  std::vector<QomProperty> port = {
      qdev_prop("mem-reserve", "size", Value::u64(UINT64_MAX)),
      qdev_prop("pref64-reserve", "size", Value::u64(UINT64_MAX)),
      qdev_prop("bus-reserve", "uint32", Value::u64(UINT32_MAX)),
      qdev_prop("x-width", "PCIELinkWidth", Value(std::string("32")), "1/2/4/8/12/16/32"),
      qdev_prop("x-migrate-msix", "bool", Value(true)),
      qdev_prop("io-reserve", "size", Value::u64(UINT64_MAX)),
      qdev_prop("x-speed", "PCIELinkSpeed", Value(std::string("16")), "2_5/5/8/16"),
      qdev_prop("pref32-reserve", "size", Value::u64(UINT64_MAX))};
  for (const char* region :
       {"bus master container[0]", "bus master[0]", "msix-pba[0]", "msix-table[0]",
        "pci_bridge_io[0]", "pci_bridge_io[1]", "pci_bridge_mem[0]", "pci_bridge_pci[0]",
        "pci_bridge_pref_mem[0]", "pci_bridge_vga_io_hi[0]", "pci_bridge_vga_io_lo[0]",
        "pci_bridge_vga_mem[0]", "pcie-root-port-msix[0]"}) {
    port.push_back(realize_child(region, "memory-region"));
  }
  r.add(type("pcie-root-port", "pcie-root-port-base", false, std::move(port)));
}

// The PCI device base, virtio-pci, and the virtio balloon (the one PCI device
// migemu creates: system/virtio_balloon.h). The balloon's own settings live
// on its virtio-balloon-device child; QEMU aliases them onto the PCI device
// when it creates one, so they are instance properties here.
void add_pci_devices(QomRegistry& r) {
  for (const char* name : {"conventional-pci-device", "pci-express-device"}) {
    QomType iface = type(name, "interface", true);
    iface.is_interface = true;
    r.add(iface);
  }
  r.add(type("pci-device", "device", true,
             {prop("failover_pair_id", "str"), prop("romfile", "str"),
              qdev_prop("addr", "int32", Value::i64(-1),
                        "Slot and optional function number, example: 06.0 or 06"),
              qdev_prop("romsize", "uint32", Value::u64(UINT32_MAX)),
              on_off("x-pcie-lnksta-dllla", true), qdev_prop("rombar", "uint32", Value::u64(1)),
              on_off("x-pcie-extcap-init", true), qdev_prop("acpi-index", "uint32", Value::u64(0)),
              on_off("multifunction", false), prop("legacy-addr", "str")}));
  r.add(type(
      "virtio-pci", "pci-device", true,
      {on_off("migrate-extra", true), on_off("ats", false),
       qdev_prop("x-ignore-backend-features", "bool", Value(false)), on_off("x-pcie-pm-init", true),
       on_off("aer", false), on_off("x-pcie-flr-init", true), on_off("x-pcie-lnkctl-init", true),
       on_off("x-ats-page-aligned", true), on_off("page-per-vq", false),
       on_off("x-pcie-deverr-init", true), on_off("virtio-pci-bus-master-bug-migration", false),
       on_off("modern-pio-notify", false), on_off("x-disable-pcie", false)}));
  r.add(type("virtio-balloon-pci-base", "virtio-pci", true));
  std::vector<QomProperty> balloon = {
      qdev_prop("disable-legacy", "OnOffAuto", Value(std::string("auto")), "on/off/auto"),
      qdev_prop("disable-modern", "bool", Value(false))};
  for (QomProperty p :
       {on_off("free-page-reporting", false), on_off("indirect_desc", true),
        on_off("iommu_platform", false), on_off("deflate-on-oom", false),
        qdev_prop("use-disabled-flag", "bool", Value(true)), on_off("event_idx", true),
        on_off("page-poison", true), prop("guest-stats-polling-interval", "int"),
        prop("guest-stats", "guest statistics"),
        qdev_prop("x-disable-legacy-check", "bool", Value(false)), on_off("any_layout", true),
        prop("iothread", "link<iothread>"), on_off("notify_on_empty", true),
        on_off("queue_reset", true), qdev_prop("qemu-4-0-config-size", "bool", Value(false)),
        on_off("packed", false), qdev_prop("use-started", "bool", Value(true)),
        on_off("free-page-hint", false)}) {
    p.per_instance = true;
    p.alias_of = "virtio-balloon-device";
    balloon.push_back(std::move(p));
  }
  balloon.push_back(instance_prop("virtio-backend", "child<virtio-balloon-device>"));
  // What realizing it adds: its virtio bus and the memory regions of its BARs.
  balloon.push_back(realize_child("virtio-bus", "virtio-pci-bus"));
  for (const char* region :
       {"bus master container[0]", "bus master[0]", "virtio-pci-common-virtio-balloon[0]",
        "virtio-pci-device-virtio-balloon[0]", "virtio-pci-isr-virtio-balloon[0]",
        "virtio-pci-notify-pio-virtio-balloon[0]", "virtio-pci-notify-virtio-balloon[0]",
        "virtio-pci[0]", "virtio-pci[1]"}) {
    balloon.push_back(realize_child(region, "memory-region"));
  }
  // The transitional (legacy and modern interfaces wherever it sits) and
  // non-transitional (modern only) variants lack the generic type's two
  // switches, which choose between those.
  std::vector<QomProperty> fixed(balloon.begin() + 2, balloon.end());
  QomType pci = type("virtio-balloon-pci", "virtio-balloon-pci-base", false, std::move(balloon));
  pci.interfaces = {"pci-express-device", "conventional-pci-device"};
  r.add(pci);
  QomType modern =
      type("virtio-balloon-pci-non-transitional", "virtio-balloon-pci-base", false, fixed);
  modern.interfaces = {"pci-express-device", "conventional-pci-device"};
  r.add(modern);
  QomType transitional =
      type("virtio-balloon-pci-transitional", "virtio-balloon-pci-base", false, std::move(fixed));
  transitional.interfaces = {"conventional-pci-device"};
  r.add(transitional);
  add_pcie_root_port(r);
}

void add_devices(QomRegistry& r) {
  r.add(type("device", "object", true,
             {prop("realized", "bool"), prop("hotpluggable", "bool"), prop("hotplugged", "bool"),
              prop("parent_bus", "link<bus>")}));
  r.add(type("isa-device", "device", true));
  // 0xffffffff: "not set", the board picks the port's index/iobase/irq.
  r.add(type(
      "isa-serial", "isa-device", false,
      {qdev_prop("index", "uint32", Value::u64(UINT32_MAX)),
       qdev_prop("iobase", "uint32", Value::u64(UINT32_MAX)),
       qdev_prop("irq", "uint32", Value::u64(UINT32_MAX)),
       serial_alias(prop("chardev", "str", "ID of a chardev to use as a backend")),
       serial_alias(qdev_prop("baudbase", "uint32", Value::u64(115200))),
       serial_alias(qdev_prop("wakeup", "bool", Value(false))),
       instance_prop("serial", "child<serial>"), realize_child("serial[0]", "memory-region")}));
  add_pci_devices(r);
}

void add_machines(QomRegistry& r) {
  r.add(type(
      "machine", "object", true,
      {prop("kernel", "string", "Linux kernel image file"),
       prop("initrd", "string", "Linux initial ramdisk file"),
       prop("append", "string", "Linux kernel command line"),
       prop("dtb", "string", "Linux kernel device tree file"),
       prop("dumpdtb", "string", "Dump current dtb to a file and quit"),
       prop("phandle-start", "int", "The first phandle ID we may generate dynamically"),
       prop("dt-compatible", "string", "Overrides the \"compatible\" property of the dt root node"),
       prop("dump-guest-core", "bool", "Include guest memory in a core dump"),
       prop("mem-merge", "bool", "Enable/disable memory merge support"),
       prop("usb", "bool", "Set on/off to enable/disable usb"),
       prop("graphics", "bool", "Set on/off to enable/disable graphics emulation"),
       prop("firmware", "string", "Firmware image"),
       prop("suppress-vmdesc", "bool", "Set on to disable self-describing migration"),
       prop("confidential-guest-support", "link<confidential-guest-support>",
            "Set confidential guest scheme to support"),
       prop("memory-encryption", "string", "Set memory encryption object to use"),
       prop("memory-backend", "link<memory-backend>",
            "Set RAM backendValid value is ID of hostmem based backend"),
       prop("smp", "SMPConfiguration", "CPU topology"),
       prop("boot", "BootConfiguration", "Boot configuration"),
       prop("memory", "MemorySizeConfiguration", "Memory size configuration"),
       instance_prop("peripheral", "child<container>"),
       instance_prop("peripheral-anon", "child<container>")}));
  r.add(type(
      "x86-machine", "machine", true,
      {prop("smm", "OnOffAuto", "Enable SMM"), prop("acpi", "OnOffAuto", "Enable ACPI"),
       prop("pit", "OnOffAuto", "Enable i8254 PIT"), prop("pic", "OnOffAuto", "Enable i8259 PIC"),
       prop("x-oem-id", "string",
            "Override the default value of field OEMID in ACPI table header.The string may "
            "be up to 6 bytes in size"),
       prop("x-oem-table-id", "string",
            "Override the default value of field OEM Table ID in ACPI table header.The "
            "string may be up to 8 bytes in size"),
       prop("bus-lock-ratelimit", "uint64_t",
            "Set the ratelimit for the bus locks acquired in VMs"),
       prop("sgx-epc", "SgxEPC", "SGX EPC device")}));
  r.add(type(
      "generic-pc-machine", "x86-machine", true,
      {prop("device-memory-region-size", "int"),
       prop("max-ram-below-4g", "size", "Maximum ram below the 4G boundary (32bit boundary)"),
       prop("vmport", "OnOffAuto", "Enable vmport (pc & q35)"),
       prop("smbus", "bool", "Enable/disable system management bus"),
       prop("sata", "bool", "Enable/disable Serial ATA bus"),
       prop("hpet", "bool", "Enable/disable high precision event timer emulation"),
       prop("i8042", "bool"), prop("default-bus-bypass-iommu", "bool"),
       prop("max-fw-size", "size", "Maximum combined firmware size"),
       prop("smbios-entry-point-type", "str", "SMBIOS Entry Point type [32, 64]"),
       // Added per machine object by the pc board and the generic machine
       // code (flash devices, NVDIMM/HMAT/CXL switches, PC speaker).
       instance_prop("system.flash0", "child<cfi.pflash01>"),
       instance_prop("system.flash1", "child<cfi.pflash01>"),
       instance_prop("pflash0", "str", "Node name or ID of a block device to use as a backend"),
       instance_prop("pflash1", "str", "Node name or ID of a block device to use as a backend"),
       instance_prop("pcspk-audiodev", "str", "ID of an audiodev to use as a backend"),
       instance_prop("nvdimm", "bool", "Set on/off to enable/disable NVDIMM instantiation"),
       instance_prop("nvdimm-persistence", "string",
                     "Set NVDIMM persistenceValid values are cpu, mem-ctrl"),
       instance_prop("hmat", "bool",
                     "Set on/off to enable/disable ACPI Heterogeneous Memory Attribute Table "
                     "(HMAT)"),
       instance_prop("cxl", "bool", "Set on/off to enable/disable CXL instantiation"),
       instance_prop("cxl-fmw", "CXLFixedMemoryWindow", "CXL Fixed Memory Windows (array)")}));
  for (const MachineType& m : machine_types()) {
    r.add(type(qom_machine_type(m), m.is_pc ? "generic-pc-machine" : "machine", false));
  }
}

// The properties a CPU object of `model` has that `parent` does not list,
// as the vCPU object (system/x86_cpu.h) defines them; children the vCPU gets
// when it is realized are no property of its type.
std::vector<QomProperty> cpu_own_properties(const QomRegistry& r, const std::string& model,
                                            const std::string& parent) {
  std::set<std::string> inherited;
  for (const QomType* t = r.find(parent); t; t = t->parent.empty() ? nullptr : r.find(t->parent)) {
    for (const QomProperty& p : t->properties) inherited.insert(p.name);
  }
  std::vector<QomProperty> out;
  X86Cpu cpu(model, "", CpuTopologyIds{});
  for (const QomPropertyEntry& e : cpu.properties()) {
    if (e.origin == QomPropertyEntry::Origin::kRealize || inherited.count(e.name)) continue;
    QomProperty p = prop(e.name, e.type, e.description.value_or(""));
    p.default_value = e.default_value;
    p.per_instance = e.origin == QomPropertyEntry::Origin::kInstance;
    out.push_back(std::move(p));
  }
  return out;
}

void add_cpus(QomRegistry& r) {
  r.add(type("cpu", "device", true,
             {prop("memory", "link<memory-region>"), prop("legacy-memory", "str"),
              prop("start-powered-off", "bool")}));
  // Every x86 CPU: the CPUID feature bits, their old spellings, the qdev
  // properties (x86_cpu_common_class_init + x86_cpu_initfn); "base" is the
  // model that adds nothing of its own.
  r.add(type("x86_64-cpu", "cpu", true, cpu_own_properties(r, "base", "cpu")));
  for (const CpuModel& c : cpu_models()) {
    // QEMU derives "host" from "max", which adds its own two switches.
    if (c.name == "max") {
      r.add(type(c.qom_type(), "x86_64-cpu", false, cpu_own_properties(r, "max", "x86_64-cpu")));
    } else {
      r.add(type(c.qom_type(), c.name == "host" ? "max-x86_64-cpu" : "x86_64-cpu", false));
    }
  }
}

QomRegistry build() {
  QomRegistry r;
  add_roots(r);
  add_accels(r);
  add_objects(r);
  add_devices(r);
  add_machines(r);
  add_cpus(r);
  return r;
}

}  // namespace

const QomRegistry& qom_registry() {
  static const QomRegistry registry = build();
  return registry;
}

}  // namespace migemu
