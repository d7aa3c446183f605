// HMP `info balloon` and `balloon` (the QMP handlers are declared by the
// generated code).
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_info_balloon(Monitor& mon, const Dict& args);
void hmp_balloon(Monitor& mon, const Dict& args);

}  // namespace migemu
