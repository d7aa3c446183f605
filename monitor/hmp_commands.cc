// The HMP commands migemu implements, with QEMU 7.2's names, argument specs,
// params and help texts (hmp-commands.hx order), and their handlers. Handlers
// call the QMP implementation, as QEMU's hmp_* functions do.
#include <cinttypes>
#include <iterator>
#include <optional>

#include "monitor/hmp.h"
#include "qapi/qapi-commands.h"

namespace migemu {

namespace {

void print_error(Monitor& mon, const Status& st) {
  if (!st.ok()) mon.printf("Error: %s\n", st.error().desc.c_str());
}

const std::string* str_arg(const Dict& args, const char* key) {
  const Value* v = args.get(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

void do_help(Monitor& mon, const Dict& args) {
  const std::string* name = str_arg(args, "name");
  mon.puts(hmp_help_text(hmp_command_table(),
                         name ? std::optional<std::string_view>(*name) : std::nullopt));
}

void do_quit(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  (void)qapi::qmp_quit(ctx);
}

void do_stop(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  (void)qapi::qmp_stop(ctx);
}

void do_cont(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  print_error(mon, qapi::qmp_cont(ctx));
}

void do_system_reset(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  (void)qapi::qmp_system_reset(ctx);
}

void do_system_powerdown(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  (void)qapi::qmp_system_powerdown(ctx);
}

void do_getfd(Monitor& mon, const Dict& args) {
  print_error(mon, mon.getfd(*str_arg(args, "fdname")));
}

void do_closefd(Monitor& mon, const Dict& args) {
  print_error(mon, mon.closefd(*str_arg(args, "fdname")));
}

void do_info_help(Monitor& mon, const Dict&) {
  mon.puts(hmp_help_text(hmp_command_table(), "info"));
}

void do_info_version(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  auto info = qapi::qmp_query_version(ctx);
  mon.printf("%" PRId64 ".%" PRId64 ".%" PRId64 "%s\n", info->qemu.major, info->qemu.minor,
             info->qemu.micro, info->package.c_str());
}

void do_info_kvm(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  auto info = qapi::qmp_query_kvm(ctx);
  mon.puts("kvm support: ");
  if (info->present) {
    mon.printf("%s\n", info->enabled ? "enabled" : "disabled");
  } else {
    mon.puts("not compiled\n");
  }
}

void do_info_status(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  auto info = qapi::qmp_query_status(ctx);
  mon.printf("VM status: %s%s", info->running ? "running" : "paused",
             info->singlestep ? " (single step mode)" : "");
  if (!info->running && info->status != qapi::RunState::kPaused) {
    mon.printf(" (%s)", qapi::to_string(info->status));
  }
  mon.puts("\n");
}

void do_info_name(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  auto info = qapi::qmp_query_name(ctx);
  if (info->name) mon.printf("%s\n", info->name->c_str());
}

void do_info_uuid(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  auto info = qapi::qmp_query_uuid(ctx);
  mon.printf("%s\n", info->UUID.c_str());
}

using Handler = void (*)(Monitor&, const Dict&);

// HmpCommand::id indexes this table.
constexpr Handler kHandlers[] = {
    do_help,      do_quit,      do_stop,      do_cont,         do_system_reset, do_system_powerdown,
    do_getfd,     do_closefd,   do_info_help, do_info_version, do_info_kvm,     do_info_status,
    do_info_name, do_info_uuid,
};
enum : int {
  kHelp,
  kQuit,
  kStop,
  kCont,
  kSystemReset,
  kSystemPowerdown,
  kGetfd,
  kClosefd,
  kInfo,
  kInfoVersion,
  kInfoKvm,
  kInfoStatus,
  kInfoName,
  kInfoUuid,
  kCount
};
static_assert(std::size(kHandlers) == kCount);

// Sorted by name, as QEMU sorts its tables at start-up (help lists them so).
constexpr HmpCommand kInfoTable[] = {
    {.name = "kvm", .args_type = "", .params = "", .help = "show KVM information", .id = kInfoKvm},
    {.name = "name",
     .args_type = "",
     .params = "",
     .help = "show the current VM name",
     .id = kInfoName},
    {.name = "status",
     .args_type = "",
     .params = "",
     .help = "show the current VM status (running|paused)",
     .id = kInfoStatus},
    {.name = "uuid",
     .args_type = "",
     .params = "",
     .help = "show the current VM UUID",
     .id = kInfoUuid},
    {.name = "version",
     .args_type = "",
     .params = "",
     .help = "show the version of QEMU",
     .id = kInfoVersion},
};

// Sorted by name, as QEMU sorts its tables at start-up (help lists them so).
constexpr HmpCommand kTable[] = {
    {.name = "closefd",
     .args_type = "fdname:s",
     .params = "closefd name",
     .help = "close a file descriptor previously passed via SCM rights",
     .id = kClosefd},
    {.name = "cont|c", .args_type = "", .params = "", .help = "resume emulation", .id = kCont},
    {.name = "getfd",
     .args_type = "fdname:s",
     .params = "getfd name",
     .help = "receive a file descriptor via SCM rights and assign it a name",
     .id = kGetfd},
    {.name = "help|?",
     .args_type = "name:S?",
     .params = "[cmd]",
     .help = "show the help",
     .id = kHelp},
    {.name = "info",
     .args_type = "item:s?",
     .params = "[subcommand]",
     .help = "show various information about the system state",
     .sub_table = kInfoTable,
     .id = kInfo},
    {.name = "quit|q", .args_type = "", .params = "", .help = "quit the emulator", .id = kQuit},
    {.name = "stop|s", .args_type = "", .params = "", .help = "stop emulation", .id = kStop},
    {.name = "system_powerdown",
     .args_type = "",
     .params = "",
     .help = "send system power down event",
     .id = kSystemPowerdown},
    {.name = "system_reset",
     .args_type = "",
     .params = "",
     .help = "reset the system",
     .id = kSystemReset},
};

}  // namespace

std::span<const HmpCommand> hmp_command_table() {
  return kTable;
}

void hmp_run_command(Monitor& mon, const HmpCommand& cmd, const Dict& args) {
  kHandlers[cmd.id](mon, args);
}

}  // namespace migemu
