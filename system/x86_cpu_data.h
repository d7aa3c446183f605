// QEMU 7.2's x86 CPU tables in migemu's own form: the CPUID/MSR feature words
// with the names of their bits (each named bit is a boolean QOM property of
// every x86 CPU), what TCG can provide, the dependencies between features,
// the qdev properties with their defaults, and the definitions of the CPU
// models migemu offers (system/cpu_models.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace migemu::x86 {

struct FeatureWordDef {
  const char* id;  // QEMU's enum name, "FEAT_1_EDX"
  bool msr;        // an MSR-based word (VMX, ...), not in feature-words
  uint32_t eax;    // CPUID leaf
  int ecx;         // CPUID sub-leaf, -1 when the leaf has none
  const char* reg;
  uint64_t tcg;                                    // bits TCG can provide
  uint64_t no_autoenable;                          // never turned on by "max"
  std::vector<std::pair<int, const char*>> names;  // bit -> property name
};

struct FeatureDep {
  const char* from;
  uint64_t from_mask;
  const char* to;
  uint64_t to_mask;
};

struct QdevPropDef {
  const char* name;
  const char* type;  // "bool", "uint32", "int32", "uint64", "uint8", "uint16", "OnOffAuto", "str"
  const char* def;   // the default as text ("" for a string without one)
  const char* description = nullptr;  // what qom-list-properties reports
};

struct ModelDef {
  const char* name;
  uint32_t level;
  const char* vendor;
  int family, model, stepping;
  uint32_t xlevel;
  const char* model_id;
  std::vector<std::pair<const char*, uint64_t>> features;  // word id -> bits
};

// In QEMU's FeatureWord enum order.
const std::vector<FeatureWordDef>& feature_words();
const std::vector<FeatureDep>& feature_dependencies();
const std::vector<QdevPropDef>& qdev_props();
const std::vector<ModelDef>& model_defs();
// CPUID[1].EDX bits an AMD CPU repeats in CPUID[8000_0001].EDX.
extern const uint64_t kAmdAliases;

}  // namespace migemu::x86
