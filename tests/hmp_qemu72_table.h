// QEMU 7.2's x86_64 HMP command tables (names and args_type; help texts only
// where a test needs them), sorted by name as QEMU sorts them at start-up.
// They cover every argument type that parse_hmp_arguments knows, which
// migemu's own, smaller table does not.
#pragma once

#include <span>

#include "monitor/hmp_args.h"

namespace migemu::test_tables {

extern const std::span<const HmpCommand> kQemu72Commands;

}  // namespace migemu::test_tables
