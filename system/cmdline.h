// QEMU-style command line parsing (softmmu/vl.c's option table, QemuOpts).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qapi/error.h"
#include "system/config.h"

namespace migemu {

// args excludes argv[0]. On error, Error.desc is the text QEMU prints after
// "PROGNAME: " on stderr (including QEMU's "-opt value: " location prefix);
// main() prints it and exits with status 1, as QEMU does.
Result<Config> parse_command_line(const std::vector<std::string>& args);

// Texts for -version and -help.
std::string version_text();
std::string help_text();

// Additions (cmdline):
// The same parse, also giving what QEMU prints on stderr before the final
// error or before running (the Config.messages lines, which on failure are
// not otherwise available): print `messages`, then on failure the error as
// "PROGNAME: desc" (preceded by a timestamp when `error_timestamp`, i.e.
// -msg timestamp=on was given before the failure was found, and by
// "GUEST " when `error_guest_name`).
struct ParseDiagnostics {
  std::vector<StderrLine> messages;
  bool error_timestamp = false;
  std::optional<std::string> error_guest_name;
};
Result<Config> parse_command_line(const std::vector<std::string>& args, ParseDiagnostics* diag);

// -machine help: QEMU's list format, the machine types migemu accepts.
std::string machine_help_text();

// The QemuOpts option groups, for query-command-line-options.
struct CommandLineParam {
  std::string name;
  std::string type;  // CommandLineParameterType: string, boolean, number, size
  std::optional<std::string> help;
  std::optional<std::string> def;
};
struct CommandLineOptionGroup {
  std::string option;
  std::vector<CommandLineParam> params;  // in the order the list declares them
};
// The groups migemu's command line implements, in QEMU 7.2's registration
// order.
std::vector<CommandLineOptionGroup> command_line_option_groups();
// What QEMU reports for "machine": its legacy option list.
CommandLineOptionGroup legacy_machine_option_group();

}  // namespace migemu
