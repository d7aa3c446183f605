// A one-shot stop signal for everything a migration can block on (what QEMU
// calls yank, made pollable). Whoever owns a blocking resource registers a
// hook for it while the resource lives: a socket to shut down, a stream to
// wake, a child process to terminate. cancel() runs every hook and makes
// fd() readable, so a thread blocked in poll(), connect() or a read wakes
// within a bounded time whatever state the migration is in.
//
// Thread-safety: every method may be called from any thread. Hooks run with
// the registry lock held, so a Hook's destructor waits for a hook that is
// running: once it returns, the hook never runs again and the resource it
// names may be closed (no shutdown() on a recycled fd number).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "util/glib_ptr.h"

namespace migemu {

class Canceller {
 public:
  Canceller();
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  // Idempotent. Hooks registered later run at registration.
  void cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Readable once cancelled (an eventfd): poll it beside the fd you wait on.
  int fd() const { return wake_.get(); }

  // Unregisters on destruction (or reset()).
  class Hook {
   public:
    Hook() = default;
    Hook(Canceller* owner, uint64_t id) : owner_(owner), id_(id) {}
    Hook(Hook&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), id_(o.id_) {}
    Hook& operator=(Hook&& o) noexcept {
      if (this != &o) {
        reset();
        owner_ = std::exchange(o.owner_, nullptr);
        id_ = o.id_;
      }
      return *this;
    }
    ~Hook() { reset(); }
    void reset();

   private:
    Canceller* owner_ = nullptr;
    uint64_t id_ = 0;
  };
  // `fn` must be quick and must not call back into this Canceller.
  [[nodiscard]] Hook on_cancel(std::function<void()> fn);

 private:
  void remove(uint64_t id);

  std::atomic<bool> cancelled_{false};
  Fd wake_;
  std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::function<void()>> hooks_;
};

// poll() for `events` on `fd` that also returns when `cancel` fires.
// Returns 1 when fd is ready (or hung up / failed: the next I/O call says
// which), 0 on timeout, -ECANCELED when cancelled, -errno on a poll failure.
// timeout_ms < 0 waits without limit. `cancel` may be null.
int poll_cancellable(int fd, short events, const Canceller* cancel, int timeout_ms);

}  // namespace migemu
