// Whether a migration's main channel gets its stream threads: write-behind
// on the source, read-ahead on the destination (migration/write_behind.h,
// migration/read_ahead.h). They let each end check or store one batch while
// the kernel copies the next, which pays only when the end has a core to
// spare: measured, each end alone runs about 1.3x faster with them, while
// both ends on one 2-CPU machine (already 1.7 CPUs busy) run 5-10 % slower
// and spend 10 % more CPU (docs/datapath.md).
//
// MIGEMU_STREAM_THREADS=on|off decides; unset (auto), they are on when the
// process may run on at least 4 CPUs, so that both ends of a migration on
// one host still find two each.
#pragma once

namespace migemu::migration {

bool stream_threads_enabled();

}  // namespace migemu::migration
