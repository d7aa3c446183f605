// HMP handlers for the migration commands the lead module implements
// (migrate, migrate_cancel, migrate_continue, migrate_incoming, info migrate).
#pragma once

#include "monitor/monitor.h"

namespace migemu {

void hmp_migrate(Monitor& mon, const Dict& args);
void hmp_migrate_cancel(Monitor& mon, const Dict& args);
void hmp_migrate_continue(Monitor& mon, const Dict& args);
void hmp_migrate_incoming(Monitor& mon, const Dict& args);
void hmp_info_migrate(Monitor& mon, const Dict& args);
void hmp_x_migration_fault(Monitor& mon, const Dict& args);

}  // namespace migemu
