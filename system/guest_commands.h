// HMP twins of migemu's x- guest commands (QMP handlers are generated
// declarations in qapi/qapi-commands.h).
#pragma once

#include "monitor/monitor.h"

namespace migemu {

void hmp_x_workload(Monitor& mon, const Dict& args);           // x_workload KEY=VALUE,...
void hmp_info_x_workload(Monitor& mon, const Dict& args);      // info x_workload
void hmp_info_x_guest_digest(Monitor& mon, const Dict& args);  // info x_guest_digest

}  // namespace migemu
