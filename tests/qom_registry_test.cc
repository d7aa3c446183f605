// The QOM model: type relations, listings and the errors of the three
// introspection lookups (texts and classes as QEMU 7.2's).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "system/cmdline.h"
#include "system/cpu_models.h"
#include "system/machine_types.h"
#include "system/qom_registry.h"

namespace migemu {
namespace {

std::vector<std::string> names(const std::vector<const QomProperty*>& props) {
  std::vector<std::string> out;
  for (const QomProperty* p : props) out.push_back(p->name);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(QomRegistry, EveryParentAndInterfaceIsRegistered) {
  const QomRegistry& r = qom_registry();
  for (const QomType& t : r.types()) {
    if (!t.parent.empty()) {
      EXPECT_NE(r.find(t.parent), nullptr) << t.name;
    }
    for (const std::string& i : t.interfaces) {
      const QomType* iface = r.find(i);
      ASSERT_NE(iface, nullptr) << t.name;
      EXPECT_TRUE(iface->is_interface);
    }
  }
}

TEST(QomRegistry, IsAFollowsParentsAndInterfaces) {
  const QomRegistry& r = qom_registry();
  const QomType* file = r.find("memory-backend-file");
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(r.is_a(*file, "memory-backend-file"));
  EXPECT_TRUE(r.is_a(*file, "memory-backend"));
  EXPECT_TRUE(r.is_a(*file, "object"));
  EXPECT_TRUE(r.is_a(*file, "user-creatable"));
  EXPECT_FALSE(r.is_a(*file, "device"));
  EXPECT_TRUE(r.is_a(*r.find("host-x86_64-cpu"), "max-x86_64-cpu"));
  EXPECT_TRUE(r.is_a(*r.find("pc-q35-7.2-machine"), "x86-machine"));
}

TEST(QomRegistry, ListingsHideAbstractTypesUnlessAsked) {
  const QomRegistry& r = qom_registry();
  auto has = [](const std::vector<const QomType*>& l, const char* n) {
    return std::any_of(l.begin(), l.end(), [n](const QomType* t) { return t->name == n; });
  };
  auto concrete = r.list(std::nullopt, false);
  EXPECT_TRUE(has(concrete, "tcg-accel"));
  EXPECT_TRUE(has(concrete, "accel"));  // concrete in QEMU 7.2
  EXPECT_FALSE(has(concrete, "device"));
  EXPECT_FALSE(has(concrete, "user-creatable"));
  auto machines = r.list(std::string("machine"), false);
  EXPECT_EQ(machines.size(), machine_types().size());
  EXPECT_TRUE(has(r.list(std::string("device"), true), "isa-device"));
  EXPECT_TRUE(r.list(std::string("nosuch"), true).empty());
}

TEST(QomRegistry, ObjectPropertiesErrors) {
  const QomRegistry& r = qom_registry();
  auto missing = r.object_properties("nosuch");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().cls, ErrorClass::DeviceNotFound);
  EXPECT_EQ(missing.error().desc, "Class 'nosuch' not found");
  auto iface = r.object_properties("user-creatable");
  ASSERT_FALSE(iface.ok());
  EXPECT_EQ(iface.error().cls, ErrorClass::GenericError);
  EXPECT_EQ(iface.error().desc, "Parameter 'typename' expects a QOM type");
}

TEST(QomRegistry, AbstractTypesListOnlyClassProperties) {
  const QomRegistry& r = qom_registry();
  auto machine = r.object_properties("machine");
  ASSERT_TRUE(machine.ok());
  auto none = r.object_properties("none-machine");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(machine->size() + 2, none->size());  // + peripheral, peripheral-anon
  EXPECT_EQ(names(*r.object_properties("object")), std::vector<std::string>{"type"});
}

TEST(QomRegistry, DevicePropertiesSkipQomAndQdevOnes) {
  const QomRegistry& r = qom_registry();
  auto serial = r.device_properties("isa-serial");
  ASSERT_TRUE(serial.ok());
  EXPECT_EQ(names(*serial), (std::vector<std::string>{"baudbase", "chardev", "index", "iobase",
                                                      "irq", "serial", "wakeup"}));
  auto missing = r.device_properties("virtio-net-pci");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().cls, ErrorClass::DeviceNotFound);
  EXPECT_EQ(missing.error().desc, "Device 'virtio-net-pci' not found");
  for (const char* t : {"device", "isa-device", "memory-backend-ram", "tcg-accel"}) {
    auto bad = r.device_properties(t);
    ASSERT_FALSE(bad.ok()) << t;
    EXPECT_EQ(bad.error().desc, "Parameter 'typename' expects a non-abstract device type");
  }
}

TEST(MachineTypes, QemuRules) {
  const MachineType* pc = find_machine("pc");
  ASSERT_NE(pc, nullptr);
  EXPECT_EQ(pc->name, "pc-i440fx-7.2");
  EXPECT_TRUE(pc->is_default);
  EXPECT_EQ(find_machine("q35")->name, "pc-q35-7.2");
  EXPECT_EQ(find_machine("pc-q35-2.7")->max_cpus, 255u);
  EXPECT_EQ(find_machine("pc-q35-2.8")->max_cpus, 288u);
  EXPECT_TRUE(find_machine("pc-i440fx-5.0")->numa_mem_supported);
  EXPECT_FALSE(find_machine("pc-i440fx-5.1")->numa_mem_supported);
  EXPECT_TRUE(find_machine("pc-q35-4.0.1")->legacy_cpu_versions);
  EXPECT_FALSE(find_machine("pc-q35-4.1")->legacy_cpu_versions);
  EXPECT_EQ(find_machine("none")->default_ram_id, "ram");
  EXPECT_EQ(find_machine("microvm"), nullptr);
}

TEST(CpuModels, EveryUnversionedNameAliasesARegisteredVersion) {
  for (const CpuModel& c : cpu_models()) {
    if (!c.alias_of.empty()) {
      EXPECT_NE(find_cpu_model(c.alias_of), nullptr) << c.name;
    }
  }
  EXPECT_TRUE(find_cpu_model("host")->needs_kvm);
  EXPECT_TRUE(find_cpu_model("base")->is_static);
  EXPECT_EQ(find_cpu_model("Skylake-Client"), nullptr);
}

TEST(CommandLineOptions, GroupsAreQemuOptionLists) {
  auto groups = command_line_option_groups();
  ASSERT_FALSE(groups.empty());
  EXPECT_EQ(groups.front().option, "chardev");
  EXPECT_EQ(groups.back().option, "sandbox");
  for (const auto& g : groups) {
    for (const auto& p : g.params) {
      EXPECT_TRUE(p.type == "string" || p.type == "boolean" || p.type == "number" ||
                  p.type == "size")
          << g.option << "." << p.name;
    }
  }
  EXPECT_EQ(legacy_machine_option_group().params.front().name, "type");
}

}  // namespace
}  // namespace migemu
