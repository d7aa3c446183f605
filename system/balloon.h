// The virtio memory balloon (-device virtio-balloon-pci) as QEMU 7.2 runs it
// for a guest without a balloon driver, which is what migemu's guest is: the
// host's target is recorded and offered to the guest, which never answers,
// so the balloon stays empty. query-balloon reports all of RAM, no
// BALLOON_CHANGE event comes, and the guest's statistics are never filled
// in (docs/libvirt.md, "Memory balloon"). Main thread only.
#pragma once

#include <cstdint>

#include "qapi/error.h"
#include "qapi/qobject.h"
#include "system/config.h"

namespace migemu {

class Balloon {
 public:
  // The machine's balloon device, null when it has none.
  static const DeviceConfig* device(const Config& cfg);

  // qmp_balloon(): DeviceNotActive without a device, a target that is not a
  // positive size refused; a target above RAM is taken as all of RAM.
  Status set_target(const Config& cfg, int64_t bytes);
  // qmp_query_balloon(): RAM minus what the guest gave up (nothing).
  Result<int64_t> actual(const Config& cfg) const;
  // The pages the host asks the guest to give up (virtio config num_pages).
  uint64_t target_pages() const { return num_pages_; }

  // The guest-stats-polling-interval property (seconds, 0 = off) and
  // guest-stats: the last update time and every statistic, all "never
  // reported" (-1 as an unsigned 64-bit number).
  int64_t poll_interval() const { return poll_interval_; }
  Status set_poll_interval(int64_t seconds);
  Value guest_stats() const;

 private:
  uint64_t num_pages_ = 0;
  int64_t poll_interval_ = 0;
};

Balloon& balloon();

}  // namespace migemu
