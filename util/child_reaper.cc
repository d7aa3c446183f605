#include "util/child_reaper.h"

#include <glib.h>
#include <signal.h>

#include <memory>

#include "util/main_thread.h"

namespace migemu {

namespace {

// How long a child told to go may linger before it is killed.
constexpr guint kTerminateGraceMs = 1000;

struct Child {
  pid_t pid;
  guint watch = 0;
  guint kill_timer = 0;
};

void on_child_exit(GPid, gint, gpointer data) {
  std::unique_ptr<Child> c(static_cast<Child*>(data));
  if (c->kill_timer) g_source_remove(c->kill_timer);
  g_spawn_close_pid(c->pid);
}

gboolean on_grace_over(gpointer data) {
  auto* c = static_cast<Child*>(data);
  c->kill_timer = 0;
  kill(c->pid, SIGKILL);
  return G_SOURCE_REMOVE;
}

}  // namespace

void reap_child(pid_t pid, bool terminate) {
  if (pid <= 0) return;
  if (terminate) kill(pid, SIGTERM);
  post_to_main([pid, terminate] {
    // Owned by the child watch from here: freed once the child is collected.
    Child* c = std::make_unique<Child>(Child{pid}).release();
    c->watch = g_child_watch_add(pid, on_child_exit, c);
    if (terminate) c->kill_timer = g_timeout_add(kTerminateGraceMs, on_grace_over, c);
  });
}

}  // namespace migemu
