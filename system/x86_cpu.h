// One x86 vCPU as a QOM object: its properties as QEMU 7.2 lists them
// (qom-list) and their values (qom-get). The CPUID feature words come from
// the model's definition as QEMU builds them under TCG: the model's bits,
// the hypervisor bit, TCG's defaults, "max" taking everything TCG offers,
// feature dependencies, then filtering by what TCG provides (what is
// filtered is "unavailable"), and the AMD aliases of CPUID[1].EDX.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qapi/error.h"
#include "qapi/qobject.h"

namespace migemu {

struct QomSetValue;

struct CpuTopologyIds {
  int socket = 0, die = 0, core = 0, thread = 0;
  uint32_t apic_id = 0;
};

struct QomPropertyEntry {
  // When the property comes to exist: with the class (qom-list-properties of
  // an abstract CPU type lists these), when an object is made (the old
  // feature spellings, feature-words), or when the vCPU is realized (its
  // children, which a listing of the type never shows).
  enum class Origin { kClass, kInstance, kRealize };
  std::string name;
  std::string type;
  Origin origin = Origin::kClass;
  std::optional<std::string> description = std::nullopt;
  std::optional<Value> default_value = std::nullopt;  // a qdev property's
};

class X86Cpu {
 public:
  // `model`: a name of system/cpu_models.h ("qemu64", "max", "base", ...).
  X86Cpu(std::string model, std::string qom_path, CpuTopologyIds ids);

  const std::string& qom_path() const { return qom_path_; }
  std::string qom_type() const { return model_ + "-x86_64-cpu"; }
  // qom-list: every property, children and links included, in QEMU's order.
  std::vector<QomPropertyEntry> properties() const;
  // qom-get: "Property 'T.P' not found" for a name the CPU lacks.
  Result<Value> get(const std::string& name) const;
  // qom-set on the realized vCPU: QEMU 7.2 lets a running CPU's family,
  // model, stepping, vendor, model-id, tsc-frequency and start-powered-off
  // change (later qom-gets read them back); every other property is
  // read-only or fixed at realize, and answers QEMU's error.
  Status set(const std::string& name, const QomSetValue& value);
  std::vector<std::string> unavailable_features() const;
  // CPUID[1].EDX apic: the CPU has a local APIC (a "lapic" child).
  bool has_lapic() const;
  // A machine with more than one CPU gives every CPU a local APIC even when
  // its model lacks the feature (x86_cpu_realizefn).
  void set_smp() { smp_ = true; }
  // CPUID[1].EAX (family/model/stepping), which is also EDX after reset.
  uint32_t cpuid_version() const {
    uint32_t v = family_ > 0x0f ? 0xf00u | (static_cast<uint32_t>(family_ - 0x0f) << 20)
                                : static_cast<uint32_t>(family_) << 8;
    v |= (static_cast<uint32_t>(model_num_ & 0xf) << 4) |
         (static_cast<uint32_t>(model_num_ >> 4) << 16);
    return v | static_cast<uint32_t>(stepping_);
  }

 private:
  struct BitProp {
    size_t word;
    uint64_t mask;
  };
  void compute_features();
  Value feature_words_value(const std::vector<uint64_t>& words) const;

  std::string model_;
  std::string qom_path_;
  CpuTopologyIds ids_;
  std::vector<uint64_t> features_;     // per feature word, QEMU's enum order
  std::vector<uint64_t> unavailable_;  // filtered out by TCG
  std::map<std::string, BitProp> bit_props_;
  std::vector<std::string> bit_order_;  // first appearance of each name
  int family_ = 0, model_num_ = 0, stepping_ = 0;
  uint32_t level_ = 0, xlevel_ = 0;
  std::string vendor_, model_id_;
  int64_t tsc_khz_ = 0;  // TCG sets none
  bool start_powered_off_ = false;
  bool smp_ = false;
};

}  // namespace migemu
