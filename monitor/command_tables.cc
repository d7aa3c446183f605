#include "monitor/command_tables.h"

namespace migemu {

namespace {
CommandTables& tables() {
  static CommandTables t;
  return t;
}
}  // namespace

void set_command_tables(const CommandTables& t) {
  tables() = t;
}

const CommandTables& command_tables() {
  return tables();
}

}  // namespace migemu
