#include "migration/fault_channel.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>

namespace migemu::migration {

namespace {

using Clock = std::chrono::steady_clock;

class FaultyChannel final : public StreamChannel {
 public:
  FaultyChannel(std::unique_ptr<StreamChannel> inner, std::vector<StreamFault> faults,
                int drop_errno, uint64_t position)
      : inner_(std::move(inner)),
        faults_(std::move(faults)),
        drop_errno_(drop_errno),
        pos_(position) {
    // Applied in stream order; a fault is used up once its offset is passed.
    std::stable_sort(
        faults_.begin(), faults_.end(),
        [](const StreamFault& a, const StreamFault& b) { return a.offset < b.offset; });
  }

  ssize_t read(uint8_t* buf, size_t n) override {
    int st = before_transfer();
    if (st < 0) return st;
    n = clamp(n);
    ssize_t r = inner_->read(buf, n);
    if (r > 0) after_transfer(buf, static_cast<size_t>(r));
    return r;
  }

  int write_all(const uint8_t* buf, size_t n) override {
    while (n > 0) {
      int st = before_transfer();
      if (st < 0) return st;
      size_t k = clamp(n);
      // Corruption changes what leaves, never the caller's buffer.
      scratch_.assign(buf, buf + k);
      after_transfer(scratch_.data(), k);
      int r = inner_->write_all(scratch_.data(), k);
      if (r < 0) return r;
      buf += k;
      n -= k;
    }
    return 0;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
    inner_->shutdown();
  }

 private:
  // Acts on faults whose offset is the current position; 0 or -errno.
  int before_transfer() {
    while (next_ < faults_.size() && faults_[next_].offset <= pos_) {
      const StreamFault& f = faults_[next_];
      switch (f.kind) {
        case StreamFault::Kind::kDrop:
          // What a cut connection looks like from this end; the peer sees
          // the stream end.
          inner_->shutdown();
          return -drop_errno_;
        case StreamFault::Kind::kStall:
          next_++;
          if (!sleep_for(std::chrono::milliseconds(f.duration_ms))) return -EIO;
          break;
        case StreamFault::Kind::kThrottle:
          next_++;
          throttle_ = f;
          throttle_start_ = Clock::now();
          throttle_bytes_ = 0;
          break;
        case StreamFault::Kind::kCorrupt:
          if (f.offset < pos_) {
            next_++;  // already passed (applied by after_transfer)
            break;
          }
          return 0;  // applied to the transfer that covers it
      }
    }
    if (throttle_) {
      // Keep the average since the throttle began at `rate`.
      auto due =
          throttle_start_ + std::chrono::microseconds(throttle_bytes_ * 1000000 /
                                                      std::max<uint64_t>(throttle_->rate, 1));
      auto now = Clock::now();
      if (due > now && !sleep_for(due - now)) return -EIO;
    }
    return 0;
  }

  // Limits a transfer so that it ends at the next fault's offset, and a
  // throttled one to a tenth of a second's worth.
  size_t clamp(size_t n) const {
    if (next_ < faults_.size()) {
      const StreamFault& f = faults_[next_];
      uint64_t end = f.kind == StreamFault::Kind::kCorrupt ? f.offset + 1 : f.offset;
      if (end > pos_) n = static_cast<size_t>(std::min<uint64_t>(n, end - pos_));
    }
    if (throttle_)
      n = static_cast<size_t>(std::min<uint64_t>(n, std::max<uint64_t>(throttle_->rate / 10, 1)));
    return std::max<size_t>(n, 1);
  }

  void after_transfer(uint8_t* data, size_t n) {
    while (next_ < faults_.size() && faults_[next_].kind == StreamFault::Kind::kCorrupt &&
           faults_[next_].offset >= pos_ && faults_[next_].offset < pos_ + n) {
      data[faults_[next_].offset - pos_] ^= 0xFF;
      next_++;
    }
    pos_ += n;
    if (throttle_) throttle_bytes_ += n;
  }

  // False when shut down meanwhile.
  template <typename Duration>
  bool sleep_for(Duration d) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait_for(lk, d, [this] { return stopped_; });
    return !stopped_;
  }

  std::unique_ptr<StreamChannel> inner_;
  std::vector<StreamFault> faults_;
  int drop_errno_;
  size_t next_ = 0;
  uint64_t pos_ = 0;
  std::optional<StreamFault> throttle_;
  Clock::time_point throttle_start_;
  uint64_t throttle_bytes_ = 0;
  std::vector<uint8_t> scratch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<StreamChannel> make_faulty_channel(std::unique_ptr<StreamChannel> inner,
                                                   std::vector<StreamFault> faults, int drop_errno,
                                                   uint64_t position) {
  if (faults.empty()) return inner;
  return std::make_unique<FaultyChannel>(std::move(inner), std::move(faults), drop_errno, position);
}

}  // namespace migemu::migration
