#include "io/fd_watch.h"

#include <glib-unix.h>

#include <memory>

namespace migemu {

namespace {

gboolean dispatch(gint, GIOCondition cond, gpointer data) {
  (*static_cast<FdWatch::Callback*>(data))(cond);
  return G_SOURCE_CONTINUE;
}

void free_callback(gpointer data) {
  std::unique_ptr<FdWatch::Callback> owned(static_cast<FdWatch::Callback*>(data));
}

}  // namespace

FdWatch::FdWatch(int fd, GIOCondition cond, Callback cb) : source_(g_unix_fd_source_new(fd, cond)) {
  auto owned = std::make_unique<Callback>(std::move(cb));
  g_source_set_callback(source_.get(),
                        reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(dispatch)),
                        owned.release(), free_callback);
  g_source_attach(source_.get(), nullptr);
}

}  // namespace migemu
