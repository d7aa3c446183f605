// dump-guest-memory, query-dump, query-dump-guest-memory-capability and
// their HMP forms, with QEMU 7.2's checks in its order and its texts.
#include "dump/dump_commands.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "dump/dump.h"
#include "monitor/hmp_args.h"
#include "qapi/qapi-commands.h"
#include "system/runstate.h"

namespace migemu {

namespace qapi {

Status qmp_dump_guest_memory(const DumpGuestMemoryArg& args, CommandContext& ctx) {
  if (runstate().check(RunState::kInmigrate))
    return generic_error("Dump not allowed during incoming migration.");
  if (dump_job().in_progress()) return generic_error("There is a dump in process, please wait.");
  const bool other_format = args.format && *args.format != DumpGuestMemoryFormat::kElf;
  if (other_format && (args.paging || args.begin || args.length))
    return generic_error("kdump-compressed format doesn't support paging or filter");
  if (args.begin && !args.length) return generic_error("Parameter 'length' is missing");
  if (!args.begin && args.length) return generic_error("Parameter 'begin' is missing");
  // migemu writes ELF only: every other format is refused as a 7.2 build
  // without it refuses it.
  if (other_format) {
    switch (*args.format) {
      case DumpGuestMemoryFormat::kWinDmp:
        return generic_error("Windows dump is only available for x86-64");
      default:
        return generic_error(std::string(to_string(*args.format)) + " is not available now");
    }
  }

  Fd fd;
  const std::string& proto = args.protocol;
  bool have_fd = false;
  if (proto.rfind("fd:", 0) == 0) {
    std::string name = proto.substr(3);
    fd = ctx.mon ? ctx.mon->take_named_fd(name) : Fd();
    if (!fd.valid())
      return generic_error("File descriptor named '" + name + "' has not been found");
    have_fd = true;
  }
  if (proto.rfind("file:", 0) == 0) {
    std::string path = proto.substr(5);
    fd = Fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR));
    if (!fd.valid()) return generic_error("Could not open '" + path + "': " + strerror(errno));
    have_fd = true;
  }
  if (!have_fd) return generic_error("Invalid parameter 'protocol'");

  DumpRequest req;
  req.fd = std::move(fd);
  req.detach = args.detach.value_or(false);
  if (args.begin) req.begin = static_cast<uint64_t>(*args.begin);
  if (args.length) req.length = static_cast<uint64_t>(*args.length);
  return dump_job().start(std::move(req));
}

Result<DumpQueryResult> qmp_query_dump(CommandContext&) {
  return dump_job().query();
}

Result<DumpGuestMemoryCapability> qmp_query_dump_guest_memory_capability(CommandContext&) {
  DumpGuestMemoryCapability cap;
  cap.formats.push_back(DumpGuestMemoryFormat::kElf);
  return cap;
}

}  // namespace qapi

void hmp_dump_guest_memory(Monitor& mon, const Dict& args) {
  const bool win = hmp_bool_arg(args, "windmp"), zlib = hmp_bool_arg(args, "zlib");
  const bool lzo = hmp_bool_arg(args, "lzo"), snappy = hmp_bool_arg(args, "snappy");
  if (win + zlib + lzo + snappy > 1) {
    mon.puts("Error: only one of '-z|-l|-s|-w' can be set\n");
    return;
  }
  qapi::DumpGuestMemoryArg a;
  a.paging = hmp_bool_arg(args, "paging");
  a.detach = hmp_bool_arg(args, "detach");
  a.format = win      ? qapi::DumpGuestMemoryFormat::kWinDmp
             : zlib   ? qapi::DumpGuestMemoryFormat::kKdumpZlib
             : lzo    ? qapi::DumpGuestMemoryFormat::kKdumpLzo
             : snappy ? qapi::DumpGuestMemoryFormat::kKdumpSnappy
                      : qapi::DumpGuestMemoryFormat::kElf;
  int64_t v = 0;
  if (const Value* b = args.get("begin"); b && b->get_try_int(&v)) a.begin = v;
  if (const Value* l = args.get("length"); l && l->get_try_int(&v)) a.length = v;
  a.protocol = "file:" + *hmp_str_arg(args, "filename");
  CommandContext ctx{&mon};
  mon.puts(hmp_error_text(qapi::qmp_dump_guest_memory(a, ctx)));
}

void hmp_info_dump(Monitor& mon, const Dict&) {
  qapi::DumpQueryResult r = dump_job().query();
  mon.printf("Status: %s\n", qapi::to_string(r.status));
  if (r.status == qapi::DumpStatus::kActive && r.total != 0) {
    mon.printf("Finished: %.2f %%\n",
               100.0 * static_cast<double>(r.completed) / static_cast<double>(r.total));
  }
}

}  // namespace migemu
