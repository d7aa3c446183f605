// HMP side of the migration capabilities and parameters (QEMU 7.2's
// hmp_migrate_set_capability, hmp_migrate_set_parameter,
// hmp_info_migrate_capabilities, hmp_info_migrate_parameters) and the text of
// `info migrate` (hmp_info_migrate).
//
// Every function returns the text for the monitor with bare "\n" line ends
// (the monitor turns them into "\r\n"); none writes anywhere itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migration/options.h"
#include "qapi/qapi-types.h"
#include "qapi/qobject.h"

namespace migemu {

class Readline;

// `info migrate`: the "globals:" block, then each block that `info` calls for
// (blockers, status and times, RAM, disk, XBZRLE, compression, CPU throttle,
// postcopy blocktimes, listening sockets, VFIO), exactly as 7.2 prints them.
// Pure: usable from any thread.
std::string format_info_migrate(const qapi::MigrationInfo& info, const GlobalsSnapshot& globals);

// `info migrate_capabilities` / `info migrate_parameters` for given values.
std::string format_info_migrate_capabilities(
    const std::vector<qapi::MigrationCapabilityStatus>& caps);
std::string format_info_migrate_parameters(const qapi::MigrationParameters& params);

// The commands, run against `opts` (the monitors pass migration_options()).
// `args` as parse_hmp_arguments returns them:
//   migrate_set_capability  "capability:s,state:b"
//   migrate_set_parameter   "parameter:s,value:s"
// The result is what the monitor prints: nothing, or warning/"Error: ..." lines.
std::string hmp_migrate_set_capability(MigrationOptions& opts, const Dict& args);
std::string hmp_migrate_set_parameter(MigrationOptions& opts, const Dict& args);
std::string hmp_info_migrate_capabilities(const MigrationOptions& opts);
std::string hmp_info_migrate_parameters(const MigrationOptions& opts);

// TAB completion (HmpCommand::completion) of migrate_set_capability (names,
// then on/off) and migrate_set_parameter (names).
void hmp_migrate_set_capability_completion(Readline& rl, int nb_args, std::string_view str);
void hmp_migrate_set_parameter_completion(Readline& rl, int nb_args, std::string_view str);

// How `info migrate` prints a postcopy vCPU blocktime list (QEMU's string
// output visitor): sorted, consecutive values merged into "a-b" ranges,
// comma separated. For tests.
std::string format_uint32_ranges(const std::vector<uint32_t>& values);

}  // namespace migemu
