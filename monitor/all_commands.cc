#include "monitor/all_commands.h"

#include "monitor/command_tables.h"
#include "monitor/hmp.h"

namespace migemu {

void install_command_tables() {
  set_command_tables(CommandTables{&qapi::qmp_commands(), hmp_command_table(), hmp_run_command});
}

}  // namespace migemu
