// QMP introspection of migemu's machine model: QOM types and properties,
// machine types, CPU models, and the TPM/SEV/SGX queries, all answered from
// system/qom_registry.h, machine_types.h and cpu_models.h (QEMU 7.2's
// qom/qom-qmp-cmds.c, hw/core/machine-qmp-cmds.c, target/i386/cpu.c,
// softmmu/tpm.c, target/i386/sev.c, hw/i386/sgx.c).
#include <algorithm>
#include <cstring>

#include "qapi/qapi-commands.h"
#include "system/cpu_models.h"
#include "system/machine_types.h"
#include "system/qom_registry.h"
#include "system/vm.h"

namespace migemu::qapi {
namespace {

std::vector<ObjectPropertyInfo> property_infos(const std::vector<const QomProperty*>& props,
                                               bool with_defaults) {
  std::vector<ObjectPropertyInfo> out;
  for (const QomProperty* p : props) {
    ObjectPropertyInfo info;
    info.name = p->name;
    info.type = p->type;
    info.description = p->description;
    if (with_defaults) info.default_value = p->default_value;
    out.push_back(std::move(info));
  }
  return out;
}

// QEMU leaves optional strings out when the machine has none.
std::optional<std::string> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace

Result<std::vector<ObjectTypeInfo>> qmp_qom_list_types(const QomListTypesArg& args,
                                                       CommandContext&) {
  const QomRegistry& reg = qom_registry();
  std::vector<ObjectTypeInfo> out;
  for (const QomType* t : reg.list(args.implements, args.abstract.value_or(false))) {
    ObjectTypeInfo info;
    info.name = t->name;
    // QEMU sets "abstract" only when true.
    if (t->abstract) info.abstract = true;
    if (!t->parent.empty()) info.parent = t->parent;
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<ObjectPropertyInfo>> qmp_qom_list_properties(const QomListPropertiesArg& args,
                                                                CommandContext&) {
  auto props = qom_registry().object_properties(args.typename_);
  if (!props.ok()) return props.take_error();
  // Only device-list-properties reports defaults.
  return property_infos(*props, false);
}

Result<std::vector<ObjectPropertyInfo>> qmp_device_list_properties(
    const DeviceListPropertiesArg& args, CommandContext&) {
  auto props = qom_registry().device_properties(args.typename_);
  if (!props.ok()) return props.take_error();
  return property_infos(*props, true);
}

Result<std::vector<MachineInfo>> qmp_query_machines(CommandContext&) {
  std::vector<MachineInfo> out;
  for (const MachineType& m : machine_types()) {
    MachineInfo info{.name = m.name,
                     .alias = non_empty(m.alias),
                     .is_default = m.is_default ? std::optional<bool>(true) : std::nullopt,
                     .cpu_max = m.max_cpus,
                     .hotpluggable_cpus = m.hotpluggable_cpus,
                     .numa_mem_supported = m.numa_mem_supported,
                     .deprecated = m.deprecated,
                     .default_cpu_type = non_empty(m.default_cpu_type),
                     .default_ram_id = non_empty(m.default_ram_id)};
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<CpuDefinitionInfo>> qmp_query_cpu_definitions(CommandContext&) {
  // Machines up to 4.0 keep legacy (unversioned) CPU models: no alias-of.
  const MachineType* machine = find_machine(vm().config().machine.type);
  bool legacy = machine && machine->legacy_cpu_versions;
  std::vector<const CpuModel*> sorted;
  for (const CpuModel& c : cpu_models()) sorted.push_back(&c);
  // QEMU sorts by (ordering, name) and then prepends each entry.
  std::sort(sorted.begin(), sorted.end(), [](const CpuModel* a, const CpuModel* b) {
    if (a->ordering != b->ordering) return a->ordering < b->ordering;
    return std::strcmp(a->name.c_str(), b->name.c_str()) < 0;
  });
  std::reverse(sorted.begin(), sorted.end());
  std::vector<CpuDefinitionInfo> out;
  for (const CpuModel* c : sorted) {
    // Features the model needs that the accelerator in use (always TCG
    // here) cannot provide; "host" needs KVM itself.
    std::vector<std::string> unavailable;
    if (c->needs_kvm) unavailable.push_back("kvm");
    std::optional<std::string> alias_of;
    if (!legacy && !c->alias_of.empty()) alias_of = c->alias_of;
    CpuDefinitionInfo info{.name = c->name,
                           .migration_safe = c->migration_safe,
                           .static_ = c->is_static,
                           .unavailable_features = std::move(unavailable),
                           .typename_ = c->qom_type(),
                           .alias_of = std::move(alias_of),
                           .deprecated = false};
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<TpmModel>> qmp_query_tpm_models(CommandContext&) {
  // The TPM front ends the registry has (QEMU: classes implementing tpm-if).
  std::vector<TpmModel> out;
  const QomRegistry& reg = qom_registry();
  for (const QomType* t : reg.list(std::string("tpm-if"), false)) {
    if (auto m = TpmModel_from_string(t->name)) out.push_back(*m);
  }
  return out;
}

Result<std::vector<TpmType>> qmp_query_tpm_types(CommandContext&) {
  // The back ends the registry has (QEMU: a "tpm-NAME" class per type).
  std::vector<TpmType> out;
  for (TpmType t : TpmType_values()) {
    if (qom_registry().find(std::string("tpm-") + to_string(t))) out.push_back(t);
  }
  return out;
}

Result<SevCapability> qmp_query_sev_capabilities(CommandContext&) {
  // SEV needs KVM, which migemu never uses.
  return generic_error("KVM not enabled");
}

Result<SGXInfo> qmp_query_sgx_capabilities(CommandContext&) {
  // QEMU's answer on a host without SGX virtualization (/dev/sgx_vepc).
  return generic_error("SGX is not enabled in KVM");
}

}  // namespace migemu::qapi
