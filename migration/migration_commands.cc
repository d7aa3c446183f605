// QMP and HMP commands of the migration state machine (QEMU 7.2's
// migration/migration.c and the hmp_migrate* functions).
#include "migration/migration_commands.h"

#include <glib.h>

#include <cstdio>

#include "migration/faults.h"
#include "migration/migration.h"
#include "migration/migration_hmp.h"
#include "monitor/hmp_args.h"
#include "qapi/qapi-commands.h"
#include "system/qemu_opts.h"

namespace migemu {

namespace qapi {

Result<MigrationInfo> qmp_query_migrate(CommandContext&) {
  return migration_state().query();
}

Status qmp_migrate(const MigrateArg& args, CommandContext& ctx) {
  Monitor* mon = ctx.mon;
  FdResolver resolve = [mon](const std::string& name) {
    return mon ? mon->take_named_fd(name) : Fd();
  };
  return migration_state().migrate(args.uri, args.blk.value_or(false), args.inc.value_or(false),
                                   args.resume.value_or(false), resolve);
}

Status qmp_migrate_incoming(const MigrateIncomingArg& args, CommandContext&) {
  return migration_state().start_incoming(args.uri, false);
}

Status qmp_migrate_cancel(CommandContext&) {
  migration_state().cancel();
  return {};
}

Status qmp_migrate_continue(const MigrateContinueArg& args, CommandContext&) {
  return migration_state().continue_from(args.state);
}

Status qmp_x_migration_fault(const XMigrationFaultArg& args, CommandContext&) {
  FaultRequest req;
  req.side =
      args.side == XMigrationFaultSide::kSource ? FaultSide::kSource : FaultSide::kDestination;
  req.action = to_string(args.action);
  req.offset = args.offset;
  if (args.duration) req.duration_ms = *args.duration;
  req.rate = args.rate;
  // "main" (the only member of the enum branch) or a multifd channel id.
  if (args.channel && args.channel->value.index() == 1) {
    req.multifd_channel = std::get<1>(args.channel->value);
  }
  return migration_faults().apply(req);
}

}  // namespace qapi

namespace {

// hmp_migrate_status_cb: polls once a second until the migration leaves
// setup/active, then reports an error on stderr and resumes the monitor.
struct SyncMigrateWait {
  Monitor* mon;
};

gboolean poll_sync_migrate(gpointer data) {
  auto* wait = static_cast<SyncMigrateWait*>(data);
  qapi::MigrationInfo info = migration_state().query();
  if (!info.status || *info.status == MigrationStatus::kActive ||
      *info.status == MigrationStatus::kSetup) {
    return G_SOURCE_CONTINUE;
  }
  if (info.error_desc) fprintf(stderr, "%s: %s\n", g_get_prgname(), info.error_desc->c_str());
  wait->mon->resume();
  return G_SOURCE_REMOVE;
}

void free_wait(gpointer data) {
  std::unique_ptr<SyncMigrateWait> owned(static_cast<SyncMigrateWait*>(data));
}

}  // namespace

void hmp_migrate(Monitor& mon, const Dict& args) {
  CommandContext ctx{&mon};
  qapi::MigrateArg a;
  a.uri = *hmp_str_arg(args, "uri");
  a.blk = hmp_bool_arg(args, "blk");
  a.inc = hmp_bool_arg(args, "inc");
  a.resume = hmp_bool_arg(args, "resume");
  Status st = qapi::qmp_migrate(a, ctx);
  if (!st.ok()) {
    mon.puts(hmp_error_text(st));
    return;
  }
  if (hmp_bool_arg(args, "detach")) return;
  if (!mon.suspend()) {
    mon.puts("terminal does not allow synchronous migration, continuing detached\n");
    return;
  }
  auto wait = std::make_unique<SyncMigrateWait>(SyncMigrateWait{&mon});
  // The first check runs at once, later ones every second (as QEMU's timer).
  g_timeout_add_full(G_PRIORITY_DEFAULT, 1000, poll_sync_migrate, wait.release(), free_wait);
}

void hmp_migrate_cancel(Monitor&, const Dict&) {
  migration_state().cancel();
}

void hmp_migrate_continue(Monitor& mon, const Dict& args) {
  const std::string& state = *hmp_str_arg(args, "state");
  auto val = qapi::MigrationStatus_from_string(state);
  if (!val) {
    mon.printf("Error: invalid parameter value: %s\n", state.c_str());
    return;
  }
  mon.puts(hmp_error_text(migration_state().continue_from(*val)));
}

void hmp_migrate_incoming(Monitor& mon, const Dict& args) {
  mon.puts(hmp_error_text(migration_state().start_incoming(*hmp_str_arg(args, "uri"), false)));
}

void hmp_info_migrate(Monitor& mon, const Dict&) {
  mon.puts(format_info_migrate(migration_state().query(), migration_globals()));
}

// x_migration_fault SIDE ACTION [offset=N,duration=MS,rate=BYTES,channel=main|ID]
void hmp_x_migration_fault(Monitor& mon, const Dict& args) {
  FaultRequest req;
  std::string side = *hmp_str_arg(args, "side");
  if (side == "source") {
    req.side = FaultSide::kSource;
  } else if (side == "destination") {
    req.side = FaultSide::kDestination;
  } else {
    mon.puts(
        hmp_error_text(generic_error("Parameter 'side' does not accept value '" + side + "'")));
    return;
  }
  req.action = *hmp_str_arg(args, "action");
  const std::string* given = hmp_str_arg(args, "params");
  std::string params = given ? *given : "";
  size_t pos = 0;
  while (pos < params.size()) {
    size_t comma = params.find(',', pos);
    std::string item = params.substr(pos, comma == std::string::npos ? comma : comma - pos);
    pos = comma == std::string::npos ? params.size() : comma + 1;
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    uint64_t v = 0;
    if (key == "channel") {
      // As QMP's alternate: "main" or a multifd channel id (uint8).
      if (value == "main") {
        req.multifd_channel.reset();
      } else if (qopts::parse_u64(value, 10, &v) == qopts::ParseStatus::kOk && v <= UINT8_MAX) {
        req.multifd_channel = static_cast<unsigned>(v);
      } else {
        mon.puts(hmp_error_text(
            generic_error("Parameter 'channel' does not accept value '" + value + "'")));
        return;
      }
      continue;
    }
    std::optional<uint64_t>* slot = key == "offset"     ? &req.offset
                                    : key == "duration" ? &req.duration_ms
                                    : key == "rate"     ? &req.rate
                                                        : nullptr;
    if (!slot) {
      mon.puts(hmp_error_text(generic_error("Invalid parameter '" + key + "'")));
      return;
    }
    // duration is in milliseconds, offset and rate in bytes (K/M/G allowed).
    qopts::ParseStatus ps =
        key == "duration" ? qopts::parse_u64(value, 10, &v) : qopts::parse_size(value, &v);
    if (ps != qopts::ParseStatus::kOk || (key == "duration" && v > UINT32_MAX)) {
      mon.puts(hmp_error_text(
          generic_error("Parameter '" + key + "' does not accept value '" + value + "'")));
      return;
    }
    *slot = v;
  }
  mon.puts(hmp_error_text(migration_faults().apply(req)));
}

}  // namespace migemu
