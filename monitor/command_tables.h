// The QMP and HMP command tables as the monitor core sees them. The core
// (chardevs, QMP/HMP sessions, dispatch) depends on no command handler: the
// tables, which reference every handler of every module, are installed once
// at start-up by whoever links the handlers (main(), the unit tests), through
// install_command_tables() in monitor/all_commands.h.
#pragma once

#include <span>
#include <vector>

#include "qapi/qapi-commands.h"
#include "qapi/qobject.h"

namespace migemu {

class Monitor;
struct HmpCommand;

struct CommandTables {
  const std::vector<qapi::QmpCommand>* qmp = nullptr;
  std::span<const HmpCommand> hmp;
  // Runs a parsed HMP command's handler (selected by HmpCommand::id).
  void (*run_hmp)(Monitor& mon, const HmpCommand& cmd, const Dict& args) = nullptr;
};

void set_command_tables(const CommandTables& tables);
// Empty tables until set: every command is then unknown.
const CommandTables& command_tables();

}  // namespace migemu
