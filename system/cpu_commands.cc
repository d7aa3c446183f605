// query-cpus-fast, query-hotpluggable-cpus and the HMP CPU commands
// (QEMU's hw/core/machine-qmp-cmds.c, machine.c, monitor/hmp-cmds.c).
#include "system/cpu_commands.h"

#include <cinttypes>

#include "qapi/qapi-commands.h"
#include "system/vcpus.h"

namespace migemu {

namespace {

qapi::CpuInstanceProperties props_of(const VcpuSlot& s) {
  qapi::CpuInstanceProperties p;
  p.socket_id = s.ids.socket;
  if (s.has_die) p.die_id = s.ids.die;
  p.core_id = s.ids.core;
  p.thread_id = s.ids.thread;
  return p;
}

}  // namespace

namespace qapi {

Result<std::vector<CpuInfoFast>> qmp_query_cpus_fast(CommandContext&) {
  std::vector<CpuInfoFast> out;
  const Vcpus& v = vcpus();
  for (size_t i = 0; i < v.count(); i++) {
    CpuInfoFast info;
    info.cpu_index = v.index(i);
    info.qom_path = v.cpu(i).qom_path();
    info.thread_id = v.thread_id(i);
    // Only boards with CPU hotplug map an index to socket/core/thread.
    if (v.has_topology()) info.props = props_of(v.slot(i));
    info.target = SysEmuTarget::kX8664;
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<HotpluggableCPU>> qmp_query_hotpluggable_cpus(CommandContext&) {
  const Vcpus& v = vcpus();
  if (!v.has_topology()) {
    return generic_error("The feature 'query-hotpluggable-cpus' is not enabled");
  }
  std::vector<HotpluggableCPU> out;
  // QEMU prepends while walking the possible CPUs: the last one comes first.
  for (auto it = v.possible().rbegin(); it != v.possible().rend(); ++it) {
    HotpluggableCPU c;
    c.type = v.qom_type();
    c.vcpus_count = 1;
    c.props = props_of(*it);
    for (size_t i = 0; i < v.count(); i++) {
      if (v.index(i) == it->index) c.qom_path = v.cpu(i).qom_path();
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace qapi

bool monitor_set_cpu(Monitor& mon, int64_t index) {
  if (index < 0 || index > INT32_MAX || !vcpus().valid_index(static_cast<int>(index))) return false;
  mon.set_cpu_index(static_cast<int>(index));
  return true;
}

void hmp_info_cpus(Monitor& mon, const Dict&) {
  const Vcpus& v = vcpus();
  for (size_t i = 0; i < v.count(); i++) {
    mon.printf("%c CPU #%d: thread_id=%d\n", v.index(i) == mon.cpu_index() ? '*' : ' ', v.index(i),
               v.thread_id(i));
  }
}

void hmp_cpu(Monitor& mon, const Dict& args) {
  const Value* index = args.get("index");
  int64_t n = 0;
  if (!index || !index->get_try_int(&n) || !monitor_set_cpu(mon, n))
    mon.puts("invalid CPU index\n");
}

}  // namespace migemu
