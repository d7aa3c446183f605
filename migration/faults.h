// Faults armed by the user on the next migration of either side
// (x-migration-fault / HMP x_migration_fault). Each armed set is taken, and
// so used up, by the next migration of its side: the source's next
// `migrate`, the destination's next incoming connection. Main thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migration/fault_channel.h"
#include "qapi/error.h"

namespace migemu {

enum class FaultSide { kSource, kDestination };

struct ArmedFaults {
  std::vector<migration::StreamFault> stream;  // the main channel
  migration::MultifdFaults multifd;            // multifd channels, by id
  bool refuse_accept = false;                  // destination: close the connection at once
  std::optional<uint64_t> delay_accept_ms;     // destination: wait before taking it
  bool empty() const {
    return stream.empty() && multifd.empty() && !refuse_accept && !delay_accept_ms;
  }
};

// One request, as the command gives it.
struct FaultRequest {
  FaultSide side = FaultSide::kSource;
  std::string action;  // drop|stall|throttle|corrupt|refuse-accept|delay-accept|clear
  std::optional<uint64_t> offset, duration_ms, rate;
  std::optional<unsigned> multifd_channel;  // none: the main channel
};

class MigrationFaults {
 public:
  // Checks and arms (or, for `clear`, disarms every fault of the side).
  Status apply(const FaultRequest& req);
  ArmedFaults take(FaultSide side);
  // Only the multifd channels' faults: the destination takes them when its
  // first connection arrives, which may be a multifd channel.
  migration::MultifdFaults take_multifd(FaultSide side);
  const ArmedFaults& armed(FaultSide side) const {
    return side == FaultSide::kSource ? source_ : destination_;
  }

 private:
  ArmedFaults source_, destination_;
};

MigrationFaults& migration_faults();

}  // namespace migemu
