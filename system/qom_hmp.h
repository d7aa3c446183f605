// HMP qom-list, qom-get and qom-set (QEMU's qom/qom-hmp-cmds.c).
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_qom_list(Monitor& mon, const Dict& args);
void hmp_qom_get(Monitor& mon, const Dict& args);
void hmp_qom_set(Monitor& mon, const Dict& args);

}  // namespace migemu
