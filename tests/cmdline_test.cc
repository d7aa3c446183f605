// Tests of the QEMU-style command line. Every expected error text and exit
// behaviour was checked against the real qemu-system-x86_64 7.2.22 (Debian
// 1:7.2+dfsg-7+deb12u18), mostly as
//   qemu-system-x86_64 -M none -nodefaults -display none ARGS
// and, for KVM, with /dev/kvm hidden (migemu behaves like QEMU on a host
// without KVM).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "system/cmdline.h"
#include "system/qemu_opts.h"

namespace migemu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;

std::vector<std::string> split_args(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool in = false;
  for (char c : s) {
    if (c == ' ') {
      if (in) out.push_back(cur);
      cur.clear();
      in = false;
    } else {
      cur.push_back(c);
      in = true;
    }
  }
  if (in) out.push_back(cur);
  return out;
}

// The base of most probes: a machine that needs nothing.
std::vector<std::string> base(std::vector<std::string> extra) {
  std::vector<std::string> a = {"-M", "none", "-nodefaults", "-display", "none"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// The error desc of a parse that must fail.
std::string err(const std::vector<std::string>& args) {
  Result<Config> r = parse_command_line(args);
  if (r.ok()) return "<ok>";
  return r.error().desc;
}
std::string err_base(std::vector<std::string> extra) {
  return err(base(std::move(extra)));
}

Config ok(const std::vector<std::string>& args) {
  Result<Config> r = parse_command_line(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().desc);
  if (!r.ok()) return Config{};
  return std::move(*r);
}
Config ok_base(std::vector<std::string> extra) {
  return ok(base(std::move(extra)));
}

// Messages as QEMU prints them, with "P: " for the program name.
std::vector<std::string> shown(const std::vector<StderrLine>& lines) {
  std::vector<std::string> out;
  for (const StderrLine& l : lines) out.push_back((l.report ? "P: " : "") + l.text);
  return out;
}

const std::string kSizeHint =
    "\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
    "and exabytes, respectively.";

// ---------------------------------------------------------------------------
// Scalars.

using qopts::ParseStatus;

struct SizeCase {
  const char* in;
  ParseStatus st;
  uint64_t value;
};

TEST(QemuSize, Suffixes) {
  const SizeCase cases[] = {
      {"0", ParseStatus::kOk, 0},
      {"1", ParseStatus::kOk, 1},
      {"1b", ParseStatus::kOk, 1},
      {"1B", ParseStatus::kOk, 1},
      {"1k", ParseStatus::kOk, kKiB},
      {"1K", ParseStatus::kOk, kKiB},
      {"2M", ParseStatus::kOk, 2 * kMiB},
      {"1G", ParseStatus::kOk, kGiB},
      {"1t", ParseStatus::kOk, 1024 * kGiB},
      {"1P", ParseStatus::kOk, 1024 * 1024 * kGiB},
      {"4E", ParseStatus::kOk, 4ull << 60},
      {"15E", ParseStatus::kOk, 15ull << 60},
      {"16E", ParseStatus::kRange, 0},
      {"17E", ParseStatus::kRange, 0},
      {"16777216T", ParseStatus::kRange, 0},
      {"18446744073709551615", ParseStatus::kOk, UINT64_MAX},
      {"18446744073709551616", ParseStatus::kRange, 0},
      {"99999999999999999999", ParseStatus::kRange, 0},
      {"1x", ParseStatus::kInvalid, 0},
      {"1Gb", ParseStatus::kInvalid, 0},
      {"1 G", ParseStatus::kInvalid, 0},
      {"", ParseStatus::kInvalid, 0},
      {"G", ParseStatus::kInvalid, 0},
      {" 1G", ParseStatus::kOk, kGiB},
      {"+1G", ParseStatus::kOk, kGiB},
      {"-1", ParseStatus::kInvalid, 0},
      {"-1G", ParseStatus::kInvalid, 0},
      {"-0", ParseStatus::kInvalid, 0},
  };
  for (const SizeCase& c : cases) {
    uint64_t v = 0;
    EXPECT_EQ(qopts::parse_size(c.in, &v), c.st) << c.in;
    if (c.st == ParseStatus::kOk) {
      EXPECT_EQ(v, c.value) << c.in;
    }
  }
}

TEST(QemuSize, FractionsAndHex) {
  const SizeCase cases[] = {
      {"1.5G", ParseStatus::kOk, kGiB + kGiB / 2},
      {"1.5k", ParseStatus::kOk, 1536},
      {"0.5k", ParseStatus::kOk, 512},
      {"1.k", ParseStatus::kOk, kKiB},  // a point without digits is fine
      {"1.", ParseStatus::kOk, 1},
      {"1.5", ParseStatus::kInvalid, 0},  // a fraction needs a scale
      {"0.5", ParseStatus::kInvalid, 0},
      {"1.5B", ParseStatus::kInvalid, 0},
      {".5G", ParseStatus::kInvalid, 0},  // no integral part
      {"1e3", ParseStatus::kInvalid, 0},
      {"1.5e3k", ParseStatus::kInvalid, 0},  // an exponent is refused
      {"1.0009765625k", ParseStatus::kOk, 1025},
      {"1.00048828125k", ParseStatus::kOk, 1025},  // exactly half a byte: rounds up
      {"1.0004k", ParseStatus::kOk, 1024},
      {"15.9999999999999999E", ParseStatus::kOk, UINT64_MAX - 127},
      {"0.9999999999999999999k", ParseStatus::kOk, 0},
      {"1.99999999999999999999k", ParseStatus::kOk, kKiB},
      {"0x100", ParseStatus::kOk, 256},
      {"0X10", ParseStatus::kOk, 16},
      {"0x", ParseStatus::kInvalid, 0},
      {"0x1.5", ParseStatus::kInvalid, 0},
      {"0xfffffffffffffffff", ParseStatus::kRange, 0},
  };
  for (const SizeCase& c : cases) {
    uint64_t v = 0;
    EXPECT_EQ(qopts::parse_size(c.in, &v), c.st) << c.in;
    if (c.st == ParseStatus::kOk) {
      EXPECT_EQ(v, c.value) << c.in;
    }
  }
  bool hex_suffix = false;
  uint64_t v = 0;
  EXPECT_EQ(qopts::parse_size("0x10M", &v, 'B', 1024, &hex_suffix), ParseStatus::kOk);
  EXPECT_EQ(v, 16 * kMiB);
  EXPECT_TRUE(hex_suffix);
  EXPECT_EQ(qopts::parse_size("0x10", &v, 'B', 1024, &hex_suffix), ParseStatus::kOk);
  EXPECT_FALSE(hex_suffix);
  // qemu_strtosz_MiB and the metric variant.
  EXPECT_EQ(qopts::parse_size("3", &v, 'M'), ParseStatus::kOk);
  EXPECT_EQ(v, 3 * kMiB);
  EXPECT_EQ(qopts::parse_size("2k", &v, 'B', 1000), ParseStatus::kOk);
  EXPECT_EQ(v, 2000u);
}

TEST(QemuNumbers, StrtouAndBool) {
  uint64_t u = 0;
  EXPECT_EQ(qopts::parse_u64("-1", 0, &u), ParseStatus::kOk);  // strtoull wraps
  EXPECT_EQ(u, UINT64_MAX);
  EXPECT_EQ(qopts::parse_u64("0x10", 0, &u), ParseStatus::kOk);
  EXPECT_EQ(u, 16u);
  EXPECT_EQ(qopts::parse_u64("010", 0, &u), ParseStatus::kOk);
  EXPECT_EQ(u, 8u);
  EXPECT_EQ(qopts::parse_u64("18446744073709551616", 0, &u), ParseStatus::kRange);
  EXPECT_EQ(qopts::parse_u64("12x", 0, &u), ParseStatus::kInvalid);
  EXPECT_EQ(qopts::parse_u64("", 0, &u), ParseStatus::kInvalid);
  int64_t i = 0;
  EXPECT_EQ(qopts::parse_i64("-5", 0, &i), ParseStatus::kOk);
  EXPECT_EQ(i, -5);
  EXPECT_EQ(qopts::parse_i64("9223372036854775808", 0, &i), ParseStatus::kRange);

  for (const char* t : {"on", "yes", "true", "y"}) {
    bool b = false;
    EXPECT_TRUE(qopts::parse_bool(t, &b));
    EXPECT_TRUE(b);
  }
  for (const char* f : {"off", "no", "false", "n"}) {
    bool b = true;
    EXPECT_TRUE(qopts::parse_bool(f, &b));
    EXPECT_FALSE(b);
  }
  bool b;
  EXPECT_FALSE(qopts::parse_bool("ON", &b));
  EXPECT_FALSE(qopts::parse_bool("1", &b));
  EXPECT_FALSE(qopts::parse_bool("", &b));

  EXPECT_TRUE(qopts::id_wellformed("a"));
  EXPECT_TRUE(qopts::id_wellformed("pc.ram"));
  EXPECT_TRUE(qopts::id_wellformed("a-b_c.1"));
  EXPECT_FALSE(qopts::id_wellformed("1m"));
  EXPECT_FALSE(qopts::id_wellformed("_a"));
  EXPECT_FALSE(qopts::id_wellformed(""));
  EXPECT_FALSE(qopts::id_wellformed("a b"));
}

// ---------------------------------------------------------------------------
// QemuOpts.

const qopts::OptsList kTestList{"test",
                                "first",
                                false,
                                {{"first", qopts::OptType::kString},
                                 {"path", qopts::OptType::kString},
                                 {"flag", qopts::OptType::kBool},
                                 {"delay", qopts::OptType::kBool},
                                 {"count", qopts::OptType::kNumber},
                                 {"size", qopts::OptType::kSize}}};
const qopts::OptsList kMergeList{
    "merged",
    "first",
    true,
    {{"first", qopts::OptType::kString}, {"count", qopts::OptType::kNumber}}};

TEST(QemuOpts, CommaEscapesAndImpliedKey) {
  qopts::OptsStore store(&kTestList);
  Result<qopts::Opts*> r =
      store.parse("a,,b,path=/x,,y,,,,z,flag=on", true, true, nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ((*r)->get("first"), "a,b");
  EXPECT_EQ((*r)->get("path"), "/x,y,,z");
  EXPECT_TRUE((*r)->get_bool("flag", false));
  // Without abbreviation the first item is a flag.
  qopts::OptsStore s2(&kTestList);
  std::vector<qopts::Warning> ws;
  r = s2.parse("flag", false, true, nullptr, &ws);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->get_bool("flag", false));
  ASSERT_EQ(ws.size(), 1u);
  EXPECT_EQ(ws[0].report, "warning: short-form boolean option 'flag' deprecated");
  EXPECT_EQ(ws[0].plain, "Please use flag=on instead");
  // "noflag" is flag=off; "nodelay"/"delay" get their own advice.
  ws.clear();
  qopts::OptsStore s3(&kTestList);
  r = s3.parse("x,noflag,delay", true, true, nullptr, &ws);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)->get_bool("flag", true));
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].report, "warning: short-form boolean option 'noflag' deprecated");
  EXPECT_EQ(ws[0].plain, "Please use flag=off instead");
  EXPECT_EQ(ws[1].plain, "Please use nodelay=off instead");
  // An empty value and last-one-wins.
  qopts::OptsStore s4(&kTestList);
  r = s4.parse("path=,count=1,count=0x10", false, false, nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->get("path"), "");
  EXPECT_EQ((*r)->get_number("count", 0), 16u);
}

TEST(QemuOpts, Errors) {
  auto parse_err = [](const char* params) {
    qopts::OptsStore s(&kTestList);
    Result<qopts::Opts*> r = s.parse(params, true, false, nullptr, nullptr);
    return r.ok() ? std::string("<ok>") : r.error().desc;
  };
  EXPECT_EQ(parse_err("x,foo=1"), "Invalid parameter 'foo'");
  EXPECT_EQ(parse_err("x,flag=maybe"), "Parameter 'flag' expects 'on' or 'off'");
  EXPECT_EQ(parse_err("x,count=x"), "Parameter 'count' expects a number");
  EXPECT_EQ(parse_err("x,count=99999999999999999999"),
            "Value '99999999999999999999' is too large for parameter 'count'");
  EXPECT_EQ(parse_err("x,size=1x"),
            "Parameter 'size' expects a non-negative number below 2^64" + kSizeHint);
  EXPECT_EQ(parse_err("x,size=16E"), "Value '16E' is out of range for parameter 'size'");
  EXPECT_EQ(parse_err("x,id=1x"),
            "Parameter 'id' expects an identifier\n"
            "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
  // Duplicate ids, and ids of merged lists.
  qopts::OptsStore s(&kTestList);
  ASSERT_TRUE(s.parse("x,id=a", true, false, nullptr, nullptr).ok());
  Result<qopts::Opts*> r = s.parse("y,id=a", true, false, nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().desc, "Duplicate ID 'a' for test");
  qopts::OptsStore m(&kMergeList);
  r = m.parse("1,id=x", true, false, nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().desc, "Invalid parameter 'id'");
  ASSERT_TRUE(m.parse("a,count=1", true, false, nullptr, nullptr).ok());
  ASSERT_TRUE(m.parse("b", true, false, nullptr, nullptr).ok());
  ASSERT_EQ(m.all().size(), 1u);
  EXPECT_EQ(m.all().front().get("first"), "b");
  EXPECT_EQ(m.all().front().get_number("count", 0), 1u);
  // Help is a flag only.
  bool help = false;
  qopts::OptsStore h(&kTestList);
  EXPECT_FALSE(h.parse("x,help", true, true, &help, nullptr).ok());
  EXPECT_TRUE(help);
}

// ---------------------------------------------------------------------------
// keyval.

TEST(Keyval, NestingListsAndErrors) {
  bool help = false;
  Result<Dict> d = qopts::keyval_parse("pc,a.b=1,a.c=x,,y,l.0=p,l.1=q", "type", &help);
  ASSERT_TRUE(d.ok()) << d.error().desc;
  EXPECT_EQ(d->get("type")->as_string(), "pc");
  EXPECT_EQ(d->get("a")->as_dict().get("b")->as_string(), "1");
  EXPECT_EQ(d->get("a")->as_dict().get("c")->as_string(), "x,y");
  ASSERT_TRUE(d->get("l")->is_list());
  EXPECT_EQ(d->get("l")->as_list()[1].as_string(), "q");
  EXPECT_FALSE(help);

  auto kv_err = [](const char* s) {
    bool h = false;
    Result<Dict> r = qopts::keyval_parse(s, "type", &h);
    return r.ok() ? std::string("<ok>") : r.error().desc;
  };
  EXPECT_EQ(kv_err("none,,x"), "Invalid parameter ''");
  EXPECT_EQ(kv_err("none,1=2"), "Invalid parameter '1'");
  EXPECT_EQ(kv_err("none,usb"), "Expected '=' after parameter 'usb'");
  EXPECT_EQ(kv_err("none,a.1=2,a.b=3"), "Parameters 'a.*' used inconsistently");
  EXPECT_EQ(kv_err("none,a.b=1,a=2"), "Parameters 'a.*' used inconsistently");
  EXPECT_EQ(kv_err("none,l.1=2"), "Parameter 'l.0' missing");
  EXPECT_EQ(kv_err(("none,x" + std::string(128, 'a') + "=1").c_str()),
            "Parameter 'x" + std::string(128, 'a') + "' is too long");
  Result<Dict> h = qopts::keyval_parse("none,help", "type", &help);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(help);
  EXPECT_FALSE(qopts::keyval_parse("none,help", "type", nullptr).ok());

  Dict dest = *qopts::keyval_parse("a.x=1,b=2", "", nullptr);
  Dict src = *qopts::keyval_parse("a.y=3,b=4", "", nullptr);
  ASSERT_TRUE(qopts::keyval_merge(dest, src).ok());
  EXPECT_EQ(dest.get("a")->as_dict().size(), 2u);
  EXPECT_EQ(dest.get("b")->as_string(), "4");
  Dict bad = *qopts::keyval_parse("b.z=1", "", nullptr);
  Status st = qopts::keyval_merge(dest, bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc, "Parameter 'b' used inconsistently");
}

// GLib 2.74's g_str_hash table order (the vectors come from a C program
// using the real GHashTable).
TEST(StrHashTableOrder, MatchesGlib) {
  const char* keys[] = {"foo",   "bar", "baz",    "qux",  "zz", "a1",      "b-2",
                        "help2", "x_y", "sharex", "size", "id", "qom-type"};
  qopts::StrHashTableOrder t;
  for (int i = 0; i < 5; i++) t.insert(keys[i]);
  EXPECT_THAT(t.keys(), ElementsAre("baz", "qux", "bar", "zz", "foo"));
  for (int i = 5; i < 13; i++) t.insert(keys[i]);
  EXPECT_THAT(t.keys(), ElementsAre("bar", "sharex", "id", "foo", "x_y", "help2", "qux", "a1", "zz",
                                    "qom-type", "baz", "b-2", "size"));
  for (int i = 0; i < 10; i++) t.remove(keys[i]);
  EXPECT_THAT(t.keys(), ElementsAre("size", "id", "qom-type"));
  t.insert("size");  // present: no change
  t.remove("nothere");
  EXPECT_THAT(t.keys(), ElementsAre("size", "id", "qom-type"));
}

TEST(Cmdline, UnexpectedKeyIsChosenLikeQemu) {
  // Several bad keys: QEMU names the first in its hash table, not in the
  // order given (checked against the real binary).
  EXPECT_EQ(err_base({"-object", "memory-backend-ram,id=m,size=1M,foo=1,bar=2"}),
            "-object memory-backend-ram,id=m,size=1M,foo=1,bar=2: Invalid parameter 'bar'");
  EXPECT_EQ(err_base({"-object", R"({"qom-type":"memory-backend-ram","id":"m","size":1048576,)"
                                 R"("foo":1,"bar":2})"}),
            R"(-object {"qom-type":"memory-backend-ram","id":"m","size":1048576,"foo":1,"bar":2}: )"
            "Parameter 'bar' is unexpected");
}

// ---------------------------------------------------------------------------
// Option lookup.

TEST(Cmdline, UnknownOptionsComeFirst) {
  EXPECT_EQ(err({"-foo"}), "-foo: invalid option");
  EXPECT_EQ(err({"--foo"}), "--foo: invalid option");
  EXPECT_EQ(err({"-"}), "-: invalid option");
  EXPECT_EQ(err({"-?"}), "-?: invalid option");
  // Pass 1 checks every option before any is handled.
  EXPECT_EQ(err({"-m", "foo", "-Z"}), "-Z: invalid option");
  EXPECT_EQ(err({"-drive", "file=x", "-Z"}), "-Z: invalid option");
  EXPECT_EQ(err({"-M", "none", "-m"}), "-m: requires an argument");
  EXPECT_EQ(err({"-qmp"}), "-qmp: requires an argument");
  EXPECT_EQ(err({"--qmp"}), "--qmp: requires an argument");
  // Options QEMU has but not for x86.
  EXPECT_EQ(err_base({"-g", "1x1"}), "-g 1x1: Option not supported for this target");
  EXPECT_EQ(err_base({"-semihosting"}), "-semihosting: Option not supported for this target");
  EXPECT_EQ(err_base({"-xen-domid", "1"}), "-xen-domid 1: Option not supported for this target");
}

TEST(Cmdline, UnsupportedOptionsAreRefused) {
  for (const char* o : {"-drive", "-netdev", "-hda", "-kernel", "-vnc", "-blockdev", "-numa",
                        "-spice", "-loadvm", "-icount", "-bios", "-mem-path", "-k"}) {
    EXPECT_EQ(err_base({o, "x"}), std::string(o) + " x: this option is not supported by migemu");
  }
  EXPECT_EQ(err_base({"-snapshot"}), "-snapshot: this option is not supported by migemu");
  EXPECT_EQ(err_base({"disk.img"}), "disk.img: disk images are not supported by migemu");
  // QEMU's own error where QEMU would refuse too (no PCI bus on `none`),
  // migemu's where QEMU would create a device migemu does not emulate.
  EXPECT_EQ(err_base({"-device", "virtio-net-pci"}),
            "-device virtio-net-pci: No 'PCI' bus found for device 'virtio-net-pci'");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-device", "virtio-net-pci"}),
            "-device virtio-net-pci: device 'virtio-net-pci' is not supported by migemu");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-device", "virtio-net"}),
            "-device virtio-net: device 'virtio-net-pci' is not supported by migemu");
  EXPECT_EQ(err_base({"-device", "foo"}), "-device foo: 'foo' is not a valid device model name");
  EXPECT_EQ(err_base({"-device", "tcg-accel"}),
            "-device tcg-accel: 'tcg-accel' is not a valid device model name");
  EXPECT_EQ(err_base({"-device", "pci-device"}),
            "-device pci-device: Parameter 'driver' expects a non-abstract device type");
  EXPECT_EQ(err_base({"-device", "PIIX4_PM"}),
            "-device PIIX4_PM: Parameter 'driver' expects a pluggable device type");
  EXPECT_EQ(err_base({"-device", "id=x"}), "-device id=x: Parameter 'driver' is missing");
  // Key=value devices are created before JSON ones.
  EXPECT_EQ(err_base({"-device", "{\"driver\":\"a\"}", "-device", "b"}),
            "-device b: 'b' is not a valid device model name");
  EXPECT_EQ(err_base({"-display", "gtk"}),
            "-display gtk: display 'gtk' is not supported by migemu");
  EXPECT_EQ(err_base({"-vga", "std"}), "-vga std: a graphics card is not supported by migemu");
  // An earlier option's own error wins over a later refusal.
  EXPECT_EQ(err_base({"-m", "x", "-drive", "y"}),
            "-m x: Parameter 'size' expects a non-negative number below 2^64" + kSizeHint);
}

TEST(Cmdline, VersionAndHelp) {
  Config c = ok({"-version"});
  EXPECT_EQ(c.action, Config::Action::PrintVersion);
  EXPECT_THAT(c.output_text, StartsWith("QEMU emulator version 7.2.22 (migemu "));
  EXPECT_THAT(
      c.output_text,
      HasSubstr("\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n"));
  EXPECT_EQ(c.output_text, version_text());
  EXPECT_EQ(ok({"--version"}).action, Config::Action::PrintVersion);
  for (const char* h : {"-h", "-help", "--help"}) {
    Config hc = ok({h});
    EXPECT_EQ(hc.action, Config::Action::PrintHelp);
    EXPECT_EQ(hc.output_text, help_text());
  }
  EXPECT_THAT(help_text(), StartsWith(version_text() + "usage: qemu-system-x86_64 [options]"));
  // Options before -version are handled first; later ones are never looked at.
  EXPECT_EQ(err({"-m", "foo", "-version"}),
            "-m foo: Parameter 'size' expects a non-negative number below 2^64" + kSizeHint);
  EXPECT_EQ(err({"-uuid", "x", "-version"}), "-uuid x: failed to parse UUID string: wrong format");
  EXPECT_EQ(ok({"-version", "-uuid", "x"}).action, Config::Action::PrintVersion);
  // -machine foo is only checked later: -version wins.
  EXPECT_EQ(ok({"-machine", "foo", "-version"}).action, Config::Action::PrintVersion);
  EXPECT_EQ(ok({"-smp", "foo", "-version"}).action, Config::Action::PrintVersion);
  EXPECT_EQ(ok({"-chardev", "socket", "-version"}).action, Config::Action::PrintVersion);
  // But not -object, whose type is checked on the spot.
  EXPECT_EQ(err({"-object", "foo", "-version"}),
            "-object foo: Parameter 'qom-type' does not accept value 'foo'");
}

TEST(Cmdline, MachineHelp) {
  Config c = ok({"-machine", "help"});
  EXPECT_EQ(c.action, Config::Action::PrintMachineHelp);
  EXPECT_THAT(c.output_text,
              StartsWith("Supported machines are:\n"
                         "pc                   Standard PC (i440FX + PIIX, 1996) "
                         "(alias of pc-i440fx-7.2)\n"
                         "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) "
                         "(default)\n"
                         "pc-i440fx-7.1        Standard PC (i440FX + PIIX, 1996)\n"));
  EXPECT_THAT(c.output_text,
              HasSubstr("pc-i440fx-1.4        Standard PC (i440FX + PIIX, 1996) (deprecated)\n"
                        "q35                  Standard PC (Q35 + ICH9, 2009) (alias of "
                        "pc-q35-7.2)\npc-q35-7.2           Standard PC (Q35 + ICH9, 2009)\n"));
  EXPECT_THAT(c.output_text, HasSubstr("pc-q35-4.0.1         Standard PC (Q35 + ICH9, 2009)\n"));
  EXPECT_THAT(c.output_text, HasSubstr("\nnone                 empty machine\n"));
  EXPECT_EQ(c.output_text, machine_help_text());
  EXPECT_EQ(ok({"-machine", "help", "-version"}).action, Config::Action::PrintMachineHelp);
  Config props = ok({"-machine", "none,help"});
  EXPECT_THAT(props.output_text, StartsWith("none-machine options:\n"));
  EXPECT_THAT(props.output_text, HasSubstr("  usb=<bool>\n"));
  EXPECT_THAT(props.output_text, Not(HasSubstr("hpet")));
  EXPECT_THAT(ok({"-M", "pc,help"}).output_text, HasSubstr("  hpet=<bool>\n"));
}

// ---------------------------------------------------------------------------
// -machine, -accel.

TEST(Cmdline, MachineTypes) {
  EXPECT_EQ(ok({"-M", "pc", "-nodefaults"}).machine.type, "pc-i440fx-7.2");
  EXPECT_EQ(ok({"-M", "q35", "-nodefaults"}).machine.type, "pc-q35-7.2");
  EXPECT_EQ(ok({"-machine", "type=pc-q35-4.0.1", "-nodefaults"}).machine.type, "pc-q35-4.0.1");
  EXPECT_EQ(ok({"-nodefaults"}).machine.type, "pc-i440fx-7.2");  // the default
  // The last -machine type wins; properties accumulate.
  Config c = ok({"-M", "pc,usb=on", "-M", "none", "-nodefaults"});
  EXPECT_EQ(c.machine.type, "none");
  EXPECT_TRUE(c.machine.usb);
  EXPECT_EQ(ok({"-M", "none,type=pc", "-nodefaults"}).machine.type, "pc-i440fx-7.2");
  EXPECT_EQ(err({"-M", "foo"}),
            "unsupported machine type\nUse -machine help to list supported machines");
  EXPECT_EQ(err({"-M", "microvm"}), "machine type 'microvm' is not supported by migemu");
  Config old = ok({"-M", "pc-i440fx-1.4", "-nodefaults"});
  EXPECT_TRUE(old.machine.deprecated);
  EXPECT_THAT(shown(old.messages),
              ElementsAre("P: warning: Machine type 'pc-i440fx-1.4' is deprecated: old and "
                          "unattended - use a newer version instead"));
  Config none = ok_base({});
  EXPECT_EQ(none.machine.default_ram_id, "ram");
  EXPECT_EQ(none.ram_size, 0u);  // -M none has no RAM by default
  EXPECT_EQ(none.machine.max_cpus, 1u);
  Config pc = ok({"-M", "pc", "-nodefaults"});
  EXPECT_EQ(pc.machine.default_ram_id, "pc.ram");
  EXPECT_EQ(pc.ram_size, 128 * kMiB);
  EXPECT_EQ(pc.cpu_model, "qemu64");
}

TEST(Cmdline, MachineProperties) {
  Config c = ok({"-M",
                 "pc-i440fx-7.2,usb=off,dump-guest-core=off,mem-merge=off,acpi=auto,"
                 "hpet=off,vmport=off,smm=on,max-fw-size=1.5k",
                 "-nodefaults"});
  EXPECT_FALSE(c.machine.usb);
  EXPECT_FALSE(c.machine.dump_guest_core);
  EXPECT_FALSE(c.machine.mem_merge);
  EXPECT_EQ(c.machine.props["vmport"], "off");
  EXPECT_EQ(c.machine.props["max-fw-size"], "1536");
  EXPECT_FALSE(ok_base({"-M", "none,dump_guest_core=off"}).machine.dump_guest_core);

  EXPECT_EQ(err_base({"-M", "none,foo=bar"}), "Property 'none-machine.foo' not found");
  EXPECT_EQ(err_base({"-M", "none,vmport=off"}), "Property 'none-machine.vmport' not found");
  EXPECT_EQ(err({"-M", "pc,foo=1"}), "Property 'pc-i440fx-7.2-machine.foo' not found");
  EXPECT_EQ(err_base({"-M", "none,usb=maybe"}), "Parameter 'usb' expects 'on' or 'off'");
  EXPECT_EQ(err({"-M", "pc,acpi=x"}), "Parameter 'acpi' does not accept value 'x'");
  EXPECT_EQ(err({"-M", "pc,phandle-start=x"}), "Parameter 'phandle-start' expects integer");
  EXPECT_EQ(err({"-M", "pc,max-fw-size=x"}), "Parameter 'max-fw-size' expects size");
  EXPECT_EQ(err({"-M", "pc,bus-lock-ratelimit=x"}),
            "Parameter 'bus-lock-ratelimit' expects integer");
  EXPECT_EQ(err({"-M", "pc,smbios-entry-point-type=99"}),
            "Parameter 'smbios-entry-point-type' does not accept value '99'");
  EXPECT_EQ(err_base({"-M", "none,usb.x=1"}), "Parameters 'usb.*' are unexpected");
  EXPECT_EQ(err_base({"-M", "none,smp=2"}), "Invalid parameter type for 'smp', expected: object");
  EXPECT_EQ(err_base({"-M", "none,boot=c"}), "Invalid parameter type for 'boot', expected: object");
  EXPECT_EQ(err_base({"-M", "none,memory=1G"}), "Parameter 'memory' used inconsistently");
  EXPECT_EQ(err_base({"-M", "none,memory.size=x"}), "Parameter 'memory.size' expects size");
  EXPECT_EQ(err_base({"-M", "none,memory.size=1G,memory.foo=1"}),
            "Parameter 'memory.foo' is unexpected");
  EXPECT_EQ(err_base({"-M", "none,smp.cpus.x=1"}), "Parameters 'smp.cpus.*' are unexpected");
  EXPECT_EQ(err_base({"-M", "none,smp.maxcpus=x,smp.cpus=y"}),
            "Parameter 'smp.cpus' expects integer");
  EXPECT_EQ(err_base({"-M", "none,dump_guest_core=on,dump-guest-core=off"}),
            "Conflict between 'dump_guest_core' and 'dump-guest-core'");
  // Properties are set in QEMU's QDict order, not in the order given.
  EXPECT_EQ(err_base({"-M", "none,usb=x,foo=1"}), "Parameter 'usb' expects 'on' or 'off'");
  EXPECT_EQ(err_base({"-M", "none,foo=1,usb=x"}), "Parameter 'usb' expects 'on' or 'off'");
  // Syntax errors are found at once, with the option's location.
  EXPECT_EQ(err_base({"-M", "none,accel"}), "-M none,accel: Expected '=' after parameter 'accel'");
  EXPECT_EQ(err_base({"-M", "none,,x"}), "-M none,,x: Invalid parameter ''");
  EXPECT_EQ(err_base({"-M", "none,a.1=2,a.b=3"}),
            "-M none,a.1=2,a.b=3: Parameters 'a.*' used inconsistently");
  // Things migemu cannot do are refused.
  EXPECT_EQ(err({"-M", "pc,kernel=/vmlinuz"}),
            "booting a kernel (kernel=) is not supported by migemu");
  EXPECT_EQ(err_base({"-M", "none,kernel=x,append=y"}),
            "The -kernel parameter is not supported (use the generic 'loader' device instead).");
  EXPECT_EQ(err_base({"-M", "none,sgx-epc.0.memdev=x"}),
            "Property 'none-machine.sgx-epc' not found");
  EXPECT_EQ(err({"-M", "pc,append=x"}), "-append only allowed with -kernel option");
}

TEST(Cmdline, AccelWithoutKvm) {
  Config c = ok_base({"-accel", "tcg"});
  EXPECT_EQ(c.accel, "tcg");
  EXPECT_THAT(c.messages, IsEmpty());
  c = ok_base({"-accel", "tcg,thread=single,tb-size=64,split-wx=off"});
  EXPECT_EQ(c.accel_props["thread"], "single");

  // accel=kvm:tcg, as libvirt's probe asks.
  ParseDiagnostics diag;
  Result<Config> r =
      parse_command_line({"-M", "none,accel=kvm:tcg", "-nodefaults", "-display", "none"}, &diag);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accel, "tcg");
  EXPECT_THAT(r->accels, ElementsAre("kvm", "tcg"));
  EXPECT_THAT(shown(r->messages),
              ElementsAre("Could not access KVM kernel module: No such file or directory",
                          "P: failed to initialize kvm: No such file or directory",
                          "P: falling back to tcg"));
  EXPECT_EQ(shown(diag.messages), shown(r->messages));

  c = ok_base({"-accel", "kvm", "-accel", "tcg"});
  EXPECT_THAT(shown(c.messages),
              ElementsAre("Could not access KVM kernel module: No such file or directory",
                          "P: -accel kvm: failed to initialize kvm: No such file or directory",
                          "P: falling back to tcg"));

  // Only KVM: the failure is fatal; the note comes first.
  ParseDiagnostics d2;
  r = parse_command_line(base({"-accel", "kvm"}), &d2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().desc, "-accel kvm: failed to initialize kvm: No such file or directory");
  EXPECT_THAT(shown(d2.messages),
              ElementsAre("Could not access KVM kernel module: No such file or directory"));
  EXPECT_EQ(err_base({"-enable-kvm"}), "failed to initialize kvm: No such file or directory");
  EXPECT_EQ(err({"-M", "none,accel=kvm", "-nodefaults"}),
            "failed to initialize kvm: No such file or directory");

  EXPECT_EQ(err_base({"-accel", "foo"}), "-accel foo: invalid accelerator foo");
  EXPECT_EQ(err_base({"-accel", "qtest"}), "-accel qtest: invalid accelerator qtest");
  EXPECT_EQ(err({"-M", "none,accel=foo", "-nodefaults"}), "invalid accelerator foo");
  c = ok({"-M", "none,accel=foo:tcg", "-nodefaults"});
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: invalid accelerator foo", "P: falling back to tcg"));
  EXPECT_EQ(err_base({"-accel", "tcg", "-M", "none,accel=tcg"}),
            "The -accel and \"-machine accel=\" options are incompatible");
  EXPECT_EQ(err_base({"-accel", "tcg,foo=1"}),
            "-accel tcg,foo=1: Property 'tcg-accel.foo' not found");
  EXPECT_EQ(err_base({"-accel", "tcg,thread=x"}),
            "-accel tcg,thread=x: Invalid 'thread' setting x");
  EXPECT_EQ(err_base({"-accel", "tcg,help"}),
            "-accel tcg,help: Property 'tcg-accel.help' not found");
  for (const char* h : {"help", ""}) {
    Config hc = ok_base({"-accel", h});
    EXPECT_EQ(hc.action, Config::Action::PrintHelp);
    EXPECT_EQ(hc.output_text, "Accelerators supported in QEMU binary:\ntcg\nkvm\n");
  }
}

// ---------------------------------------------------------------------------
// -m, -smp.

TEST(Cmdline, Memory) {
  Config c = ok({"-M", "pc", "-nodefaults", "-m", "128"});
  EXPECT_EQ(c.ram_size, 128 * kMiB);  // no suffix: MiB
  EXPECT_TRUE(c.ram_size_set);
  EXPECT_EQ(ok_base({"-m", "1G"}).ram_size, kGiB);
  EXPECT_EQ(ok_base({"-m", "1.5G"}).ram_size, kGiB + kGiB / 2);
  EXPECT_EQ(ok_base({"-m", "size=2G"}).ram_size, 2 * kGiB);
  EXPECT_EQ(ok_base({"-m", "1k"}).ram_size, 8192u);  // rounded up to 8 KiB
  EXPECT_EQ(ok_base({"-m", "1G,size=2G"}).ram_size, 2 * kGiB);
  EXPECT_EQ(ok_base({"-m", "1G", "-m", "512"}).ram_size, 512 * kMiB);
  // -m 0 (and an empty -m) mean "the default".
  EXPECT_EQ(ok({"-M", "pc", "-nodefaults", "-m", "0"}).ram_size, 128 * kMiB);
  EXPECT_FALSE(ok({"-M", "pc", "-nodefaults", "-m", "0"}).ram_size_set);
  EXPECT_EQ(ok({"-M", "pc", "-nodefaults", "-m", ""}).ram_size, 128 * kMiB);
  // -m beats -machine memory.size, whatever the order.
  EXPECT_EQ(ok_base({"-m", "1G", "-machine", "memory.size=2G"}).ram_size, kGiB);
  EXPECT_EQ(ok_base({"-machine", "memory.size=2G", "-m", "1G"}).ram_size, kGiB);

  Config mx = ok_base({"-m", "1G,slots=2,maxmem=2G"});
  EXPECT_EQ(mx.max_ram_size, 2 * kGiB);
  EXPECT_EQ(mx.ram_slots, 2u);

  for (const char* bad :
       {"foo", "1.5", "1e3", "-1", "-1G", "1x", "1 G", "1Gb", ".5G", "0.5", "1,,2"}) {
    EXPECT_EQ(err_base({"-m", bad}),
              std::string("-m ") + bad +
                  ": Parameter 'size' expects a non-negative number below 2^64" + kSizeHint)
        << bad;
  }
  EXPECT_EQ(err_base({"-m", "16E"}), "-m 16E: Value '16E' is out of range for parameter 'size'");
  EXPECT_EQ(err_base({"-m", "99999999999999999999"}),
            "-m 99999999999999999999: Value '99999999999999999999' is out of range for parameter "
            "'size'");
  // Accepted by -m, refused when the machine reads it as MiB.
  EXPECT_EQ(err_base({"-m", "18446744073709551615"}), "Parameter 'memory.size' expects size");
  EXPECT_EQ(err_base({"-m", "size=1G,foo=1"}), "-m size=1G,foo=1: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-m", "1,id=x"}), "-m 1,id=x: Invalid parameter 'id'");
  EXPECT_EQ(err_base({"-m", "1G,slots=x"}), "-m 1G,slots=x: Parameter 'slots' expects a number");
  EXPECT_EQ(err_base({"-m", "1G,slots=2"}), "slots specified but no max-size");
  EXPECT_EQ(err_base({"-m", "1G,slots=-1"}), "slots specified but no max-size");
  EXPECT_EQ(err_base({"-m", "1G,maxmem=512M"}),
            "invalid value of maxmem: maximum memory size (0x20000000) must be at least the "
            "initial memory size (0x40000000)");
  EXPECT_EQ(err_base({"-m", "1G,maxmem=1G,slots=1"}),
            "invalid value of maxmem: memory slots were specified but maximum memory size "
            "(0x40000000) is equal to the initial memory size (0x40000000)");

  // Hex with a suffix is deprecated: once when -m parses it, once more when
  // the machine reads it.
  c = ok_base({"-m", "0x10M"});
  EXPECT_EQ(c.ram_size, 16 * kMiB);
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: -m 0x10M: warning: Using a multiplier suffix on hex numbers is "
                          "deprecated: 0x10M",
                          "P: warning: Using a multiplier suffix on hex numbers is deprecated: "
                          "0x10M"));
  c = ok_base({"-m", "0x100"});
  EXPECT_EQ(c.ram_size, 256 * kMiB);
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: warning: Using a multiplier suffix on hex numbers is deprecated: "
                          "0x100M"));
  EXPECT_EQ(err_base({"-m", "help"}),
            "-m help: Parameter 'size' expects a non-negative number below 2^64" + kSizeHint);
}

TEST(Cmdline, MemoryHelpExitsWithOne) {
  Result<Config> r = parse_command_line(base({"-m", "1,help"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, Config::Action::PrintHelp);
  EXPECT_EQ(r->exit_status, 1);
  EXPECT_EQ(r->output_text, "memory options:\n  maxmem=<size>\n  size=<size>\n  slots=<num>\n");
}

TEST(Cmdline, Smp) {
  Config c = ok({"-M", "pc", "-nodefaults", "-smp", "4,sockets=2,cores=2,threads=1"});
  EXPECT_EQ(c.smp_cpus, 4u);
  EXPECT_EQ(c.max_cpus, 4u);
  EXPECT_EQ(c.smp_sockets, 2u);
  c = ok({"-M", "pc", "-nodefaults", "-smp", "2"});
  EXPECT_EQ(c.smp_cores, 2u);  // cores are preferred since 6.2
  EXPECT_EQ(c.smp_sockets, 1u);
  c = ok({"-M", "pc-i440fx-6.1", "-nodefaults", "-smp", "2"});
  EXPECT_EQ(c.smp_sockets, 2u);  // sockets before
  c = ok({"-M", "pc", "-nodefaults", "-smp", "cpus=2,maxcpus=8"});
  EXPECT_EQ(c.smp_cpus, 2u);
  EXPECT_EQ(c.max_cpus, 8u);
  EXPECT_EQ(ok_base({"-smp", "1,sockets=1,cores=1,threads=1,dies=1,clusters=1"}).smp_cpus, 1u);

  EXPECT_EQ(err_base({"-smp", "2"}),
            "Invalid SMP CPUs 2. The max CPUs supported by machine 'none' is 1");
  EXPECT_EQ(err_base({"-smp", "-1"}),
            "Invalid SMP CPUs -1. The max CPUs supported by machine 'none' is 1");
  EXPECT_EQ(err_base({"-smp", "x"}), "Parameter 'smp.cpus' expects integer");
  EXPECT_EQ(err_base({"-smp", "1,foo=2"}), "Parameter 'smp.foo' is unexpected");
  EXPECT_EQ(err_base({"-smp", "4,sockets=1,cores=2,threads=1"}),
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "cores (2) * threads (1) != maxcpus (4)");
  EXPECT_EQ(err({"-M", "pc", "-smp", "4,sockets=1,cores=2,threads=1"}),
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "dies (1) * cores (2) * threads (1) != maxcpus (4)");
  EXPECT_EQ(err({"-M", "pc", "-smp", "2,maxcpus=1"}),
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * "
            "dies (1) * cores (1) * threads (1) == maxcpus (1) < smp_cpus (2)");
  EXPECT_EQ(err({"-M", "pc", "-smp", "1,dies=2"}),
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "dies (2) * cores (0) * threads (1) != maxcpus (1)");
  EXPECT_EQ(err({"-M", "pc", "-smp", "1,clusters=2"}),
            "clusters not supported by this machine's CPU topology");
  EXPECT_EQ(err_base({"-smp", "1,dies=2"}), "dies not supported by this machine's CPU topology");
  EXPECT_EQ(err({"-M", "pc", "-smp", "256"}),
            "Invalid SMP CPUs 256. The max CPUs supported by machine 'pc-i440fx-7.2' is 255");
  EXPECT_EQ(err({"-M", "q35", "-smp", "289"}),
            "Invalid SMP CPUs 289. The max CPUs supported by machine 'pc-q35-7.2' is 288");
  c = ok_base({"-smp", "0"});
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: warning: Deprecated CPU topology (considered invalid): CPU topology "
                          "parameters must be greater than zero"));
  Config h = ok_base({"-smp", "help"});
  EXPECT_EQ(h.exit_status, 0);
  EXPECT_EQ(h.output_text,
            "smp-opts options:\n  clusters=<num>\n  cores=<num>\n  cpus=<num>\n  dies=<num>\n"
            "  maxcpus=<num>\n  sockets=<num>\n  threads=<num>\n");
  EXPECT_EQ(err_base({"-M", "none,smp.cpus=1", "-smp", "cpus.x=1"}),
            "-smp cpus.x=1: Parameter 'smp.cpus' used inconsistently");
}

// ---------------------------------------------------------------------------
// Small options.

TEST(Cmdline, NameUuidAndFlags) {
  Config c = ok_base({"-name", "guest=lvtest,debug-threads=on,process=qp", "-S", "-no-user-config",
                      "-daemonize", "-pidfile", "/tmp/x.pid", "-no-shutdown", "-only-migratable"});
  EXPECT_EQ(c.name, "lvtest");
  EXPECT_TRUE(c.debug_threads);
  EXPECT_EQ(c.process_name, "qp");
  EXPECT_TRUE(c.start_paused);
  EXPECT_TRUE(c.no_user_config);
  EXPECT_TRUE(c.nodefaults);
  EXPECT_TRUE(c.daemonize);
  EXPECT_EQ(c.pidfile, "/tmp/x.pid");
  EXPECT_TRUE(c.no_shutdown);
  EXPECT_EQ(c.shutdown_action, "pause");
  EXPECT_TRUE(c.only_migratable);
  EXPECT_EQ(ok_base({"-name", "foo"}).name, "foo");
  EXPECT_EQ(ok_base({"-name", "foo,,bar"}).name, "foo,bar");
  EXPECT_EQ(ok_base({"-name", "foo", "-name", "bar"}).name, "bar");
  EXPECT_EQ(ok_base({"-name", "help"}).name, "help");
  EXPECT_EQ(err_base({"-name", "foo,debug-threads=x"}),
            "-name foo,debug-threads=x: Parameter 'debug-threads' expects 'on' or 'off'");
  EXPECT_EQ(err_base({"-name", "foo,id=x"}), "-name foo,id=x: Invalid parameter 'id'");
  ParseDiagnostics d;
  Result<Config> r = parse_command_line(base({"-name", "foo,bar"}), &d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().desc, "-name foo,bar: Invalid parameter 'bar'");
  EXPECT_THAT(shown(d.messages),
              ElementsAre("P: -name foo,bar: warning: short-form boolean option 'bar' deprecated",
                          "Please use bar=on instead"));

  EXPECT_EQ(ok_base({"-uuid", "A99953A8-CD4A-423E-8F8E-EF6315029B96"}).uuid,
            "a99953a8-cd4a-423e-8f8e-ef6315029b96");
  for (const char* bad :
       {"a99953a8cd4a423e8f8eef6315029b96", "a99953a8-cd4a-423e-8f8e-ef6315029b9",
        "a99953a8-cd4a-423e-8f8e-ef6315029b96x", "{a99953a8-cd4a-423e-8f8e-ef6315029b96}",
        "g99953a8-cd4a-423e-8f8e-ef6315029b96"}) {
    EXPECT_EQ(err_base({"-uuid", bad}),
              std::string("-uuid ") + bad + ": failed to parse UUID string: wrong format");
  }
}

TEST(Cmdline, RtcBootOvercommitMsgSandboxAction) {
  Config c = ok_base({"-rtc", "base=utc,clock=vm,driftfix=slew", "-boot", "strict=on",
                      "-overcommit", "mem-lock=off", "-msg", "timestamp=on", "-sandbox",
                      "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"});
  EXPECT_EQ(c.rtc_base, "utc");
  EXPECT_EQ(c.rtc_clock, "vm");
  EXPECT_EQ(c.rtc["driftfix"], "slew");
  EXPECT_EQ(c.boot["strict"], "on");
  EXPECT_FALSE(c.mem_lock);
  EXPECT_EQ(c.overcommit["mem-lock"], "off");
  EXPECT_TRUE(c.msg_timestamp);
  EXPECT_TRUE(c.sandbox_enabled);
  EXPECT_EQ(c.sandbox["spawn"], "deny");
  EXPECT_EQ(ok_base({"-boot", "order=cd,menu=on,reboot-timeout=1000,splash-time=5"}).boot["order"],
            "cd");
  EXPECT_EQ(ok_base({"-boot", "cd"}).boot["order"], "cd");
  EXPECT_EQ(ok_base({"-rtc", "base=2006-06-17T16:01:21"}).rtc_base, "2006-06-17T16:01:21");
  EXPECT_EQ(ok_base({"-rtc", "base=2006-06-17"}).rtc_base, "2006-06-17");
  EXPECT_TRUE(ok_base({"-overcommit", "mem-lock=on"}).mem_lock);
  EXPECT_TRUE(ok_base({"-overcommit", "cpu-pm=on"}).cpu_pm);
  EXPECT_EQ(ok_base({"-action", "reboot=shutdown,panic=pause"}).reboot_action, "shutdown");
  EXPECT_EQ(ok_base({"-no-reboot"}).reboot_action, "shutdown");
  EXPECT_FALSE(ok_base({"-sandbox", "off"}).sandbox_enabled);

  EXPECT_EQ(err_base({"-rtc", "base=foo"}),
            "invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'");
  EXPECT_EQ(err_base({"-rtc", "clock=foo"}), "invalid option value 'foo'");
  EXPECT_EQ(err_base({"-rtc", "driftfix=foo"}), "invalid option value 'foo'");
  EXPECT_EQ(err_base({"-rtc", "foo=bar"}), "-rtc foo=bar: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-rtc", "utc"}), "-rtc utc: Invalid parameter 'utc'");
  EXPECT_EQ(err_base({"-boot", "foo"}), "Boot device 'o' was given twice");
  EXPECT_EQ(err_base({"-boot", "order=z"}), "Invalid boot device 'z'");
  EXPECT_EQ(err_base({"-boot", "once=z"}), "Invalid boot device 'z'");
  EXPECT_EQ(err_base({"-boot", "menu=x"}), "Parameter 'boot.menu' expects 'on' or 'off'");
  EXPECT_EQ(err_base({"-boot", "reboot-timeout=x"}),
            "Parameter 'boot.reboot-timeout' expects integer");
  EXPECT_EQ(err_base({"-boot", "foo=bar"}), "Parameter 'boot.foo' is unexpected");
  EXPECT_EQ(err_base({"-overcommit", "foo=on"}), "-overcommit foo=on: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-overcommit", "mem-lock=x"}),
            "-overcommit mem-lock=x: Parameter 'mem-lock' expects 'on' or 'off'");
  EXPECT_EQ(err_base({"-msg", "timestamp=x"}),
            "-msg timestamp=x: Parameter 'timestamp' expects 'on' or 'off'");
  EXPECT_EQ(err_base({"-msg", "foo=1"}), "-msg foo=1: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-sandbox", "on,obsolete=foo"}),
            "-sandbox on,obsolete=foo: invalid argument for obsolete");
  EXPECT_EQ(err_base({"-sandbox", "on,spawn=x"}),
            "-sandbox on,spawn=x: invalid argument for spawn");
  EXPECT_EQ(err_base({"-sandbox", "foo"}),
            "-sandbox foo: Parameter 'enable' expects 'on' or 'off'");
  EXPECT_EQ(err_base({"-sandbox", "on,foo=bar"}), "-sandbox on,foo=bar: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-action", "reboot=foo"}),
            "-action reboot=foo: Parameter 'reboot' does not accept value 'foo'");
  EXPECT_EQ(err_base({"-action", "foo=bar"}), "-action foo=bar: Invalid parameter 'foo'");

  // Short-form booleans work, with QEMU's warning.
  c = ok_base({"-overcommit", "mem-lock"});
  EXPECT_TRUE(c.mem_lock);
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: -overcommit mem-lock: warning: short-form boolean option 'mem-lock' "
                          "deprecated",
                          "Please use mem-lock=on instead"));
  // Help of a QemuOpts option ends QEMU with status 1.
  Config h = ok_base({"-overcommit", "help"});
  EXPECT_EQ(h.exit_status, 1);
  EXPECT_EQ(h.output_text,
            "overcommit options:\n  cpu-pm=<bool (on/off)>\n  mem-lock=<bool (on/off)>\n");
}

TEST(Cmdline, MsgTimestampMarksLaterMessages) {
  ParseDiagnostics d;
  Result<Config> r =
      parse_command_line(base({"-name", "g1", "-overcommit", "mem-lock", "-msg",
                               "timestamp=on,guest-name=on", "-overcommit", "cpu-pm", "-smp", "2"}),
                         &d);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(d.messages.size(), 4u);
  EXPECT_FALSE(d.messages[0].timestamp);
  EXPECT_FALSE(d.messages[0].guest_name.has_value());
  EXPECT_TRUE(d.messages[2].timestamp);
  EXPECT_EQ(d.messages[2].guest_name, "g1");
  EXPECT_TRUE(d.error_timestamp);
  EXPECT_EQ(d.error_guest_name, "g1");
}

TEST(Cmdline, DisplayAndGlobal) {
  EXPECT_EQ(ok({"-M", "none", "-nodefaults", "-display", "none"}).display, "none");
  EXPECT_EQ(ok({"-M", "none", "-nodefaults", "-display", "type=none,full-screen=on"}).display,
            "none");
  EXPECT_EQ(err({"-M", "none", "-display", "cocoa"}),
            "-display cocoa: Parameter 'type' does not accept value 'cocoa'");
  EXPECT_EQ(err({"-M", "none", "-display", "none,foo=bar"}),
            "-display none,foo=bar: Parameter 'foo' is unexpected");
  EXPECT_EQ(err({"-M", "none", "-display", "none,gl=x"}),
            "-display none,gl=x: Parameter 'gl' does not accept value 'x'");
  EXPECT_EQ(err({"-M", "none", "-display", "none,show-cursor=x"}),
            "-display none,show-cursor=x: Parameter 'show-cursor' expects 'on' or 'off'");
  EXPECT_EQ(err({"-M", "none", "-display", "none,help"}),
            "-display none,help: Help is not available for this option");
  EXPECT_EQ(err({"-M", "none", "-nodefaults", "-display", "none,gl=on"}),
            "OpenGL is not supported by the display");
  EXPECT_EQ(err({"-M", "none", "-display", "vnc"}),
            "-display vnc: VNC requires a display argument vnc=<display>");

  Config g = ok_base({"-global", "kvm-pit.lost_tick_policy=delay", "-global",
                      "driver=isa-serial,property=baudbase,value=9600", "-global", "a.b.c=1"});
  EXPECT_THAT(g.globals,
              ElementsAre("kvm-pit.lost_tick_policy=delay", "isa-serial.baudbase=9600", "a.b.c=1"));
  EXPECT_EQ(err_base({"-global", "foo"}), "-global foo: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-global", ".foo=1"}), "-global .foo=1: Invalid parameter '.foo'");
  EXPECT_EQ(err_base({"-global", "foo.=1"}), "-global foo.=1: Invalid parameter 'foo.'");
  EXPECT_EQ(err_base({"-global", "driver=x,property=y"}),
            "-global driver=x,property=y: options 'driver', 'property', and 'value' are required");
}

TEST(Cmdline, CpuAndIncoming) {
  Config c = ok({"-M", "pc", "-nodefaults", "-cpu", "qemu64,hypervisor=on,lahf-lm=on"});
  EXPECT_EQ(c.cpu_model, "qemu64");
  EXPECT_THAT(c.cpu_features, ElementsAre("hypervisor=on", "lahf-lm=on"));
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-cpu", "foo"}), "unable to find CPU model 'foo'");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-cpu", "host"}),
            "CPU model 'host' requires KVM or HVF");
  EXPECT_EQ(err_base({"-cpu", "qemu64"}), "apic-id property was not initialized properly");
  EXPECT_EQ(err_base({"-cpu", "foo"}), "unable to find CPU model 'foo'");

  EXPECT_EQ(ok_base({"-incoming", "defer"}).incoming, "defer");
  EXPECT_EQ(ok_base({"-incoming", "tcp:127.0.0.1:4444"}).incoming, "tcp:127.0.0.1:4444");
  EXPECT_EQ(ok_base({"-incoming", "defer", "-incoming", "unix:/x"}).incoming, "unix:/x");
  EXPECT_EQ(err_base({"-incoming", "foo"}), "-incoming foo: unknown migration protocol: foo");
}

// ---------------------------------------------------------------------------
// Chardevs and monitors.

TEST(Cmdline, ChardevSocket) {
  Config c = ok_base({"-chardev", "socket,id=c,path=/tmp/m.sock,server=on,wait=off", "-mon",
                      "chardev=c,mode=control,pretty=on"});
  ASSERT_EQ(c.chardevs.size(), 1u);
  const ChardevConfig& ch = c.chardevs[0];
  EXPECT_EQ(ch.id, "c");
  EXPECT_EQ(ch.backend, "socket");
  EXPECT_EQ(ch.path, "/tmp/m.sock");
  EXPECT_TRUE(ch.server);
  EXPECT_FALSE(ch.wait);
  EXPECT_EQ(ch.filename, "disconnected:unix:/tmp/m.sock,server=on");
  ASSERT_EQ(c.monitors.size(), 1u);
  EXPECT_EQ(c.monitors[0].chardev, "c");
  EXPECT_TRUE(c.monitors[0].control);
  EXPECT_TRUE(c.monitors[0].pretty);

  c = ok_base({"-chardev",
               "socket,id=t,host=localhost,port=4444,server=on,wait=off,ipv4=on,to=4450,telnet=on,"
               "nodelay=on",
               "-chardev", "socket,id=u,path=/x,abstract=on,tight=off", "-chardev",
               "socket,id=r,path=/y,reconnect=5", "-chardev", "socket,id=w,path=/z,server=on"});
  EXPECT_EQ(c.chardevs[0].host, "localhost");
  EXPECT_EQ(c.chardevs[0].port, "4444");
  EXPECT_EQ(c.chardevs[0].to, 4450u);
  EXPECT_EQ(c.chardevs[0].ipv4, true);
  EXPECT_FALSE(c.chardevs[0].ipv6.has_value());
  EXPECT_TRUE(c.chardevs[0].telnet);
  EXPECT_TRUE(c.chardevs[0].nodelay);
  EXPECT_TRUE(c.chardevs[1].abstract);
  EXPECT_FALSE(c.chardevs[1].tight);
  EXPECT_EQ(c.chardevs[2].reconnect, 5);
  EXPECT_FALSE(c.chardevs[2].server);
  EXPECT_TRUE(c.chardevs[3].wait);  // a server waits by default
  EXPECT_EQ(ok_base({"-chardev", "socket,id=c,fd=27,server=on,wait=off"}).chardevs[0].fd, 27);

  // Deprecated short forms, with QEMU's warnings.
  c = ok_base({"-chardev", "socket,id=c,path=/tmp/c1.sock,server,nowait"});
  EXPECT_TRUE(c.chardevs[0].server);
  EXPECT_FALSE(c.chardevs[0].wait);
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: -chardev socket,id=c,path=/tmp/c1.sock,server,nowait: warning: "
                          "short-form boolean option 'server' deprecated",
                          "Please use server=on instead",
                          "P: -chardev socket,id=c,path=/tmp/c1.sock,server,nowait: warning: "
                          "short-form boolean option 'nowait' deprecated",
                          "Please use wait=off instead"));
}

TEST(Cmdline, ChardevErrors) {
  EXPECT_EQ(err_base({"-chardev", "socket,path=/x,server=on,wait=off"}),
            "-chardev socket,path=/x,server=on,wait=off: chardev: no id specified");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c"}),
            "-chardev socket,id=c: Unable to parse FD number ");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,fd=foo,server=on,wait=off"}),
            "-chardev socket,id=c,fd=foo,server=on,wait=off: Unable to parse FD number foo");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,host=127.0.0.1"}),
            "-chardev socket,id=c,host=127.0.0.1: chardev: socket: no port given");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,host=x,port=1"}),
            "-chardev socket,id=c,path=/x,host=x,port=1: None or one of 'path', 'fd' or 'host' "
            "option required.");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,server=on,wait=off,reconnect=1"}),
            "-chardev socket,id=c,path=/x,server=on,wait=off,reconnect=1: 'reconnect' option is "
            "incompatible with socket in server listen mode");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,wait=off"}),
            "-chardev socket,id=c,path=/x,wait=off: 'wait' option is incompatible with socket in "
            "client connect mode");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,fd=3,reconnect=1"}),
            "-chardev socket,id=c,fd=3,reconnect=1: 'reconnect' option is incompatible with 'fd' "
            "address type");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,foo=bar"}),
            "-chardev socket,id=c,path=/x,foo=bar: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,server=on,wait=maybe"}),
            "-chardev socket,id=c,path=/x,server=on,wait=maybe: Parameter 'wait' expects 'on' or "
            "'off'");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,server=on,delay=off,nodelay=on"}),
            "-chardev socket,id=c,path=/x,server=on,delay=off,nodelay=on: 'delay' and 'nodelay' "
            "are mutually exclusive");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,server=on,reconnect=x"}),
            "-chardev socket,id=c,path=/x,server=on,reconnect=x: Parameter 'reconnect' expects a "
            "number");
  EXPECT_EQ(err_base({"-chardev", "socket,id=c,path=/x,server=on,tls-creds=x"}),
            "-chardev socket,id=c,path=/x,server=on,tls-creds=x: No TLS credentials with id 'x'");
  EXPECT_EQ(err_base({"-chardev", "socket,id=1c,path=/x"}),
            "-chardev socket,id=1c,path=/x: Parameter 'id' expects an identifier\n"
            "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
  EXPECT_EQ(err_base({"-chardev", "null,id=c", "-chardev", "null,id=c"}),
            "-chardev null,id=c: Duplicate ID 'c' for chardev");
  EXPECT_EQ(err_base({"-chardev", "foo,id=c"}),
            "-chardev foo,id=c: 'foo' is not a valid char driver name");
  EXPECT_EQ(err_base({"-chardev", "id=c"}), "-chardev id=c: chardev: \"c\" missing backend");
  EXPECT_EQ(err_base({"-chardev", "pipe,id=c,path=/tmp/f"}),
            "-chardev pipe,id=c,path=/tmp/f: chardev backend 'pipe' is not supported by migemu");
  EXPECT_EQ(err_base({"-chardev", "file,id=c"}),
            "-chardev file,id=c: chardev: file: no filename given");
  EXPECT_EQ(err_base({"-chardev", "stdio,id=a", "-chardev", "stdio,id=b"}),
            "-chardev stdio,id=b: cannot use stdio by multiple character devices");
  EXPECT_EQ(err_base({"-chardev", "stdio,id=x", "-daemonize"}),
            "-chardev stdio,id=x: cannot use stdio with -daemonize");
  // Harmless backends.
  Config c = ok_base({"-chardev", "null,id=n", "-chardev", "stdio,id=s", "-chardev", "pty,id=p",
                      "-chardev", "vc,id=v"});
  ASSERT_EQ(c.chardevs.size(), 4u);
  EXPECT_EQ(c.chardevs[2].backend, "pty");
  Config h = ok_base({"-chardev", "help"});
  EXPECT_EQ(h.action, Config::Action::PrintHelp);
  EXPECT_THAT(h.output_text, StartsWith("Available chardev backend types: \n  stdio\n"));
  // Errors of the earlier startup steps come before chardev errors.
  EXPECT_EQ(err({"-M", "foo", "-chardev", "help"}),
            "unsupported machine type\nUse -machine help to list supported machines");
}

TEST(Cmdline, MonErrors) {
  const std::string c = "socket,id=c,path=/tmp/m.sock,server=on,wait=off";
  EXPECT_EQ(err_base({"-chardev", c, "-mon", "chardev=c,mode=foo"}),
            "-mon chardev=c,mode=foo: Parameter 'mode' does not accept value 'foo'");
  EXPECT_EQ(err_base({"-chardev", c, "-mon", "chardev=d"}),
            "-mon chardev=d: chardev \"d\" not found");
  EXPECT_EQ(err_base({"-mon", "chardev=d,mode=foo"}),
            "-mon chardev=d,mode=foo: Parameter 'mode' does not accept value 'foo'");
  EXPECT_EQ(err_base({"-chardev", c, "-mon", "chardev=c,mode=readline,pretty=on"}),
            "-mon chardev=c,mode=readline,pretty=on: 'pretty' is not compatible with HMP monitors");
  EXPECT_EQ(
      err_base({"-chardev", c, "-mon", "chardev=c,id=m1,mode=control", "-mon", "chardev=c,id=m2"}),
      "-mon chardev=c,id=m2: Device 'c' is in use");
  EXPECT_EQ(err_base({"-chardev", c, "-mon", "mode=control"}),
            "-mon mode=control: Parameter 'chardev' is missing");
  EXPECT_EQ(err_base({"-chardev", c, "-mon", "chardev=c,id=m", "-mon", "chardev=c,id=m"}),
            "-mon chardev=c,id=m: Duplicate ID 'm' for mon");
  EXPECT_EQ(err_base({"-chardev", c, "-mon", "chardev=c,foo=1"}),
            "-mon chardev=c,foo=1: Invalid parameter 'foo'");
  EXPECT_EQ(err_base({"-mon", "help"}), "-mon help: chardev \"help\" not found");
  // -mon c: the implied key is chardev; HMP is the default mode.
  Config cfg = ok_base({"-chardev", c, "-mon", "c"});
  EXPECT_FALSE(cfg.monitors[0].control);
  // A mux chardev takes several frontends.
  cfg = ok_base({"-chardev", "socket,id=x,path=/x,server=on,wait=off,mux=on", "-mon",
                 "x,mode=control", "-mon", "x"});
  EXPECT_EQ(cfg.monitors.size(), 2u);
  EXPECT_TRUE(cfg.chardevs[0].mux);
}

TEST(Cmdline, LegacyQmpAndMonitor) {
  Config c =
      ok_base({"-qmp", "unix:/tmp/q.sock,server=on,wait=off", "-monitor",
               "tcp:127.0.0.1:4445,server=on,wait=off", "-qmp-pretty", "tcp::4446,server,nowait"});
  ASSERT_EQ(c.chardevs.size(), 3u);
  EXPECT_EQ(c.chardevs[0].id, "compat_monitor0");
  EXPECT_EQ(c.chardevs[0].path, "/tmp/q.sock");
  EXPECT_TRUE(c.chardevs[0].server);
  EXPECT_FALSE(c.chardevs[0].wait);
  EXPECT_EQ(c.chardevs[1].id, "compat_monitor1");
  EXPECT_EQ(c.chardevs[1].host, "127.0.0.1");
  EXPECT_EQ(c.chardevs[1].port, "4445");
  EXPECT_EQ(c.chardevs[2].host, "");
  EXPECT_EQ(c.chardevs[2].port, "4446");
  EXPECT_FALSE(c.chardevs[2].wait);
  EXPECT_THAT(c.messages, IsEmpty());  // no short-form warnings in this syntax
  ASSERT_EQ(c.monitors.size(), 3u);
  EXPECT_EQ(c.monitors[0].id, "compat_monitor0");
  EXPECT_TRUE(c.monitors[0].control);
  EXPECT_FALSE(c.monitors[0].pretty);
  EXPECT_FALSE(c.monitors[1].control);
  EXPECT_TRUE(c.monitors[2].pretty);

  c = ok_base({"-qmp", "telnet:localhost:4447,server=on,wait=off"});
  EXPECT_TRUE(c.chardevs[0].telnet);
  c = ok_base({"-qmp", "stdio"});
  EXPECT_EQ(c.chardevs[0].backend, "stdio");
  c = ok_base({"-qmp", "mon:stdio"});
  EXPECT_TRUE(c.chardevs[0].mux);
  EXPECT_FALSE(c.chardevs[0].signal);
  c = ok_base({"-qmp", "unix:/tmp/q.sock,server=on,wait=off,path=/tmp/z.sock"});
  EXPECT_EQ(c.chardevs[0].path, "/tmp/z.sock");
  c = ok_base({"-qmp", "unix:/tmp/q.sock,server=on,wait=off,id=x"});
  EXPECT_EQ(c.chardevs[0].id, "compat_monitor0");
  c = ok_base({"-chardev", "socket,id=c,path=/x,server=on,wait=off", "-qmp", "chardev:c"});
  EXPECT_EQ(c.monitors[0].chardev, "c");
  EXPECT_EQ(c.monitors[0].id, "c");
  EXPECT_TRUE(ok_base({"-monitor", "none"}).monitors.empty());
  EXPECT_EQ(ok_base({"-monitor", "null"}).chardevs[0].backend, "null");
  EXPECT_EQ(ok_base({"-monitor", "vc"}).chardevs[0].backend, "vc");

  ParseDiagnostics d;
  Result<Config> r = parse_command_line(base({"-qmp", "unix:/tmp/q.sock,foo=bar"}), &d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().desc, "-qmp unix:/tmp/q.sock,foo=bar: parse error: unix:/tmp/q.sock,foo=bar");
  EXPECT_THAT(shown(d.messages),
              ElementsAre("P: -qmp unix:/tmp/q.sock,foo=bar: Invalid parameter 'foo'"));
  EXPECT_EQ(err_base({"-qmp", "tcp:4446"}), "-qmp tcp:4446: parse error: tcp:4446");
  EXPECT_EQ(err_base({"-qmp", "tcp:localhost:"}),
            "-qmp tcp:localhost:: parse error: tcp:localhost:");
  d = {};
  r = parse_command_line(base({"-qmp", "foo"}), &d);
  EXPECT_EQ(r.error().desc, "-qmp foo: parse error: foo");
  EXPECT_THAT(shown(d.messages), ElementsAre("P: -qmp foo: 'foo' is not a valid char driver"));
  EXPECT_EQ(err_base({"-qmp", "none"}), "-qmp none: parse error: none");
  EXPECT_EQ(err_base({"-qmp", "unix:"}), "-qmp unix:: Unable to parse FD number ");
  EXPECT_EQ(err_base({"-qmp", "chardev:zz"}), "-qmp chardev:zz: chardev \"zz\" not found");
  EXPECT_EQ(err_base({"-monitor", "stdio", "-qmp", "stdio"}),
            "-qmp stdio: cannot use stdio by multiple character devices");
  EXPECT_EQ(err_base({"-qmp", "stdio", "-daemonize"}),
            "-qmp stdio: cannot use stdio with -daemonize");
  d = {};
  r = parse_command_line(base({"-chardev", "null,id=compat_monitor0", "-qmp", "null"}), &d);
  EXPECT_EQ(r.error().desc, "-qmp null: parse error: null");
  EXPECT_THAT(shown(d.messages),
              ElementsAre("P: -qmp null: Duplicate ID 'compat_monitor0' for chardev"));
}

TEST(Cmdline, DefaultMonitor) {
  // -M none has no serial port: the default monitor alone.
  Config c = ok({"-M", "none", "-display", "none"});
  ASSERT_EQ(c.chardevs.size(), 1u);
  EXPECT_EQ(c.chardevs[0].id, "compat_monitor0");
  EXPECT_EQ(c.chardevs[0].backend, "vc");
  ASSERT_EQ(c.monitors.size(), 1u);
  EXPECT_FALSE(c.monitors[0].control);
  c = ok({"-M", "none", "-nographic"});
  EXPECT_EQ(c.chardevs[0].backend, "stdio");
  EXPECT_EQ(c.chardevs[0].id, "compat_monitor0");
  EXPECT_EQ(c.display, "none");
  // A pc machine shares stdio between serial0 and the monitor.
  c = ok({"-M", "pc", "-nographic"});
  ASSERT_EQ(c.chardevs.size(), 2u);
  EXPECT_EQ(c.chardevs[0].id, "serial0");
  EXPECT_EQ(c.chardevs[0].backend, "stdio");
  EXPECT_TRUE(c.chardevs[0].mux);
  EXPECT_EQ(c.chardevs[1].id, "parallel0");
  EXPECT_EQ(c.chardevs[1].backend, "null");
  ASSERT_EQ(c.monitors.size(), 1u);
  EXPECT_EQ(c.monitors[0].chardev, "serial0");
  c = ok({"-M", "pc", "-display", "none"});
  ASSERT_EQ(c.chardevs.size(), 3u);
  EXPECT_EQ(c.chardevs[0].id, "compat_monitor0");
  EXPECT_EQ(c.chardevs[1].id, "serial0");
  EXPECT_EQ(c.chardevs[2].id, "parallel0");
  // Any monitor option turns the default monitor off.
  c = ok({"-M", "none", "-display", "none", "-qmp", "unix:/tmp/x,server=on,wait=off"});
  EXPECT_EQ(c.monitors.size(), 1u);
  EXPECT_TRUE(c.monitors[0].control);
  EXPECT_TRUE(ok({"-M", "none", "-display", "none", "-monitor", "none"}).chardevs.empty());
  EXPECT_TRUE(ok({"-M", "none", "-nodefaults"}).monitors.empty());
  EXPECT_EQ(err({"-M", "none", "-nographic", "-daemonize"}),
            "-nographic cannot be used with -daemonize");
  EXPECT_TRUE(ok({"-M", "none", "-nographic", "-daemonize", "-nodefaults"}).daemonize);
}

// ---------------------------------------------------------------------------
// -object.

TEST(Cmdline, ObjectKeyValue) {
  Config c = ok_base({"-object",
                      "memory-backend-ram,id=m,size=1G,share=on,prealloc=on,dump=off,merge=off,"
                      "host-nodes=0-1,host-nodes=3,policy=bind,prealloc-threads=2"});
  ASSERT_EQ(c.objects.size(), 1u);
  const ObjectConfig& o = c.objects[0];
  EXPECT_EQ(o.qom_type, "memory-backend-ram");
  EXPECT_EQ(o.id, "m");
  EXPECT_EQ(o.size, kGiB);
  EXPECT_TRUE(o.share);
  EXPECT_TRUE(o.prealloc);
  EXPECT_FALSE(o.dump);
  EXPECT_FALSE(o.merge);
  EXPECT_TRUE(o.reserve);
  EXPECT_THAT(o.host_nodes, ElementsAre(0, 1, 3));
  EXPECT_EQ(o.policy, "bind");
  EXPECT_EQ(o.prealloc_threads, 2u);
  EXPECT_FALSE(o.from_json);

  c = ok_base({"-object",
               "memory-backend-file,id=f,size=1.5G,mem-path=/dev/shm/x,share=on,"
               "align=2M,discard-data=on,readonly=off",
               "-object", "memory-backend-memfd,id=d,size=64M,seal=off", "-object",
               "qom-type=memory-backend-ram,id=r,size=0x100000"});
  EXPECT_EQ(c.objects[0].mem_path, "/dev/shm/x");
  EXPECT_EQ(c.objects[0].size, kGiB + kGiB / 2);
  EXPECT_EQ(c.objects[0].align, 2 * kMiB);
  EXPECT_TRUE(c.objects[0].discard_data);
  EXPECT_FALSE(c.objects[1].seal);
  EXPECT_EQ(c.objects[2].size, kMiB);

  c = ok_base({"-object", "memory-backend-ram,id=m,size=1M,share"});
  EXPECT_TRUE(c.objects[0].share);
  EXPECT_THAT(shown(c.messages),
              ElementsAre("P: -object memory-backend-ram,id=m,size=1M,share: warning: short-form "
                          "boolean option 'share' deprecated",
                          "Please use share=on instead"));
  EXPECT_EQ(ok_base({"-object", "memory-backend-ram,id=m,size=1M,id=n"}).objects[0].id, "m");
  EXPECT_EQ(ok_base({"-object", "memory-backend-ram,id=m,size=1M,size=2M"}).objects[0].size,
            2 * kMiB);
}

TEST(Cmdline, ObjectKeyValueErrors) {
  auto e = [](const std::string& o) { return err_base({"-object", o}); };
  auto at = [](const std::string& o, const std::string& m) { return "-object " + o + ": " + m; };
  std::string o;
  o = "memory-backend-ram,id=m";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' is missing"));
  o = "memory-backend-ram,size=1G";
  EXPECT_EQ(e(o), at(o, "Parameter 'id' is missing"));
  o = "memory-backend-ram,id=m,size=abc";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' expects a size value"));
  o = "memory-backend-ram,id=m,size=-1";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' expects a size value"));
  o = "memory-backend-ram,id=m,size=1G,foo=bar";
  EXPECT_EQ(e(o), at(o, "Invalid parameter 'foo'"));
  o = "memory-backend-ram,id=m,size=1G,share=maybe";
  EXPECT_EQ(e(o), at(o, "Parameter 'share' expects 'on' or 'off'"));
  o = "memory-backend-ram,id=m,size=1G,policy=foo";
  EXPECT_EQ(e(o), at(o, "Parameter 'policy' does not accept value 'foo'"));
  o = "memory-backend-ram,id=m,size=1M,prealloc-threads=x";
  EXPECT_EQ(e(o), at(o, "Parameter 'prealloc-threads' expects a uint64 value"));
  o = "memory-backend-ram,id=m,size=1M,host-nodes=x";
  EXPECT_EQ(e(o), at(o, "Parameter 'host-nodes' expects a uint64 value or range"));
  o = "memory-backend-ram,id=1m,size=1G";
  EXPECT_EQ(e(o), at(o,
                     "Parameter 'id' expects an identifier\n"
                     "Identifiers consist of letters, digits, '-', '.', '_', starting with a "
                     "letter."));
  o = "foo,id=1x";  // the id is checked before the type
  EXPECT_THAT(e(o), StartsWith(at(o, "Parameter 'id' expects an identifier")));
  o = "memory-backend-file,id=m,size=1G";
  EXPECT_EQ(e(o), at(o, "Parameter 'mem-path' is missing"));
  o = "foo,id=x";
  EXPECT_EQ(e(o), at(o, "Parameter 'qom-type' does not accept value 'foo'"));
  o = "id=x";
  EXPECT_EQ(e(o), at(o, "Parameter 'qom-type' is missing"));
  o = "memory-backend-ram,,id=m";
  EXPECT_EQ(e(o), at(o, "Parameter 'qom-type' does not accept value 'memory-backend-ram,id=m'"));
  o = "iothread,id=io0";
  EXPECT_EQ(e(o), at(o, "object type 'iothread' is not supported by migemu"));
  EXPECT_EQ(err_base({"-object", "memory-backend-ram,id=m,size=1M", "-object",
                      "memory-backend-ram,id=m,size=1M"}),
            "-object memory-backend-ram,id=m,size=1M: Duplicate ID 'm' for object");
  // Found when the object is created.
  EXPECT_EQ(e("memory-backend-ram,id=m,size=0"),
            "property 'size' of memory-backend-ram doesn't take value '0'");
  EXPECT_EQ(e("memory-backend-ram,id=m,size=1G,prealloc=on,reserve=off"),
            "'prealloc=on' and 'reserve=off' are incompatible");
  EXPECT_EQ(e("memory-backend-ram,id=m,size=1M,policy=bind"),
            "host-nodes must be set for policy bind");
  EXPECT_EQ(e("memory-backend-ram,id=m,size=1M,host-nodes=0"),
            "host-nodes must be empty for policy default, or you should explicitly specify a "
            "policy other than default");
  EXPECT_EQ(e("memory-backend-ram,id=m,size=1M,host-nodes=200,policy=bind"),
            "Invalid host-nodes value: 200");
  // Help.
  Config h = ok_base({"-object", "help"});
  EXPECT_THAT(h.output_text, StartsWith("List of user creatable objects:\n"));
  h = ok_base({"-object", "memory-backend-ram,help"});
  EXPECT_THAT(h.output_text, StartsWith("memory-backend-ram options:\n  dump=<bool>\n"));
}

TEST(Cmdline, ObjectJson) {
  Config c =
      ok_base({"-object", R"({"qom-type":"memory-backend-ram","id":"x","size":1073741824})"});
  ASSERT_EQ(c.objects.size(), 1u);
  EXPECT_EQ(c.objects[0].size, kGiB);
  EXPECT_TRUE(c.objects[0].from_json);
  c = ok_base({"-object",
               R"({"qom-type":"memory-backend-file","id":"m","size":1048576,"mem-path":"/tmp/mf",)"
               R"("align":4096,"discard-data":true,"readonly":false,"share":true,"dump":false,)"
               R"("host-nodes":[0],"policy":"bind"})"});
  EXPECT_TRUE(c.objects[0].share);
  EXPECT_FALSE(c.objects[0].dump);
  EXPECT_EQ(c.objects[0].align, 4096u);
  EXPECT_THAT(c.objects[0].host_nodes, ElementsAre(0));
  // Single quotes are QEMU's JSON extension.
  EXPECT_EQ(ok_base({"-object", "{'qom-type':'memory-backend-ram','id':'m','size':1048576}"})
                .objects[0]
                .id,
            "m");

  auto e = [](const std::string& o) { return err_base({"-object", o}); };
  auto at = [](const std::string& o, const std::string& m) { return "-object " + o + ": " + m; };
  std::string o;
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":"1G"})";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' expects uint64"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":1.5})";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' expects uint64"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":18446744073709551616})";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' expects uint64"));
  o = R"({"qom-type":"memory-backend-ram","id":"m"})";
  EXPECT_EQ(e(o), at(o, "Parameter 'size' is missing"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":1,"foo":1})";
  EXPECT_EQ(e(o), at(o, "Parameter 'foo' is unexpected"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":1048576,"share":"on"})";
  EXPECT_EQ(e(o), at(o, "Invalid parameter type for 'share', expected: boolean"));
  o = R"({"qom-type":"memory-backend-ram","size":1048576})";
  EXPECT_EQ(e(o), at(o, "Parameter 'id' is missing"));
  o = R"({"qom-type":"memory-backend-ram","id":1,"size":1048576})";
  EXPECT_EQ(e(o), at(o, "Invalid parameter type for 'id', expected: string"));
  o = R"({"qom-type":"foo","id":"m"})";
  EXPECT_EQ(e(o), at(o, "Parameter 'qom-type' does not accept value 'foo'"));
  o = R"({"qom-type":1})";
  EXPECT_EQ(e(o), at(o, "Invalid parameter type for 'qom-type', expected: string"));
  o = "{}";
  EXPECT_EQ(e(o), at(o, "Parameter 'qom-type' is missing"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":1048576,"host-nodes":0})";
  EXPECT_EQ(e(o), at(o, "Invalid parameter type for 'host-nodes', expected: array"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":1048576,"host-nodes":[70000]})";
  EXPECT_EQ(e(o), at(o, "Parameter 'null' expects uint16_t"));
  o = "{";
  EXPECT_EQ(e(o), at(o, "JSON parse error, premature EOI"));
  o = "{bad json";
  EXPECT_EQ(e(o), at(o, "JSON parse error, invalid keyword 'bad'"));
  o = R"({"qom-type":"memory-backend-ram","id":"m","size":1048576} x)";
  EXPECT_EQ(e(o), at(o, "Expecting at most one JSON value"));
  // Creation-time checks; a JSON id is only checked then.
  EXPECT_EQ(e(R"({"qom-type":"memory-backend-ram","id":"1m","size":1048576})"),
            "Parameter 'id' expects an identifier\n"
            "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
  EXPECT_EQ(e(R"({"qom-type":"memory-backend-ram","id":"m","size":1048576,"prealloc-threads":0})"),
            "property 'prealloc-threads' of memory-backend-ram doesn't take value '0'");
  EXPECT_EQ(e(R"({"qom-type":"memory-backend-memfd","id":"m","size":1048576,"hugetlbsize":0})"),
            "Property 'memory-backend-memfd.hugetlbsize' doesn't take value '0'");
  const std::string j = R"({"qom-type":"memory-backend-ram","id":"m","size":1048576})";
  EXPECT_EQ(err_base({"-object", j, "-object", j}),
            "attempt to add duplicate property 'm' to object (type 'container')");
  EXPECT_EQ(err_base({"-object", j, "-object", "memory-backend-ram,id=m,size=1M"}),
            "attempt to add duplicate property 'm' to object (type 'container')");
}

TEST(Cmdline, ObjectSecret) {
  char path[] = "/tmp/cmdline_test_secretXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "0123456789abcdef", 16), 16);
  close(fd);
  Config c = ok_base(
      {"-object", std::string(R"({"qom-type":"secret","id":"masterKey0","format":"raw","file":")") +
                      path + "\"}"});
  EXPECT_EQ(c.objects[0].qom_type, "secret");
  EXPECT_EQ(c.objects[0].secret_data, "0123456789abcdef");
  unlink(path);
  EXPECT_EQ(ok_base({"-object", "secret,id=s,data=abc"}).objects[0].secret_data, "abc");
  EXPECT_EQ(err_base({"-object", R"({"qom-type":"secret","id":"s","data":"x","file":"/tmp"})"}),
            "'file' and 'data' are mutually exclusive");
  EXPECT_EQ(err_base({"-object", R"({"qom-type":"secret","id":"s"})"}),
            "Either 'file' or 'data' must be provided");
  EXPECT_EQ(err_base({"-object", "secret,id=s,format=raw,file=/nonexistent"}),
            "Unable to read /nonexistent: Failed to open file \u201c/nonexistent\u201d: No such "
            "file or directory");
  EXPECT_EQ(err_base({"-object", R"({"qom-type":"secret","id":"s","data":"x","format":"foo"})"}),
            R"(-object {"qom-type":"secret","id":"s","data":"x","format":"foo"}: Parameter )"
            "'format' does not accept value 'foo'");
}

TEST(Cmdline, MemoryBackendAndMachine) {
  Config c = ok_base({"-M", "none,memory-backend=m", "-object", "memory-backend-ram,id=m,size=1M"});
  EXPECT_EQ(c.machine.memory_backend, "m");
  EXPECT_EQ(c.ram_size, kMiB);  // taken from the backend
  c = ok_base(
      {"-M", "none,memory-backend=m", "-object", "memory-backend-ram,id=m,size=2M", "-m", "2"});
  EXPECT_EQ(c.ram_size, 2 * kMiB);
  EXPECT_EQ(err_base({"-M", "none,memory-backend=m", "-object", "memory-backend-ram,id=m,size=1M",
                      "-m", "2M"}),
            "Machine memory size does not match the size of the memory backend");
  EXPECT_EQ(err({"-M", "pc,memory-backend=m", "-nodefaults", "-object",
                 "memory-backend-ram,id=m,size=128M", "-m", "256"}),
            "Machine memory size does not match the size of the memory backend");
  EXPECT_EQ(err_base({"-M", "none,memory-backend=x"}), "Memory backend 'x' not found");
  EXPECT_EQ(err_base({"-M", "none,memory-backend=s", "-object", "secret,id=s,data=x"}),
            "Memory backend 's' not found");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-object", "memory-backend-ram,id=pc.ram,size=128M"}),
            "object name 'pc.ram' is reserved for the default RAM backend, it can't be used for "
            "any other purposes. Change the object's 'id' to something else");
  // Later machines settings win.
  c = ok_base({"-M", "none,memory-backend=m", "-object", "memory-backend-ram,id=m,size=1M",
               "-object", "memory-backend-ram,id=n,size=1M", "-M", "none,memory-backend=n", "-m",
               "1M"});
  EXPECT_EQ(c.machine.memory_backend, "n");
}

TEST(Cmdline, DevicesAndAudiodev) {
  Config c = ok({"-M", "pc", "-nodefaults", "-chardev", "pty,id=charserial0", "-device",
                 R"({"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0})",
                 "-audiodev", R"({"id":"audio1","driver":"none"})"});
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].driver, "isa-serial");
  EXPECT_EQ(c.devices[0].id, "serial0");
  EXPECT_EQ(c.devices[0].props["chardev"], "charserial0");
  EXPECT_EQ(c.devices[0].props["index"], "0");
  ASSERT_EQ(c.audiodevs.size(), 1u);
  EXPECT_EQ(c.audiodevs[0].id, "audio1");
  EXPECT_EQ(ok_base({"-audiodev", "none,id=a"}).audiodevs[0].driver, "none");
  EXPECT_EQ(err_base({"-audiodev", "none"}), "-audiodev none: Parameter 'id' is missing");
  EXPECT_EQ(err_base({"-audiodev", "foo,id=a"}),
            "-audiodev foo,id=a: Parameter 'driver' does not accept value 'foo'");
  EXPECT_EQ(err_base({"-audiodev", "pa,id=a"}),
            "-audiodev pa,id=a: audio driver 'pa' is not supported by migemu");
  EXPECT_EQ(err_base({"-device", "isa-serial,chardev=x"}),
            "-device isa-serial,chardev=x: No 'ISA' bus found for device 'isa-serial'");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-device", "isa-serial,chardev=x"}),
            "-device isa-serial,chardev=x: Property 'serial.chardev' can't find value 'x'");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-chardev", "null,id=x", "-mon", "x", "-device",
                 "isa-serial,chardev=x"}),
            "-device isa-serial,chardev=x: Property 'serial.chardev' can't take value 'x': Device "
            "'x' is in use");
  EXPECT_EQ(err({"-M", "pc", "-nodefaults", "-device", "isa-serial,foo=1"}),
            "-device isa-serial,foo=1: Property 'isa-serial.foo' not found");
  EXPECT_EQ(ok({"-M", "pc", "-nodefaults", "-device", "isa-serial"}).devices.size(), 1u);
}

// ---------------------------------------------------------------------------
// libvirt 9.0's command lines (shared/reference/libvirt/REPORT.md).

TEST(Cmdline, LibvirtProbe) {
  ParseDiagnostics d;
  Result<Config> r = parse_command_line(
      split_args("-S -no-user-config -nodefaults -nographic -machine none,accel=kvm:tcg "
                 "-qmp unix:/var/lib/libvirt/qemu/qmp-XXXXXX/qmp.monitor,server=on,wait=off "
                 "-pidfile /var/lib/libvirt/qemu/qmp-XXXXXX/qmp.pid -daemonize"),
      &d);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  const Config& c = *r;
  EXPECT_EQ(c.action, Config::Action::Run);
  EXPECT_TRUE(c.start_paused);
  EXPECT_TRUE(c.no_user_config);
  EXPECT_TRUE(c.nodefaults);
  EXPECT_TRUE(c.nographic);
  EXPECT_TRUE(c.daemonize);
  EXPECT_EQ(c.pidfile, "/var/lib/libvirt/qemu/qmp-XXXXXX/qmp.pid");
  EXPECT_EQ(c.machine.type, "none");
  EXPECT_EQ(c.accel, "tcg");
  EXPECT_EQ(c.ram_size, 0u);
  ASSERT_EQ(c.chardevs.size(), 1u);
  EXPECT_EQ(c.chardevs[0].id, "compat_monitor0");
  EXPECT_EQ(c.chardevs[0].backend, "socket");
  EXPECT_EQ(c.chardevs[0].path, "/var/lib/libvirt/qemu/qmp-XXXXXX/qmp.monitor");
  EXPECT_TRUE(c.chardevs[0].server);
  EXPECT_FALSE(c.chardevs[0].wait);
  ASSERT_EQ(c.monitors.size(), 1u);
  EXPECT_EQ(c.monitors[0].chardev, "compat_monitor0");
  EXPECT_TRUE(c.monitors[0].control);
  EXPECT_FALSE(c.monitors[0].pretty);
  EXPECT_THAT(shown(c.messages),
              ElementsAre("Could not access KVM kernel module: No such file or directory",
                          "P: failed to initialize kvm: No such file or directory",
                          "P: falling back to tcg"));
}

std::string libvirt_domain_line(const std::string& secret_file) {
  return "-name guest=lvtest,debug-threads=on -S "
         "-object {\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"" +
         secret_file +
         "\"} "
         "-machine pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram -accel tcg "
         "-cpu qemu64 -m 128 "
         "-object {\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":134217728} "
         "-overcommit mem-lock=off -smp 1,sockets=1,cores=1,threads=1 "
         "-uuid a99953a8-cd4a-423e-8f8e-ef6315029b96 -display none -no-user-config -nodefaults "
         "-chardev socket,id=charmonitor,fd=27,server=on,wait=off "
         "-mon chardev=charmonitor,id=monitor,mode=control -rtc base=utc -no-shutdown "
         "-boot strict=on -chardev pty,id=charserial0 "
         "-device {\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\","
         "\"index\":0} "
         "-audiodev {\"id\":\"audio1\",\"driver\":\"none\"} "
         "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny "
         "-msg timestamp=on";
}

TEST(Cmdline, LibvirtDomainStart) {
  char path[] = "/tmp/cmdline_test_masterkeyXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "k", 1), 1);
  close(fd);
  Result<Config> r = parse_command_line(split_args(libvirt_domain_line(path)));
  ASSERT_TRUE(r.ok()) << r.error().desc;
  const Config& c = *r;
  EXPECT_EQ(c.name, "lvtest");
  EXPECT_TRUE(c.debug_threads);
  EXPECT_TRUE(c.start_paused);
  EXPECT_EQ(c.machine.type, "pc-i440fx-7.2");
  EXPECT_FALSE(c.machine.usb);
  EXPECT_FALSE(c.machine.dump_guest_core);
  EXPECT_EQ(c.machine.memory_backend, "pc.ram");
  EXPECT_THAT(c.accels, ElementsAre("tcg"));
  EXPECT_EQ(c.accel, "tcg");
  EXPECT_EQ(c.cpu_model, "qemu64");
  EXPECT_EQ(c.ram_size, 128 * kMiB);
  EXPECT_TRUE(c.ram_size_set);
  ASSERT_EQ(c.objects.size(), 2u);
  EXPECT_EQ(c.objects[0].qom_type, "secret");
  EXPECT_EQ(c.objects[0].id, "masterKey0");
  EXPECT_EQ(c.objects[0].secret_data, "k");
  EXPECT_EQ(c.objects[1].qom_type, "memory-backend-ram");
  EXPECT_EQ(c.objects[1].id, "pc.ram");
  EXPECT_EQ(c.objects[1].size, 128 * kMiB);
  EXPECT_FALSE(c.mem_lock);
  EXPECT_EQ(c.smp_cpus, 1u);
  EXPECT_EQ(c.smp_sockets, 1u);
  EXPECT_EQ(c.uuid, "a99953a8-cd4a-423e-8f8e-ef6315029b96");
  EXPECT_EQ(c.display, "none");
  EXPECT_TRUE(c.no_user_config);
  EXPECT_TRUE(c.nodefaults);
  ASSERT_EQ(c.chardevs.size(), 2u);
  EXPECT_EQ(c.chardevs[0].id, "charmonitor");
  EXPECT_EQ(c.chardevs[0].fd, 27);
  EXPECT_TRUE(c.chardevs[0].server);
  EXPECT_FALSE(c.chardevs[0].wait);
  EXPECT_EQ(c.chardevs[1].id, "charserial0");
  EXPECT_EQ(c.chardevs[1].backend, "pty");
  ASSERT_EQ(c.monitors.size(), 1u);
  EXPECT_EQ(c.monitors[0].id, "monitor");
  EXPECT_EQ(c.monitors[0].chardev, "charmonitor");
  EXPECT_TRUE(c.monitors[0].control);
  EXPECT_EQ(c.rtc_base, "utc");
  EXPECT_TRUE(c.no_shutdown);
  EXPECT_EQ(c.boot.at("strict"), "on");
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].props.at("chardev"), "charserial0");
  ASSERT_EQ(c.audiodevs.size(), 1u);
  EXPECT_TRUE(c.sandbox_enabled);
  EXPECT_TRUE(c.msg_timestamp);
  EXPECT_FALSE(c.incoming.has_value());
  EXPECT_THAT(c.messages, IsEmpty());

  // The incoming side: the same plus -incoming defer and a richer -cpu.
  std::string line = libvirt_domain_line(path);
  line.replace(line.find("-cpu qemu64"), 11, "-cpu qemu64,hypervisor=on,lahf-lm=on");
  Result<Config> in = parse_command_line(split_args(line + " -incoming defer"));
  ASSERT_TRUE(in.ok()) << in.error().desc;
  EXPECT_EQ(in->incoming, "defer");
  EXPECT_THAT(in->cpu_features, ElementsAre("hypervisor=on", "lahf-lm=on"));
  unlink(path);
}

}  // namespace
}  // namespace migemu
