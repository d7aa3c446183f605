// Fuzz target: the QEMU-style command line parser.
//
// The input is argv without argv[0]: arguments are separated by NUL or
// newline bytes, so seeds stay readable one-argument-per-line files.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "system/cmdline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  while (!input.empty()) {
    size_t end = input.find_first_of(std::string_view("\0\n", 2));
    args.emplace_back(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  }
  migemu::ParseDiagnostics diag;
  migemu::Result<migemu::Config> r = migemu::parse_command_line(args, &diag);
  (void)r;
  return 0;
}
