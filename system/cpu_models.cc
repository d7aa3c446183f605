// CPU models (QEMU 7.2 target/i386/cpu.c names them; docs/qom-model.md says
// why this subset).
#include "system/cpu_models.h"

namespace migemu {

const std::vector<CpuModel>& cpu_models() {
  static const std::vector<CpuModel> models = [] {
    std::vector<CpuModel> m;
    // Each of these has one version; its plain name is an alias of -v1.
    const char* versioned[] = {"486",      "Conroe",   "Nehalem", "Opteron_G1", "Opteron_G2",
                               "Penryn",   "Westmere", "athlon",  "core2duo",   "coreduo",
                               "kvm32",    "kvm64",    "n270",    "pentium",    "pentium2",
                               "pentium3", "qemu32",   "qemu64"};
    for (const char* name : versioned) {
      CpuModel alias;
      alias.name = name;
      alias.alias_of = std::string(name) + "-v1";
      m.push_back(alias);
      CpuModel v1;
      v1.name = alias.alias_of;
      m.push_back(v1);
    }
    CpuModel base;
    base.name = "base";
    base.is_static = true;
    base.ordering = 8;
    m.push_back(base);
    CpuModel max;
    max.name = "max";
    max.migration_safe = false;
    max.ordering = 9;
    m.push_back(max);
    // After max: QEMU's host type derives from max's.
    CpuModel host;
    host.name = "host";
    host.migration_safe = false;
    host.needs_kvm = true;
    host.ordering = 8;
    m.push_back(host);
    return m;
  }();
  return models;
}

const CpuModel* find_cpu_model(std::string_view name) {
  for (const CpuModel& c : cpu_models()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace migemu
