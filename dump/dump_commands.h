// HMP handlers of the dump commands (the QMP ones are the generated table's).
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_dump_guest_memory(Monitor& mon, const Dict& args);
void hmp_info_dump(Monitor& mon, const Dict& args);

}  // namespace migemu
