#include <gtest/gtest.h>

#include "system/cmdline.h"

namespace migemu {
namespace {
TEST(Cmdline, Smoke) { EXPECT_TRUE(parse_command_line({"-M", "none"}).ok()); }
}  // namespace
}  // namespace migemu
