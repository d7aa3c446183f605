#include "util/main_thread.h"

#include <glib.h>

#include <memory>

namespace migemu {

namespace {

gboolean run_once(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}

void free_fn(gpointer data) {
  std::unique_ptr<std::function<void()>> owned(static_cast<std::function<void()>*>(data));
}

}  // namespace

void post_to_main(std::function<void()> fn) {
  // Always a new idle source (never the inline path of g_main_context_invoke),
  // so a post from the main thread itself also runs later, in order.
  auto owned = std::make_unique<std::function<void()>>(std::move(fn));
  g_idle_add_full(G_PRIORITY_DEFAULT, run_once, owned.release(), free_fn);
}

}  // namespace migemu
