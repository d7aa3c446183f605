// Write-behind thread of a migration stream; see write_behind.h.
#include "migration/write_behind.h"

#include <utility>

#include "migration/qemu_file.h"

namespace migemu::migration {

WriteBehind::WriteBehind(StreamChannel& ch, std::atomic<uint64_t>& transferred)
    : ch_(ch), transferred_(transferred) {
  thread_ = std::thread([this] { run(); });
}

WriteBehind::~WriteBehind() {
  wait_idle();
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WriteBehind::run() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || busy_; });
    if (!busy_) return;  // stopping, nothing in flight
    lk.unlock();
    int r = ch_.writev_all(pieces_.data(), static_cast<int>(pieces_.size()));
    if (r == 0) transferred_.fetch_add(bytes_, std::memory_order_relaxed);
    lk.lock();
    if (r < 0 && error_ == 0) error_ = r;
    pieces_.clear();
    busy_ = false;
    cv_.notify_all();
  }
}

int WriteBehind::submit(std::vector<iovec>* pieces, std::vector<uint8_t>* storage, size_t bytes) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [this] { return !busy_; });
  if (error_) return error_;
  std::swap(pieces_, *pieces);
  std::swap(storage_, *storage);
  storage->resize(storage_.size());  // the first swap hands back an empty one
  bytes_ = bytes;
  busy_ = true;
  cv_.notify_all();
  return 0;
}

int WriteBehind::wait_idle() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [this] { return !busy_; });
  return error_;
}

}  // namespace migemu::migration
