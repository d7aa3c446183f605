// What the command line asked for: the result of parse_command_line(), and
// the input main() builds the process from. Field names follow QEMU's options.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace migemu {

// A line QEMU writes to stderr while it starts (warnings, notes), in order.
// main() prints a `report` line as "[TIMESTAMP ][GUEST ]PROGNAME: text" (as
// error_report/warn_report do; the timestamp only when `timestamp`, i.e.
// -msg timestamp=on was already in effect, the guest name when
// `guest_name` is set) and a plain line as "text". Neither carries "\n".
struct StderrLine {
  bool report = true;
  std::string text;
  bool timestamp = false;
  std::optional<std::string> guest_name;
};

// -chardev socket,... (and the legacy "unix:PATH,server" / "tcp:H:P" syntax of
// -qmp/-monitor, which QEMU turns into a chardev named compat_monitorN).
struct ChardevConfig {
  std::string id;
  std::string backend;  // socket, pty, file, null, vc, stdio (what migemu serves)
  // socket: exactly one of path (unix), host+port (tcp), fd (inherited socket).
  // file: path is the output file.
  std::optional<std::string> path;
  std::optional<std::string> host;
  std::optional<std::string> port;
  std::optional<int> fd;
  bool server = false;
  bool wait = true;  // QEMU's default for server=on is wait=on
  bool telnet = false;
  bool nodelay = false;
  bool abstract = false;  // unix abstract namespace
  bool tight = true;
  std::optional<bool> ipv4;
  std::optional<bool> ipv6;
  int reconnect = 0;
  bool mux = false;  // "mon:" prefix / mux=on
  // Additions (cmdline):
  // backend may also be "vc" (QEMU's default monitor/serial without
  // -nographic; nothing is attached, serve it like "null") and "pty"
  // (libvirt's serial console; a pseudo-terminal).
  bool signal = true;          // mux: Ctrl-C raises SIGINT (off for "mon:stdio")
  std::optional<uint64_t> to;  // tcp: try ports port..to
  bool tn3270 = false;
  bool websocket = false;
  std::optional<bool> nodelay_set;  // nodelay=/delay= given at all
  bool append = false;              // file: append to `path` instead of truncating it
  std::optional<std::string> logfile;
  bool logappend = false;
  // QEMU's query-chardev "filename" before any connection, from the options
  // given ("disconnected:unix:/p,server=on", "null", "stdio", "mux", ...);
  // empty for fd sockets. The opener knows the bound address and may refine it.
  std::string filename;
  // The option as typed ("-chardev socket,id=x,..." or "-qmp unix:..."):
  // QEMU prefixes the chardev's errors and notices with it.
  std::string location;
};

// -mon chardev=ID,mode=readline|control,pretty=on (and -qmp/-monitor).
struct MonitorConfig {
  std::string id;
  std::string chardev;
  bool control = false;  // mode=control (QMP); otherwise HMP (readline)
  bool pretty = false;
};

// -object memory-backend-{ram,file,memfd},id=...,size=... (key=value or JSON).
struct ObjectConfig {
  std::string qom_type;
  std::string id;
  uint64_t size = 0;
  std::optional<std::string> mem_path;  // memory-backend-file
  bool share = false;
  bool prealloc = false;
  bool dump = true;
  bool merge = true;
  bool reserve = true;
  // Every property as given (already type-checked), for query/reporting.
  std::map<std::string, std::string> props;
  // Additions (cmdline). qom_type may also be "secret" (props: data, file,
  // format, iv; `secret_data` holds the data or the file's contents).
  std::vector<uint16_t> host_nodes;
  std::string policy = "default";  // default|preferred|bind|interleave
  uint32_t prealloc_threads = 1;
  uint64_t align = 0;         // memory-backend-file
  bool discard_data = false;  // memory-backend-file
  bool readonly = false;      // memory-backend-file
  bool pmem = false;          // memory-backend-file
  bool hugetlb = false;       // memory-backend-memfd
  uint64_t hugetlbsize = 0;   // memory-backend-memfd
  bool seal = true;           // memory-backend-memfd
  bool from_json = false;     // given in JSON syntax
  std::optional<std::string> secret_data;
};

// -device (only what migemu models: isa-serial on a chardev).
struct DeviceConfig {
  std::string driver;
  std::optional<std::string> id;
  std::map<std::string, std::string> props;  // as given, stringified
  // Set when the device was created: its slot << 3 | function on its PCI
  // bus, -1 for a device on another kind of bus; and that bus: "" for the
  // root bus, else the id of the pcie-root-port it sits behind.
  int pci_devfn = -1;
  std::string pci_bus;
};

// -audiodev (only driver "none").
struct AudiodevConfig {
  std::string id;
  std::string driver;
};

struct MachineConfig {
  std::string type;  // canonical name after alias resolution, e.g. "pc-i440fx-7.2", "none"
  std::optional<std::string> accel;
  std::optional<std::string> memory_backend;
  bool dump_guest_core = true;
  bool usb = false;
  std::map<std::string, std::string> props;
  // Additions (cmdline):
  std::string default_ram_id;  // "pc.ram" (pc/q35), "ram" (none)
  unsigned max_cpus = 1;       // what the machine type supports
  bool deprecated = false;
  bool graphics = true;
  bool mem_merge = true;
  bool suppress_vmdesc = false;
};

struct Config {
  enum class Action { Run, PrintVersion, PrintHelp, PrintMachineHelp };
  Action action = Action::Run;

  MachineConfig machine;
  std::vector<std::string> accels;   // -accel NAME[,...] in order
  uint64_t ram_size = 128ull << 20;  // -m (QEMU's default 128 MiB)
  uint64_t ram_slots = 0;
  uint64_t max_ram_size = 0;
  unsigned smp_cpus = 1;
  unsigned max_cpus = 1;
  std::string cpu_model;
  std::optional<std::string> name;  // -name guest=...
  bool debug_threads = false;
  std::optional<std::string> uuid;  // canonical lower-case text form
  bool start_paused = false;        // -S
  bool nodefaults = false;
  bool no_user_config = false;
  bool nographic = false;
  std::optional<std::string> display;  // -display TYPE
  bool daemonize = false;
  std::optional<std::string> pidfile;
  bool no_shutdown = false;
  std::optional<std::string> incoming;    // -incoming URI | defer
  std::optional<std::string> x_workload;  // -x-workload KEY=VALUE,... (migemu only)
  std::vector<ChardevConfig> chardevs;
  std::vector<MonitorConfig> monitors;
  std::vector<ObjectConfig> objects;
  std::vector<std::string> globals;  // -global DRIVER.PROP=VALUE, as given
  bool msg_timestamp = false;        // -msg timestamp=on
  std::map<std::string, std::string> overcommit, sandbox, rtc, boot;

  // Additions (cmdline):
  // Text for stdout when action != Run (version, -help, -machine help,
  // -accel help, -chardev help, -object TYPE,help ...): print it as is.
  std::string output_text;
  int exit_status = 0;  // for action != Run (QEMU exits 1 after some help texts)
  // What QEMU prints on stderr before running (warnings, "falling back to
  // tcg", ...). Print these in order before doing anything else.
  std::vector<StderrLine> messages;
  std::string accel = "tcg";  // the accelerator in use after fallbacks
  std::map<std::string, std::string> accel_props;
  // -m size / memory.size given. Without it ram_size is the machine's
  // default: 128 MiB for pc/q35, 0 for "none", or the memory-backend's size.
  bool ram_size_set = false;
  unsigned smp_sockets = 1, smp_dies = 1, smp_clusters = 1, smp_cores = 1, smp_threads = 1;
  std::vector<std::string> cpu_features;    // -cpu MODEL,feat... as given
  std::optional<std::string> process_name;  // -name process=
  bool msg_guest_name = false;              // -msg guest-name=on
  bool only_migratable = false;
  std::string reboot_action = "reset";       // -no-reboot: "shutdown"
  std::string shutdown_action = "poweroff";  // -no-shutdown: "pause"
  std::vector<DeviceConfig> devices;
  std::vector<AudiodevConfig> audiodevs;
  std::optional<std::string> rtc_base;  // utc|localtime|DATE
  std::string rtc_clock = "host";       // host|rt|vm
  bool mem_lock = false;                // -overcommit mem-lock=
  bool cpu_pm = false;                  // -overcommit cpu-pm=
  bool sandbox_enabled = false;
  // Without -nodefaults, -vga none and -net none the pc/q35 board gets QEMU's
  // default display (VGA) and NIC.
  bool default_vga = false;
  bool default_nic = false;
  // Serial ports the board creates from -serial / its default (before any
  // -device isa-serial, which count on from there).
  int board_serial_ports = 0;
};

}  // namespace migemu
