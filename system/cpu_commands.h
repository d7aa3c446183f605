// HMP `info cpus` and `cpu N` (the QMP handlers are generated-declared).
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_info_cpus(Monitor& mon, const Dict& args);
void hmp_cpu(Monitor& mon, const Dict& args);
// monitor_set_cpu(): false for an index no vCPU has.
bool monitor_set_cpu(Monitor& mon, int64_t index);

}  // namespace migemu
