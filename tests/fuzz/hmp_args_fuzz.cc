// Fuzz target: HMP command lines against the real command tables.
//
// Byte 0 picks the table (bit 0: migemu's own table, or QEMU 7.2's full one,
// which uses every argument type the parser knows) and the path (bit 1):
//   - direct: the rest is split into lines at '\n'; each line is parsed as a
//     command and also given to "help" as its argument;
//   - readline: the rest is typed into the monitor's line editor byte by byte
//     (escape sequences, history, TAB completion), and every submitted line
//     is parsed, as the HMP monitor does.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "monitor/hmp.h"
#include "monitor/hmp_args.h"
#include "monitor/readline.h"
#include "tests/hmp_qemu72_table.h"

namespace {

using migemu::HmpCommand;

void parse_line(std::string_view line, std::span<const HmpCommand> table) {
  migemu::HmpParsedLine parsed = migemu::hmp_parse_command_line(line, table);
  // What reaches the client: exercises the error text's NUL handling too.
  if (parsed.status == migemu::HmpParsedLine::Status::BadArguments) {
    (void)migemu::expand_newlines(parsed.output);
  }
}

void run_direct(std::string_view input, std::span<const HmpCommand> table) {
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    parse_line(line, table);
    (void)migemu::hmp_help_text(table, line);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  }
}

void run_readline(std::string_view input, std::span<const HmpCommand> table) {
  migemu::Readline rl([](std::string_view) {},
                      [table](migemu::Readline& r, std::string_view cmdline) {
                        migemu::hmp_find_completion(r, cmdline, table);
                      });
  rl.start("(qemu) ", [table](std::string line) { parse_line(line, table); });
  rl.handle_bytes(input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The x/print format defaults carry over between commands, as in QEMU;
  // each input starts from QEMU's start-up state so that runs reproduce.
  migemu::hmp_reset_format_defaults();
  std::span<const HmpCommand> table =
      (data[0] & 1) ? migemu::test_tables::kQemu72Commands : migemu::hmp_command_table();
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 2) {
    run_readline(input, table);
  } else {
    run_direct(input, table);
  }
  return 0;
}
