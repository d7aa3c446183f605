// The qemu-system-x86_64 7.2 command line, as migemu understands it.
//
// The parse follows the order in which QEMU looks at things, because that
// order decides which error a user sees first:
//   1. every argument is looked up in the option table ("invalid option",
//      "requires an argument"), before anything else is checked;
//   2. the options are handled left to right; each one's syntax is checked
//      on the spot (QemuOpts / keyval parsing, -uuid, JSON -object, ...),
//      and -help/-version/-machine help end the parse where they stand;
//   3. then the startup checks run in QEMU's order: names and sandbox, -rtc,
//      machine selection, default devices, objects, chardevs, machine
//      properties, accelerators, monitors, -cpu, the RAM backend, board
//      creation, devices, -incoming.
// Options QEMU has but migemu cannot honour are refused in step 2 with a
// message that says so; they are never ignored.

#include "system/cmdline.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "build-config.h"
#include "qapi/json_parser.h"
#include "qapi/json_writer.h"
#include "system/cpu_models.h"
#include "system/device_options.h"
#include "system/machine_types.h"
#include "system/pci_board.h"
#include "system/qemu_opts.h"

namespace migemu {

namespace {

using qopts::OptDesc;
using qopts::Opts;
using qopts::OptsList;
using qopts::OptsStore;
using qopts::OptType;
using qopts::ParseStatus;
using qopts::Warning;

// ---------------------------------------------------------------------------
// The option table: every option qemu-system-x86_64 7.2 knows (so that
// unknown ones get QEMU's "invalid option") and what migemu does with it.

enum class OptId {
  kXWorkload,
  kHelp,
  kVersion,
  kMachine,
  kCpu,
  kAccel,
  kSmp,
  kGlobal,
  kBoot,
  kMemory,
  kAudiodev,
  kDevice,
  kName,
  kUuid,
  kUsb,
  kDisplay,
  kNographic,
  kVga,
  kNoAcpi,
  kNoHpet,
  kNet,
  kChardev,
  kSerial,
  kParallel,
  kMonitor,
  kQmp,
  kQmpPretty,
  kMon,
  kPidfile,
  kStartPaused,
  kOvercommit,
  kEnableKvm,
  kNoReboot,
  kNoShutdown,
  kAction,
  kDaemonize,
  kRtc,
  kIncoming,
  kOnlyMigratable,
  kNodefaults,
  kSandbox,
  kNoUserConfig,
  kMsg,
  kObject,
  kNotForTarget,  // QEMU: "Option not supported for this target"
  kUnsupported,   // a QEMU option migemu refuses
};

struct OptionDef {
  std::string_view name;
  bool has_arg;
  OptId id;
};

// In QEMU's table order ("h" first, then qemu-options.hx).
constexpr OptionDef kOptions[] = {
    {"h", false, OptId::kHelp},
    {"help", false, OptId::kHelp},
    {"version", false, OptId::kVersion},
    {"machine", true, OptId::kMachine},
    {"M", true, OptId::kMachine},
    {"cpu", true, OptId::kCpu},
    {"accel", true, OptId::kAccel},
    {"smp", true, OptId::kSmp},
    {"numa", true, OptId::kUnsupported},
    {"add-fd", true, OptId::kUnsupported},
    {"set", true, OptId::kUnsupported},
    {"global", true, OptId::kGlobal},
    {"boot", true, OptId::kBoot},
    {"m", true, OptId::kMemory},
    {"mem-path", true, OptId::kUnsupported},
    {"mem-prealloc", false, OptId::kUnsupported},
    {"k", true, OptId::kUnsupported},
    {"audio-help", false, OptId::kUnsupported},
    {"audio", true, OptId::kUnsupported},
    {"audiodev", true, OptId::kAudiodev},
    {"device", true, OptId::kDevice},
    {"name", true, OptId::kName},
    {"uuid", true, OptId::kUuid},
    {"fda", true, OptId::kUnsupported},
    {"fdb", true, OptId::kUnsupported},
    {"hda", true, OptId::kUnsupported},
    {"hdb", true, OptId::kUnsupported},
    {"hdc", true, OptId::kUnsupported},
    {"hdd", true, OptId::kUnsupported},
    {"cdrom", true, OptId::kUnsupported},
    {"blockdev", true, OptId::kUnsupported},
    {"drive", true, OptId::kUnsupported},
    {"mtdblock", true, OptId::kUnsupported},
    {"sd", true, OptId::kUnsupported},
    {"snapshot", false, OptId::kUnsupported},
    {"fsdev", true, OptId::kUnsupported},
    {"virtfs", true, OptId::kUnsupported},
    {"iscsi", true, OptId::kUnsupported},
    {"usb", false, OptId::kUsb},
    {"usbdevice", true, OptId::kUnsupported},
    {"display", true, OptId::kDisplay},
    {"nographic", false, OptId::kNographic},
    {"spice", true, OptId::kUnsupported},
    {"portrait", false, OptId::kUnsupported},
    {"rotate", true, OptId::kUnsupported},
    {"vga", true, OptId::kVga},
    {"full-screen", false, OptId::kUnsupported},
    {"g", true, OptId::kNotForTarget},
    {"vnc", true, OptId::kUnsupported},
    {"win2k-hack", false, OptId::kUnsupported},
    {"no-fd-bootchk", false, OptId::kUnsupported},
    {"no-acpi", false, OptId::kNoAcpi},
    {"no-hpet", false, OptId::kNoHpet},
    {"acpitable", true, OptId::kUnsupported},
    {"smbios", true, OptId::kUnsupported},
    {"netdev", true, OptId::kUnsupported},
    {"nic", true, OptId::kUnsupported},
    {"net", true, OptId::kNet},
    {"chardev", true, OptId::kChardev},
    {"tpmdev", true, OptId::kUnsupported},
    {"bios", true, OptId::kUnsupported},
    {"pflash", true, OptId::kUnsupported},
    {"kernel", true, OptId::kUnsupported},
    {"append", true, OptId::kUnsupported},
    {"initrd", true, OptId::kUnsupported},
    {"dtb", true, OptId::kUnsupported},
    {"compat", true, OptId::kUnsupported},
    {"fw_cfg", true, OptId::kUnsupported},
    {"serial", true, OptId::kSerial},
    {"parallel", true, OptId::kParallel},
    {"monitor", true, OptId::kMonitor},
    {"qmp", true, OptId::kQmp},
    {"qmp-pretty", true, OptId::kQmpPretty},
    {"mon", true, OptId::kMon},
    {"debugcon", true, OptId::kUnsupported},
    {"pidfile", true, OptId::kPidfile},
    {"singlestep", false, OptId::kUnsupported},
    {"preconfig", false, OptId::kUnsupported},
    {"S", false, OptId::kStartPaused},
    {"overcommit", true, OptId::kOvercommit},
    {"gdb", true, OptId::kUnsupported},
    {"s", false, OptId::kUnsupported},
    {"d", true, OptId::kUnsupported},
    {"D", true, OptId::kUnsupported},
    {"dfilter", true, OptId::kUnsupported},
    {"seed", true, OptId::kUnsupported},
    {"L", true, OptId::kUnsupported},
    {"enable-kvm", false, OptId::kEnableKvm},
    {"xen-domid", true, OptId::kNotForTarget},
    {"xen-attach", false, OptId::kNotForTarget},
    {"xen-domid-restrict", false, OptId::kNotForTarget},
    {"no-reboot", false, OptId::kNoReboot},
    {"no-shutdown", false, OptId::kNoShutdown},
    {"action", true, OptId::kAction},
    {"loadvm", true, OptId::kUnsupported},
    {"daemonize", false, OptId::kDaemonize},
    {"option-rom", true, OptId::kUnsupported},
    {"rtc", true, OptId::kRtc},
    {"icount", true, OptId::kUnsupported},
    {"watchdog-action", true, OptId::kUnsupported},
    {"echr", true, OptId::kUnsupported},
    {"incoming", true, OptId::kIncoming},
    // migemu's own: the guest workload (system/workload.h).
    {"x-workload", true, OptId::kXWorkload},
    {"only-migratable", false, OptId::kOnlyMigratable},
    {"nodefaults", false, OptId::kNodefaults},
    {"chroot", true, OptId::kUnsupported},
    {"runas", true, OptId::kUnsupported},
    {"prom-env", true, OptId::kNotForTarget},
    {"semihosting", false, OptId::kNotForTarget},
    {"semihosting-config", true, OptId::kNotForTarget},
    {"old-param", false, OptId::kNotForTarget},
    {"sandbox", true, OptId::kSandbox},
    {"readconfig", true, OptId::kUnsupported},
    {"no-user-config", false, OptId::kNoUserConfig},
    {"trace", true, OptId::kUnsupported},
    {"plugin", true, OptId::kUnsupported},
    {"qtest", true, OptId::kUnsupported},
    {"qtest-log", true, OptId::kUnsupported},
    {"async-teardown", false, OptId::kUnsupported},
    {"msg", true, OptId::kMsg},
    {"dump-vmstate", true, OptId::kUnsupported},
    {"enable-sync-profile", false, OptId::kUnsupported},
    {"object", true, OptId::kObject},
};

const OptionDef* find_option(std::string_view name) {
  for (const OptionDef& d : kOptions) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// QemuOpts lists (the QemuOptsList definitions migemu needs).

const OptsList kMemoryList{
    "memory",
    "size",
    true,
    {{"size", OptType::kSize}, {"slots", OptType::kNumber}, {"maxmem", OptType::kSize}}};
const OptsList kNameList{
    "name",
    "guest",
    true,
    {{"guest", OptType::kString,
      "Sets the name of the guest.\nThis name will be displayed in the SDL window "
      "caption.\nThe name will also be used for the VNC server"},
     {"process", OptType::kString, "Sets the name of the QEMU process, as shown in top etc"},
     {"debug-threads", OptType::kBool,
      "When enabled, name the individual threads; defaults off.\nNOTE: The thread names are "
      "for debugging and not a\nstable API."}}};
const OptsList kAccelList{"accel", "accel", false, {}};
const OptsList kChardevList{"chardev",
                            "backend",
                            false,
                            {{"backend", OptType::kString},   {"path", OptType::kString},
                             {"host", OptType::kString},      {"port", OptType::kString},
                             {"fd", OptType::kString},        {"localaddr", OptType::kString},
                             {"localport", OptType::kString}, {"to", OptType::kNumber},
                             {"ipv4", OptType::kBool},        {"ipv6", OptType::kBool},
                             {"wait", OptType::kBool},        {"server", OptType::kBool},
                             {"delay", OptType::kBool},       {"nodelay", OptType::kBool},
                             {"reconnect", OptType::kNumber}, {"telnet", OptType::kBool},
                             {"tn3270", OptType::kBool},      {"tls-creds", OptType::kString},
                             {"tls-authz", OptType::kString}, {"websocket", OptType::kBool},
                             {"width", OptType::kNumber},     {"height", OptType::kNumber},
                             {"cols", OptType::kNumber},      {"rows", OptType::kNumber},
                             {"mux", OptType::kBool},         {"signal", OptType::kBool},
                             {"name", OptType::kString},      {"debug", OptType::kNumber},
                             {"size", OptType::kSize},        {"chardev", OptType::kString},
                             {"append", OptType::kBool},      {"logfile", OptType::kString},
                             {"logappend", OptType::kBool},   {"mouse", OptType::kBool},
                             {"clipboard", OptType::kBool},   {"tight", OptType::kBool, {}, "on"},
                             {"abstract", OptType::kBool}}};
const OptsList kMonList{
    "mon",
    "chardev",
    false,
    {{"mode", OptType::kString}, {"chardev", OptType::kString}, {"pretty", OptType::kBool}}};
const OptsList kRtcList{
    "rtc",
    "",
    true,
    {{"base", OptType::kString}, {"clock", OptType::kString}, {"driftfix", OptType::kString}}};
const OptsList kOvercommitList{
    "overcommit", "", false, {{"mem-lock", OptType::kBool}, {"cpu-pm", OptType::kBool}}};
const OptsList kMsgList{"msg",
                        "",
                        false,
                        {{"timestamp", OptType::kBool},
                         {"guest-name", OptType::kBool,
                          "Prepends guest name for error messages but only if -name guest is "
                          "set otherwise option is ignored\n"}}};
const OptsList kSandboxList{"sandbox",
                            "enable",
                            false,
                            {{"enable", OptType::kBool},
                             {"obsolete", OptType::kString},
                             {"elevateprivileges", OptType::kString},
                             {"spawn", OptType::kString},
                             {"resourcecontrol", OptType::kString}}};
const OptsList kActionList{"action",
                           "",
                           true,
                           {{"shutdown", OptType::kString},
                            {"reboot", OptType::kString},
                            {"panic", OptType::kString},
                            {"watchdog", OptType::kString}}};
const OptsList kGlobalList{
    "global",
    "",
    false,
    {{"driver", OptType::kString}, {"property", OptType::kString}, {"value", OptType::kString}}};
const OptsList kObjectList{"object", "qom-type", false, {}};
const OptsList kDeviceList{"device", "driver", false, {}};
// Only for their "help" texts (they are parsed with keyval).
const OptsList kSmpList{"smp-opts",
                        "cpus",
                        true,
                        {{"cpus", OptType::kNumber},
                         {"sockets", OptType::kNumber},
                         {"dies", OptType::kNumber},
                         {"clusters", OptType::kNumber},
                         {"cores", OptType::kNumber},
                         {"threads", OptType::kNumber},
                         {"maxcpus", OptType::kNumber}}};
const OptsList kBootList{"boot-opts",
                         "order",
                         true,
                         {{"order", OptType::kString},
                          {"once", OptType::kString},
                          {"menu", OptType::kBool},
                          {"splash", OptType::kString},
                          {"splash-time", OptType::kNumber},
                          {"reboot-timeout", OptType::kNumber},
                          {"strict", OptType::kBool}}};
// QEMU 7.2 still describes -machine with its pre-QOM option list
// (util/qemu-config.c) in query-command-line-options, although it parses
// -machine with keyval against the machine's QOM properties.
const OptsList kLegacyMachineList{
    "machine",
    "type",
    false,
    {{"type", OptType::kString, "emulated machine"},
     {"accel", OptType::kString, "accelerator list"},
     {"kernel_irqchip", OptType::kBool, "use KVM in-kernel irqchip"},
     {"kvm_shadow_mem", OptType::kSize, "KVM shadow MMU size"},
     {"kernel", OptType::kString, "Linux kernel image file"},
     {"initrd", OptType::kString, "Linux initial ramdisk file"},
     {"append", OptType::kString, "Linux kernel command line"},
     {"dtb", OptType::kString, "Linux kernel device tree file"},
     {"dumpdtb", OptType::kString, "Dump current dtb to a file and quit"},
     {"phandle_start", OptType::kNumber, "The first phandle ID we may generate dynamically"},
     {"dt_compatible", OptType::kString,
      "Overrides the \"compatible\" property of the dt root node"},
     {"dump-guest-core", OptType::kBool, "Include guest memory in  a core dump"},
     {"mem-merge", OptType::kBool, "enable/disable memory merge support"},
     {"usb", OptType::kBool, "Set on/off to enable/disable usb"},
     {"firmware", OptType::kString, "firmware image"},
     {"iommu", OptType::kBool, "Set on/off to enable/disable Intel IOMMU (VT-d)"},
     {"suppress-vmdesc", OptType::kBool, "Set on to disable self-describing migration"},
     {"aes-key-wrap", OptType::kBool,
      "enable/disable AES key wrapping using the CPACF wrapping key"},
     {"dea-key-wrap", OptType::kBool,
      "enable/disable DEA key wrapping using the CPACF wrapping key"},
     {"loadparm", OptType::kString,
      "Up to 8 chars in set of [A-Za-z0-9. ](lower case chars converted to upper case) to pass "
      "to machine loader, boot manager, and guest kernel"}}};

// qemu_opts_print_help(list, true), without the per-option help texts.
std::string opts_help(const OptsList& list) {
  std::vector<std::string> lines;
  for (const OptDesc& d : list.desc) {
    const char* type = "str";
    switch (d.type) {
      case OptType::kString:
        type = "str";
        break;
      case OptType::kBool:
        type = "bool (on/off)";
        break;
      case OptType::kNumber:
        type = "num";
        break;
      case OptType::kSize:
        type = "size";
        break;
    }
    lines.push_back("  " + std::string(d.name) + "=<" + type + ">");
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  if (lines.empty()) return "There are no options for " + std::string(list.name) + ".\n";
  out = std::string(list.name) + " options:\n";
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// ---------------------------------------------------------------------------
// Machine types.

// Machine properties and their types (the "-machine TYPE,help" list).
enum class PropKind {
  kBool,
  kString,
  kOnOffAuto,
  kInt,
  kUint64,
  kSize,
  kSmbiosEp,
  kBoot,
  kMemory,
  kSmp,
  kLink,
  kUnsupported,  // a QEMU property migemu cannot honour
};

struct MachineProp {
  std::string_view name;
  PropKind kind;
  std::string_view type_text;  // for help
  bool pc_only;
};

constexpr MachineProp kMachineProps[] = {
    {"acpi", PropKind::kOnOffAuto, "OnOffAuto", true},
    {"append", PropKind::kString, "string", false},
    {"boot", PropKind::kBoot, "BootConfiguration", false},
    {"bus-lock-ratelimit", PropKind::kUint64, "uint64_t", true},
    {"confidential-guest-support", PropKind::kUnsupported, "link<confidential-guest-support>",
     false},
    {"default-bus-bypass-iommu", PropKind::kBool, "bool", true},
    {"dt-compatible", PropKind::kString, "string", false},
    {"dtb", PropKind::kString, "string", false},
    {"dump-guest-core", PropKind::kBool, "bool", false},
    {"dumpdtb", PropKind::kString, "string", false},
    {"firmware", PropKind::kString, "string", false},
    {"graphics", PropKind::kBool, "bool", false},
    {"hpet", PropKind::kBool, "bool", true},
    {"i8042", PropKind::kBool, "bool", true},
    {"initrd", PropKind::kString, "string", false},
    {"kernel", PropKind::kString, "string", false},
    {"max-fw-size", PropKind::kSize, "size", true},
    {"max-ram-below-4g", PropKind::kSize, "size", true},
    {"mem-merge", PropKind::kBool, "bool", false},
    {"memory-backend", PropKind::kLink, "link<memory-backend>", false},
    {"memory-encryption", PropKind::kUnsupported, "string", false},
    {"memory", PropKind::kMemory, "MemorySizeConfiguration", false},
    {"phandle-start", PropKind::kInt, "int", false},
    {"pic", PropKind::kOnOffAuto, "OnOffAuto", true},
    {"pit", PropKind::kOnOffAuto, "OnOffAuto", true},
    {"sata", PropKind::kBool, "bool", true},
    {"sgx-epc", PropKind::kUnsupported, "SgxEPC", true},
    {"smbios-entry-point-type", PropKind::kSmbiosEp, "str", true},
    {"smbus", PropKind::kBool, "bool", true},
    {"smm", PropKind::kOnOffAuto, "OnOffAuto", true},
    {"smp", PropKind::kSmp, "SMPConfiguration", false},
    {"suppress-vmdesc", PropKind::kBool, "bool", false},
    {"usb", PropKind::kBool, "bool", false},
    {"vmport", PropKind::kOnOffAuto, "OnOffAuto", true},
    {"x-oem-id", PropKind::kString, "string", true},
    {"x-oem-table-id", PropKind::kString, "string", true},
};

const MachineProp* find_machine_prop(const MachineType& m, std::string_view name) {
  for (const MachineProp& p : kMachineProps) {
    if (p.name == name && (!p.pc_only || m.is_pc)) return &p;
  }
  return nullptr;
}

std::string machine_props_help(const MachineType& m) {
  std::vector<std::string> lines;
  for (const MachineProp& p : kMachineProps) {
    if (p.pc_only && !m.is_pc) continue;
    lines.push_back("  " + std::string(p.name) + "=<" + std::string(p.type_text) + ">");
  }
  std::sort(lines.begin(), lines.end());
  std::string out = qom_machine_type(m) + " options:\n";
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// ObjectType of QEMU 7.2 (qapi/qom.json) as built for Debian x86-64.
constexpr std::string_view kObjectTypes[] = {"authz-list",
                                             "authz-listfile",
                                             "authz-pam",
                                             "authz-simple",
                                             "can-bus",
                                             "can-host-socketcan",
                                             "colo-compare",
                                             "cryptodev-backend",
                                             "cryptodev-backend-builtin",
                                             "cryptodev-backend-lkcf",
                                             "cryptodev-vhost-user",
                                             "dbus-vmstate",
                                             "filter-buffer",
                                             "filter-dump",
                                             "filter-mirror",
                                             "filter-redirector",
                                             "filter-replay",
                                             "filter-rewriter",
                                             "input-barrier",
                                             "input-linux",
                                             "iothread",
                                             "main-loop",
                                             "memory-backend-epc",
                                             "memory-backend-file",
                                             "memory-backend-memfd",
                                             "memory-backend-ram",
                                             "pef-guest",
                                             "pr-manager-helper",
                                             "qtest",
                                             "rng-builtin",
                                             "rng-egd",
                                             "rng-random",
                                             "secret",
                                             "secret_keyring",
                                             "sev-guest",
                                             "thread-context",
                                             "s390-pv-guest",
                                             "throttle-group",
                                             "tls-creds-anon",
                                             "tls-creds-psk",
                                             "tls-creds-x509",
                                             "tls-cipher-suites",
                                             "x-remote-object",
                                             "x-vfio-user-server"};

bool is_object_type(std::string_view t) {
  return std::find(std::begin(kObjectTypes), std::end(kObjectTypes), t) != std::end(kObjectTypes);
}

bool is_memory_backend_type(std::string_view t) {
  return t == "memory-backend-ram" || t == "memory-backend-file" || t == "memory-backend-memfd";
}

// Chardev backends of the Debian build ("-chardev help" plus module ones),
// and the ones migemu serves.
constexpr std::string_view kChardevBackends[] = {
    "stdio",    "ringbuf", "mux",      "pipe",     "qemu-vdagent", "null",   "msmouse",
    "socket",   "vc",      "parallel", "udp",      "memory",       "file",   "serial",
    "wctablet", "pty",     "testdev",  "spicevmc", "spiceport",    "braille"};
constexpr std::string_view kMigemuChardevBackends[] = {"stdio", "null", "socket",
                                                       "vc",    "file", "pty"};

// What QEMU's query-chardev calls a socket chardev before anyone connects
// ("disconnected:unix:/p,server=on"). The address is the one given; QEMU
// shows the one it bound (a resolved host name, the real port, the local
// address of an fd), which only the code that opens the socket knows. Empty
// for an fd socket for that reason.
std::string socket_filename(const ChardevConfig& c) {
  std::string s = "disconnected:";
  if (c.path) {
    s += "unix:" + *c.path;
    if (c.abstract) s += std::string(",abstract=on,tight=") + (c.tight ? "on" : "off");
  } else if (c.host) {
    s += (c.telnet ? "telnet:" : "tcp:") + *c.host + ":" + c.port.value_or("");
  } else {
    return "";
  }
  if (c.server) s += ",server=on";
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The key QEMU's qobject input visitor reports as unexpected in a struct:
// it puts the dict's keys (in QDict order) into a GHashTable, takes out the
// members it visits, and names the first key left in that table.
std::optional<std::string> first_unexpected(const Dict& d,
                                            const std::vector<std::string>& consumed) {
  qopts::StrHashTableOrder table;
  for (size_t idx : qdict_iteration_order(d)) table.insert(d.entries()[idx].first);
  for (const std::string& k : consumed) table.remove(k);
  std::vector<std::string> left = table.keys();
  if (left.empty()) return std::nullopt;
  return left.front();
}

// ---------------------------------------------------------------------------
// The parser.

// A -object after its syntax check, waiting for creation.
struct PendingObject {
  ObjectConfig cfg;
  // The properties in schema order, as QEMU re-serialises them before
  // setting them (in hash order).
  Dict ordered;
};

// A -device waiting for creation.
struct PendingDevice {
  DeviceConfig cfg;
  std::string loc;
  bool json = false;  // QEMU creates the key=value devices first, then the JSON ones
};

class Parser {
 public:
  Parser(const std::vector<std::string>& args, ParseDiagnostics* diag) : args_(args), diag_(diag) {}

  Result<Config> run();

 private:
  // ---- messages
  void report(const std::string& loc, const std::string& text) {
    StderrLine l;
    l.report = true;
    l.text = loc.empty() ? text : loc + ": " + text;
    l.timestamp = msg_timestamp_;
    if (msg_guest_name_ && guest_name_) l.guest_name = guest_name_;
    cfg_.messages.push_back(std::move(l));
  }
  void plain(const std::string& text) {
    StderrLine l;
    l.report = false;
    l.text = text;
    cfg_.messages.push_back(std::move(l));
  }
  void warnings(const std::string& loc, const std::vector<Warning>& ws) {
    for (const Warning& w : ws) {
      report(loc, w.report);
      if (!w.plain.empty()) plain(w.plain);
    }
  }
  static Error fail(const std::string& loc, const std::string& desc) {
    return generic_error(loc.empty() ? desc : loc + ": " + desc);
  }
  static Error unsupported(const std::string& loc, const std::string& what) {
    return fail(loc, what + " is not supported by migemu");
  }

  // ---- steps
  Status pass1();
  // Returns true when the parse ends here (help/version printed).
  Result<bool> pass2();
  Result<bool> handle(const OptionDef& def, const std::string& loc, const std::string& arg);
  Status startup();

  // ---- option handlers (pass 2)
  Result<bool> opt_machine(const std::string& loc, const std::string& arg);
  Result<bool> opt_accel(const std::string& loc, const std::string& arg);
  Result<bool> opt_machine_property(const std::string& loc, const std::string& arg,
                                    const OptsList& list, const std::string& prop);
  Result<bool> opts_help_exit(const OptsList& list, int status);
  Status opt_monitor(const std::string& loc, const std::string& arg, bool control, bool pretty);
  Result<bool> opt_object(const std::string& loc, const std::string& arg);
  Result<bool> opt_device(const std::string& loc, const std::string& arg);
  Status opt_audiodev(const std::string& loc, const std::string& arg);
  Status opt_display(const std::string& loc, const std::string& arg);
  Status opt_global(const std::string& loc, const std::string& arg);
  Status parse_legacy_chardev(const std::string& label, const std::string& spec);

  // ---- startup steps
  Status check_sandbox();
  Status check_actions();
  Status configure_rtc();
  Status merge_memory_options();
  Status select_machine();
  Status default_devices();
  Status create_objects(bool early);
  Status create_chardevs();
  Result<bool> create_chardev(const Opts& opts, const std::string& loc);
  Status apply_machine_options();
  Status set_machine_prop(const std::string& key, const Value& v);
  Status configure_accelerators();
  Status init_monitors();
  Status check_cpu();
  Status resolve_memdev();
  Status init_board();
  Status create_devices();
  Status check_incoming();

  const std::vector<std::string>& args_;
  ParseDiagnostics* diag_;
  Config cfg_;

  // -msg state, as it applies to messages emitted from now on.
  bool msg_timestamp_ = false;
  bool msg_guest_name_ = false;
  std::optional<std::string> guest_name_;

  OptsStore mem_opts_{&kMemoryList};
  OptsStore name_opts_{&kNameList};
  OptsStore accel_opts_{&kAccelList};
  OptsStore chardev_opts_{&kChardevList};
  OptsStore mon_opts_{&kMonList};
  OptsStore rtc_opts_{&kRtcList};
  OptsStore overcommit_opts_{&kOvercommitList};
  OptsStore msg_opts_{&kMsgList};
  OptsStore sandbox_opts_{&kSandboxList};
  OptsStore action_opts_{&kActionList};
  OptsStore global_opts_{&kGlobalList};
  OptsStore object_opts_{&kObjectList};
  OptsStore device_opts_{&kDeviceList};
  // Where each QemuOpts was created (QEMU reports later errors there).
  std::map<const Opts*, std::string> opts_loc_;

  Dict machine_dict_;
  std::optional<std::string> cpu_option_;
  std::optional<std::string> accelerators_;  // "-machine accel=" / -enable-kvm
  std::optional<std::string> ram_memdev_id_;
  bool have_custom_ram_size_ = false;
  const MachineType* machine_ = nullptr;
  int monitor_device_index_ = 0;
  bool has_defaults_ = true;
  bool default_serial_ = true;
  bool default_parallel_ = true;
  bool default_monitor_ = true;
  bool default_vga_ = true;
  bool default_net_ = true;
  bool nographic_ = false;
  bool display_gl_ = false;
  std::vector<PendingObject> objects_;
  std::vector<PendingDevice> devices_;
  std::set<std::string> audiodev_ids_;
  std::set<std::string> object_ids_;
  // Chardev ids that have a frontend (monitor, serial device) and how many.
  std::map<std::string, int> chardev_users_;
  // Chardevs created by "mon:" / -nographic on top of the user's ones.
  std::vector<ChardevConfig> late_chardevs_;
  std::vector<MonitorConfig> late_monitors_;
};

// ---------------------------------------------------------------------------
// Pass 1: option lookup only.

Status Parser::pass1() {
  size_t i = 0;
  while (i < args_.size()) {
    const std::string& a = args_[i];
    if (a.empty() || a[0] != '-') {
      i++;
      continue;
    }
    std::string_view name(a);
    name.remove_prefix(1);
    if (!name.empty() && name[0] == '-') name.remove_prefix(1);
    const OptionDef* def = find_option(name);
    if (!def) return fail(a, "invalid option");
    if (def->has_arg) {
      if (i + 1 >= args_.size()) return fail(a, "requires an argument");
      i += 2;
    } else {
      i++;
    }
  }
  return {};
}

// ---------------------------------------------------------------------------
// Pass 2: each option in order.

Result<bool> Parser::pass2() {
  size_t i = 0;
  while (i < args_.size()) {
    const std::string& a = args_[i];
    if (a.empty() || a[0] != '-') {
      return fail(a, "disk images are not supported by migemu");
    }
    std::string_view name(a);
    name.remove_prefix(1);
    if (!name.empty() && name[0] == '-') name.remove_prefix(1);
    const OptionDef* def = find_option(name);
    std::string loc = a;
    std::string arg;
    if (def->has_arg) {
      arg = args_[i + 1];
      loc += " " + arg;
      i += 2;
    } else {
      i++;
    }
    Result<bool> r = handle(*def, loc, arg);
    if (!r.ok()) return r.take_error();
    if (*r) return true;
  }
  return false;
}

Result<bool> Parser::opts_help_exit(const OptsList& list, int status) {
  cfg_.action = Config::Action::PrintHelp;
  cfg_.output_text = opts_help(list);
  cfg_.exit_status = status;
  return true;
}

Result<bool> Parser::handle(const OptionDef& def, const std::string& loc, const std::string& arg) {
  std::vector<Warning> ws;
  bool help = false;
  switch (def.id) {
    case OptId::kHelp:
      cfg_.action = Config::Action::PrintHelp;
      cfg_.output_text = help_text();
      return true;
    case OptId::kVersion:
      cfg_.action = Config::Action::PrintVersion;
      cfg_.output_text = version_text();
      return true;
    case OptId::kMachine:
      return opt_machine(loc, arg);
    case OptId::kCpu:
      cpu_option_ = arg;
      return false;
    case OptId::kAccel:
      return opt_accel(loc, arg);
    case OptId::kSmp:
      return opt_machine_property(loc, arg, kSmpList, "smp");
    case OptId::kBoot:
      return opt_machine_property(loc, arg, kBootList, "boot");
    case OptId::kGlobal:
      MIGEMU_TRY(opt_global(loc, arg));
      return false;
    case OptId::kMemory: {
      Result<Opts*> r = mem_opts_.parse(arg, true, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kMemoryList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      return false;
    }
    case OptId::kAudiodev:
      MIGEMU_TRY(opt_audiodev(loc, arg));
      return false;
    case OptId::kDevice:
      return opt_device(loc, arg);
    case OptId::kName: {
      Result<Opts*> r = name_opts_.parse(arg, true, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kNameList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      if (!opts_loc_.count(*r)) opts_loc_[*r] = loc;
      guest_name_ = (*r)->get("guest");
      return false;
    }
    case OptId::kUuid: {
      bool ok = arg.size() == 36;
      for (size_t k = 0; ok && k < arg.size(); k++) {
        bool dash = k == 8 || k == 13 || k == 18 || k == 23;
        ok = dash ? arg[k] == '-' : std::isxdigit(static_cast<unsigned char>(arg[k])) != 0;
      }
      if (!ok) return fail(loc, "failed to parse UUID string: wrong format");
      cfg_.uuid = lower(arg);
      return false;
    }
    case OptId::kUsb:
      machine_dict_.put("usb", Value("on"));
      return false;
    case OptId::kNoAcpi:
      machine_dict_.put("acpi", Value("off"));
      return false;
    case OptId::kNoHpet:
      machine_dict_.put("hpet", Value("off"));
      return false;
    case OptId::kDisplay:
      MIGEMU_TRY(opt_display(loc, arg));
      return !cfg_.output_text.empty();
    case OptId::kNographic:
      machine_dict_.put("graphics", Value("off"));
      nographic_ = true;
      cfg_.nographic = true;
      cfg_.display = "none";
      return false;
    case OptId::kVga:
      if (arg != "none") return unsupported(loc, "a graphics card");
      default_vga_ = false;
      return false;
    case OptId::kNet:
      if (arg != "none") return unsupported(loc, "networking");
      default_net_ = false;
      return false;
    case OptId::kSerial:
      if (arg != "none") return unsupported(loc, "-serial (other than none)");
      default_serial_ = false;
      return false;
    case OptId::kParallel:
      if (arg != "none") return unsupported(loc, "-parallel (other than none)");
      default_parallel_ = false;
      return false;
    case OptId::kChardev: {
      Result<Opts*> r = chardev_opts_.parse(arg, true, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kChardevList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      opts_loc_[*r] = loc;
      return false;
    }
    case OptId::kMonitor:
      default_monitor_ = false;
      if (arg.compare(0, 4, "none") != 0) MIGEMU_TRY(opt_monitor(loc, arg, false, false));
      return false;
    case OptId::kQmp:
      MIGEMU_TRY(opt_monitor(loc, arg, true, false));
      default_monitor_ = false;
      return false;
    case OptId::kQmpPretty:
      MIGEMU_TRY(opt_monitor(loc, arg, true, true));
      default_monitor_ = false;
      return false;
    case OptId::kMon: {
      Result<Opts*> r = mon_opts_.parse(arg, true, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kMonList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      opts_loc_[*r] = loc;
      default_monitor_ = false;
      return false;
    }
    case OptId::kPidfile:
      cfg_.pidfile = arg;
      return false;
    case OptId::kStartPaused:
      cfg_.start_paused = true;
      return false;
    case OptId::kOvercommit: {
      Result<Opts*> r = overcommit_opts_.parse(arg, false, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kOvercommitList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      cfg_.mem_lock = (*r)->get_bool("mem-lock", false);
      cfg_.cpu_pm = (*r)->get_bool("cpu-pm", false);
      for (const qopts::Opt& o : (*r)->all()) cfg_.overcommit[o.name] = o.str;
      return false;
    }
    case OptId::kEnableKvm:
      machine_dict_.put("accel", Value("kvm"));
      return false;
    case OptId::kNoReboot:
    case OptId::kNoShutdown:
    case OptId::kAction: {
      std::string params = def.id == OptId::kNoReboot     ? "reboot=shutdown"
                           : def.id == OptId::kNoShutdown ? "shutdown=pause"
                                                          : arg;
      Result<Opts*> r = action_opts_.parse(params, false, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kActionList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      if (!opts_loc_.count(*r)) opts_loc_[*r] = loc;
      if (def.id == OptId::kNoShutdown) cfg_.no_shutdown = true;
      return false;
    }
    case OptId::kDaemonize:
      cfg_.daemonize = true;
      return false;
    case OptId::kRtc: {
      Result<Opts*> r = rtc_opts_.parse(arg, false, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kRtcList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      return false;
    }
    case OptId::kIncoming:
      cfg_.incoming = arg;
      return false;
    case OptId::kXWorkload:
      cfg_.x_workload = arg;
      return false;
    case OptId::kOnlyMigratable:
      cfg_.only_migratable = true;
      return false;
    case OptId::kNodefaults:
      has_defaults_ = false;
      cfg_.nodefaults = true;
      return false;
    case OptId::kSandbox: {
      Result<Opts*> r = sandbox_opts_.parse(arg, true, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kSandboxList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      opts_loc_[*r] = loc;
      return false;
    }
    case OptId::kNoUserConfig:
      cfg_.no_user_config = true;
      return false;
    case OptId::kMsg: {
      Result<Opts*> r = msg_opts_.parse(arg, false, true, &help, &ws);
      warnings(loc, ws);
      if (help) return opts_help_exit(kMsgList, 1);
      if (!r.ok()) return fail(loc, r.error().desc);
      msg_timestamp_ = (*r)->get_bool("timestamp", false);
      msg_guest_name_ = (*r)->get_bool("guest-name", false);
      cfg_.msg_timestamp = msg_timestamp_;
      cfg_.msg_guest_name = msg_guest_name_;
      return false;
    }
    case OptId::kObject:
      return opt_object(loc, arg);
    case OptId::kNotForTarget:
      return fail(loc, "Option not supported for this target");
    case OptId::kUnsupported:
      return fail(loc, "this option is not supported by migemu");
  }
  return false;
}

// ---- -machine ----------------------------------------------------------------

std::string machine_list_text() {
  std::string out = "Supported machines are:\n";
  char line[256];
  for (const MachineType& m : machine_types()) {
    if (!m.alias.empty()) {
      std::snprintf(line, sizeof line, "%-20s %s (alias of %s)\n", m.alias.c_str(), m.desc.c_str(),
                    m.name.c_str());
      out += line;
    }
    std::snprintf(line, sizeof line, "%-20s %s%s%s\n", m.name.c_str(), m.desc.c_str(),
                  m.is_default ? " (default)" : "", m.deprecated ? " (deprecated)" : "");
    out += line;
  }
  return out;
}

Result<bool> Parser::opt_machine(const std::string& loc, const std::string& arg) {
  bool help = false;
  Status st = qopts::keyval_parse_into(machine_dict_, arg, "type", &help);
  if (!st.ok()) return fail(loc, st.error().desc);
  if (help) {
    cfg_.action = Config::Action::PrintMachineHelp;
    const Value* type = machine_dict_.get("type");
    const MachineType* m = type && type->is_string() ? find_machine(type->as_string()) : nullptr;
    cfg_.output_text = m ? machine_props_help(*m) : machine_list_text();
    return true;
  }
  return false;
}

// ---- -accel ------------------------------------------------------------------

Result<bool> Parser::opt_accel(const std::string& loc, const std::string& arg) {
  std::vector<Warning> ws;
  Result<Opts*> r = accel_opts_.parse(arg, true, true, nullptr, &ws);
  warnings(loc, ws);
  std::optional<std::string> name;
  if (r.ok()) {
    opts_loc_[*r] = loc;
    name = (*r)->get("accel");
  } else {
    // QEMU reports the error and then carries on as if no name was given.
    report(loc, r.error().desc.substr(0, r.error().desc.find('\n')));
    size_t nl = r.error().desc.find('\n');
    if (nl != std::string::npos) plain(r.error().desc.substr(nl + 1));
  }
  if (!name || qopts::is_help_option(*name)) {
    cfg_.action = Config::Action::PrintHelp;
    cfg_.output_text = "Accelerators supported in QEMU binary:\ntcg\nkvm\n";
    return true;
  }
  return false;
}

// ---- -smp / -boot -------------------------------------------------------------

Result<bool> Parser::opt_machine_property(const std::string& loc, const std::string& arg,
                                          const OptsList& list, const std::string& prop) {
  bool help = false;
  Result<Dict> d = qopts::keyval_parse(arg, list.implied, &help);
  if (!d.ok()) return fail(loc, d.error().desc);
  if (help) return opts_help_exit(list, 0);
  Dict wrap;
  wrap.put(prop, Value(std::move(*d)));
  Status st = qopts::keyval_merge(machine_dict_, wrap);
  if (!st.ok()) return fail(loc, st.error().desc);
  return false;
}

// ---- -global -------------------------------------------------------------------

Status Parser::opt_global(const std::string& loc, const std::string& arg) {
  // "DRIVER.PROP=VALUE": a driver and a property of 1..63 characters, the
  // driver without '.' or '=', the property without '='.
  size_t dot = arg.find_first_of(".=");
  if (dot != std::string::npos && dot > 0 && dot <= 63 && arg[dot] == '.') {
    size_t eq = arg.find('=', dot + 1);
    size_t plen = eq == std::string::npos ? arg.size() - dot - 1 : eq - dot - 1;
    if (plen > 0 && plen <= 63 && eq != std::string::npos) {
      cfg_.globals.push_back(arg);
      return {};
    }
  }
  std::vector<Warning> ws;
  bool help = false;
  Result<Opts*> r = global_opts_.parse(arg, false, true, &help, &ws);
  warnings(loc, ws);
  if (help) return fail(loc, "help is not available here in migemu");
  if (!r.ok()) return fail(loc, r.error().desc);
  auto driver = (*r)->get("driver");
  auto property = (*r)->get("property");
  auto value = (*r)->get("value");
  if (!driver || !property || !value) {
    return fail(loc, "options 'driver', 'property', and 'value' are required");
  }
  cfg_.globals.push_back(*driver + "." + *property + "=" + *value);
  return {};
}

// ---- -display ------------------------------------------------------------------

Status Parser::opt_display(const std::string& loc, const std::string& arg) {
  if (arg.compare(0, 3, "vnc") == 0) {
    if (arg.compare(0, 4, "vnc=") != 0) {
      return fail(loc, "VNC requires a display argument vnc=<display>");
    }
    return unsupported(loc, "VNC");
  }
  if (qopts::is_help_option(arg)) {
    cfg_.action = Config::Action::PrintHelp;
    cfg_.output_text = "Available display backend types:\nnone\n";
    return {};
  }
  Result<Dict> d = qopts::keyval_parse(arg, "type", nullptr);
  if (!d.ok()) return fail(loc, d.error().desc);
  // DisplayOptions: type (required), full-screen, window-close, show-cursor,
  // gl, then the type's own members.
  const Value* type = d->get("type");
  if (!type) return fail(loc, "Parameter 'type' is missing");
  if (!type->is_string()) return fail(loc, "Parameters 'type.*' are unexpected");
  static const std::set<std::string> kTypes = {"default",      "none",   "gtk",       "sdl",
                                               "egl-headless", "curses", "spice-app", "dbus"};
  const std::string& t = type->as_string();
  if (!kTypes.count(t)) return fail(loc, "Parameter 'type' does not accept value '" + t + "'");
  for (const char* b : {"full-screen", "window-close", "show-cursor"}) {
    const Value* v = d->get(b);
    if (!v) continue;
    bool dummy;
    if (!v->is_string()) return fail(loc, std::string("Parameters '") + b + ".*' are unexpected");
    if (!qopts::parse_bool(v->as_string(), &dummy)) return fail(loc, qopts::bool_error(b));
  }
  if (const Value* gl = d->get("gl")) {
    if (!gl->is_string()) return fail(loc, "Parameters 'gl.*' are unexpected");
    static const std::set<std::string> kGl = {"off", "on", "core", "es"};
    if (!kGl.count(gl->as_string())) {
      return fail(loc, "Parameter 'gl' does not accept value '" + gl->as_string() + "'");
    }
    display_gl_ = gl->as_string() != "off";
  }
  if (t != "none" && t != "default") {
    return unsupported(loc, "display '" + t + "'");
  }
  std::vector<std::string> consumed;
  for (const char* k : {"type", "full-screen", "window-close", "show-cursor", "gl"}) {
    if (d->has(k)) consumed.push_back(k);
  }
  if (auto bad = first_unexpected(*d, consumed)) {
    return fail(loc, "Parameter '" + *bad + "' is unexpected");
  }
  cfg_.display = "none";
  return {};
}

// ---- -qmp / -monitor -------------------------------------------------------------

// qemu_chr_parse_compat(): the "filename" syntax of -qmp/-monitor/-serial.
Status Parser::parse_legacy_chardev(const std::string& label, const std::string& spec) {
  Result<Opts*> created = chardev_opts_.create(label);
  if (!created.ok()) return created.take_error();
  Opts* opts = *created;
  std::string filename = spec;
  auto set = [&](const char* k, const std::string& v) { (void)opts->set(k, v); };
  if (filename.compare(0, 4, "mon:") == 0) {
    filename = filename.substr(4);
    set("mux", "on");
    if (filename == "stdio") set("signal", "off");
  }
  static const std::set<std::string> kSimple = {"null",    "pty",     "msmouse", "wctablet",
                                                "braille", "testdev", "stdio"};
  if (kSimple.count(filename)) {
    set("backend", filename);
    return {};
  }
  if (filename.compare(0, 2, "vc") == 0) {
    set("backend", "vc");
    std::string p = filename.substr(2);
    if (!p.empty() && p[0] == ':') {
      unsigned w = 0, h = 0;
      char c1 = 0, c2 = 0;
      if (std::sscanf(p.c_str() + 1, "%7ux%7u", &w, &h) == 2) {
        set("width", std::to_string(w));
        set("height", std::to_string(h));
      } else if (std::sscanf(p.c_str() + 1, "%7u%cx%7u%c", &w, &c1, &h, &c2) == 4 && c1 == 'C' &&
                 c2 == 'C') {
        set("cols", std::to_string(w));
        set("rows", std::to_string(h));
      } else {
        chardev_opts_.remove_last();
        return generic_error("");
      }
    }
    return {};
  }
  if (filename == "con:") {
    set("backend", "console");
    return {};
  }
  if (filename.compare(0, 3, "COM") == 0) {
    set("backend", "serial");
    set("path", filename);
    return {};
  }
  for (const char* pre : {"file:", "pipe:"}) {
    if (filename.compare(0, 5, pre) == 0) {
      set("backend", std::string(pre, 4));
      set("path", filename.substr(5));
      return {};
    }
  }
  for (const char* pre : {"tcp:", "telnet:", "tn3270:", "websocket:"}) {
    size_t plen = std::strlen(pre);
    if (filename.compare(0, plen, pre) != 0) continue;
    std::string p = filename.substr(plen);
    std::string host, port;
    size_t pos = 0;
    // "%64[^:]:%32[^,]" then, failing that, ":%32[^,]".
    size_t colon = p.find(':');
    bool ok = false;
    if (colon != std::string::npos && colon > 0 && colon <= 64) {
      size_t comma = p.find(',', colon + 1);
      size_t end = comma == std::string::npos ? p.size() : comma;
      if (end > colon + 1) {
        host = p.substr(0, colon);
        port = p.substr(colon + 1, std::min<size_t>(end - colon - 1, 32));
        pos = colon + 1 + port.size();
        ok = true;
      }
    }
    if (!ok) {
      host.clear();
      if (!p.empty() && p[0] == ':') {
        size_t comma = p.find(',', 1);
        size_t end = comma == std::string::npos ? p.size() : comma;
        if (end > 1) {
          port = p.substr(1, std::min<size_t>(end - 1, 32));
          pos = 1 + port.size();
          ok = true;
        }
      }
    }
    if (!ok) {
      chardev_opts_.remove_last();
      return generic_error("");
    }
    set("backend", "socket");
    set("host", host);
    set("port", port);
    if (pos < p.size() && p[pos] == ',') {
      Status st = opts->parse(std::string_view(p).substr(pos + 1), {}, false, nullptr, nullptr);
      if (!st.ok()) {
        chardev_opts_.remove_last();
        return st.take_error();
      }
    }
    std::string kind(pre);
    if (kind == "telnet:") set("telnet", "on");
    if (kind == "tn3270:") set("tn3270", "on");
    if (kind == "websocket:") set("websocket", "on");
    return {};
  }
  if (filename.compare(0, 4, "udp:") == 0) {
    set("backend", "udp");
    return {};
  }
  if (filename.compare(0, 5, "unix:") == 0) {
    set("backend", "socket");
    Status st = opts->parse(std::string_view(filename).substr(5), "path", false, nullptr, nullptr);
    if (!st.ok()) {
      chardev_opts_.remove_last();
      return st.take_error();
    }
    return {};
  }
  if (filename.compare(0, 12, "/dev/parport") == 0 || filename.compare(0, 8, "/dev/ppi") == 0) {
    set("backend", "parallel");
    set("path", filename);
    return {};
  }
  if (filename.compare(0, 5, "/dev/") == 0) {
    set("backend", "serial");
    set("path", filename);
    return {};
  }
  chardev_opts_.remove_last();
  return generic_error("'" + filename + "' is not a valid char driver");
}

// monitor_parse().
Status Parser::opt_monitor(const std::string& loc, const std::string& arg, bool control,
                           bool pretty) {
  std::string label;
  if (arg.compare(0, 8, "chardev:") == 0) {
    label = arg.substr(8, 31);
  } else {
    label = "compat_monitor" + std::to_string(monitor_device_index_);
    Status st = parse_legacy_chardev(label, arg);
    if (!st.ok()) {
      // QEMU reports the cause (if it has one) before "parse error".
      const std::string& d = st.error().desc;
      if (!d.empty()) report(loc, d);
      return fail(loc, "parse error: " + arg);
    }
    Opts* created = chardev_opts_.find(label);
    if (created) opts_loc_[created] = loc;
  }
  Result<Opts*> mon = mon_opts_.create(label);
  if (!mon.ok()) return fail(loc, mon.error().desc);
  (void)(*mon)->set("mode", control ? "control" : "readline");
  (void)(*mon)->set("chardev", label);
  if (control) (void)(*mon)->set("pretty", pretty ? "on" : "off");
  opts_loc_[*mon] = loc;
  monitor_device_index_++;
  return {};
}

// ---- -object -------------------------------------------------------------------

enum class PType { kBool, kStr, kSize, kU32, kU16List, kPolicy, kSecretFormat };

struct PropSpec {
  std::string_view name;
  PType type;
  bool required;
};

// The members of each supported ObjectOptions branch, in schema order.
const std::vector<PropSpec>* object_props(std::string_view type) {
  static const std::vector<PropSpec> kBackend = {
      {"dump", PType::kBool, false},
      {"host-nodes", PType::kU16List, false},
      {"merge", PType::kBool, false},
      {"policy", PType::kPolicy, false},
      {"prealloc", PType::kBool, false},
      {"prealloc-threads", PType::kU32, false},
      {"prealloc-context", PType::kStr, false},
      {"share", PType::kBool, false},
      {"reserve", PType::kBool, false},
      {"size", PType::kSize, true},
      {"x-use-canonical-path-for-ramblock-id", PType::kBool, false}};
  static const std::vector<PropSpec> kFile = [] {
    std::vector<PropSpec> v = kBackend;
    v.push_back({"align", PType::kSize, false});
    v.push_back({"discard-data", PType::kBool, false});
    v.push_back({"mem-path", PType::kStr, true});
    v.push_back({"pmem", PType::kBool, false});
    v.push_back({"readonly", PType::kBool, false});
    return v;
  }();
  static const std::vector<PropSpec> kMemfd = [] {
    std::vector<PropSpec> v = kBackend;
    v.push_back({"hugetlb", PType::kBool, false});
    v.push_back({"hugetlbsize", PType::kSize, false});
    v.push_back({"seal", PType::kBool, false});
    return v;
  }();
  static const std::vector<PropSpec> kSecret = {
      {"loaded", PType::kBool, false}, {"format", PType::kSecretFormat, false},
      {"keyid", PType::kStr, false},   {"iv", PType::kStr, false},
      {"data", PType::kStr, false},    {"file", PType::kStr, false}};
  if (type == "memory-backend-ram") return &kBackend;
  if (type == "memory-backend-file") return &kFile;
  if (type == "memory-backend-memfd") return &kMemfd;
  if (type == "secret") return &kSecret;
  return nullptr;
}

bool enum_ok(PType t, const std::string& v) {
  if (t == PType::kPolicy) {
    return v == "default" || v == "preferred" || v == "bind" || v == "interleave";
  }
  return v == "raw" || v == "base64";
}

std::string object_type_help(std::string_view type) {
  const std::vector<PropSpec>* props = object_props(type);
  std::vector<std::string> lines;
  for (const PropSpec& p : *props) {
    std::string t;
    switch (p.type) {
      case PType::kBool:
        t = "bool";
        break;
      case PType::kStr:
        t = p.name == "prealloc-context" ? "link<thread-context>" : "string";
        break;
      case PType::kSize:
        t = "int";
        break;
      case PType::kU32:
        t = "int";
        break;
      case PType::kU16List:
        t = "int";
        break;
      case PType::kPolicy:
        t = "HostMemPolicy";
        break;
      case PType::kSecretFormat:
        t = "QCryptoSecretFormat";
        break;
    }
    if (p.name == "loaded") continue;  // not a class property
    lines.push_back("  " + std::string(p.name) + "=<" + t + ">");
  }
  std::sort(lines.begin(), lines.end());
  std::string out = std::string(type) + " options:\n";
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// parse_uint() of the opts visitor: no sign, leading blanks allowed.
bool parse_unsigned(const std::string& s, uint64_t* out, size_t* consumed) {
  const char* p = s.c_str();
  while (std::isspace(static_cast<unsigned char>(*p))) p++;
  if (*p == '-' || *p == '\0') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(p, &end, 0);
  if (errno != 0 || end == p) return false;
  *out = v;
  *consumed = static_cast<size_t>(end - s.c_str());
  return true;
}

Result<bool> Parser::opt_object(const std::string& loc, const std::string& arg) {
  PendingObject obj;
  Dict input;  // the members as parsed: strings (key=value) or typed (JSON)
  bool json = !arg.empty() && arg[0] == '{';
  std::vector<std::pair<std::string, std::string>> kv;  // key=value, in order
  std::optional<std::string> kv_id;
  if (json) {
    Result<Value> v = parse_json(arg);
    if (!v.ok()) return fail(loc, v.error().desc);
    if (!v->is_dict()) return fail(loc, "Invalid parameter type for 'null', expected: object");
    input = v->as_dict();
  } else {
    std::vector<Warning> ws;
    Result<Opts*> r = object_opts_.parse(arg, true, true, nullptr, &ws);
    warnings(loc, ws);
    if (!r.ok()) return fail(loc, r.error().desc);
    kv_id = (*r)->id();
    for (const qopts::Opt& o : (*r)->all()) kv.emplace_back(o.name, o.str);
    auto type = (*r)->get("qom-type");
    if (!type) return fail(loc, "Parameter 'qom-type' is missing");
    if (qopts::is_help_option(*type)) {
      cfg_.action = Config::Action::PrintHelp;
      cfg_.output_text =
          "List of user creatable objects:\n  memory-backend-file\n  memory-backend-memfd\n"
          "  memory-backend-ram\n  secret\n";
      return true;
    }
    bool wants_help = false;
    for (const auto& [k, v] : kv) wants_help |= qopts::is_help_option(k);
    if (wants_help && object_props(*type)) {
      cfg_.action = Config::Action::PrintHelp;
      cfg_.output_text = object_type_help(*type);
      return true;
    }
  }

  // The visitor: qom-type, id, then the branch's members in schema order.
  auto last_kv = [&](std::string_view key) -> std::optional<std::string> {
    std::optional<std::string> v;
    for (const auto& [k, val] : kv) {
      if (k == key) v = val;
    }
    return v;
  };
  std::vector<std::string> used;  // consumed by the visitor, in order
  std::string type;
  if (json) {
    const Value* t = input.get("qom-type");
    if (!t) return fail(loc, "Parameter 'qom-type' is missing");
    if (!t->is_string()) {
      return fail(loc, "Invalid parameter type for 'qom-type', expected: string");
    }
    type = t->as_string();
  } else {
    type = *last_kv("qom-type");
  }
  used.push_back("qom-type");
  if (!is_object_type(type)) {
    return fail(loc, "Parameter 'qom-type' does not accept value '" + type + "'");
  }
  std::optional<std::string> id;
  if (json) {
    const Value* v = input.get("id");
    if (!v) return fail(loc, "Parameter 'id' is missing");
    if (!v->is_string()) return fail(loc, "Invalid parameter type for 'id', expected: string");
    id = v->as_string();
  } else {
    id = kv_id;
    if (!id) return fail(loc, "Parameter 'id' is missing");
  }
  used.push_back("id");
  const std::vector<PropSpec>* props = object_props(type);
  if (!props) return unsupported(loc, "object type '" + type + "'");

  ObjectConfig& c = obj.cfg;
  c.qom_type = type;
  c.id = *id;
  c.from_json = json;
  obj.ordered.put("qom-type", Value(type));
  obj.ordered.put("id", Value(*id));
  for (const PropSpec& p : *props) {
    std::string name(p.name);
    if (json) {
      const Value* v = input.get(name);
      if (!v) {
        if (p.required) return fail(loc, "Parameter '" + name + "' is missing");
        continue;
      }
      used.push_back(name);
      auto type_error = [&](const char* expected) {
        return fail(loc, "Invalid parameter type for '" + name + "', expected: " + expected);
      };
      switch (p.type) {
        case PType::kBool:
          if (!v->is_bool()) return type_error("boolean");
          obj.ordered.put(name, *v);
          c.props[name] = v->as_bool() ? "on" : "off";
          break;
        case PType::kStr:
          if (!v->is_string()) return type_error("string");
          obj.ordered.put(name, *v);
          c.props[name] = v->as_string();
          break;
        case PType::kPolicy:
        case PType::kSecretFormat:
          if (!v->is_string()) return type_error("string");
          if (!enum_ok(p.type, v->as_string())) {
            return fail(loc,
                        "Parameter '" + name + "' does not accept value '" + v->as_string() + "'");
          }
          obj.ordered.put(name, *v);
          c.props[name] = v->as_string();
          break;
        case PType::kSize:
        case PType::kU32: {
          uint64_t u = 0;
          int64_t i = 0;
          bool ok = false;
          if (v->is_number()) {
            if (v->get_try_uint(&u)) {
              ok = true;
            } else if (v->get_try_int(&i)) {
              u = static_cast<uint64_t>(i);  // QEMU accepts negative numbers here
              ok = true;
            }
          }
          if (!ok) return fail(loc, "Parameter '" + name + "' expects uint64");
          if (p.type == PType::kU32 && u > UINT32_MAX) {
            return fail(loc, "Parameter '" + name + "' expects uint32_t");
          }
          obj.ordered.put(name, Value::u64(u));
          c.props[name] = std::to_string(u);
          break;
        }
        case PType::kU16List: {
          if (!v->is_list()) return type_error("array");
          std::vector<Value> items;
          size_t idx = 0;
          for (const Value& e : v->as_list()) {
            uint64_t u = 0;
            int64_t i = 0;
            bool ok = e.is_number() && (e.get_try_uint(&u) || e.get_try_int(&i));
            if (ok && !e.get_try_uint(&u)) u = static_cast<uint64_t>(i);
            if (!ok) {
              return fail(loc,
                          "Parameter '" + name + "[" + std::to_string(idx) + "]' expects uint64");
            }
            if (u > UINT16_MAX) return fail(loc, "Parameter 'null' expects uint16_t");
            items.push_back(Value::u64(u));
            idx++;
          }
          std::string joined;
          for (const Value& e : items) {
            joined += (joined.empty() ? "" : ",") + std::to_string(e.raw_u64());
          }
          c.props[name] = joined;
          obj.ordered.put(name, Value(std::move(items)));
          break;
        }
      }
    } else {
      std::optional<std::string> s = last_kv(name);
      if (!s) {
        if (p.required) return fail(loc, "Parameter '" + name + "' is missing");
        continue;
      }
      used.push_back(name);
      switch (p.type) {
        case PType::kBool: {
          bool b = false;
          if (!qopts::parse_bool(*s, &b)) return fail(loc, qopts::bool_error(name));
          obj.ordered.put(name, Value(b));
          c.props[name] = b ? "on" : "off";
          break;
        }
        case PType::kStr:
          obj.ordered.put(name, Value(*s));
          c.props[name] = *s;
          break;
        case PType::kPolicy:
        case PType::kSecretFormat:
          if (!enum_ok(p.type, *s)) {
            return fail(loc, "Parameter '" + name + "' does not accept value '" + *s + "'");
          }
          obj.ordered.put(name, Value(*s));
          c.props[name] = *s;
          break;
        case PType::kSize: {
          uint64_t u = 0;
          bool hex_suffix = false;
          ParseStatus st = qopts::parse_size(*s, &u, 'B', 1024, &hex_suffix);
          if (hex_suffix) {
            report(loc, "warning: Using a multiplier suffix on hex numbers is deprecated: " + *s);
          }
          if (st != ParseStatus::kOk) {
            return fail(loc, "Parameter '" + name + "' expects a size value");
          }
          obj.ordered.put(name, Value::u64(u));
          c.props[name] = std::to_string(u);
          break;
        }
        case PType::kU32: {
          uint64_t u = 0;
          size_t used_chars = 0;
          if (!parse_unsigned(*s, &u, &used_chars) || used_chars != s->size()) {
            return fail(loc, "Parameter '" + name + "' expects a uint64 value");
          }
          if (u > UINT32_MAX) return fail(loc, "Parameter '" + name + "' expects uint32_t");
          obj.ordered.put(name, Value::u64(u));
          c.props[name] = std::to_string(u);
          break;
        }
        case PType::kU16List: {
          std::vector<Value> items;
          for (const auto& [k, val] : kv) {
            if (k != name) continue;
            uint64_t lo = 0, hi = 0;
            size_t n = 0;
            bool ok = parse_unsigned(val, &lo, &n);
            if (ok && n == val.size()) {
              hi = lo;
            } else if (ok && val[n] == '-') {
              size_t n2 = 0;
              std::string rest = val.substr(n + 1);
              ok = parse_unsigned(rest, &hi, &n2) && n2 == rest.size() && lo <= hi &&
                   hi - lo < 65536;
            } else {
              ok = false;
            }
            if (!ok) return fail(loc, "Parameter '" + name + "' expects a uint64 value or range");
            for (uint64_t u = lo;; u++) {
              if (u > UINT16_MAX) return fail(loc, "Parameter 'null' expects uint16_t");
              items.push_back(Value::u64(u));
              if (u == hi) break;
            }
          }
          std::string joined;
          for (const Value& e : items) {
            joined += (joined.empty() ? "" : ",") + std::to_string(e.raw_u64());
          }
          c.props[name] = joined;
          obj.ordered.put(name, Value(std::move(items)));
          break;
        }
      }
    }
  }
  // Members nobody asked for.
  if (json) {
    if (auto bad = first_unexpected(input, used)) {
      return fail(loc, "Parameter '" + *bad + "' is unexpected");
    }
  } else {
    // The opts visitor's table: option names in the order given, then "id".
    qopts::StrHashTableOrder table;
    for (const auto& [k, v] : kv) table.insert(k);
    if (kv_id) table.insert("id");
    for (const std::string& k : used) table.remove(k);
    std::vector<std::string> left = table.keys();
    if (!left.empty()) return fail(loc, "Invalid parameter '" + left.front() + "'");
  }
  objects_.push_back(std::move(obj));
  return false;
}

// ---- -device ---------------------------------------------------------------------

Result<bool> Parser::opt_device(const std::string& loc, const std::string& arg) {
  // Only the syntax and the help requests here: QEMU checks the driver and
  // the properties when it creates the devices (create_devices()).
  PendingDevice dev;
  dev.loc = loc;
  dev.json = !arg.empty() && arg[0] == '{';
  if (dev.json) {
    Result<Value> v = parse_json(arg);
    if (!v.ok()) return fail(loc, v.error().desc);
    if (!v->is_dict()) return unsupported(loc, "this -device");
    for (const auto& [k, val] : v->as_dict().entries()) {
      std::string str = val.is_string() ? val.as_string() : to_json(val);
      if (k == "driver") {
        // A driver that is not a string is as good as none.
        if (val.is_string()) dev.cfg.driver = str;
      } else if (k == "id") {
        dev.cfg.id = str;
      } else {
        dev.cfg.props[k] = str;
      }
    }
  } else {
    std::vector<Warning> ws;
    Result<Opts*> r = device_opts_.parse(arg, true, true, nullptr, &ws);
    warnings(loc, ws);
    if (!r.ok()) return fail(loc, r.error().desc);
    auto driver = (*r)->get("driver");
    bool wants_help = false;
    for (const qopts::Opt& o : (*r)->all()) wants_help |= qopts::is_help_option(o.name);
    if (driver && qopts::is_help_option(*driver)) {
      cfg_.action = Config::Action::PrintHelp;
      cfg_.output_text = device_list_help();
      return true;
    }
    if (driver && wants_help) {
      // QEMU prints the help or the error and exits 0 either way.
      cfg_.action = Config::Action::PrintHelp;
      Result<std::string> help = device_type_help(*driver);
      if (help.ok()) {
        cfg_.output_text = *help;
      } else {
        report(loc, help.error().desc);
      }
      return true;
    }
    dev.cfg.driver = driver.value_or("");
    dev.cfg.id = (*r)->id();
    for (const qopts::Opt& o : (*r)->all()) {
      if (o.name != "driver") dev.cfg.props[o.name] = o.str;
    }
  }
  devices_.push_back(std::move(dev));
  return false;
}

// ---- -audiodev -------------------------------------------------------------------

Status Parser::opt_audiodev(const std::string& loc, const std::string& arg) {
  Dict d;
  bool json = !arg.empty() && arg[0] == '{';
  if (json) {
    Result<Value> v = parse_json(arg);
    if (!v.ok()) return fail(loc, v.error().desc);
    if (!v->is_dict()) return fail(loc, "Invalid parameter type for 'null', expected: object");
    d = v->as_dict();
  } else {
    bool help = false;
    Result<Dict> r = qopts::keyval_parse(arg, "driver", &help);
    if (!r.ok()) return fail(loc, r.error().desc);
    if (help) return unsupported(loc, "audio help");
    d = std::move(*r);
  }
  const Value* id = d.get("id");
  if (!id) return fail(loc, "Parameter 'id' is missing");
  if (!id->is_string()) {
    return fail(loc, json ? "Invalid parameter type for 'id', expected: string"
                          : "Parameters 'id.*' are unexpected");
  }
  const Value* drv = d.get("driver");
  if (!drv) return fail(loc, "Parameter 'driver' is missing");
  if (!drv->is_string()) {
    return fail(loc, json ? "Invalid parameter type for 'driver', expected: string"
                          : "Parameters 'driver.*' are unexpected");
  }
  static const std::set<std::string> kDrivers = {"none", "alsa", "dbus",  "jack", "oss",
                                                 "pa",   "sdl",  "spice", "wav"};
  if (!kDrivers.count(drv->as_string())) {
    return fail(loc, "Parameter 'driver' does not accept value '" + drv->as_string() + "'");
  }
  if (drv->as_string() != "none") {
    return unsupported(loc, "audio driver '" + drv->as_string() + "'");
  }
  for (const auto& [k, v] : d.entries()) {
    if (k != "id" && k != "driver") return unsupported(loc, "audiodev property '" + k + "'");
  }
  cfg_.audiodevs.push_back({id->as_string(), drv->as_string()});
  return {};
}

// ---------------------------------------------------------------------------
// Startup, in QEMU's order.

Status Parser::check_sandbox() {
  for (const Opts& o : sandbox_opts_.all()) {
    const std::string& loc = opts_loc_[&o];
    if (!o.get_bool("enable", false)) continue;
    cfg_.sandbox_enabled = true;
    struct Check {
      const char* key;
      std::vector<std::string> values;
    };
    const Check checks[] = {{"obsolete", {"allow", "deny"}},
                            {"elevateprivileges", {"deny", "children", "allow"}},
                            {"spawn", {"deny", "allow"}},
                            {"resourcecontrol", {"deny", "allow"}}};
    for (const Check& c : checks) {
      auto v = o.get(c.key);
      if (!v) continue;
      if (std::find(c.values.begin(), c.values.end(), *v) == c.values.end()) {
        return fail(loc, std::string("invalid argument for ") + c.key);
      }
    }
  }
  for (const Opts& o : sandbox_opts_.all()) {
    for (const qopts::Opt& opt : o.all()) cfg_.sandbox[opt.name] = opt.str;
  }
  return {};
}

Status Parser::check_actions() {
  if (action_opts_.all().empty()) return {};
  const Opts& o = action_opts_.all().front();
  const std::string& loc = opts_loc_[&o];
  struct Check {
    const char* key;
    std::vector<std::string> values;
  };
  const Check checks[] = {
      {"reboot", {"reset", "shutdown"}},
      {"shutdown", {"poweroff", "pause"}},
      {"panic", {"pause", "shutdown", "exit-failure", "none"}},
      {"watchdog", {"reset", "shutdown", "poweroff", "pause", "debug", "none", "inject-nmi"}}};
  for (const Check& c : checks) {
    auto v = o.get(c.key);
    if (!v) continue;
    if (std::find(c.values.begin(), c.values.end(), *v) == c.values.end()) {
      return fail(loc, std::string("Parameter '") + c.key + "' does not accept value '" + *v + "'");
    }
  }
  if (auto v = o.get("reboot")) cfg_.reboot_action = *v;
  if (auto v = o.get("shutdown")) cfg_.shutdown_action = *v;
  cfg_.no_shutdown = cfg_.shutdown_action == "pause";
  return {};
}

Status Parser::configure_rtc() {
  if (rtc_opts_.all().empty()) return {};
  const Opts& o = rtc_opts_.all().front();
  for (const qopts::Opt& opt : o.all()) cfg_.rtc[opt.name] = opt.str;
  if (auto base = o.get("base")) {
    if (*base != "utc" && *base != "localtime") {
      int y, mo, d, h, mi, s;
      if (std::sscanf(base->c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6 &&
          std::sscanf(base->c_str(), "%d-%d-%d", &y, &mo, &d) != 3) {
        return generic_error(
            "invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'");
      }
    }
    cfg_.rtc_base = *base;
  }
  if (auto clock = o.get("clock")) {
    if (*clock != "host" && *clock != "rt" && *clock != "vm") {
      return generic_error("invalid option value '" + *clock + "'");
    }
    cfg_.rtc_clock = *clock;
  }
  if (auto drift = o.get("driftfix")) {
    if (*drift != "slew" && *drift != "none") {
      return generic_error("invalid option value '" + *drift + "'");
    }
  }
  return {};
}

// parse_memory_options(): -m becomes the machine's "memory" property.
Status Parser::merge_memory_options() {
  Dict prop;
  if (!mem_opts_.all().empty()) {
    const Opts& o = mem_opts_.all().front();
    if (o.get_size("size", 0) != 0) {
      std::string s = *o.get("size");
      if (!s.empty() && std::isdigit(static_cast<unsigned char>(s.back()))) s += "M";
      prop.put("size", Value(s));
    }
    if (auto v = o.get("maxmem")) prop.put("max-size", Value(*v));
    if (auto v = o.get("slots")) prop.put("slots", Value(*v));
  }
  Dict wrap;
  wrap.put("memory", Value(std::move(prop)));
  return qopts::keyval_merge(machine_dict_, wrap);
}

Status Parser::select_machine() {
  const Value* type = machine_dict_.get("type");
  if (type && type->is_string()) {
    const std::string name = type->as_string();
    machine_ = find_machine(name);
    machine_dict_.remove("type");
    if (!machine_) {
      if (is_known_unsupported_machine(name)) {
        return generic_error("machine type '" + name + "' is not supported by migemu");
      }
      return generic_error(
          "unsupported machine type\nUse -machine help to list supported machines");
    }
  } else {
    machine_ = find_machine("pc");
  }
  MachineConfig& mc = cfg_.machine;
  mc.type = machine_->name;
  mc.default_ram_id = machine_->is_pc ? "pc.ram" : "ram";
  mc.max_cpus = machine_->max_cpus;
  mc.deprecated = machine_->deprecated;
  cfg_.ram_size = machine_->is_pc ? 128ull << 20 : 0;
  cfg_.smp_cpus = 1;
  cfg_.max_cpus = 1;
  return {};
}

// qemu_disable_default_devices() + qemu_create_default_devices().
Status Parser::default_devices() {
  bool machine_ports = machine_->has_serial_parallel;
  if (!has_defaults_ || !machine_ports) {
    default_serial_ = false;
    default_parallel_ = false;
  }
  if (!has_defaults_) default_monitor_ = false;
  // The board's default display and NIC (PCI functions, system/pci_board.h).
  cfg_.default_vga = has_defaults_ && default_vga_;
  cfg_.default_nic = has_defaults_ && default_net_;
  if (cfg_.daemonize && nographic_ && (default_parallel_ || default_serial_ || default_monitor_)) {
    return generic_error("-nographic cannot be used with -daemonize");
  }
  cfg_.board_serial_ports = default_serial_ ? 1 : 0;
  auto add_port = [&](const std::string& id, const std::string& backend) {
    ChardevConfig c;
    c.id = id;
    c.backend = backend;
    c.filename = backend;
    late_chardevs_.push_back(c);
  };
  if (nographic_) {
    if (default_serial_ && default_monitor_) {
      ChardevConfig c;
      c.id = "serial0";
      c.backend = "stdio";
      c.mux = true;
      c.signal = false;
      c.filename = "mux";
      late_chardevs_.push_back(c);
      MonitorConfig m;
      m.chardev = "serial0";
      late_monitors_.push_back(m);
    } else {
      if (default_serial_) add_port("serial0", "stdio");
      if (default_monitor_) MIGEMU_TRY(opt_monitor("", "stdio", false, false));
    }
    if (default_parallel_) add_port("parallel0", "null");
  } else {
    if (default_serial_) add_port("serial0", "vc");
    if (default_parallel_) add_port("parallel0", "vc");
    if (default_monitor_) MIGEMU_TRY(opt_monitor("", "vc:80Cx24C", false, false));
  }
  return {};
}

// object_option_foreach_add(): each -object, in order; memory backends are
// "late" objects (created after the machine and accelerator are set up, so
// that big allocations do not delay the monitor), the others "early" ones.
Status Parser::create_objects(bool early) {
  for (PendingObject& po : objects_) {
    ObjectConfig& c = po.cfg;
    if (is_memory_backend_type(c.qom_type) == early) continue;
    if (c.from_json && !qopts::id_wellformed(c.id)) return generic_error(qopts::bad_id_error());
    if (object_ids_.count(c.id)) {
      return generic_error("attempt to add duplicate property '" + c.id +
                           "' to object (type 'container')");
    }
    // Properties are set in the hash order of QEMU's QDict.
    Dict props = po.ordered;
    props.remove("qom-type");
    props.remove("id");
    bool prealloc = false;
    bool reserve = true;
    for (size_t idx : qdict_iteration_order(props)) {
      const auto& [name, v] = props.entries()[idx];
      if (name == "size") {
        c.size = v.raw_u64();
        if (c.size == 0) {
          return generic_error("property 'size' of " + c.qom_type + " doesn't take value '0'");
        }
      } else if (name == "prealloc-threads") {
        c.prealloc_threads = static_cast<uint32_t>(v.raw_u64());
        if (c.prealloc_threads == 0) {
          return generic_error("property 'prealloc-threads' of " + c.qom_type +
                               " doesn't take value '0'");
        }
      } else if (name == "prealloc") {
        if (v.as_bool() && !reserve) {
          return generic_error("'prealloc=on' and 'reserve=off' are incompatible");
        }
        prealloc = v.as_bool();
      } else if (name == "reserve") {
        if (prealloc && !v.as_bool()) {
          return generic_error("'prealloc=on' and 'reserve=off' are incompatible");
        }
        reserve = v.as_bool();
      } else if (name == "host-nodes") {
        for (const Value& e : v.as_list()) {
          if (e.raw_u64() >= 128) {
            return generic_error("Invalid host-nodes value: " + std::to_string(e.raw_u64()));
          }
          c.host_nodes.push_back(static_cast<uint16_t>(e.raw_u64()));
        }
      } else if (name == "hugetlbsize") {
        c.hugetlbsize = v.raw_u64();
        if (c.hugetlbsize == 0) {
          return generic_error(
              "Property 'memory-backend-memfd.hugetlbsize' doesn't take value '0'");
        }
      } else if (name == "prealloc-context") {
        return generic_error("object '" + c.id + "': prealloc-context is not supported by migemu");
      } else if (name == "keyid") {
        return generic_error("secret '" + c.id + "': keyid is not supported by migemu");
      } else if (name == "share") {
        c.share = v.as_bool();
      } else if (name == "dump") {
        c.dump = v.as_bool();
      } else if (name == "merge") {
        c.merge = v.as_bool();
      } else if (name == "policy") {
        c.policy = v.as_string();
      } else if (name == "mem-path") {
        c.mem_path = v.as_string();
      } else if (name == "align") {
        c.align = v.raw_u64();
      } else if (name == "discard-data") {
        c.discard_data = v.as_bool();
      } else if (name == "readonly") {
        c.readonly = v.as_bool();
      } else if (name == "pmem") {
        c.pmem = v.as_bool();
      } else if (name == "hugetlb") {
        c.hugetlb = v.as_bool();
      } else if (name == "seal") {
        c.seal = v.as_bool();
      }
    }
    c.prealloc = prealloc;
    c.reserve = reserve;
    // user_creatable_complete().
    if (is_memory_backend_type(c.qom_type)) {
      if (!c.host_nodes.empty() && c.policy == "default") {
        return generic_error(
            "host-nodes must be empty for policy default, or you should explicitly specify a "
            "policy other than default");
      }
      if (c.host_nodes.empty() && c.policy != "default") {
        return generic_error("host-nodes must be set for policy " + c.policy);
      }
      if (c.hugetlb || c.hugetlbsize) {
        return generic_error("object '" + c.id + "': hugetlb is not supported by migemu");
      }
    } else if (c.qom_type == "secret") {
      bool has_data = c.props.count("data") != 0;
      bool has_file = c.props.count("file") != 0;
      if (has_data && has_file) return generic_error("'file' and 'data' are mutually exclusive");
      if (!has_data && !has_file) return generic_error("Either 'file' or 'data' must be provided");
      if (has_data) {
        c.secret_data = c.props["data"];
      } else {
        const std::string& path = c.props["file"];
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          int e = errno;
          return generic_error("Unable to read " + path + ": Failed to open file \u201c" + path +
                               "\u201d: " + std::strerror(e));
        }
        c.secret_data = std::string(std::istreambuf_iterator<char>(in), {});
      }
    }
    object_ids_.insert(c.id);
    cfg_.objects.push_back(c);
  }
  return {};
}

// chardev_init_func() for one -chardev (or compat chardev). Returns true
// when it printed the backend list (help).
Result<bool> Parser::create_chardev(const Opts& o, const std::string& loc) {
  auto backend = o.get("backend");
  if (backend && *backend == "tty") backend = "serial";
  if (backend && *backend == "parport") backend = "parallel";
  if (backend && qopts::is_help_option(*backend)) {
    cfg_.action = Config::Action::PrintHelp;
    std::string list;
    for (std::string_view b : kMigemuChardevBackends) list += "\n  " + std::string(b);
    cfg_.output_text = "Available chardev backend types: " + list + "\n";
    return true;
  }
  if (!o.id()) return fail(loc, "chardev: no id specified");
  if (!backend) return fail(loc, "chardev: \"" + *o.id() + "\" missing backend");
  const std::string& b = *backend;
  if (std::find(std::begin(kChardevBackends), std::end(kChardevBackends), b) ==
      std::end(kChardevBackends)) {
    return fail(loc, "'" + b + "' is not a valid char driver name");
  }
  if (std::find(std::begin(kMigemuChardevBackends), std::end(kMigemuChardevBackends), b) ==
      std::end(kMigemuChardevBackends)) {
    return unsupported(loc, "chardev backend '" + b + "'");
  }
  ChardevConfig c;
  c.id = *o.id();
  c.backend = b;
  c.mux = o.get_bool("mux", false);
  c.signal = o.get_bool("signal", true);
  c.logfile = o.get("logfile");
  c.logappend = o.get_bool("logappend", false);
  if (c.logfile) return unsupported(loc, "chardev logfile");
  if (b == "socket") {
    auto path = o.get("path");
    auto host = o.get("host");
    auto port = o.get("port");
    auto fd = o.get("fd");
    if ((path ? 1 : 0) + (fd ? 1 : 0) + (host ? 1 : 0) > 1) {
      return fail(loc, "None or one of 'path', 'fd' or 'host' option required.");
    }
    if (host && !port) return fail(loc, "chardev: socket: no port given");
    if (o.has("delay") && o.has("nodelay")) {
      return fail(loc, "'delay' and 'nodelay' are mutually exclusive");
    }
    if (o.has("delay") || o.has("nodelay")) {
      c.nodelay = !o.get_bool("delay", true) || o.get_bool("nodelay", false);
      c.nodelay_set = c.nodelay;
    }
    c.server = o.get_bool("server", false);
    c.telnet = o.get_bool("telnet", false);
    c.tn3270 = o.get_bool("tn3270", false);
    c.websocket = o.get_bool("websocket", false);
    bool has_wait = o.has("wait") || c.server;
    c.wait = o.get_bool("wait", true);
    bool has_reconnect = o.has("reconnect");
    c.reconnect = static_cast<int>(o.get_number("reconnect", 0));
    if (auto creds = o.get("tls-creds")) {
      return fail(loc, "No TLS credentials with id '" + *creds + "'");
    }
    if (o.has("tls-authz")) return fail(loc, "'tls_authz' option requires 'tls_creds' option");
    if (fd && has_reconnect) {
      return fail(loc, "'reconnect' option is incompatible with 'fd' address type");
    }
    if (!path && !host && has_reconnect) {
      return fail(loc, "'reconnect' option is incompatible with 'fd' address type");
    }
    if (c.server) {
      if (has_reconnect) {
        return fail(loc, "'reconnect' option is incompatible with socket in server listen mode");
      }
    } else {
      if (c.websocket) return fail(loc, "Websocket client is not implemented");
      if (has_wait) {
        return fail(loc, "'wait' option is incompatible with socket in client connect mode");
      }
    }
    if (path) {
      c.path = *path;
      c.tight = o.get_bool("tight", true);
      c.abstract = o.get_bool("abstract", false);
    } else if (host) {
      c.host = *host;
      c.port = *port;
      if (o.has("to")) c.to = o.get_number("to", 0);
      if (o.has("ipv4")) c.ipv4 = o.get_bool("ipv4", false);
      if (o.has("ipv6")) c.ipv6 = o.get_bool("ipv6", false);
    } else {
      // The fd of a socket QEMU inherited: a number (there is no monitor
      // to look a name up in yet).
      std::string s = fd.value_or("");
      const char* p = s.c_str();
      char* end = nullptr;
      errno = 0;
      long v = std::strtol(p, &end, 10);
      if (end == p || errno != 0 || *end != '\0' || v < 0 || v > INT32_MAX) {
        return fail(loc, "Unable to parse FD number " + s);
      }
      c.fd = static_cast<int>(v);
    }
    if (c.tn3270) return unsupported(loc, "tn3270");
    if (c.websocket) return unsupported(loc, "websocket");
    c.filename = socket_filename(c);
  } else {
    if (b == "stdio") {
      if (cfg_.daemonize) return fail(loc, "cannot use stdio with -daemonize");
      for (const ChardevConfig& other : cfg_.chardevs) {
        if (other.backend == "stdio") {
          return fail(loc, "cannot use stdio by multiple character devices");
        }
      }
    }
    if (b == "file") {
      auto path = o.get("path");
      if (!path) return fail(loc, "chardev: file: no filename given");
      c.path = *path;
      c.append = o.get_bool("append", false);
    }
    c.filename = b;
  }
  if (c.mux) c.filename = "mux";
  c.location = loc;
  cfg_.chardevs.push_back(std::move(c));
  return false;
}

Status Parser::create_chardevs() {
  for (const Opts& o : chardev_opts_.all()) {
    Result<bool> r = create_chardev(o, opts_loc_[&o]);
    if (!r.ok()) return r.take_error();
    if (*r) return {};
  }
  return {};
}

// Machine properties, set one by one in QEMU's hash order.
Status Parser::set_machine_prop(const std::string& key, const Value& v) {
  const MachineProp* p = find_machine_prop(*machine_, key);
  if (!p) {
    return generic_error("Property '" + qom_machine_type(*machine_) + "." + key + "' not found");
  }
  MachineConfig& mc = cfg_.machine;
  auto scalar = [&](const std::string& name, const Value& val) -> Result<std::string> {
    if (!val.is_string()) {
      return generic_error("Parameters '" + name + ".*' are unexpected");
    }
    return val.as_string();
  };
  auto as_struct = [&](const std::string& name, const Value& val) -> Result<const Dict*> {
    if (!val.is_dict()) {
      return generic_error("Invalid parameter type for '" + name + "', expected: object");
    }
    return &val.as_dict();
  };
  auto check_unexpected = [&](const std::string& name, const Dict& d,
                              std::initializer_list<std::string_view> known) -> Status {
    std::vector<std::string> consumed;
    for (std::string_view k : known) {
      if (d.has(k)) consumed.emplace_back(k);
    }
    if (auto bad = first_unexpected(d, consumed)) {
      return generic_error("Parameter '" + name + "." + *bad + "' is unexpected");
    }
    return {};
  };
  auto get_int = [&](const std::string& full, const std::string& s, int64_t* out) -> Status {
    if (qopts::parse_i64(s, 0, out) != ParseStatus::kOk) {
      return generic_error("Parameter '" + full + "' expects integer");
    }
    return {};
  };
  auto get_size = [&](const std::string& full, const std::string& s, uint64_t* out) -> Status {
    bool hex_suffix = false;
    ParseStatus st = qopts::parse_size(s, out, 'B', 1024, &hex_suffix);
    if (hex_suffix) {
      report("", "warning: Using a multiplier suffix on hex numbers is deprecated: " + s);
    }
    if (st != ParseStatus::kOk) return generic_error("Parameter '" + full + "' expects size");
    return {};
  };

  switch (p->kind) {
    case PropKind::kBool: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      bool b = false;
      if (!qopts::parse_bool(*s, &b)) return generic_error(qopts::bool_error(key));
      mc.props[key] = b ? "on" : "off";
      if (key == "usb") mc.usb = b;
      if (key == "dump-guest-core") mc.dump_guest_core = b;
      if (key == "graphics") mc.graphics = b;
      if (key == "mem-merge") mc.mem_merge = b;
      if (key == "suppress-vmdesc") mc.suppress_vmdesc = b;
      return {};
    }
    case PropKind::kString: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      mc.props[key] = *s;
      return {};
    }
    case PropKind::kOnOffAuto: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      if (*s != "on" && *s != "off" && *s != "auto") {
        return generic_error("Parameter '" + key + "' does not accept value '" + *s + "'");
      }
      mc.props[key] = *s;
      return {};
    }
    case PropKind::kInt: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      int64_t i = 0;
      MIGEMU_TRY(get_int(key, *s, &i));
      mc.props[key] = std::to_string(i);
      return {};
    }
    case PropKind::kUint64: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      uint64_t u = 0;
      if (qopts::parse_u64(*s, 0, &u) != ParseStatus::kOk) {
        return generic_error("Parameter '" + key + "' expects integer");
      }
      mc.props[key] = std::to_string(u);
      return {};
    }
    case PropKind::kSize: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      uint64_t u = 0;
      MIGEMU_TRY(get_size(key, *s, &u));
      mc.props[key] = std::to_string(u);
      return {};
    }
    case PropKind::kSmbiosEp: {
      Result<std::string> s = scalar(key, v);
      if (!s.ok()) return s.take_error();
      if (*s != "32" && *s != "64") {
        return generic_error("Parameter '" + key + "' does not accept value '" + *s + "'");
      }
      mc.props[key] = *s;
      return {};
    }
    case PropKind::kLink:
      return {};  // memory-backend is taken out before (legacy option)
    case PropKind::kUnsupported:
      return generic_error("machine property '" + key + "' is not supported by migemu");
    case PropKind::kMemory: {
      Result<const Dict*> d = as_struct(key, v);
      if (!d.ok()) return d.take_error();
      const Dict& m = **d;
      std::optional<uint64_t> size, max_size, slots;
      if (const Value* x = m.get("size")) {
        Result<std::string> s = scalar("memory.size", *x);
        if (!s.ok()) return s.take_error();
        uint64_t u = 0;
        MIGEMU_TRY(get_size("memory.size", *s, &u));
        size = u;
      }
      if (const Value* x = m.get("max-size")) {
        Result<std::string> s = scalar("memory.max-size", *x);
        if (!s.ok()) return s.take_error();
        uint64_t u = 0;
        MIGEMU_TRY(get_size("memory.max-size", *s, &u));
        max_size = u;
      }
      if (const Value* x = m.get("slots")) {
        Result<std::string> s = scalar("memory.slots", *x);
        if (!s.ok()) return s.take_error();
        uint64_t u = 0;
        if (qopts::parse_u64(*s, 0, &u) != ParseStatus::kOk) {
          return generic_error("Parameter 'memory.slots' expects integer");
        }
        slots = u;
      }
      MIGEMU_TRY(check_unexpected("memory", m, {"size", "max-size", "slots"}));
      // machine_set_mem().
      uint64_t ram = size ? *size : (machine_->is_pc ? 128ull << 20 : 0);
      ram = (ram + 8191) & ~uint64_t{8191};
      char buf[256];
      if (max_size) {
        if (*max_size < ram) {
          std::snprintf(buf, sizeof buf,
                        "invalid value of maxmem: maximum memory size (0x%llx) must be at least "
                        "the initial memory size (0x%llx)",
                        static_cast<unsigned long long>(*max_size),
                        static_cast<unsigned long long>(ram));
          return generic_error(buf);
        }
        if (slots && *slots && *max_size == ram) {
          std::snprintf(buf, sizeof buf,
                        "invalid value of maxmem: memory slots were specified but maximum memory "
                        "size (0x%llx) is equal to the initial memory size (0x%llx)",
                        static_cast<unsigned long long>(*max_size),
                        static_cast<unsigned long long>(ram));
          return generic_error(buf);
        }
        cfg_.max_ram_size = *max_size;
      } else {
        if (slots) return generic_error("slots specified but no max-size");
        cfg_.max_ram_size = ram;
      }
      cfg_.ram_size = ram;
      cfg_.ram_slots = slots.value_or(0);
      return {};
    }
    case PropKind::kSmp: {
      Result<const Dict*> d = as_struct(key, v);
      if (!d.ok()) return d.take_error();
      const Dict& m = **d;
      const char* names[] = {"cpus", "sockets", "dies", "clusters", "cores", "threads", "maxcpus"};
      std::optional<int64_t> vals[7];
      for (int k = 0; k < 7; k++) {
        const Value* x = m.get(names[k]);
        if (!x) continue;
        std::string full = std::string("smp.") + names[k];
        Result<std::string> s = scalar(full, *x);
        if (!s.ok()) return s.take_error();
        int64_t i = 0;
        MIGEMU_TRY(get_int(full, *s, &i));
        vals[k] = i;
      }
      MIGEMU_TRY(check_unexpected(
          "smp", m, {"cpus", "sockets", "dies", "clusters", "cores", "threads", "maxcpus"}));
      // machine_parse_smp_config(), with QEMU's unsigned arithmetic.
      bool zero = false;
      for (auto& x : vals) zero |= x && *x == 0;
      if (zero) {
        report("",
               "warning: Deprecated CPU topology (considered invalid): CPU topology parameters "
               "must be greater than zero");
      }
      auto get = [&](int k) -> uint32_t { return vals[k] ? static_cast<uint32_t>(*vals[k]) : 0; };
      uint32_t cpus = get(0), sockets = get(1), dies = get(2), clusters = get(3), cores = get(4),
               threads = get(5), maxcpus = get(6);
      if (!machine_->dies_supported && dies > 1) {
        return generic_error("dies not supported by this machine's CPU topology");
      }
      if (clusters > 1) {
        return generic_error("clusters not supported by this machine's CPU topology");
      }
      dies = dies > 0 ? dies : 1;
      clusters = clusters > 0 ? clusters : 1;
      if (cpus == 0 && maxcpus == 0) {
        sockets = sockets > 0 ? sockets : 1;
        cores = cores > 0 ? cores : 1;
        threads = threads > 0 ? threads : 1;
      } else {
        maxcpus = maxcpus > 0 ? maxcpus : cpus;
        if (machine_->prefer_sockets) {
          if (sockets == 0) {
            cores = cores > 0 ? cores : 1;
            threads = threads > 0 ? threads : 1;
            sockets = maxcpus / (dies * clusters * cores * threads);
          } else if (cores == 0) {
            threads = threads > 0 ? threads : 1;
            cores = maxcpus / (sockets * dies * clusters * threads);
          }
        } else {
          if (cores == 0) {
            sockets = sockets > 0 ? sockets : 1;
            threads = threads > 0 ? threads : 1;
            cores = maxcpus / (sockets * dies * clusters * threads);
          } else if (sockets == 0) {
            threads = threads > 0 ? threads : 1;
            sockets = maxcpus / (dies * clusters * cores * threads);
          }
        }
        if (threads == 0) threads = maxcpus / (sockets * dies * clusters * cores);
      }
      maxcpus = maxcpus > 0 ? maxcpus : sockets * dies * clusters * cores * threads;
      cpus = cpus > 0 ? cpus : maxcpus;
      auto topo = [&] {
        std::string s = "sockets (" + std::to_string(sockets) + ")";
        if (machine_->dies_supported) s += " * dies (" + std::to_string(dies) + ")";
        s += " * cores (" + std::to_string(cores) + ")";
        s += " * threads (" + std::to_string(threads) + ")";
        return s;
      };
      if (sockets * dies * clusters * cores * threads != maxcpus) {
        return generic_error("Invalid CPU topology: product of the hierarchy must match maxcpus: " +
                             topo() + " != maxcpus (" + std::to_string(maxcpus) + ")");
      }
      if (maxcpus < cpus) {
        return generic_error(
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: " + topo() +
            " == maxcpus (" + std::to_string(maxcpus) + ") < smp_cpus (" + std::to_string(cpus) +
            ")");
      }
      if (maxcpus > machine_->max_cpus) {
        return generic_error("Invalid SMP CPUs " + std::to_string(static_cast<int32_t>(maxcpus)) +
                             ". The max CPUs supported by machine '" + machine_->name + "' is " +
                             std::to_string(machine_->max_cpus));
      }
      cfg_.smp_cpus = cpus;
      cfg_.max_cpus = maxcpus;
      cfg_.smp_sockets = sockets;
      cfg_.smp_dies = dies;
      cfg_.smp_clusters = clusters;
      cfg_.smp_cores = cores;
      cfg_.smp_threads = threads;
      return {};
    }
    case PropKind::kBoot: {
      Result<const Dict*> d = as_struct(key, v);
      if (!d.ok()) return d.take_error();
      const Dict& m = **d;
      std::map<std::string, std::string> boot;
      struct Member {
        const char* name;
        char type;  // s, b, i
      };
      const Member members[] = {{"order", 's'},  {"once", 's'},        {"menu", 'b'},
                                {"splash", 's'}, {"splash-time", 'i'}, {"reboot-timeout", 'i'},
                                {"strict", 'b'}};
      for (const Member& mem : members) {
        const Value* x = m.get(mem.name);
        if (!x) continue;
        std::string full = std::string("boot.") + mem.name;
        Result<std::string> s = scalar(full, *x);
        if (!s.ok()) return s.take_error();
        if (mem.type == 'b') {
          bool b = false;
          if (!qopts::parse_bool(*s, &b)) return generic_error(qopts::bool_error(full));
          boot[mem.name] = b ? "on" : "off";
        } else if (mem.type == 'i') {
          int64_t i = 0;
          MIGEMU_TRY(get_int(full, *s, &i));
          boot[mem.name] = std::to_string(i);
        } else {
          boot[mem.name] = *s;
        }
      }
      MIGEMU_TRY(check_unexpected(
          "boot", m,
          {"order", "once", "menu", "splash", "splash-time", "reboot-timeout", "strict"}));
      for (const char* k : {"order", "once"}) {
        auto it = boot.find(k);
        if (it == boot.end()) continue;
        unsigned seen = 0;
        for (char ch : it->second) {
          if (ch < 'a' || ch > 'p') {
            return generic_error(std::string("Invalid boot device '") + ch + "'");
          }
          unsigned bit = 1u << (ch - 'a');
          if (seen & bit) {
            return generic_error(std::string("Boot device '") + ch + "' was given twice");
          }
          seen |= bit;
        }
      }
      cfg_.boot = boot;
      return {};
    }
  }
  return {};
}

Status Parser::apply_machine_options() {
  // keyval_dashify().
  Dict& d = machine_dict_;
  {
    std::vector<std::string> keys;
    for (size_t idx : qdict_iteration_order(d)) keys.push_back(d.entries()[idx].first);
    for (const std::string& k : keys) {
      if (k.find('_') == std::string::npos) continue;
      std::string nk = k;
      std::replace(nk.begin(), nk.end(), '_', '-');
      if (d.has(nk)) return generic_error("Conflict between '" + k + "' and '" + nk + "'");
      Value v = *d.get(k);
      d.put(nk, std::move(v));
      d.remove(k);
    }
  }
  // Legacy options that are not machine properties.
  if (const Value* v = d.get("accel"); v && v->is_string()) {
    accelerators_ = v->as_string();
    cfg_.machine.accel = v->as_string();
    d.remove("accel");
  }
  for (const char* k : {"igd-passthru", "kvm-shadow-mem", "kernel-irqchip"}) {
    if (const Value* v = d.get(k); v && v->is_string()) d.remove(k);
  }
  if (const Value* v = d.get("memory-backend"); v && v->is_string()) {
    ram_memdev_id_ = v->as_string();
    cfg_.machine.memory_backend = v->as_string();
    d.remove("memory-backend");
  }
  if (const Value* v = d.get("memory")) {
    have_custom_ram_size_ = v->is_dict() && v->as_dict().has("size");
  }
  // The properties themselves.
  std::vector<size_t> order = qdict_iteration_order(d);
  for (size_t idx : order) {
    const auto& [k, v] = d.entries()[idx];
    MIGEMU_TRY(set_machine_prop(k, v));
  }
  cfg_.ram_size_set = have_custom_ram_size_;
  return {};
}

Status Parser::configure_accelerators() {
  // The accelerators to try, each with its properties and where it came from.
  struct Accel {
    std::string name;
    std::vector<std::pair<std::string, std::string>> props;
    std::string loc;
  };
  std::vector<Accel> list;
  bool init_failed = false;
  if (accel_opts_.all().empty()) {
    std::string spec = accelerators_.value_or("tcg:kvm");
    size_t start = 0;
    while (!spec.empty()) {  // an empty list has no names at all
      size_t colon = spec.find(':', start);
      std::string name =
          spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (name == "tcg" || name == "kvm") {
        list.push_back({name, {}, ""});
      } else {
        init_failed = true;
        report("", "invalid accelerator " + name);
      }
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  } else {
    if (accelerators_) {
      return generic_error("The -accel and \"-machine accel=\" options are incompatible");
    }
    for (const Opts& o : accel_opts_.all()) {
      Accel a;
      a.name = o.get("accel").value_or("");
      a.loc = opts_loc_[&o];
      for (const qopts::Opt& opt : o.all()) {
        if (opt.name != "accel") a.props.emplace_back(opt.name, opt.str);
      }
      list.push_back(std::move(a));
    }
  }
  for (const Accel& a : list) cfg_.accels.push_back(a.name);
  for (const Accel& a : list) {
    if (a.name != "tcg" && a.name != "kvm") {
      init_failed = true;
      report(a.loc, "invalid accelerator " + a.name);
      continue;
    }
    // The accelerator's properties.
    for (const auto& [k, v] : a.props) {
      std::string owner = a.name + "-accel";
      if (a.name == "tcg") {
        if (k == "thread") {
          if (v != "single" && v != "multi") {
            return fail(a.loc, "Invalid 'thread' setting " + v);
          }
        } else if (k == "tb-size") {
          uint64_t u = 0;
          if (qopts::parse_u64(v, 0, &u) != ParseStatus::kOk || u > UINT32_MAX) {
            return fail(a.loc, "Parameter 'tb-size' expects uint32_t");
          }
        } else if (k == "split-wx") {
          bool b;
          if (!qopts::parse_bool(v, &b)) return fail(a.loc, qopts::bool_error(k));
        } else {
          return fail(a.loc, "Property '" + owner + "." + k + "' not found");
        }
      } else {
        static const std::set<std::string> kKvmProps = {"kernel-irqchip", "kvm-shadow-mem",
                                                        "dirty-ring-size", "notify-vmexit",
                                                        "notify-window"};
        if (!kKvmProps.count(k)) {
          return fail(a.loc, "Property '" + owner + "." + k + "' not found");
        }
      }
    }
    if (a.name == "kvm") {
      // migemu behaves like QEMU on a host without /dev/kvm.
      init_failed = true;
      plain("Could not access KVM kernel module: No such file or directory");
      report(a.loc, "failed to initialize kvm: No such file or directory");
      continue;
    }
    cfg_.accel = "tcg";
    for (const auto& [k, v] : a.props) cfg_.accel_props[k] = v;
    if (init_failed) report("", "falling back to tcg");
    return {};
  }
  if (!init_failed) return generic_error("no accelerator found");
  // QEMU exits after its last report; that report is the error.
  StderrLine last = cfg_.messages.back();
  cfg_.messages.pop_back();
  return generic_error(last.text);
}

Status Parser::init_monitors() {
  std::vector<MonitorConfig> mons;
  auto use_chardev = [&](const std::string& id) -> Status {
    const ChardevConfig* chr = nullptr;
    for (const ChardevConfig& c : cfg_.chardevs) {
      if (c.id == id) chr = &c;
    }
    if (!chr) return generic_error("chardev \"" + id + "\" not found");
    int& users = chardev_users_[id];
    // A mux chardev takes up to four frontends, any other one.
    if (users >= (chr->mux ? 4 : 1)) return generic_error("Device '" + id + "' is in use");
    users++;
    return {};
  };
  for (const Opts& o : mon_opts_.all()) {
    const std::string& loc = opts_loc_[&o];
    auto mode = o.get("mode");
    if (mode && *mode != "readline" && *mode != "control") {
      return fail(loc, "Parameter 'mode' does not accept value '" + *mode + "'");
    }
    auto chardev = o.get("chardev");
    if (!chardev) return fail(loc, "Parameter 'chardev' is missing");
    bool pretty = o.get_bool("pretty", false);
    bool control = mode && *mode == "control";
    Status st = use_chardev(*chardev);
    if (!st.ok()) return fail(loc, st.error().desc);
    if (!control && pretty) return fail(loc, "'pretty' is not compatible with HMP monitors");
    MonitorConfig m;
    m.id = o.id().value_or("");
    m.chardev = *chardev;
    m.control = control;
    m.pretty = pretty;
    cfg_.monitors.push_back(m);
  }
  // The default serial ports and the monitor that shares serial0.
  for (ChardevConfig& c : late_chardevs_) {
    if (c.backend == "stdio" && cfg_.daemonize) {
      return generic_error("cannot use stdio with -daemonize");
    }
    cfg_.chardevs.push_back(c);
  }
  for (const MonitorConfig& m : late_monitors_) {
    chardev_users_[m.chardev]++;
    cfg_.monitors.push_back(m);
  }
  return {};
}

Status Parser::check_cpu() {
  if (!cpu_option_) return {};
  std::string s = *cpu_option_;
  std::string model = s.substr(0, s.find(','));
  if (qopts::is_help_option(model)) {
    return generic_error("listing CPU models (-cpu help) is not supported by migemu");
  }
  if (!find_cpu_model(model)) return generic_error("unable to find CPU model '" + model + "'");
  cfg_.cpu_model = model;
  size_t p = s.find(',');
  while (p != std::string::npos) {
    size_t q = s.find(',', p + 1);
    std::string feat = s.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1);
    if (!feat.empty()) cfg_.cpu_features.push_back(feat);
    p = q;
  }
  return {};
}

Status Parser::resolve_memdev() {
  if (!ram_memdev_id_) return {};
  const ObjectConfig* backend = nullptr;
  for (const ObjectConfig& o : cfg_.objects) {
    if (o.id == *ram_memdev_id_ && is_memory_backend_type(o.qom_type)) backend = &o;
  }
  if (!backend) return generic_error("Memory backend '" + *ram_memdev_id_ + "' not found");
  if (!have_custom_ram_size_) cfg_.ram_size = backend->size;
  return {};
}

Status Parser::init_board() {
  if (ram_memdev_id_) {
    for (const ObjectConfig& o : cfg_.objects) {
      if (o.id == *ram_memdev_id_ && o.size != cfg_.ram_size) {
        return generic_error("Machine memory size does not match the size of the memory backend");
      }
    }
  } else if (cfg_.ram_size) {
    const std::string& rid = cfg_.machine.default_ram_id;
    for (const ObjectConfig& o : cfg_.objects) {
      if (o.id == rid) {
        return generic_error("object name '" + rid +
                             "' is reserved for the default RAM backend, it can't be used for "
                             "any other purposes. Change the object's 'id' to something else");
      }
    }
  }
  if (cfg_.machine.props.count("kernel")) {
    if (!machine_->is_pc) {
      return generic_error(
          "The -kernel parameter is not supported (use the generic 'loader' device instead).");
    }
    return generic_error("booting a kernel (kernel=) is not supported by migemu");
  }
  if (cpu_option_) {
    if (!machine_->is_pc) {
      return generic_error("apic-id property was not initialized properly");
    }
    if (cfg_.cpu_model == "host") return generic_error("CPU model 'host' requires KVM or HVF");
  }
  if (cfg_.cpu_model.empty()) cfg_.cpu_model = machine_->is_pc ? "qemu64" : "";
  return {};
}

Status Parser::create_devices() {
  std::stable_partition(devices_.begin(), devices_.end(),
                        [](const PendingDevice& d) { return !d.json; });
  for (PendingDevice& d : devices_) {
    if (d.cfg.driver.empty()) return fail(d.loc, "Parameter 'driver' is missing");
    Result<std::string> driver = check_device_driver(d.cfg.driver, *machine_, cfg_.machine);
    if (!driver.ok()) return fail(d.loc, driver.error().desc);
    d.cfg.driver = *driver;
    Status ok = check_device_bus(d.cfg, cfg_);
    if (ok.ok()) ok = check_device_properties(d.cfg);
    if (!ok.ok()) return fail(d.loc, ok.error().desc);
    if (device_on_pci(d.cfg.driver)) {
      // pci_qdev_realize() registers the function before the device's own
      // realize runs.
      d.cfg.pci_bus = device_pci_bus(d.cfg, cfg_);
      Result<int> devfn = pci_assign_devfn(cfg_, d.cfg);
      if (!devfn.ok()) return fail(d.loc, devfn.error().desc);
      d.cfg.pci_devfn = *devfn;
    }
    ok = check_device_realize(d.cfg, cfg_);
    if (!ok.ok()) return fail(d.loc, ok.error().desc);
    auto it = d.cfg.props.find("chardev");
    if (it != d.cfg.props.end()) {
      const std::string& id = it->second;
      const ChardevConfig* chr = nullptr;
      for (const ChardevConfig& c : cfg_.chardevs) {
        if (c.id == id) chr = &c;
      }
      if (!chr) {
        return fail(d.loc, "Property 'serial.chardev' can't find value '" + id + "'");
      }
      int& users = chardev_users_[id];
      if (users >= (chr->mux ? 4 : 1)) {
        return fail(d.loc, "Property 'serial.chardev' can't take value '" + id + "': Device '" +
                               id + "' is in use");
      }
      users++;
    }
    cfg_.devices.push_back(d.cfg);
  }
  // qdev_machine_creation_done(): only pc machines can change boot order.
  if (!machine_->is_pc && cfg_.boot.count("once")) {
    return generic_error("no function defined to set boot device list for this architecture");
  }
  return {};
}

Status Parser::check_incoming() {
  if (!cfg_.incoming || *cfg_.incoming == "defer") return {};
  const std::string& uri = *cfg_.incoming;
  for (const char* p : {"tcp:", "unix:", "exec:", "fd:"}) {
    if (uri.compare(0, std::strlen(p), p) == 0) return {};
  }
  if (uri.compare(0, 5, "rdma:") == 0) {
    return generic_error("-incoming " + uri + ": RDMA migration is not supported by migemu");
  }
  return generic_error("-incoming " + uri + ": unknown migration protocol: " + uri);
}

Status Parser::startup() {
  // qemu_validate_options().
  if (!machine_dict_.has("kernel")) {
    if (machine_dict_.has("append")) {
      return generic_error("-append only allowed with -kernel option");
    }
    if (machine_dict_.has("initrd")) {
      return generic_error("-initrd only allowed with -kernel option");
    }
  }
  // qemu_process_early_options().
  if (!name_opts_.all().empty()) {
    const Opts& o = name_opts_.all().front();
    cfg_.name = o.get("guest");
    cfg_.debug_threads = o.get_bool("debug-threads", false);
    cfg_.process_name = o.get("process");
  }
  MIGEMU_TRY(check_sandbox());
  MIGEMU_TRY(check_actions());
  MIGEMU_TRY(configure_rtc());
  MIGEMU_TRY(merge_memory_options());
  MIGEMU_TRY(select_machine());
  MIGEMU_TRY(default_devices());
  if (display_gl_) return generic_error("OpenGL is not supported by the display");
  MIGEMU_TRY(create_objects(true));
  MIGEMU_TRY(create_chardevs());
  if (cfg_.action != Config::Action::Run) return {};
  MIGEMU_TRY(apply_machine_options());
  MIGEMU_TRY(configure_accelerators());
  if (machine_->deprecated) {
    report("", "warning: Machine type '" + machine_->name +
                   "' is deprecated: old and unattended - use a newer version instead");
  }
  MIGEMU_TRY(create_objects(false));
  MIGEMU_TRY(init_monitors());
  MIGEMU_TRY(check_cpu());
  MIGEMU_TRY(resolve_memdev());
  MIGEMU_TRY(init_board());
  MIGEMU_TRY(create_devices());
  MIGEMU_TRY(check_incoming());
  return {};
}

Result<Config> Parser::run() {
  auto finish_error = [&](Error e) -> Result<Config> {
    if (diag_) {
      diag_->messages = cfg_.messages;
      diag_->error_timestamp = msg_timestamp_;
      if (msg_guest_name_ && guest_name_) diag_->error_guest_name = guest_name_;
    }
    return e;
  };
  Status st = pass1();
  if (!st.ok()) return finish_error(st.take_error());
  Result<bool> done = pass2();
  if (!done.ok()) return finish_error(done.take_error());
  if (!*done) {
    st = startup();
    if (!st.ok()) return finish_error(st.take_error());
  }
  if (diag_) diag_->messages = cfg_.messages;
  return std::move(cfg_);
}

}  // namespace

// ---------------------------------------------------------------------------

Result<Config> parse_command_line(const std::vector<std::string>& args, ParseDiagnostics* diag) {
  Parser p(args, diag);
  return p.run();
}

Result<Config> parse_command_line(const std::vector<std::string>& args) {
  return parse_command_line(args, nullptr);
}

std::string version_text() {
  return std::string("QEMU emulator version ") + QEMU_VERSION_STRING + " (" + MIGEMU_PACKAGE +
         ")\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n";
}

namespace {

CommandLineOptionGroup option_group(const OptsList& list) {
  CommandLineOptionGroup g;
  g.option = std::string(list.name);
  for (const OptDesc& d : list.desc) {
    CommandLineParam p;
    p.name = std::string(d.name);
    switch (d.type) {
      case OptType::kString:
        p.type = "string";
        break;
      case OptType::kBool:
        p.type = "boolean";
        break;
      case OptType::kNumber:
        p.type = "number";
        break;
      case OptType::kSize:
        p.type = "size";
        break;
    }
    if (!d.help.empty()) p.help = std::string(d.help);
    if (!d.def.empty()) p.def = std::string(d.def);
    g.params.push_back(std::move(p));
  }
  return g;
}

}  // namespace

std::vector<CommandLineOptionGroup> command_line_option_groups() {
  // The option lists migemu parses, in the order QEMU 7.2's qemu_init()
  // registers them (the ones migemu lacks left out).
  const OptsList* lists[] = {&kChardevList, &kDeviceList, &kRtcList,        &kGlobalList,
                             &kMonList,     &kAccelList,  &kMemoryList,     &kSmpList,
                             &kBootList,    &kObjectList, &kOvercommitList, &kMsgList,
                             &kNameList,    &kActionList, &kSandboxList};
  std::vector<CommandLineOptionGroup> out;
  for (const OptsList* l : lists) out.push_back(option_group(*l));
  return out;
}

CommandLineOptionGroup legacy_machine_option_group() {
  return option_group(kLegacyMachineList);
}

std::string machine_help_text() {
  return machine_list_text();
}

std::string help_text() {
  return version_text() + R"(usage: qemu-system-x86_64 [options]

migemu looks like qemu-system-x86_64 to management tools; it accepts the
options below and refuses every other QEMU option with an error.

Standard options:
-h or -help     print this text and exit
-version        print the version and exit
-machine [type=]name[,prop[=value][,...]]
                the machine type: none, pc (pc-i440fx-7.2), q35 (pc-q35-7.2)
                or a versioned pc-i440fx-X.Y / pc-q35-X.Y ('-machine help')
                accel=tcg[:kvm]      accelerators to try in order
                memory-backend=id    take guest RAM from an -object
                usb=, dump-guest-core=, mem-merge=, graphics=, ... on|off
-cpu model[,feature...]
                the CPU model (qemu64 by default on pc machines)
-accel [accel=]name[,prop=value,...]
                tcg (thread=single|multi, tb-size=, split-wx=); kvm is not
                available, as on a host without /dev/kvm
-smp [[cpus=]n][,maxcpus=m][,sockets=s][,dies=d][,cores=c][,threads=t]
                the virtual CPU topology
-m [size=]megs[,slots=n,maxmem=size]
                guest RAM (a number without suffix means MiB; k/M/G/T/P/E)
-name [guest=]name[,debug-threads=on|off][,process=name]
                the guest's name
-uuid xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
                the machine UUID
-global driver.property=value
                record a default device property
-boot [order=drives][,once=drives][,menu=on|off][,strict=on|off]
      [,reboot-timeout=ms][,splash-time=ms]
                boot settings (recorded)
-device isa-serial,chardev=id
                the only device migemu models (pc machines)
-audiodev [driver=]none,id=id
                a silent audio backend

Display options:
-display none   no display (the only one; vnc, gtk, sdl... are refused)
-nographic      no display; the default monitor goes to stdio
-vga none, -serial none, -parallel none, -net none
                turn off the corresponding default

Character devices and monitors:
-chardev socket,id=id[,path=path[,abstract=on|off][,tight=on|off]|,host=h,port=p
         [,to=p][,ipv4=on|off][,ipv6=on|off]|,fd=n][,server=on|off][,wait=on|off]
         [,telnet=on|off][,nodelay=on|off][,reconnect=seconds][,mux=on|off]
-chardev null|stdio|pty|vc,id=id[,mux=on|off]
-mon [chardev=]id[,mode=readline|control][,pretty=on|off][,id=id]
-qmp dev        a QMP monitor on dev (unix:path,server=on,wait=off,
                tcp:host:port,server=on, stdio, chardev:id, ...)
-qmp-pretty dev the same with pretty-printed replies
-monitor dev    a human monitor on dev ('none' for no default monitor)

Memory and objects:
-object memory-backend-ram|memory-backend-file|memory-backend-memfd,id=id,size=size
        [,mem-path=path][,share=on|off][,prealloc=on|off][,dump=on|off]
        [,merge=on|off][,reserve=on|off][,host-nodes=n[-m]][,policy=...]...
-object secret,id=id,data=string|file=path[,format=raw|base64]
-object '{"qom-type":"memory-backend-ram","id":"ram0","size":1073741824}'
                objects may also be given as JSON

Run control:
-S              do not start the guest (continue from the monitor)
-incoming uri   wait for an incoming migration (tcp:, unix:, exec:, fd:)
-incoming defer wait for migrate-incoming on the monitor
-no-shutdown    stop instead of exiting when the guest shuts down
-no-reboot      exit instead of rebooting
-action reboot=...,shutdown=...,panic=...,watchdog=...
-daemonize      detach from the terminal once the monitors listen
-pidfile file   write the process id to file
-only-migratable
                refuse anything that would block migration
-enable-kvm     same as accel=kvm (fails: no KVM)
-rtc [base=utc|localtime|datetime][,clock=host|rt|vm][,driftfix=none|slew]
-overcommit [mem-lock=on|off][,cpu-pm=on|off]
-sandbox on|off[,obsolete=allow|deny][,elevateprivileges=allow|deny|children]
         [,spawn=allow|deny][,resourcecontrol=allow|deny]
-msg [timestamp=on|off][,guest-name=on|off]
                timestamps and guest names on error messages
-nodefaults     no default monitor, serial or parallel port
-no-user-config do not read configuration files (migemu never does)
)";
}

}  // namespace migemu
