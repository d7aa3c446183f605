// HMP `info block`, `info blockstats` and `info block-jobs`.
#pragma once

#include "monitor/monitor.h"
#include "qapi/qobject.h"

namespace migemu {

void hmp_info_block(Monitor& mon, const Dict& args);
void hmp_info_blockstats(Monitor& mon, const Dict& args);
void hmp_info_block_jobs(Monitor& mon, const Dict& args);

}  // namespace migemu
