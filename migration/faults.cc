#include "migration/faults.h"

#include <utility>

namespace migemu {

namespace {

Error missing(const char* name) {
  return generic_error(std::string("Parameter '") + name + "' is missing");
}

}  // namespace

Status MigrationFaults::apply(const FaultRequest& req) {
  ArmedFaults& set = req.side == FaultSide::kSource ? source_ : destination_;
  using Kind = migration::StreamFault::Kind;
  migration::StreamFault f;
  f.offset = req.offset.value_or(0);
  const std::string& a = req.action;
  if (a == "clear") {
    set = ArmedFaults();
    return {};
  }
  if (a == "refuse-accept" || a == "delay-accept") {
    if (req.side != FaultSide::kDestination) {
      return generic_error("Fault '" + a + "' applies to the destination side only");
    }
    if (req.multifd_channel) {
      return generic_error("Fault '" + a + "' applies to the main channel only");
    }
    if (a == "refuse-accept") {
      set.refuse_accept = true;
    } else {
      if (!req.duration_ms) return missing("duration");
      set.delay_accept_ms = *req.duration_ms;
    }
    return {};
  }
  if (a == "drop") {
    f.kind = Kind::kDrop;
  } else if (a == "stall") {
    if (!req.duration_ms) return missing("duration");
    f.kind = Kind::kStall;
    f.duration_ms = *req.duration_ms;
  } else if (a == "throttle") {
    if (!req.rate) return missing("rate");
    if (*req.rate == 0) {
      return generic_error("Parameter 'rate' expects a positive number of bytes per second");
    }
    f.kind = Kind::kThrottle;
    f.rate = *req.rate;
  } else if (a == "corrupt") {
    if (!req.offset) return missing("offset");
    f.kind = Kind::kCorrupt;
  } else {
    return generic_error("Parameter 'action' does not accept value '" + a + "'");
  }
  if (req.multifd_channel) {
    set.multifd[*req.multifd_channel].push_back(f);
  } else {
    set.stream.push_back(f);
  }
  return {};
}

ArmedFaults MigrationFaults::take(FaultSide side) {
  return std::exchange(side == FaultSide::kSource ? source_ : destination_, ArmedFaults());
}

migration::MultifdFaults MigrationFaults::take_multifd(FaultSide side) {
  return std::exchange((side == FaultSide::kSource ? source_ : destination_).multifd, {});
}

MigrationFaults& migration_faults() {
  static MigrationFaults f;
  return f;
}

}  // namespace migemu
