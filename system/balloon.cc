// The balloon's state and QEMU 7.2's checks (see balloon.h).
#include "system/balloon.h"

#include <cstdint>

#include "system/pci_board.h"

namespace migemu {

namespace {

constexpr int kPageShift = 12;  // VIRTIO_BALLOON_PFN_SHIFT

Error no_balloon() {
  return Error{ErrorClass::DeviceNotActive, "No balloon device has been activated"};
}

}  // namespace

const DeviceConfig* Balloon::device(const Config& cfg) {
  for (const DeviceConfig& d : cfg.devices) {
    if (is_virtio_balloon(d.driver)) return &d;
  }
  return nullptr;
}

Status Balloon::set_target(const Config& cfg, int64_t bytes) {
  if (!device(cfg)) return no_balloon();
  if (bytes <= 0) return generic_error("Parameter 'target' expects a size");
  uint64_t target = static_cast<uint64_t>(bytes);
  if (target > cfg.ram_size) target = cfg.ram_size;
  num_pages_ = (cfg.ram_size - target) >> kPageShift;
  return {};
}

Result<int64_t> Balloon::actual(const Config& cfg) const {
  if (!device(cfg)) return no_balloon();
  // The guest has given up no pages: its "actual" config field stays 0.
  return static_cast<int64_t>(cfg.ram_size);
}

Status Balloon::set_poll_interval(int64_t seconds) {
  if (seconds < 0) return generic_error("timer value must be greater than zero");
  if (seconds > int64_t{UINT32_MAX}) return generic_error("timer value is too big");
  // Polling asks the guest's driver for statistics; with none there is
  // nothing to poll, but the interval is kept and read back as set.
  poll_interval_ = seconds;
  return {};
}

Value Balloon::guest_stats() const {
  // QEMU's balloon_stat_names, in its order (the writer orders a dict's keys
  // by hash as QEMU's QDict does).
  static constexpr const char* kNames[] = {
      "stat-swap-in",      "stat-swap-out",     "stat-major-faults",     "stat-minor-faults",
      "stat-free-memory",  "stat-total-memory", "stat-available-memory", "stat-disk-caches",
      "stat-htlb-pgalloc", "stat-htlb-pgfail"};
  Dict stats;
  for (const char* n : kNames) stats.put(n, Value::u64(UINT64_MAX));
  Dict out;
  out.put("last-update", Value::i64(0));
  out.put("stats", Value(std::move(stats)));
  return Value(std::move(out));
}

Balloon& balloon() {
  static Balloon b;
  return b;
}

}  // namespace migemu
