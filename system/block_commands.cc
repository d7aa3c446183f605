// The block layer of a machine without drives, and the other queries
// libvirt makes of a minimal domain: no block devices, no named nodes, no
// block or background jobs, no iothreads. migemu models no -drive,
// -blockdev or -object iothread, so every list is empty, as QEMU 7.2's is
// for such a machine (with -nodefaults the pc board adds no floppy/CD-ROM).
#include "qapi/qapi-commands.h"

namespace migemu::qapi {

Result<std::vector<BlockInfo>> qmp_query_block(CommandContext&) {
  return std::vector<BlockInfo>{};
}

Result<std::vector<BlockDeviceInfo>> qmp_query_named_block_nodes(const QueryNamedBlockNodesArg&,
                                                                 CommandContext&) {
  return std::vector<BlockDeviceInfo>{};
}

Result<std::vector<BlockStats>> qmp_query_blockstats(const QueryBlockstatsArg&, CommandContext&) {
  return std::vector<BlockStats>{};
}

Result<std::vector<BlockJobInfo>> qmp_query_block_jobs(CommandContext&) {
  return std::vector<BlockJobInfo>{};
}

Result<std::vector<JobInfo>> qmp_query_jobs(CommandContext&) {
  return std::vector<JobInfo>{};
}

Result<std::vector<IOThreadInfo>> qmp_query_iothreads(CommandContext&) {
  return std::vector<IOThreadInfo>{};
}

}  // namespace migemu::qapi
