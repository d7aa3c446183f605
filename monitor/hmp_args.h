// HMP command-line parsing as QEMU 7.2 does it: command names and
// sub-commands, the args_type mini-language, double-quoted words, integer
// expressions, sizes, help listings and TAB completion.
//
// All texts meant for the client use bare "\n" line ends; the monitor's
// output function expands them to "\r\n" (see monitor/readline.h).
//
// Besides the client, QEMU writes a few parse diagnostics to its own stdout
// ("unterminated string", "unsupported escape code: '\x'") and stderr (the
// deprecation warning for hex sizes with a suffix). They are returned in
// HmpProcessOutput so the caller can reproduce them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/error.h"
#include "qapi/qobject.h"

namespace migemu {

class Readline;

// What QEMU would print on its process stdout/stderr while parsing.
// `err` lines lack QEMU's "<program name>: " prefix (error_report style).
struct HmpProcessOutput {
  std::string out;
  std::string err;
};

// QEMU's qemu_isspace in the C locale: ' ', \t, \n, \v, \f, \r.
bool hmp_isspace(char c);

// One word as QEMU's get_str reads it from `text` at `pos`, after skipping
// spaces: either everything up to the next space (quotes inside are ordinary
// characters, so `ab"cd"` is that word), or a word that starts with a double
// quote and runs to the closing quote, with the escapes \n \r \\ \' \".
// Values are cut to 1023 bytes, silently, as QEMU's buffer does. Failures:
// nothing left, a missing closing quote or another escape (both also print a
// line on QEMU's stdout, see HmpProcessOutput).
struct HmpWord {
  bool ok = false;
  std::string value;
  size_t end = 0;  // offset after the word; meaningless on failure
};
HmpWord hmp_get_str(std::string_view text, size_t pos = 0, HmpProcessOutput* proc = nullptr);

// The command name at the start of `line` (after spaces): up to a space, a
// '/' or the end; cut to 255 bytes. nullopt for a blank line. `end` is the
// offset just after the name (not after the following spaces).
struct HmpCommandName {
  std::string name;
  size_t end = 0;
};
std::optional<HmpCommandName> hmp_get_command_name(std::string_view line, size_t pos = 0);

// True if `name` equals one of the '|'-separated aliases in `list`.
bool hmp_compare_cmd(std::string_view name, std::string_view list);

// Splits a line into words with hmp_get_str (QEMU's parse_cmdline, used by
// help and completion). nullopt on a bad word or more than 16 words.
std::optional<std::vector<std::string>> hmp_parse_cmdline(std::string_view cmdline,
                                                          HmpProcessOutput* proc = nullptr);

// Parses the arguments of one command, QEMU's monitor_parse_arguments.
//   cmdname:   the command's table name as QEMU prints it in messages, i.e.
//              with its aliases ("stop|s", "cont|c", "migrate").
//   args_type: e.g. "detach:-d,blk:-b,inc:-i,resume:-r,uri:s".
//   args:      the rest of the line after the command name.
// Types: s F B (word; F/B differ only in the error text), S (rest of line),
// i l M (integer expression; i must fit 32 bits, M is MiB and >= 0), o (size,
// default unit MiB), T (seconds, optional ms/us/ns suffix), b (on|off),
// -x (flag -> true), -xs (flag with a word value), / (x/print format ->
// "count", "format", "size"), with '?' for optional and '.' (i l M only).
// 'O' (QemuOpts) is not supported and fails like an unknown opts list.
// Dict values: strings, bools, int64 numbers (T: double), as QEMU's QDict.
// Absent optional arguments are absent keys.
//
// On failure Error::desc is the exact message QEMU prints before its
// 'Try "help ..."' line, without the final "\n". It may contain a NUL byte
// (e.g. "migrate: unsupported option -" NUL for a lone "-"): QEMU prints
// desc + "\n" as one C string, so nothing from the NUL on reaches the
// client. Use hmp_error_output() to get the exact text.
Result<Dict> parse_hmp_arguments(std::string_view cmdname, std::string_view args_type,
                                 std::string_view args, HmpProcessOutput* proc = nullptr);

// desc + "\n", cut at the first NUL (what reaches the client).
std::string hmp_error_output(const Error& err);

// What a command handler prints for a failed QMP call (QEMU's
// hmp_handle_error): "Error: DESC\n", or nothing when `st` is ok.
std::string hmp_error_text(const Status& st);

// A parsed argument: the string (null when absent or not a string) and a
// flag (false when absent).
const std::string* hmp_str_arg(const Dict& args, std::string_view key);
bool hmp_bool_arg(const Dict& args, std::string_view key);

// The state that "x"/"print" formats ('/') carry from one command to the next
// (process-wide, as in QEMU). For tests.
void hmp_reset_format_defaults();

// ---- Command tables, dispatch, help and completion -------------------------

struct HmpCommand {
  std::string_view name;                       // aliases separated by '|', e.g. "stop|s"
  std::string_view args_type;                  // see parse_hmp_arguments
  std::string_view params;                     // for help: "[-d] [-b] [-i] [-r] uri"
  std::string_view help;                       // for help
  std::span<const HmpCommand> sub_table = {};  // sub-commands ("info")
  // Custom TAB completion (QEMU's command_completion): nb_args counts the
  // words including the command name; `str` is the word being completed.
  void (*completion)(Readline& rl, int nb_args, std::string_view str) = nullptr;
  int id = 0;  // free for the caller
};

struct HmpParsedLine {
  enum class Status {
    Empty,           // blank line: print nothing
    UnknownCommand,  // output holds "unknown command: '...'\n"
    BadArguments,    // output holds the error and the 'Try "help ..."' line
    Ok,              // run `cmd` with `args`
  };
  Status status = Status::Empty;
  const HmpCommand* cmd = nullptr;  // for BadArguments and Ok (a sub-command
                                    // if one was given, else the command)
  Dict args;
  std::string output;
  HmpProcessOutput proc;
};

// QEMU's handle_hmp_command up to running the handler: finds the command
// (descending into sub_table when words follow, as "info status") and parses
// its arguments. A command with a sub_table but nothing after it (plain
// "info") is returned itself with its own args_type.
HmpParsedLine hmp_parse_command_line(std::string_view line, std::span<const HmpCommand> table);

// Output of "help" / "help NAME..." (QEMU's help_cmd, without its special
// case for "log"): "NAME PARAMS -- HELP\n" per command, "unknown command:
// '...'\n" if not found, nothing if the words cannot be parsed.
std::string hmp_help_text(std::span<const HmpCommand> table, std::optional<std::string_view> name,
                          HmpProcessOutput* proc = nullptr);

// QEMU's monitor_find_completion: use as (part of) the Readline::Completer.
// Completes command and sub-command names, file names for 'F' arguments,
// command names after "help", and calls HmpCommand::completion.
void hmp_find_completion(Readline& rl, std::string_view cmdline, std::span<const HmpCommand> table);

// Adds `option` if it starts with `str` (QEMU's add_completion_option).
void hmp_add_completion_option(Readline& rl, std::string_view str, std::string_view option);

}  // namespace migemu
