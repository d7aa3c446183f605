// HMP argument parser tests. Error texts and accepted/rejected inputs were
// checked on qemu-system-x86_64 7.2.22 (-M none) over a unix-socket monitor;
// "wire:" comments quote what QEMU sent back (CRLF shown as \n).
#include <gtest/gtest.h>

#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "monitor/hmp_args.h"
#include "monitor/readline.h"
#include "tests/hmp_qemu72_table.h"

namespace migemu {
namespace {

using namespace std::literals;
using test_tables::kQemu72Commands;

Dict parse_ok(std::string_view name, std::string_view types, std::string_view args) {
  Result<Dict> r = parse_hmp_arguments(name, types, args);
  EXPECT_TRUE(r.ok()) << "args: " << args << " error: " << (r.ok() ? "" : r.error().desc);
  return r.ok() ? *r : Dict();
}

std::string parse_err(std::string_view name, std::string_view types, std::string_view args,
                      HmpProcessOutput* proc = nullptr) {
  Result<Dict> r = parse_hmp_arguments(name, types, args, proc);
  EXPECT_FALSE(r.ok()) << "args: " << args;
  return r.ok() ? "" : r.error().desc;
}

int64_t int_of(const Dict& d, std::string_view key) {
  const Value* v = d.get(key);
  EXPECT_NE(v, nullptr) << key;
  int64_t i = 0;
  if (v) {
    EXPECT_TRUE(v->get_try_int(&i)) << key;
  }
  return i;
}

std::string str_of(const Dict& d, std::string_view key) {
  const Value* v = d.get(key);
  EXPECT_NE(v, nullptr) << key;
  return v && v->is_string() ? v->as_string() : "<not a string>";
}

// ---- words --------------------------------------------------------------------

TEST(HmpGetStr, PlainAndQuoted) {
  HmpWord w = hmp_get_str("  abc def");
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.value, "abc");
  EXPECT_EQ(w.end, 5u);

  w = hmp_get_str(R"("exec:cat > /tmp/f" x)");
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.value, "exec:cat > /tmp/f");
  EXPECT_EQ(w.end, 19u);

  // wire: tls-creds set from "a\"b c\\d\n\re" shows as 'a"b c\d<CR><LF><CR>e'.
  w = hmp_get_str(R"("a\"b c\\d\n\re\'")");
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.value, "a\"b c\\d\n\re'");

  // wire: a quote inside a plain word is an ordinary character.
  w = hmp_get_str(R"(ab"cd")");
  EXPECT_EQ(w.value, "ab\"cd\"");
  w = hmp_get_str(R"("ab"cd)");
  EXPECT_EQ(w.value, "ab");
  EXPECT_EQ(w.end, 4u);
  w = hmp_get_str(R"("")");
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.value, "");
}

TEST(HmpGetStr, Failures) {
  HmpProcessOutput proc;
  EXPECT_FALSE(hmp_get_str("   ", 0, &proc).ok);
  EXPECT_EQ(proc.out, "");
  // These two messages go to QEMU's stdout, not to the monitor.
  EXPECT_FALSE(hmp_get_str(R"("exec:cat)", 0, &proc).ok);
  EXPECT_EQ(proc.out, "unterminated string\n");
  proc = {};
  EXPECT_FALSE(hmp_get_str(R"("a\qb")", 0, &proc).ok);
  EXPECT_EQ(proc.out, "unsupported escape code: '\\q'\n");
  proc = {};
  // wire (stdout): a backslash at the very end prints a NUL byte.
  EXPECT_FALSE(hmp_get_str(R"("a\)", 0, &proc).ok);
  EXPECT_EQ(proc.out, "unsupported escape code: '\\\0'\n"sv);
}

TEST(HmpGetStr, CutAt1023Bytes) {
  // wire: a 1100-byte tls-creds reads back as 1023 bytes.
  HmpWord w = hmp_get_str(std::string(1100, 'x') + " next");
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.value, std::string(1023, 'x'));
  EXPECT_EQ(w.end, 1100u);
}

TEST(HmpCommandName, Rules) {
  auto n = hmp_get_command_name("  info status");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name, "info");
  EXPECT_EQ(n->end, 6u);
  n = hmp_get_command_name("x/10x 0");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name, "x");
  EXPECT_EQ(n->end, 1u);
  n = hmp_get_command_name("/x");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name, "");
  EXPECT_FALSE(hmp_get_command_name(" \t "));
  n = hmp_get_command_name(std::string(300, 'a'));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name.size(), 255u);
  EXPECT_EQ(n->end, 300u);
}

TEST(HmpCommandName, CompareAliases) {
  EXPECT_TRUE(hmp_compare_cmd("s", "stop|s"));
  EXPECT_TRUE(hmp_compare_cmd("stop", "stop|s"));
  EXPECT_FALSE(hmp_compare_cmd("st", "stop|s"));
  EXPECT_FALSE(hmp_compare_cmd("stop|s", "stop|s"));
  EXPECT_TRUE(hmp_compare_cmd("?", "help|?"));
  EXPECT_TRUE(hmp_compare_cmd("migrate", "migrate"));
}

TEST(HmpCmdline, Split) {
  auto a = hmp_parse_cmdline(R"( help "info"  status )");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (std::vector<std::string>{"help", "info", "status"}));
  std::string many;
  for (int i = 0; i < 17; ++i) many += "w ";
  EXPECT_FALSE(hmp_parse_cmdline(many));
  EXPECT_TRUE(hmp_parse_cmdline(many.substr(2)));
  EXPECT_FALSE(hmp_parse_cmdline(R"(a "b)"));
}

// ---- argument types -----------------------------------------------------------

TEST(HmpArgs, Strings) {
  Dict d =
      parse_ok("migrate", "detach:-d,blk:-b,inc:-i,resume:-r,uri:s", R"( "exec:cat > /tmp/f")");
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(str_of(d, "uri"), "exec:cat > /tmp/f");

  d = parse_ok("migrate_set_parameter", "parameter:s,value:s", "max-bandwidth 100M");
  EXPECT_EQ(str_of(d, "parameter"), "max-bandwidth");
  EXPECT_EQ(str_of(d, "value"), "100M");
  EXPECT_EQ(d.entries()[0].first, "parameter");

  // wire: migrate_set_parameter max-bandwidth
  EXPECT_EQ(parse_err("migrate_set_parameter", "parameter:s,value:s", "max-bandwidth"),
            "migrate_set_parameter: string expected");
  EXPECT_EQ(parse_err("migrate_set_capability", "capability:s,state:b", ""),
            "migrate_set_capability: string expected");
  EXPECT_EQ(parse_err("memsave", "val:l,size:i,filename:s", "0 10"), "memsave: string expected");
  EXPECT_EQ(parse_err("logfile", "filename:F", ""), "logfile: filename expected");
  EXPECT_EQ(parse_err("block_resize", "device:B,size:o", ""),
            "block_resize: block device name expected");

  HmpProcessOutput proc;
  // wire: migrate "exec:cat  -> "migrate: string expected"; stdout "unterminated string".
  EXPECT_EQ(parse_err("migrate", "detach:-d,blk:-b,inc:-i,resume:-r,uri:s", R"("exec:cat)", &proc),
            "migrate: string expected");
  EXPECT_EQ(proc.out, "unterminated string\n");

  d = parse_ok("info", "item:s?", "");
  EXPECT_TRUE(d.empty());
  d = parse_ok("info", "item:s?", "  status ");
  EXPECT_EQ(str_of(d, "item"), "status");
}

TEST(HmpArgs, RestOfLine) {
  // qom-set: value takes the rest of the line, trailing spaces included.
  Dict d = parse_ok("qom-set", "json:-j,path:s,property:s,value:S", "a b   c d  ");
  EXPECT_EQ(str_of(d, "path"), "a");
  EXPECT_EQ(str_of(d, "property"), "b");
  EXPECT_EQ(str_of(d, "value"), "c d  ");
  EXPECT_FALSE(d.has("json"));
  // wire: qom-set -j
  EXPECT_EQ(parse_err("qom-set", "json:-j,path:s,property:s,value:S", "-j"),
            "qom-set: string expected");
  EXPECT_EQ(parse_err("object_add", "object:S", "   "), "object_add: string expected");
  d = parse_ok("help|?", "name:S?", "");
  EXPECT_TRUE(d.empty());
  d = parse_ok("help|?", "name:S?", "  migrate  ");
  EXPECT_EQ(str_of(d, "name"), "migrate  ");
}

TEST(HmpArgs, Bool) {
  Dict d = parse_ok("migrate_set_capability", "capability:s,state:b", "xbzrle on");
  EXPECT_TRUE(d.get("state")->is_bool());
  EXPECT_TRUE(d.get("state")->as_bool());
  d = parse_ok("migrate_set_capability", "capability:s,state:b", "\"xbzrle\"\toff");
  EXPECT_FALSE(d.get("state")->as_bool());
  EXPECT_EQ(str_of(d, "capability"), "xbzrle");
  // wire: each of these -> "Expected 'on' or 'off'"
  for (std::string_view bad :
       {"xbzrle foo", "xbzrle onx", "xbzrle \"on\"", "xbzrle", "xbzrle yes"}) {
    EXPECT_EQ(parse_err("migrate_set_capability", "capability:s,state:b", bad),
              "Expected 'on' or 'off'")
        << bad;
  }
  // wire: migrate_set_capability xbzrle on x
  EXPECT_EQ(parse_err("migrate_set_capability", "capability:s,state:b", "xbzrle on x"),
            "migrate_set_capability: extraneous characters at the end of line");
}

TEST(HmpArgs, Flags) {
  constexpr std::string_view kMigrate = "detach:-d,blk:-b,inc:-i,resume:-r,uri:s";
  Dict d = parse_ok("migrate", kMigrate, "-d tcp:0:4444");
  EXPECT_TRUE(d.get("detach")->as_bool());
  EXPECT_FALSE(d.has("blk"));
  EXPECT_EQ(str_of(d, "uri"), "tcp:0:4444");
  d = parse_ok("migrate", kMigrate, "-d -b -i -r x");
  EXPECT_EQ(d.size(), 5u);
  d = parse_ok("migrate", kMigrate, "-r x");
  EXPECT_TRUE(d.get("resume")->as_bool());
  EXPECT_FALSE(d.has("detach"));

  // wire, all followed by Try "help migrate":
  EXPECT_EQ(parse_err("migrate", kMigrate, "-z x"), "migrate: unsupported option -z");
  EXPECT_EQ(parse_err("migrate", kMigrate, "-b -d uri"), "migrate: unsupported option -d");
  EXPECT_EQ(parse_err("migrate", kMigrate, "-d -d uri"), "migrate: unsupported option -d");
  EXPECT_EQ(parse_err("migrate", kMigrate, "-d"), "migrate: string expected");
  EXPECT_EQ(parse_err("migrate", kMigrate, "-dx uri"),
            "migrate: extraneous characters at the end of line");
  EXPECT_EQ(parse_err("migrate", kMigrate, "- x"), "migrate: unsupported option - ");
  // wire: "migrate -" prints "migrate: unsupported option -" with no line end
  // (QEMU formats a NUL byte there), directly followed by "Try ...".
  Result<Dict> r = parse_hmp_arguments("migrate", kMigrate, "-");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().desc, "migrate: unsupported option -\0"sv);
  EXPECT_EQ(hmp_error_output(r.error()), "migrate: unsupported option -");
}

TEST(HmpArgs, FlagsWithValue) {
  constexpr std::string_view kExpire = "protocol:s,time:s,display:-ds";
  Dict d = parse_ok("expire_password", kExpire, "vnc now -d foo");
  EXPECT_EQ(str_of(d, "display"), "foo");
  d = parse_ok("expire_password", kExpire, "vnc now");
  EXPECT_FALSE(d.has("display"));
  // wire:
  EXPECT_EQ(parse_err("expire_password", kExpire, "vnc now -d"),
            "expire_password: value expected for -d");
  EXPECT_EQ(parse_err("expire_password", kExpire, "vnc now -x"),
            "expire_password: unsupported option -x");
  // wire: "-dx" is accepted as display "x" (QEMU then fails the command).
  d = parse_ok("expire_password", kExpire, "vnc now -dx");
  EXPECT_EQ(str_of(d, "display"), "x");
  // screendump: a flag after a string argument is just the string.
  d = parse_ok("screendump", "filename:F,format:-fs,device:s?,head:i?", "-f");
  EXPECT_EQ(str_of(d, "filename"), "-f");
}

TEST(HmpArgs, Integers) {
  EXPECT_EQ(int_of(parse_ok("cpu", "index:i", "5"), "index"), 5);
  EXPECT_EQ(int_of(parse_ok("cpu", "index:i", "0xffffffff"), "index"), 0xffffffff);
  EXPECT_EQ(int_of(parse_ok("cpu", "index:i", "010"), "index"), 8);
  EXPECT_TRUE(parse_ok("info lapic", "apic-id:i?", "").empty());
  constexpr std::string_view kPrint = "fmt:/,val:l";
  auto val = [&](std::string_view expr) {
    return int_of(parse_ok("print|p", kPrint, expr), "val");
  };
  // wire (print output): 'a' 0x61, 1+2*3 0x7, (1+2)*3 0x9, 7%3|8^1&3 0,
  // 0x7fffffffffffffff+1 0x8000000000000000, -5/2 0xfffffffffffffffe.
  EXPECT_EQ(val("'a'"), 0x61);
  EXPECT_EQ(val("1+2*3"), 7);
  EXPECT_EQ(val("(1+2)*3"), 9);
  EXPECT_EQ(val("7%3|8^1&3"), 0);
  EXPECT_EQ(val("0x7fffffffffffffff+1"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(val("-5/2"), -2);
  EXPECT_EQ(val("0xffffffffffffffff"), -1);
  EXPECT_EQ(val(" ~ 0 "), -1);
  EXPECT_EQ(val("- -3 * ( 2 )"), 6);
  EXPECT_EQ(val("-7 % 3"), -1);

  Dict d = parse_ok("sum", "start:i,size:i", "0x80000000 0xffffffff");
  EXPECT_EQ(int_of(d, "start"), 0x80000000);
  EXPECT_EQ(int_of(d, "size"), 0xffffffff);
}

TEST(HmpArgs, IntegerErrors) {
  // wire: every one of these, on "cpu ..." / "print ..." / "sum ...".
  EXPECT_EQ(parse_err("cpu", "index:i", "abc"), "invalid char 'a' in expression");
  EXPECT_EQ(parse_err("cpu", "index:i", "0x100000000"),
            "'cpu' has failed: integer is for 32-bit values");
  EXPECT_EQ(parse_err("cpu", "index:i", "-1"), "'cpu' has failed: integer is for 32-bit values");
  EXPECT_EQ(parse_err("cpu", "index:i", "~0"), "'cpu' has failed: integer is for 32-bit values");
  EXPECT_EQ(parse_err("cpu", "index:i", "(1"), "')' expected");
  EXPECT_EQ(parse_err("cpu", "index:i", "'a"), "missing terminating ' character");
  EXPECT_EQ(parse_err("cpu", "index:i", "'"), "character constant expected");
  EXPECT_EQ(parse_err("cpu", "index:i", "$eax"), "unknown register");
  EXPECT_EQ(parse_err("cpu", "index:i", "1/0"), "division by zero");
  EXPECT_EQ(parse_err("cpu", "index:i", "1%0"), "division by zero");
  EXPECT_EQ(parse_err("cpu", "index:i", "99999999999999999999"), "number too large");
  EXPECT_EQ(parse_err("print|p", "fmt:/,val:l", "0x10000000000000000"), "number too large");
  EXPECT_EQ(parse_err("cpu", "index:i", ""), "unexpected end of expression");
  EXPECT_EQ(parse_err("cpu", "index:i", "1 +"), "unexpected end of expression");
  EXPECT_EQ(parse_err("cpu", "index:i", "0x"), "cpu: extraneous characters at the end of line");
  EXPECT_EQ(parse_err("cpu", "index:i", "08"), "cpu: extraneous characters at the end of line");
  EXPECT_EQ(parse_err("sum", "start:i,size:i", "1"), "unexpected end of expression");
  EXPECT_EQ(parse_err("sum", "start:i,size:i", "1 2 3"),
            "sum: extraneous characters at the end of line");
  EXPECT_EQ(parse_err("print|p", "fmt:/,val:l", "1 2"),
            "print|p: extraneous characters at the end of line");
  EXPECT_EQ(parse_err("print|p", "fmt:/,val:l", "'\\''"),
            "print|p: extraneous characters at the end of line");
}

TEST(HmpArgs, DeepExpressionIsAnErrorNotACrash) {
  // A long line of nested parentheses or signs (as human-monitor-command
  // accepts) used to overflow the stack of the recursive evaluator.
  const std::string parens = std::string(1000000, '(') + "1" + std::string(1000000, ')');
  EXPECT_EQ(parse_err("print|p", "fmt:/,val:l", parens), "expression too deeply nested");
  EXPECT_EQ(parse_err("print|p", "fmt:/,val:l", std::string(1000000, '-') + "1"),
            "expression too deeply nested");
  // Up to the limit (1024 levels) it still evaluates.
  Dict d =
      parse_ok("print|p", "fmt:/,val:l", std::string(1000, '(') + "7" + std::string(1000, ')'));
  EXPECT_EQ(int_of(d, "val"), 7);
  d = parse_ok("print|p", "fmt:/,val:l", std::string(1000, '-') + "7");
  EXPECT_EQ(int_of(d, "val"), 7);
  EXPECT_EQ(parse_err("print|p", "fmt:/,val:l", std::string(1025, '-') + "7"),
            "expression too deeply nested");
}

TEST(HmpArgs, DotModifier) {
  constexpr std::string_view kTypes = "fmt:/,addr:i,index:i.";
  Dict d = parse_ok("i", kTypes, "0x10");
  EXPECT_FALSE(d.has("index"));
  d = parse_ok("i", kTypes, "0x10 . 3");
  EXPECT_EQ(int_of(d, "index"), 3);
  EXPECT_EQ(parse_err("i", kTypes, "0x10 3"), "i: extraneous characters at the end of line");
}

TEST(HmpArgs, Megabytes) {
  EXPECT_EQ(int_of(parse_ok("balloon", "value:M", "2"), "value"), 2 << 20);
  EXPECT_EQ(int_of(parse_ok("balloon", "value:M", "0x10"), "value"), 16 << 20);
  // wire: balloon -1 / balloon 1k
  EXPECT_EQ(parse_err("balloon", "value:M", "-1"), "enter a positive value");
  EXPECT_EQ(parse_err("balloon", "value:M", "1k"),
            "balloon: extraneous characters at the end of line");
}

TEST(HmpArgs, Sizes) {
  constexpr std::string_view kTypes = "device:B,size:o";
  auto size = [&](std::string_view arg) {
    return int_of(parse_ok("block_resize", kTypes, "foo " + std::string(arg)), "size");
  };
  // wire: accepted (the command then fails to find the device).
  EXPECT_EQ(size("1.5"), 1572864);
  EXPECT_EQ(size("0x10"), 16 << 20);
  EXPECT_EQ(size("1b"), 1);
  EXPECT_EQ(size("7E"), int64_t{7} << 60);
  EXPECT_EQ(size("1."), 1 << 20);
  EXPECT_EQ(size("1.k"), 1024);
  EXPECT_EQ(size("2k"), 2048);
  EXPECT_EQ(size("1.5G"), int64_t{3} << 29);
  EXPECT_EQ(size("+5"), 5 << 20);
  HmpProcessOutput proc;
  Dict d = *parse_hmp_arguments("block_resize", kTypes, "foo 0x10k", &proc);
  EXPECT_EQ(int_of(d, "size"), 16 << 10);
  // wire (stderr): "qemu-system-x86_64: warning: Using a multiplier suffix on hex numbers is
  // deprecated: 0x10k"
  EXPECT_EQ(proc.err, "warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k\n");

  // wire: "invalid size"
  for (std::string_view bad :
       {"-1", "1.5b", "99999999999T", "8E", "0x1.8", ".5k", "nan", "", "x"}) {
    EXPECT_EQ(parse_err("block_resize", kTypes, "foo " + std::string(bad)), "invalid size") << bad;
  }
  // wire: "block_resize: extraneous characters at the end of line"
  for (std::string_view bad : {"1x", "1e3", "1.5kx", "1.e5"}) {
    EXPECT_EQ(parse_err("block_resize", kTypes, "foo " + std::string(bad)),
              "block_resize: extraneous characters at the end of line")
        << bad;
  }
  EXPECT_TRUE(parse_ok("block_stream", "device:B,speed:o?,base:s?", "dev").size() == 1);
}

TEST(HmpArgs, Seconds) {
  constexpr std::string_view kTypes = "value:T";
  auto secs = [&](std::string_view arg) {
    Dict d = parse_ok("t", kTypes, arg);
    const Value* v = d.get("value");
    EXPECT_TRUE(v && v->is_number() && v->num_kind() == Value::NumKind::Double);
    return v ? v->get_double() : -1;
  };
  EXPECT_DOUBLE_EQ(secs("5"), 5.0);
  EXPECT_DOUBLE_EQ(secs("5ms"), 0.005);
  EXPECT_DOUBLE_EQ(secs("1.5us"), 1.5e-6);
  EXPECT_DOUBLE_EQ(secs("30ns"), 30e-9);
  EXPECT_EQ(parse_err("t", kTypes, "abc"), "Number expected");
  EXPECT_EQ(parse_err("t", kTypes, "inf"), "Bad number");
  EXPECT_EQ(parse_err("t", kTypes, "5xs"), "Unknown unit suffix");
  EXPECT_EQ(parse_err("t", kTypes, "5s"), "Unknown unit suffix");
  EXPECT_TRUE(parse_ok("t", "value:T?", " ").empty());
}

TEST(HmpArgs, Format) {
  hmp_reset_format_defaults();
  constexpr std::string_view kTypes = "fmt:/,addr:l";
  Dict d = parse_ok("x", kTypes, "/10x 0");
  EXPECT_EQ(int_of(d, "count"), 10);
  EXPECT_EQ(int_of(d, "format"), 'x');
  EXPECT_EQ(int_of(d, "size"), 4);
  EXPECT_EQ(int_of(d, "addr"), 0);
  EXPECT_FALSE(d.has("fmt"));
  // Size and format are remembered for the next command.
  d = parse_ok("x", kTypes, "/2bd 0");
  EXPECT_EQ(int_of(d, "size"), 1);
  d = parse_ok("x", kTypes, "16");
  EXPECT_EQ(int_of(d, "count"), 1);
  EXPECT_EQ(int_of(d, "format"), 'd');
  EXPECT_EQ(int_of(d, "size"), 1);
  d = parse_ok("x", kTypes, "/i 0");
  EXPECT_EQ(int_of(d, "format"), 'i');
  EXPECT_EQ(int_of(d, "size"), -1);
  d = parse_ok("x", kTypes, "0");
  EXPECT_EQ(int_of(d, "size"), -1);
  d = parse_ok("x", kTypes, "/g 0");
  EXPECT_EQ(int_of(d, "size"), 8);
  // wire: x /10z 0 and x /
  EXPECT_EQ(parse_err("x", kTypes, "/10z 0"), "invalid char in format: 'z'");
  EXPECT_EQ(parse_err("x", kTypes, "/"), "unexpected end of expression");
  hmp_reset_format_defaults();
}

TEST(HmpArgs, BadTypesAndExtraneous) {
  // wire: stop extra -> the table name with its alias.
  EXPECT_EQ(parse_err("stop|s", "", "extra"), "stop|s: extraneous characters at the end of line");
  EXPECT_TRUE(parse_ok("stop|s", "", "  \t ").empty());
  EXPECT_EQ(parse_err("netdev_add", "netdev:O", "user"), "netdev_add: unknown type 'O'");
  EXPECT_EQ(parse_err("c", "a:Z", "x"), "c: unknown type 'Z'");
  EXPECT_EQ(hmp_error_output(generic_error(parse_err("c", "a:", "x"))), "c: unknown type '");
}

// ---- whole lines ----------------------------------------------------------------

std::string line_output(std::string_view line) {
  return hmp_parse_command_line(line, kQemu72Commands).output;
}

TEST(HmpLine, Dispatch) {
  HmpParsedLine p = hmp_parse_command_line("  ", kQemu72Commands);
  EXPECT_EQ(p.status, HmpParsedLine::Status::Empty);
  EXPECT_EQ(p.output, "");

  p = hmp_parse_command_line("info status", kQemu72Commands);
  EXPECT_EQ(p.status, HmpParsedLine::Status::Ok);
  ASSERT_NE(p.cmd, nullptr);
  EXPECT_EQ(p.cmd->name, "status");

  p = hmp_parse_command_line("info", kQemu72Commands);
  EXPECT_EQ(p.status, HmpParsedLine::Status::Ok);
  EXPECT_EQ(p.cmd->name, "info");
  EXPECT_TRUE(p.args.empty());

  p = hmp_parse_command_line("s", kQemu72Commands);
  EXPECT_EQ(p.status, HmpParsedLine::Status::Ok);
  EXPECT_EQ(p.cmd->name, "stop|s");

  p = hmp_parse_command_line("migrate -d \"exec:cat > /dev/null\"", kQemu72Commands);
  EXPECT_EQ(p.status, HmpParsedLine::Status::Ok);
  EXPECT_EQ(str_of(p.args, "uri"), "exec:cat > /dev/null");

  p = hmp_parse_command_line("migrate \"a\\qb\"", kQemu72Commands);
  EXPECT_EQ(p.status, HmpParsedLine::Status::BadArguments);
  EXPECT_EQ(p.proc.out, "unsupported escape code: '\\q'\n");
}

TEST(HmpLine, MessagesAsOnTheWire) {
  EXPECT_EQ(line_output("foo"), "unknown command: 'foo'\n");
  EXPECT_EQ(line_output("   foo  bar"), "unknown command: '   foo'\n");
  EXPECT_EQ(line_output("foo/bar"), "unknown command: 'foo'\n");
  EXPECT_EQ(line_output("info foo"), "unknown command: 'info foo'\n");
  EXPECT_EQ(line_output("info   foo bar"), "unknown command: 'info   foo'\n");
  EXPECT_EQ(line_output("info /x"), "unknown command: 'info '\n");
  EXPECT_EQ(line_output("info \"status\""), "unknown command: 'info \"status\"'\n");
  EXPECT_EQ(line_output("/x"), "unknown command: ''\n");
  EXPECT_EQ(line_output("  /x"), "unknown command: '  '\n");
  EXPECT_EQ(line_output("stop|s"), "unknown command: 'stop|s'\n");

  EXPECT_EQ(line_output("migrate_set_capability xbzrle foo"),
            "Expected 'on' or 'off'\nTry \"help migrate_set_capability\" for more information\n");
  EXPECT_EQ(line_output("migrate_set_capability"),
            "migrate_set_capability: string expected\n"
            "Try \"help migrate_set_capability\" for more information\n");
  EXPECT_EQ(line_output("migrate -z x"),
            "migrate: unsupported option -z\nTry \"help migrate\" for more information\n");
  EXPECT_EQ(line_output("migrate -"),
            "migrate: unsupported option -Try \"help migrate\" for more information\n");
  EXPECT_EQ(line_output("stop extra"),
            "stop|s: extraneous characters at the end of line\n"
            "Try \"help stop\" for more information\n");
  EXPECT_EQ(line_output("  stop extra"),
            "stop|s: extraneous characters at the end of line\n"
            "Try \"help   stop\" for more information\n");
  EXPECT_EQ(line_output("cont  x"),
            "cont|c: extraneous characters at the end of line\n"
            "Try \"help cont\" for more information\n");
  EXPECT_EQ(
      line_output("c x"),
      "cont|c: extraneous characters at the end of line\nTry \"help c\" for more information\n");
  EXPECT_EQ(line_output("info status extra"),
            "status: extraneous characters at the end of line\n"
            "Try \"help info status\" for more information\n");
  EXPECT_EQ(line_output("info status/x"),
            "status: extraneous characters at the end of line\n"
            "Try \"help info status\" for more information\n");
  EXPECT_EQ(line_output("migrate_set_parameter max-bandwidth"),
            "migrate_set_parameter: string expected\n"
            "Try \"help migrate_set_parameter\" for more information\n");
  EXPECT_EQ(line_output("x /10z 0"),
            "invalid char in format: 'z'\nTry \"help x\" for more information\n");
  EXPECT_EQ(line_output("x/3z 0"),
            "invalid char in format: 'z'\nTry \"help x\" for more information\n");
  EXPECT_EQ(line_output("block_resize"),
            "block_resize: block device name expected\n"
            "Try \"help block_resize\" for more information\n");
  EXPECT_EQ(line_output("block_resize foo"),
            "invalid size\nTry \"help block_resize\" for more information\n");
  EXPECT_EQ(line_output("trace-event foo maybe"),
            "Expected 'on' or 'off'\nTry \"help trace-event\" for more information\n");
  EXPECT_EQ(line_output("print 1 2"),
            "print|p: extraneous characters at the end of line\n"
            "Try \"help print\" for more information\n");
  EXPECT_EQ(
      line_output("cpu 0x100000000"),
      "'cpu' has failed: integer is for 32-bit values\nTry \"help cpu\" for more information\n");
  EXPECT_EQ(line_output("balloon -1"),
            "enter a positive value\nTry \"help balloon\" for more information\n");
  EXPECT_EQ(line_output("expire_password vnc now -d"),
            "expire_password: value expected for -d\n"
            "Try \"help expire_password\" for more information\n");
  EXPECT_EQ(line_output("migrate_set_capability xbzrle\toff"), "");
  EXPECT_EQ(line_output("help   migrate  "), "");
}

TEST(HmpHelp, Texts) {
  // wire: help info status / help s / help ? / help foo bar / help info foo
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "info status"),
            "info status  -- show the current VM status (running|paused)\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "\"info\" status"),
            "info status  -- show the current VM status (running|paused)\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "s"), "stop|s  -- stop emulation\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "?"), "help|? [cmd] -- show the help\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "migrate  "),
            "migrate [-d] [-b] [-i] [-r] uri -- migrate to URI (using -d to not wait for "
            "completion)\n\t\t\t -b for migration without shared storage with full copy of disk\n"
            "\t\t\t -i for migration without shared storage with incremental copy of disk (base "
            "image shared between src and destination)\n\t\t\t -r to resume a paused migration\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "foo bar"), "unknown command: 'foo'\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "info foo"), "unknown command: 'info foo'\n");
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "stop|s"), "unknown command: 'stop|s'\n");
  HmpProcessOutput proc;
  EXPECT_EQ(hmp_help_text(kQemu72Commands, "info \"", &proc), "");
  EXPECT_EQ(proc.out, "unterminated string\n");
  std::string all = hmp_help_text(kQemu72Commands, std::nullopt);
  EXPECT_EQ(all.substr(0, 18), "announce_self  -- ");
  std::string info = hmp_help_text(kQemu72Commands, "info");
  EXPECT_EQ(info.substr(0, 17), "info balloon  -- ");
}

TEST(HmpCompletion, Candidates) {
  std::string out;
  Readline rl([&](std::string_view b) { out += b; },
              [&](Readline& r, std::string_view cmdline) {
                hmp_find_completion(r, cmdline, kQemu72Commands);
              });
  rl.start("(qemu) ", nullptr);
  rl.handle_bytes("info migrate_c\t");
  EXPECT_EQ(rl.buffer(), "info migrate_capabilities ");
  rl.start("(qemu) ", nullptr);
  rl.handle_bytes("migrate_set_capability postcopy-r\t");
  EXPECT_EQ(rl.buffer(), "migrate_set_capability postcopy-ram ");
  rl.handle_bytes("of\t");
  EXPECT_EQ(rl.buffer(), "migrate_set_capability postcopy-ram off ");
  rl.start("(qemu) ", nullptr);
  rl.handle_bytes("help info stat\t");
  EXPECT_EQ(rl.buffer(), "help info stat");  // stats and status
  rl.handle_bytes("u\t");
  EXPECT_EQ(rl.buffer(), "help info status ");
  rl.start("(qemu) ", nullptr);
  rl.handle_bytes("migrate -d \t");  // string argument: nothing to offer
  EXPECT_EQ(rl.buffer(), "migrate -d ");
}

}  // namespace
}  // namespace migemu
