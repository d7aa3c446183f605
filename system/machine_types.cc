// Machine types as QEMU 7.2's hw/i386/pc_piix.c, pc_q35.c and
// hw/core/null-machine.c define them (docs/qom-model.md has the rules).
#include "system/machine_types.h"

#include <cstdio>
#include <string>

namespace migemu {
namespace {

bool version_le(std::string_view v, int major, int minor) {
  int a = 0, b = 0;
  std::sscanf(std::string(v).c_str(), "%d.%d", &a, &b);
  return a < major || (a == major && b <= minor);
}

MachineType pc_machine(std::string name, std::string_view v) {
  MachineType m;
  m.name = std::move(name);
  m.is_pc = true;
  m.max_cpus = 255;
  m.prefer_sockets = version_le(v, 6, 1);
  m.dies_supported = true;
  m.has_serial_parallel = true;
  m.hotpluggable_cpus = true;
  // NUMA nodes without memdev= were dropped after 5.0 machines.
  m.numa_mem_supported = version_le(v, 5, 0);
  // 4.0 (and q35's 4.0.1) and older keep unversioned CPU models.
  m.legacy_cpu_versions = version_le(v, 4, 0);
  m.default_cpu_type = "qemu64-x86_64-cpu";
  m.default_ram_id = "pc.ram";
  return m;
}

}  // namespace

const std::vector<MachineType>& machine_types() {
  static const std::vector<MachineType> types = [] {
    std::vector<MachineType> t;
    const char* i440fx_versions[] = {"7.2",  "7.1", "7.0", "6.2", "6.1", "6.0", "5.2",  "5.1",
                                     "5.0",  "4.2", "4.1", "4.0", "3.1", "3.0", "2.9",  "2.8",
                                     "2.7",  "2.6", "2.5", "2.4", "2.3", "2.2", "2.12", "2.11",
                                     "2.10", "2.1", "2.0", "1.7", "1.6", "1.5", "1.4"};
    const char* q35_versions[] = {"7.2", "7.1", "7.0", "6.2",   "6.1", "6.0",  "5.2",  "5.1",
                                  "5.0", "4.2", "4.1", "4.0.1", "4.0", "3.1",  "3.0",  "2.9",
                                  "2.8", "2.7", "2.6", "2.5",   "2.4", "2.12", "2.11", "2.10"};
    for (const char* v : i440fx_versions) {
      MachineType m = pc_machine(std::string("pc-i440fx-") + v, v);
      bool newest = std::string_view(v) == "7.2";
      m.alias = newest ? "pc" : "";
      m.desc = "Standard PC (i440FX + PIIX, 1996)";
      m.is_default = newest;
      m.deprecated = v[0] == '1';
      t.push_back(m);
    }
    for (const char* v : q35_versions) {
      MachineType m = pc_machine(std::string("pc-q35-") + v, v);
      m.alias = std::string_view(v) == "7.2" ? "q35" : "";
      m.desc = "Standard PC (Q35 + ICH9, 2009)";
      m.is_q35 = true;
      m.max_cpus = version_le(v, 2, 7) ? 255 : 288;
      t.push_back(m);
    }
    MachineType none;
    none.name = "none";
    none.desc = "empty machine";
    none.max_cpus = 1;
    none.default_ram_id = "ram";
    t.push_back(none);
    return t;
  }();
  return types;
}

const MachineType* find_machine(std::string_view name) {
  for (const MachineType& m : machine_types()) {
    if (m.name == name || (!m.alias.empty() && m.alias == name)) return &m;
  }
  return nullptr;
}

bool is_known_unsupported_machine(std::string_view name) {
  return name == "microvm" || name == "isapc" || name == "x-remote";
}

std::string qom_machine_type(const MachineType& m) {
  return m.name + "-machine";
}

}  // namespace migemu
