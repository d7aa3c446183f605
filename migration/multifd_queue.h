// A bounded, closable FIFO between the migration thread and a multifd
// channel thread. push() waits while the queue is full, pop() while it is
// empty; close() (cancel, a failed channel, the end of the migration) wakes
// both sides at once and makes every later call fail, so no thread can stay
// blocked on a queue whose peer is gone.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace migemu::migration::multifd {

template <typename T>
class BoundedQueue {
 public:
  // `on_pop` (optional) runs after an element left the queue, outside the
  // queue's lock: a dispatcher waiting for room in any of several queues
  // uses it to wake up.
  explicit BoundedQueue(size_t capacity, std::function<void()> on_pop = {})
      : capacity_(capacity ? capacity : 1), on_pop_(std::move(on_pop)) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Waits for room. False (and `v` untouched) once closed.
  bool push(T& v) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [this] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(v));
    cv_.notify_all();
    return true;
  }
  // Never waits: false when full or closed (`v` untouched).
  bool try_push(T& v) {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(v));
    cv_.notify_all();
    return true;
  }
  // Waits for an element; nullopt once closed (queued elements are dropped:
  // closing means "stop now", not "finish").
  std::optional<T> pop() {
    std::optional<T> out;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [this] { return closed_ || !items_.empty(); });
      if (closed_) return std::nullopt;
      out.emplace(std::move(items_.front()));
      items_.pop_front();
      cv_.notify_all();
    }
    if (on_pop_) on_pop_();
    return out;
  }
  void close() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      closed_ = true;
      items_.clear();
    }
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard<std::mutex> lk(mu_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return items_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  std::function<void()> on_pop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace migemu::migration::multifd
