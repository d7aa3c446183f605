// What the command line asked for: the result of parse_command_line(), and
// the input main() builds the process from. Field names follow QEMU's options.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace migemu {

// -chardev socket,... (and the legacy "unix:PATH,server" / "tcp:H:P" syntax of
// -qmp/-monitor, which QEMU turns into a chardev named compat_monitorN).
struct ChardevConfig {
  std::string id;
  std::string backend;  // "socket" or "stdio" / "null" (what migemu can serve)
  // socket: exactly one of path (unix), host+port (tcp), fd (inherited socket).
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
};

struct MachineConfig {
  std::string type;  // canonical name after alias resolution, e.g. "pc-i440fx-7.2", "none"
  std::optional<std::string> accel;
  std::optional<std::string> memory_backend;
  bool dump_guest_core = true;
  bool usb = false;
  std::map<std::string, std::string> props;
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
  std::optional<std::string> incoming;  // -incoming URI | defer
  std::vector<ChardevConfig> chardevs;
  std::vector<MonitorConfig> monitors;
  std::vector<ObjectConfig> objects;
  std::vector<std::string> globals;  // -global DRIVER.PROP=VALUE, as given
  bool msg_timestamp = false;        // -msg timestamp=on
  std::map<std::string, std::string> overcommit, sandbox, rtc, boot;
};

}  // namespace migemu
