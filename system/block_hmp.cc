// The HMP views of the (empty) block layer, read from the QMP queries as
// QEMU's hmp_info_block* read theirs. migemu models no drives, block nodes or
// block jobs (system/block_commands.cc), so the lists are always empty and
// only their empty forms are printed: nothing for `info block` and `info
// blockstats`, "No active jobs" for `info block-jobs`.
#include "system/block_hmp.h"

#include "qapi/qapi-commands.h"

namespace migemu {

void hmp_info_block(Monitor& mon, const Dict&) {
  // A device name or -n/-v only narrow or widen a listing that is empty.
  CommandContext ctx{&mon};
  (void)qapi::qmp_query_block(ctx);
}

void hmp_info_blockstats(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  (void)qapi::qmp_query_blockstats(qapi::QueryBlockstatsArg{}, ctx);
}

void hmp_info_block_jobs(Monitor& mon, const Dict&) {
  CommandContext ctx{&mon};
  Result<std::vector<qapi::BlockJobInfo>> jobs = qapi::qmp_query_block_jobs(ctx);
  if (jobs.ok() && jobs->empty()) mon.puts("No active jobs\n");
}

}  // namespace migemu
