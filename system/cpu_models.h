// The x86 CPU models migemu offers: those QEMU 7.2's TCG runs with every
// feature the model asks for, plus "host", which exists but needs KVM (that
// migemu never has). One table serves -cpu, query-cpu-definitions and the
// QOM type registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace migemu {

struct CpuModel {
  std::string name;      // "qemu64", "qemu64-v1", "max"
  std::string alias_of;  // an unversioned name: the version it stands for
  bool is_static = false;
  bool migration_safe = true;
  bool needs_kvm = false;
  // QEMU sorts models by this first, then by name (base and host 8, max 9).
  int ordering = 0;

  std::string qom_type() const { return name + "-x86_64-cpu"; }
};

const std::vector<CpuModel>& cpu_models();
const CpuModel* find_cpu_model(std::string_view name);

}  // namespace migemu
