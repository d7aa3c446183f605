// HMP `info chardev` (the QMP handler query-chardev is generated-declared).
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_info_chardev(Monitor& mon, const Dict& args);

}  // namespace migemu
