// query-command-line-options from the option lists system/cmdline parses
// with (QEMU 7.2's util/qemu-config.c).
#include <algorithm>

#include "qapi/qapi-commands.h"
#include "system/cmdline.h"

namespace migemu::qapi {
namespace {

CommandLineOptionInfo option_info(const CommandLineOptionGroup& g) {
  CommandLineOptionInfo info;
  info.option = g.option;
  for (const CommandLineParam& p : g.params) {
    CommandLineParameterInfo pi;
    pi.name = p.name;
    pi.type = *CommandLineParameterType_from_string(p.type);
    pi.help = p.help;
    pi.default_ = p.def;
    info.parameters.push_back(std::move(pi));
  }
  // QEMU prepends each parameter.
  std::reverse(info.parameters.begin(), info.parameters.end());
  return info;
}

}  // namespace

Result<std::vector<CommandLineOptionInfo>> qmp_query_command_line_options(
    const QueryCommandLineOptionsArg& args, CommandContext&) {
  std::vector<CommandLineOptionInfo> out;
  for (const CommandLineOptionGroup& g : command_line_option_groups()) {
    if (!args.option || *args.option == g.option) out.push_back(option_info(g));
  }
  // -machine is reported last, with its legacy list; then the whole list is
  // reversed as QEMU prepends.
  if (!args.option || *args.option == "machine") {
    out.push_back(option_info(legacy_machine_option_group()));
  }
  if (out.empty()) return generic_error("invalid option name: " + *args.option);
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace migemu::qapi
