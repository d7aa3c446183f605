// Read-ahead thread of a migration stream; see read_ahead.h.
#include "migration/read_ahead.h"

#include <utility>

#include "migration/qemu_file.h"

namespace migemu::migration {

ReadAhead::ReadAhead(StreamChannel& ch) : ch_(ch) {
  for (size_t i = 0; i < kChunks; i++) free_.emplace_back(kHeadroom + kChunk);
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  ch_.shutdown();
  thread_.join();
}

void ReadAhead::run() {
  for (;;) {
    std::vector<uint8_t> buf;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !free_.empty(); });
      if (stopping_) break;
      buf = std::move(free_.back());
      free_.pop_back();
    }
    // Whatever has arrived goes to the loader at once: it may be waiting for
    // a few bytes the source sends before it waits for an answer.
    ssize_t r = ch_.read(buf.data() + kHeadroom, kChunk);
    std::lock_guard<std::mutex> lk(mu_);
    if (r <= 0) break;  // end of stream or failure: QEMU tells them apart no more
    ready_.push_back(Filled{std::move(buf), static_cast<size_t>(r)});
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lk(mu_);
  ended_ = true;
  cv_.notify_all();
}

bool ReadAhead::next(std::vector<uint8_t>* buf, size_t* len, std::vector<uint8_t> spent) {
  std::unique_lock<std::mutex> lk(mu_);
  if (spent.size() == kHeadroom + kChunk) {
    free_.push_back(std::move(spent));
    cv_.notify_all();
  }
  cv_.wait(lk, [this] { return !ready_.empty() || ended_; });
  if (ready_.empty()) return false;
  *buf = std::move(ready_.front().buf);
  *len = ready_.front().len;
  ready_.pop_front();
  return true;
}

}  // namespace migemu::migration
