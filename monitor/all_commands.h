// Every command migemu answers: the generated QMP table and marshallers, the
// HMP table, and the handlers of every module (monitor, system, guest,
// migration). Linking this library and calling install_command_tables()
// gives the monitor core its commands.
#pragma once

namespace migemu {

void install_command_tables();

}  // namespace migemu
