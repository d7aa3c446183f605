// Deterministic faults on a migration stream, for users who test how their
// management stack copes with a migration that goes wrong (x-migration-fault,
// README). A fault is keyed to a byte offset of the stream as it crosses this
// end: the source's writes or the destination's reads.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "migration/qemu_file.h"

namespace migemu::migration {

struct StreamFault {
  enum class Kind {
    kDrop,      // at `offset`: the connection is cut (the peer sees it end)
    kStall,     // at `offset`: nothing moves for `duration_ms`
    kThrottle,  // from `offset` on: at most `rate` bytes/s
    kCorrupt,   // the byte at `offset` is inverted
  };
  Kind kind = Kind::kDrop;
  uint64_t offset = 0;
  uint64_t duration_ms = 0;
  uint64_t rate = 0;
};

// The faults of multifd channels, by channel id.
using MultifdFaults = std::map<unsigned, std::vector<StreamFault>>;

// Wraps `inner`; with no faults it is `inner` itself. shutdown() also ends a
// stall or throttle wait at once. `drop_errno` is what a drop reports, as a
// real cut would: ECONNRESET on a socket, EPIPE on a pipe. `position`: the
// stream offset of the first byte that goes through (bytes this end already
// moved another way, such as a multifd initial packet read while the
// connection was identified).
std::unique_ptr<StreamChannel> make_faulty_channel(std::unique_ptr<StreamChannel> inner,
                                                   std::vector<StreamFault> faults,
                                                   int drop_errno = ECONNRESET,
                                                   uint64_t position = 0);

}  // namespace migemu::migration
