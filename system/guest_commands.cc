// migemu's own x- commands for the emulated guest: the workload that dirties
// guest RAM and a digest of guest RAM (see qapi/schema/migemu.json).
#include "system/guest_commands.h"

#include <cinttypes>

#include "monitor/hmp_args.h"
#include "qapi/qapi-commands.h"
#include "system/guest_memory.h"
#include "system/workload.h"

namespace migemu {

namespace {

// The schema's enums and the workload's enums list the same values in the
// same order.
template <typename To, typename From>
To convert(From v) {
  return static_cast<To>(static_cast<int>(v));
}

}  // namespace

namespace qapi {

Status qmp_x_workload(const XWorkloadArg& args, CommandContext&) {
  WorkloadParams p = workload_params();
  if (args.rate) p.rate = *args.rate;
  if (args.wss) p.wss = *args.wss;
  if (args.window) p.window = convert<WorkloadWindow>(*args.window);
  if (args.pattern) p.pattern = convert<WorkloadPattern>(*args.pattern);
  if (args.content) p.content = convert<WorkloadContent>(*args.content);
  if (args.threads) p.threads = *args.threads;
  if (args.seed) p.seed = *args.seed;
  return workload_configure(p);
}

Result<XWorkloadInfo> qmp_x_query_workload(CommandContext&) {
  WorkloadInfo w = workload_info();
  XWorkloadInfo info;
  info.rate = w.params.rate;
  info.wss = w.params.wss;
  info.window = convert<XWorkloadWindow>(w.params.window);
  info.pattern = convert<XWorkloadPattern>(w.params.pattern);
  info.content = convert<XWorkloadContent>(w.params.content);
  info.threads = w.params.threads;
  info.seed = w.params.seed;
  info.active = w.active;
  info.wss_offset = w.wss_offset;
  info.wss_bytes = w.wss_bytes;
  info.throttle_percentage = static_cast<uint8_t>(w.throttle);
  info.pages_written = w.pages_written;
  return info;
}

Result<XGuestDigest> qmp_x_query_guest_digest(CommandContext&) {
  return XGuestDigest{guest_digest(), kDigestAlgorithm};
}

}  // namespace qapi

void hmp_x_workload(Monitor& mon, const Dict& args) {
  auto p = parse_workload_option(*hmp_str_arg(args, "params"), workload_params());
  mon.puts(hmp_error_text(p.ok() ? workload_configure(*p) : Status(p.take_error())));
}

void hmp_info_x_workload(Monitor& mon, const Dict&) {
  WorkloadInfo w = workload_info();
  mon.printf("rate: %" PRIu64 " bytes/second\n", w.params.rate);
  mon.printf("wss: %" PRIu64 " bytes\n", w.params.wss);
  mon.printf("window: %s\n", to_string(w.params.window));
  mon.printf("pattern: %s\n", to_string(w.params.pattern));
  mon.printf("content: %s\n", to_string(w.params.content));
  mon.printf("threads: %u\n", w.params.threads);
  mon.printf("seed: %" PRIu64 "\n", w.params.seed);
  mon.printf("active: %s\n", w.active ? "on" : "off");
  mon.printf("working set: %" PRIu64 " bytes at offset %" PRIu64 "\n", w.wss_bytes, w.wss_offset);
  mon.printf("throttle: %u %%\n", w.throttle);
  mon.printf("pages written: %" PRIu64 "\n", w.pages_written);
}

void hmp_info_x_guest_digest(Monitor& mon, const Dict&) {
  mon.printf("%s %s\n", kDigestAlgorithm, guest_digest().c_str());
}

}  // namespace migemu
