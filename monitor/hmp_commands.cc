// The HMP commands migemu implements, with QEMU 7.2's names, argument specs,
// params and help texts (hmp-commands.hx order), and their handlers. Handlers
// call the QMP implementation, as QEMU's hmp_* functions do.
#include <cinttypes>
#include <iterator>
#include <optional>

#include "chardev/chardev_commands.h"
#include "dump/dump_commands.h"
#include "migration/migration_commands.h"
#include "migration/migration_hmp.h"
#include "migration/options.h"
#include "monitor/hmp.h"
#include "qapi/qapi-commands.h"
#include "system/balloon_commands.h"
#include "system/block_hmp.h"
#include "system/cpu_commands.h"
#include "system/guest_commands.h"
#include "system/pci_commands.h"
#include "system/qom_hmp.h"

namespace migemu {

namespace {

void do_help(Monitor& mon, const Dict& args) {
  const std::string* name = hmp_str_arg(args, "name");
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
  mon.puts(hmp_error_text(qapi::qmp_cont(ctx)));
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
  mon.puts(hmp_error_text(mon.getfd(*hmp_str_arg(args, "fdname"))));
}

void do_closefd(Monitor& mon, const Dict& args) {
  mon.puts(hmp_error_text(mon.closefd(*hmp_str_arg(args, "fdname"))));
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

void do_migrate_set_capability(Monitor& mon, const Dict& args) {
  mon.puts(hmp_migrate_set_capability(migration_options(), args));
}
void do_migrate_set_parameter(Monitor& mon, const Dict& args) {
  mon.puts(hmp_migrate_set_parameter(migration_options(), args));
}
void do_info_migrate_capabilities(Monitor& mon, const Dict&) {
  mon.puts(hmp_info_migrate_capabilities(migration_options()));
}
void do_info_migrate_parameters(Monitor& mon, const Dict&) {
  mon.puts(hmp_info_migrate_parameters(migration_options()));
}

using Handler = void (*)(Monitor&, const Dict&);

// HmpCommand::id indexes kHandlers; the enum keeps the two in step.
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
  kMigrate,
  kMigrateCancel,
  kMigrateContinue,
  kMigrateIncoming,
  kInfoMigrate,
  kMigrateSetCapability,
  kMigrateSetParameter,
  kInfoMigrateCapabilities,
  kInfoMigrateParameters,
  kXWorkload,
  kInfoXWorkload,
  kInfoXGuestDigest,
  kXMigrationFault,
  kInfoChardev,
  kInfoCpus,
  kCpu,
  kDumpGuestMemory,
  kInfoDump,
  kInfoPci,
  kInfoBlock,
  kInfoBlockstats,
  kInfoBlockJobs,
  kInfoBalloon,
  kBalloon,
  kQomList,
  kQomGet,
  kQomSet,
  kCount
};

constexpr Handler kHandlers[] = {
    do_help,
    do_quit,
    do_stop,
    do_cont,
    do_system_reset,
    do_system_powerdown,
    do_getfd,
    do_closefd,
    do_info_help,
    do_info_version,
    do_info_kvm,
    do_info_status,
    do_info_name,
    do_info_uuid,
    hmp_migrate,
    hmp_migrate_cancel,
    hmp_migrate_continue,
    hmp_migrate_incoming,
    hmp_info_migrate,
    do_migrate_set_capability,
    do_migrate_set_parameter,
    do_info_migrate_capabilities,
    do_info_migrate_parameters,
    hmp_x_workload,
    hmp_info_x_workload,
    hmp_info_x_guest_digest,
    hmp_x_migration_fault,
    hmp_info_chardev,
    hmp_info_cpus,
    hmp_cpu,
    hmp_dump_guest_memory,
    hmp_info_dump,
    hmp_info_pci,
    hmp_info_block,
    hmp_info_blockstats,
    hmp_info_block_jobs,
    hmp_info_balloon,
    hmp_balloon,
    hmp_qom_list,
    hmp_qom_get,
    hmp_qom_set,
};
static_assert(std::size(kHandlers) == kCount);

// Sorted by name, as QEMU sorts its tables at start-up (help lists them so).
constexpr HmpCommand kInfoTable[] = {
    {.name = "balloon",
     .args_type = "",
     .params = "",
     .help = "show balloon information",
     .id = kInfoBalloon},
    {.name = "block",
     .args_type = "nodes:-n,verbose:-v,device:B?",
     .params = "[-n] [-v] [device]",
     .help = "show info of one block device or all block devices "
             "(-n: show named nodes; -v: show details)",
     .id = kInfoBlock},
    {.name = "block-jobs",
     .args_type = "",
     .params = "",
     .help = "show progress of ongoing block device operations",
     .id = kInfoBlockJobs},
    {.name = "blockstats",
     .args_type = "",
     .params = "",
     .help = "show block device statistics",
     .id = kInfoBlockstats},
    {.name = "chardev",
     .args_type = "",
     .params = "",
     .help = "show the character devices",
     .id = kInfoChardev},
    {.name = "cpus",
     .args_type = "",
     .params = "",
     .help = "show infos for each CPU",
     .id = kInfoCpus},
    {.name = "dump",
     .args_type = "",
     .params = "",
     .help = "Display the latest dump status",
     .id = kInfoDump},
    {.name = "kvm", .args_type = "", .params = "", .help = "show KVM information", .id = kInfoKvm},
    {.name = "migrate",
     .args_type = "",
     .params = "",
     .help = "show migration status",
     .id = kInfoMigrate},
    {.name = "migrate_capabilities",
     .args_type = "",
     .params = "",
     .help = "show current migration capabilities",
     .id = kInfoMigrateCapabilities},
    {.name = "migrate_parameters",
     .args_type = "",
     .params = "",
     .help = "show current migration parameters",
     .id = kInfoMigrateParameters},
    {.name = "name",
     .args_type = "",
     .params = "",
     .help = "show the current VM name",
     .id = kInfoName},
    {.name = "pci", .args_type = "", .params = "", .help = "show PCI info", .id = kInfoPci},
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
    {.name = "x_guest_digest",
     .args_type = "",
     .params = "",
     .help = "show a digest of guest RAM (migemu)",
     .id = kInfoXGuestDigest},
    {.name = "x_workload",
     .args_type = "",
     .params = "",
     .help = "show the guest workload (migemu)",
     .id = kInfoXWorkload},
};

// Sorted by name, as QEMU sorts its tables at start-up (help lists them so).
constexpr HmpCommand kTable[] = {
    {.name = "balloon",
     .args_type = "value:M",
     .params = "target",
     .help = "request VM to change its memory allocation (in MB)",
     .id = kBalloon},
    {.name = "closefd",
     .args_type = "fdname:s",
     .params = "closefd name",
     .help = "close a file descriptor previously passed via SCM rights",
     .id = kClosefd},
    {.name = "cont|c", .args_type = "", .params = "", .help = "resume emulation", .id = kCont},
    {.name = "cpu",
     .args_type = "index:i",
     .params = "index",
     .help = "set the default CPU",
     .id = kCpu},
    {.name = "dump-guest-memory",
     .args_type =
         "paging:-p,detach:-d,windmp:-w,zlib:-z,lzo:-l,snappy:-s,filename:F,begin:l?,length:l?",
     .params = "[-p] [-d] [-z|-l|-s|-w] filename [begin length]",
     .help = "dump guest memory into file 'filename'.\n\t\t\t"
             "-p: do paging to get guest's memory mapping.\n\t\t\t"
             "-d: return immediately (do not wait for completion).\n\t\t\t"
             "-z: dump in kdump-compressed format, with zlib compression.\n\t\t\t"
             "-l: dump in kdump-compressed format, with lzo compression.\n\t\t\t"
             "-s: dump in kdump-compressed format, with snappy compression.\n\t\t\t"
             "-w: dump in Windows crashdump format (can be used instead of ELF-dump "
             "converting),\n\t\t\t"
             "    for Windows x86 and x64 guests with vmcoreinfo driver only.\n\t\t\t"
             "begin: the starting physical address.\n\t\t\t"
             "length: the memory size, in bytes.",
     .id = kDumpGuestMemory},
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
    {.name = "migrate",
     .args_type = "detach:-d,blk:-b,inc:-i,resume:-r,uri:s",
     .params = "[-d] [-b] [-i] [-r] uri",
     .help = "migrate to URI (using -d to not wait for completion)"
             "\n\t\t\t -b for migration without shared storage with"
             " full copy of disk\n\t\t\t -i for migration without "
             "shared storage with incremental copy of disk "
             "(base image shared between src and destination)"
             "\n\t\t\t -r to resume a paused migration",
     .id = kMigrate},
    {.name = "migrate_cancel",
     .args_type = "",
     .params = "",
     .help = "cancel the current VM migration",
     .id = kMigrateCancel},
    {.name = "migrate_continue",
     .args_type = "state:s",
     .params = "state",
     .help = "Continue migration from the given paused state",
     .id = kMigrateContinue},
    {.name = "migrate_incoming",
     .args_type = "uri:s",
     .params = "uri",
     .help = "Continue an incoming migration from an -incoming defer",
     .id = kMigrateIncoming},
    {.name = "migrate_set_capability",
     .args_type = "capability:s,state:b",
     .params = "capability state",
     .help = "Enable/Disable the usage of a capability for migration",
     .completion = hmp_migrate_set_capability_completion,
     .id = kMigrateSetCapability},
    {.name = "migrate_set_parameter",
     .args_type = "parameter:s,value:s",
     .params = "parameter value",
     .help = "Set the parameter for migration",
     .completion = hmp_migrate_set_parameter_completion,
     .id = kMigrateSetParameter},
    {.name = "qom-get",
     .args_type = "path:s,property:s",
     .params = "path property",
     .help = "print QOM property",
     .id = kQomGet},
    {.name = "qom-list",
     .args_type = "path:s?",
     .params = "path",
     .help = "list QOM properties",
     .id = kQomList},
    {.name = "qom-set",
     .args_type = "json:-j,path:s,property:s,value:S",
     .params = "[-j] path property value",
     .help = "set QOM property.\n\t\t\t-j: the value is specified in json format.",
     .id = kQomSet},
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
    {.name = "x_migration_fault",
     .args_type = "side:s,action:s,params:s?",
     .params = "source|destination action [offset=N,duration=MS,rate=BYTES,channel=main|ID]",
     .help = "arm a fault on the next migration: drop, stall, throttle, corrupt, refuse-accept, "
             "delay-accept, clear (migemu)",
     .id = kXMigrationFault},
    {.name = "x_workload",
     .args_type = "params:s",
     .params = "key=value[,...]",
     .help = "set the guest workload: rate,wss,window,pattern,content,threads,seed (migemu)",
     .id = kXWorkload},
};

}  // namespace

std::span<const HmpCommand> hmp_command_table() {
  return kTable;
}

void hmp_run_command(Monitor& mon, const HmpCommand& cmd, const Dict& args) {
  kHandlers[cmd.id](mon, args);
}

}  // namespace migemu
