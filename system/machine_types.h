// The machine types migemu models: pc-i440fx-* (alias pc), pc-q35-* (alias
// q35) and none, with what QEMU 7.2 reports about each in query-machines and
// what the command line needs to know. One table serves -machine parsing,
// -machine help, query-machines and the QOM type registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace migemu {

struct MachineType {
  std::string name;
  std::string alias;  // "pc" / "q35" for the newest versions
  std::string desc;
  bool is_default = false;
  bool deprecated = false;
  bool is_pc = false;  // pc-i440fx-* or pc-q35-*
  bool is_q35 = false;
  unsigned max_cpus = 1;
  bool prefer_sockets = false;
  bool dies_supported = false;
  bool has_serial_parallel = false;  // default serial/parallel ports
  bool hotpluggable_cpus = false;
  bool numa_mem_supported = false;
  // Machines up to 4.0 keep the CPU models of their time: no versioned
  // aliases are resolved, so query-cpu-definitions reports no alias-of.
  bool legacy_cpu_versions = false;
  std::string default_cpu_type;  // QOM type, empty when the machine has none
  std::string default_ram_id;
};

// In QEMU's registration order of the versions (newest first per family).
const std::vector<MachineType>& machine_types();
// By name or alias; nullptr when migemu does not model it.
const MachineType* find_machine(std::string_view name);
// Machine types QEMU 7.2 has that migemu does not emulate.
bool is_known_unsupported_machine(std::string_view name);
// The QOM type of a machine: NAME-machine.
std::string qom_machine_type(const MachineType& m);

}  // namespace migemu
