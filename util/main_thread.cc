#include "util/main_thread.h"

#include <glib.h>

#include <deque>
#include <mutex>

namespace migemu {

namespace {

// Closures travel through this queue under a std::mutex rather than inside
// GLib's idle sources: the hand-over is then visible to ThreadSanitizer
// (GLib's own locks are not instrumented) and FIFO by construction.
struct MainQueue {
  std::mutex mu;
  std::deque<std::function<void()>> pending;
  bool scheduled = false;  // an idle source will drain `pending`
};

MainQueue& queue() {
  static MainQueue q;
  return q;
}

gboolean drain(gpointer) {
  MainQueue& q = queue();
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lk(q.mu);
    batch.swap(q.pending);
    q.scheduled = false;
  }
  for (auto& fn : batch) fn();
  return G_SOURCE_REMOVE;
}

}  // namespace

void post_to_main(std::function<void()> fn) {
  MainQueue& q = queue();
  std::lock_guard<std::mutex> lk(q.mu);
  q.pending.push_back(std::move(fn));
  // Always via an idle source (never inline), so a post from the main thread
  // itself also runs later, in order.
  if (!q.scheduled) {
    q.scheduled = true;
    g_idle_add(drain, nullptr);
  }
}

}  // namespace migemu
