// HMP `info pci` (QMP query-pci's handler is declared by the generated code).
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_info_pci(Monitor& mon, const Dict& args);

}  // namespace migemu
