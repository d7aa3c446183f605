#include "util/canceller.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace migemu {

Canceller::Canceller() : wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void Canceller::cancel() {
  std::lock_guard<std::mutex> lk(mu_);
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  if (wake_.valid()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof one);
  }
  for (auto& [id, fn] : hooks_) fn();
}

Canceller::Hook Canceller::on_cancel(std::function<void()> fn) {
  std::lock_guard<std::mutex> lk(mu_);
  if (cancelled()) fn();
  uint64_t id = next_id_++;
  hooks_.emplace(id, std::move(fn));
  return Hook(this, id);
}

void Canceller::remove(uint64_t id) {
  std::lock_guard<std::mutex> lk(mu_);
  hooks_.erase(id);
}

void Canceller::Hook::reset() {
  if (owner_) std::exchange(owner_, nullptr)->remove(id_);
}

int poll_cancellable(int fd, short events, const Canceller* cancel, int timeout_ms) {
  struct pollfd p[2] = {{fd, events, 0}, {cancel ? cancel->fd() : -1, POLLIN, 0}};
  for (;;) {
    if (cancel && cancel->cancelled()) return -ECANCELED;
    int r = ::poll(p, 2, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    if (r == 0) return 0;
    if (p[1].revents) return -ECANCELED;
    return 1;
  }
}

}  // namespace migemu
