#include "system/x86_cpu.h"

#include <algorithm>

#include "system/qom_registry.h"
#include "system/x86_cpu_data.h"

namespace migemu {

namespace {

using x86::feature_words;

size_t word_index(std::string_view id) {
  const auto& w = feature_words();
  for (size_t i = 0; i < w.size(); i++)
    if (id == w[i].id) return i;
  return w.size();
}

constexpr uint64_t kHypervisor = 1ull << 31;  // CPUID[1].ECX
constexpr uint64_t kVme = 1ull << 1;          // CPUID[1].EDX
constexpr uint64_t kLm = 1ull << 29;          // CPUID[8000_0001].EDX
constexpr uint64_t kSvm = 1ull << 2;          // CPUID[8000_0001].ECX
constexpr uint64_t kApic = 1ull << 9;         // CPUID[1].EDX
constexpr uint64_t kPse36 = 1ull << 17;       // CPUID[1].EDX
constexpr uint64_t kXsave = 1ull << 26;       // CPUID[1].ECX
constexpr uint64_t kAvx = 1ull << 28;         // CPUID[1].ECX
constexpr uint64_t kMpx = 1ull << 14;         // CPUID[7,0].EBX
constexpr uint64_t kAvx512f = 1ull << 16;     // CPUID[7,0].EBX
constexpr uint64_t kPku = 1ull << 3;          // CPUID[7,0].ECX
constexpr uint32_t kSvmXlevel = 0x8000000A;

// x86_cpu_initfn's aliases: old spellings of feature names, listed as
// properties of every CPU with the type of what they stand for.
constexpr std::pair<const char*, const char*> kAliases[] = {
    {"sse3", "pni"},
    {"pclmuldq", "pclmulqdq"},
    {"sse4-1", "sse4.1"},
    {"sse4-2", "sse4.2"},
    {"xd", "nx"},
    {"ffxsr", "fxsr-opt"},
    {"i64", "lm"},
    {"ds_cpl", "ds-cpl"},
    {"tsc_adjust", "tsc-adjust"},
    {"fxsr_opt", "fxsr-opt"},
    {"lahf_lm", "lahf-lm"},
    {"cmp_legacy", "cmp-legacy"},
    {"nodeid_msr", "nodeid-msr"},
    {"perfctr_core", "perfctr-core"},
    {"perfctr_nb", "perfctr-nb"},
    {"kvm_nopiodelay", "kvm-nopiodelay"},
    {"kvm_mmu", "kvm-mmu"},
    {"kvm_asyncpf", "kvm-asyncpf"},
    {"kvm_asyncpf_int", "kvm-asyncpf-int"},
    {"kvm_steal_time", "kvm-steal-time"},
    {"kvm_pv_eoi", "kvm-pv-eoi"},
    {"kvm_pv_unhalt", "kvm-pv-unhalt"},
    {"kvm_poll_control", "kvm-poll-control"},
    {"svm_lock", "svm-lock"},
    {"nrip_save", "nrip-save"},
    {"tsc_scale", "tsc-scale"},
    {"vmcb_clean", "vmcb-clean"},
    {"pause_filter", "pause-filter"},
    {"sse4_1", "sse4.1"},
    {"sse4_2", "sse4.2"},
    {"hv-apicv", "hv-avic"},
    {"lbr_fmt", "lbr-fmt"},
};

const x86::QdevPropDef* find_qdev(std::string_view name) {
  for (const auto& p : x86::qdev_props())
    if (name == p.name) return &p;
  return nullptr;
}

Value qdev_default(const x86::QdevPropDef& p) {
  std::string t = p.type;
  if (t == "bool") return Value(std::string(p.def) == "true");
  if (t == "OnOffAuto" || t == "str") return Value(std::string(p.def));
  if (t[0] == 'u') return Value::u64(std::stoull(p.def));
  return Value::i64(std::stoll(p.def));
}

std::optional<std::string> description_of(const x86::QdevPropDef& p) {
  if (!p.description) return std::nullopt;
  return std::string(p.description);
}

}  // namespace

X86Cpu::X86Cpu(std::string model, std::string qom_path, CpuTopologyIds ids)
    : model_(std::move(model)), qom_path_(std::move(qom_path)), ids_(ids) {
  const auto& words = feature_words();
  // Each named bit is one boolean property; a name used for several bits
  // (kvmclock) is one property that is true only when all of them are set.
  for (size_t w = 0; w < words.size(); w++) {
    for (const auto& [bit, name] : words[w].names) {
      auto [it, fresh] = bit_props_.try_emplace(name, BitProp{w, 0});
      if (fresh) bit_order_.emplace_back(name);
      it->second.mask |= 1ull << bit;
    }
  }
  compute_features();
}

void X86Cpu::compute_features() {
  const auto& words = feature_words();
  features_.assign(words.size(), 0);
  unavailable_.assign(words.size(), 0);
  if (model_ == "max" || model_ == "host") {
    // Under TCG "max" is an AMD-flavoured CPU with everything TCG offers.
    vendor_ = "AuthenticAMD";
    family_ = 15;
    model_num_ = 107;
    stepping_ = 1;
    model_id_ = "QEMU TCG CPU version 2.5+";
    level_ = 0xd;
    xlevel_ = 0x8000000A;
    for (size_t w = 0; w < words.size(); w++) {
      uint64_t named = 0;
      for (const auto& [bit, name] : words[w].names) named |= 1ull << bit;
      features_[w] = words[w].tcg & ~words[w].no_autoenable & named;
    }
  } else if (model_ != "base") {
    std::string name = model_;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "-v1") == 0) {
      name.resize(name.size() - 3);
    }
    for (const auto& m : x86::model_defs()) {
      if (name != m.name) continue;
      vendor_ = m.vendor;
      family_ = m.family;
      model_num_ = m.model;
      stepping_ = m.stepping;
      model_id_ = m.model_id;
      level_ = m.level;
      xlevel_ = m.xlevel;
      for (const auto& [id, bits] : m.features) features_[word_index(id)] |= bits;
    }
    // x86_cpu_load_model: every model gets the hypervisor bit; TCG turns
    // vme off.
    features_[word_index("FEAT_1_ECX")] |= kHypervisor;
    features_[word_index("FEAT_1_EDX")] &= ~kVme;
  }
  // Features that need another one go when it is missing (VMX controls
  // without vmx, ...).
  for (const auto& d : x86::feature_dependencies()) {
    size_t from = word_index(d.from), to = word_index(d.to);
    if ((features_[from] & d.from_mask) != d.from_mask) features_[to] &= ~d.to_mask;
  }
  for (size_t w = 0; w < words.size(); w++) {
    unavailable_[w] = features_[w] & ~words[w].tcg;
    features_[w] &= words[w].tcg;
  }
  if (vendor_ == "AuthenticAMD") {
    features_[word_index("FEAT_8000_0001_EDX")] |=
        features_[word_index("FEAT_1_EDX")] & x86::kAmdAliases;
  }
  if (features_[word_index("FEAT_8000_0001_ECX")] & kSvm) xlevel_ = std::max(xlevel_, kSvmXlevel);
  // The XSAVE components the enabled features need (x86_cpu_enable_xsave_components).
  if (features_[word_index("FEAT_1_ECX")] & kXsave) {
    uint64_t ebx = features_[word_index("FEAT_7_0_EBX")];
    uint64_t xcr0 = 0x3;  // x87, SSE
    if (features_[word_index("FEAT_1_ECX")] & kAvx) xcr0 |= 0x4;
    if (ebx & kMpx) xcr0 |= 0x18;
    if (ebx & kAvx512f) xcr0 |= 0xe0;
    if (features_[word_index("FEAT_7_0_ECX")] & kPku) xcr0 |= 0x200;
    features_[word_index("FEAT_XSAVE_XCR0_LO")] = xcr0;
  }
}

bool X86Cpu::has_lapic() const {
  return smp_ || (features_[word_index("FEAT_1_EDX")] & kApic);
}

std::vector<std::string> X86Cpu::unavailable_features() const {
  std::vector<std::string> out;
  const auto& words = feature_words();
  for (size_t w = 0; w < words.size(); w++) {
    for (const auto& [bit, name] : words[w].names) {
      if (unavailable_[w] & (1ull << bit)) out.emplace_back(name);
    }
  }
  return out;
}

std::vector<QomPropertyEntry> X86Cpu::properties() const {
  using Origin = QomPropertyEntry::Origin;
  std::vector<QomPropertyEntry> out = {
      {"type", "string"},
      {"parent_bus", "link<bus>"},
      {"realized", "bool"},
      {"hotplugged", "bool"},
      {"hotpluggable", "bool"},
      {"memory", "link<memory-region>"},
      {"start-powered-off", "bool"},
      {"legacy-memory", "str"},
  };
  for (const auto& p : x86::qdev_props()) {
    // A string property without a default reports none, and neither does
    // lbr-fmt, whose property kind (a value checked against a mask) has no
    // way to report one in 7.2.
    bool no_default =
        (std::string_view(p.type) == "str" && !*p.def) || std::string_view(p.name) == "lbr-fmt";
    out.push_back({p.name, p.type, Origin::kClass, description_of(p),
                   no_default ? std::nullopt : std::optional<Value>(qdev_default(p))});
  }
  for (const std::string& n : bit_order_) out.push_back({n, "bool"});
  for (const char* n : {"family", "model", "stepping", "tsc-frequency"}) out.push_back({n, "int"});
  out.push_back({"vendor", "string"});
  out.push_back({"model-id", "string"});
  out.push_back({"feature-words", "X86CPUFeatureWordInfo", Origin::kInstance});
  out.push_back({"filtered-features", "X86CPUFeatureWordInfo", Origin::kInstance});
  out.push_back({"unavailable-features", "strList"});
  out.push_back({"crash-information", "GuestPanicInformation"});
  if (model_ == "max" || model_ == "host") {
    out.push_back({"migratable", "bool", Origin::kClass, std::nullopt, Value(true)});
    out.push_back({"host-cache-info", "bool", Origin::kClass, std::nullopt, Value(false)});
  }
  for (const auto& [alias, target] : kAliases) {
    if (bit_props_.count(target) || find_qdev(target)) {
      const x86::QdevPropDef* q = find_qdev(target);
      // An alias shows the description and default of what it stands for.
      bool with_default = q && std::string_view(q->name) != "lbr-fmt";
      out.push_back({alias, q ? q->type : "bool", Origin::kInstance,
                     q ? description_of(*q) : std::nullopt,
                     with_default ? std::optional<Value>(qdev_default(*q)) : std::nullopt});
    }
  }
  // Children the TCG vCPU and the pc board give it.
  if (has_lapic()) out.push_back({"lapic", "child<apic>", Origin::kRealize});
  out.push_back({"memory[0]", "child<memory-region>", Origin::kRealize});
  out.push_back({"smram[0]", "child<memory-region>", Origin::kRealize});
  out.push_back({"memory[1]", "child<memory-region>", Origin::kRealize});
  return out;
}

Value X86Cpu::feature_words_value(const std::vector<uint64_t>& values) const {
  // Reversed enum order (QEMU prepends); CPUID words only.
  std::vector<Value> list;
  const auto& words = feature_words();
  for (size_t w = 0; w < words.size(); w++) {
    if (words[w].msr) continue;
    Dict d;
    d.put("cpuid-input-eax", Value::i64(words[w].eax));
    if (words[w].ecx >= 0) d.put("cpuid-input-ecx", Value::i64(words[w].ecx));
    d.put("cpuid-register", Value(std::string(words[w].reg)));
    d.put("features", Value::i64(static_cast<int64_t>(values[w] & 0xffffffffu)));
    list.push_back(Value(std::move(d)));
  }
  std::reverse(list.begin(), list.end());
  return Value(std::move(list));
}

Result<Value> X86Cpu::get(const std::string& name) const {
  std::string prefix = "Property '" + qom_type() + "." + name + "'";
  if (auto it = bit_props_.find(name); it != bit_props_.end()) {
    return Value((features_[it->second.word] & it->second.mask) == it->second.mask);
  }
  for (const auto& [alias, target] : kAliases) {
    if (name == alias && (bit_props_.count(target) || find_qdev(target))) return get(target);
  }
  bool is_max = model_ == "max" || model_ == "host";
  bool amd = vendor_ == "AuthenticAMD";
  // 40 bits with long mode, 36 with PSE-36, else 32 (x86_cpu_realizefn).
  uint32_t phys_bits = (features_[word_index("FEAT_8000_0001_EDX")] & kLm) ? 40
                       : (features_[word_index("FEAT_1_EDX")] & kPse36)    ? 36
                                                                           : 32;
  // Values realize() settles, and the per-vCPU topology.
  if (name == "type") return Value(qom_type());
  if (name == "realized" || name == "hotpluggable") return Value(true);
  if (name == "hotplugged") return Value(false);
  if (name == "start-powered-off") return Value(start_powered_off_);
  if (name == "legacy-memory") return generic_error(prefix + " is not readable");
  if (name == "crash-information") return generic_error("No crash occurred");
  if (name == "parent_bus" || name == "memory") return Value(std::string());
  if (name == "lapic" && has_lapic()) return Value(qom_path_ + "/lapic");
  if (name == "memory[0]" || name == "memory[1]" || name == "smram[0]") {
    return Value(qom_path_ + "/" + name);
  }
  if (name == "family") return Value::i64(family_);
  if (name == "model") return Value::i64(model_num_);
  if (name == "stepping") return Value::i64(stepping_);
  if (name == "tsc-frequency") return Value::i64(tsc_khz_ * 1000);
  if (name == "vendor") return Value(vendor_);
  if (name == "model-id") return Value(model_id_);
  if (name == "level" || name == "min-level") return Value::u64(level_);
  if (name == "xlevel" || name == "min-xlevel") return Value::u64(xlevel_);
  if (name == "xlevel2" || name == "min-xlevel2" || name == "level-func7") return Value::u64(0);
  if (name == "apic-id") return Value::u64(ids_.apic_id);
  if (name == "socket-id") return Value::i64(ids_.socket);
  if (name == "die-id") return Value::i64(ids_.die);
  if (name == "core-id") return Value::i64(ids_.core);
  if (name == "thread-id") return Value::i64(ids_.thread);
  if (name == "phys-bits") return Value::u64(phys_bits);
  if (name == "ucode-rev") return Value::u64(amd ? 0x01000065 : 0x100000000ull);
  if (name == "lbr-fmt") return Value::u64(~0x3full);
  if (name == "hv-vendor-id") return Value(std::string("Microsoft Hv"));
  if (name == "pmu") return Value(is_max);
  if (name == "feature-words") return feature_words_value(features_);
  if (name == "filtered-features") return feature_words_value(unavailable_);
  if (name == "unavailable-features") {
    std::vector<Value> list;
    for (const std::string& f : unavailable_features()) list.push_back(Value(f));
    return Value(std::move(list));
  }
  if (is_max && name == "migratable") return Value(true);
  if (is_max && name == "host-cache-info") return Value(false);
  if (const x86::QdevPropDef* q = find_qdev(name)) return qdev_default(*q);
  return generic_error(prefix + " not found");
}

namespace {

// x86_cpuid_version_set_*, x86_cpuid_set_tsc_freq: "Property .NAME doesn't
// take value V (minimum: 0, maximum: M)".
Result<int64_t> int_in_range(const std::string& name, const QomSetValue& v, int64_t max) {
  Result<int64_t> n = qom_set_int(name, v);
  if (n.ok() && (*n < 0 || *n > max)) {
    return generic_error("Property ." + name + " doesn't take value " + std::to_string(*n) +
                         " (minimum: 0, maximum: " + std::to_string(max) + ")");
  }
  return n;
}

}  // namespace

Status X86Cpu::set(const std::string& name, const QomSetValue& value) {
  for (const auto& [alias, target] : kAliases) {
    if (name == alias && (bit_props_.count(target) || find_qdev(target))) return set(target, value);
  }
  std::string type;
  for (const QomPropertyEntry& p : properties()) {
    if (p.name == name) type = p.type;
  }
  if (type.empty()) return generic_error("Property '" + qom_type() + "." + name + "' not found");
  if (name == "realized") return qom_set_realized(qom_type(), value);
  if (name == "start-powered-off") {
    Result<bool> b = qom_set_bool(name, value);
    if (!b.ok()) return b.take_error();
    start_powered_off_ = *b;
    return {};
  }
  if (name == "family" || name == "model" || name == "stepping") {
    int64_t max = name == "family" ? 0xff + 0xf : name == "model" ? 0xff : 0xf;
    Result<int64_t> n = int_in_range(name, value, max);
    if (!n.ok()) return n.take_error();
    int& field = name == "family" ? family_ : name == "model" ? model_num_ : stepping_;
    field = static_cast<int>(*n);
    return {};
  }
  if (name == "tsc-frequency") {
    Result<int64_t> n = int_in_range(name, value, INT64_MAX);
    if (!n.ok()) return n.take_error();
    tsc_khz_ = *n / 1000;
    return {};
  }
  if (name == "vendor" || name == "model-id") {
    Result<std::string> str = qom_set_str(name, value);
    if (!str.ok()) return str.take_error();
    if (name == "vendor") {
      // Twelve bytes: CPUID[0].EBX, EDX, ECX.
      if (str->size() != 12) {
        return generic_error("Property '.vendor' doesn't take value '" + *str + "'");
      }
      vendor_ = *str;
    } else {
      // The 48 bytes of CPUID[0x80000002..4], up to the first NUL.
      model_id_ = str->substr(0, std::min(str->find('\0'), size_t{48}));
    }
    return {};
  }
  if (name == "type" || name == "parent_bus" || name == "hotplugged" || name == "hotpluggable" ||
      name == "legacy-memory" || name == "crash-information" || name == "unavailable-features" ||
      name == "feature-words" || name == "filtered-features" || type.starts_with("child<")) {
    return qom_not_writable(qom_type(), name);
  }
  if (type.starts_with("link<")) {
    Result<std::string> target = qom_set_str(name, value);
    if (!target.ok()) return target.take_error();
    if (!target->empty())
      return Error{ErrorClass::DeviceNotFound, "Device '" + *target + "' not found"};
    return qom_link_set_after_realize(name, qom_type());
  }
  return qom_set_after_realize(name, nullptr, qom_type());
}

}  // namespace migemu
