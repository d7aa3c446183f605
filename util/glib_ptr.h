// Ownership wrappers for GLib/GIO C objects and file descriptors.
//
// Every C object migemu holds is owned by one of these, so that no code path
// has to remember an unref/close. `adopt` takes over an existing reference;
// `retain` adds one (for objects we were lent).
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace migemu {

struct GObjectUnref {
  void operator()(gpointer p) const { g_object_unref(p); }
};
struct GSourceDestroy {
  // A source we own is detached from its context and released together.
  void operator()(GSource* s) const {
    g_source_destroy(s);
    g_source_unref(s);
  }
};
struct GMainContextUnref {
  void operator()(GMainContext* c) const { g_main_context_unref(c); }
};
struct GMainLoopUnref {
  void operator()(GMainLoop* l) const { g_main_loop_unref(l); }
};
struct GErrorFree {
  void operator()(GError* e) const { g_error_free(e); }
};
struct GHashTableUnref {
  void operator()(GHashTable* t) const { g_hash_table_unref(t); }
};
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};

template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;
using GSourcePtr = std::unique_ptr<GSource, GSourceDestroy>;
using GMainContextPtr = std::unique_ptr<GMainContext, GMainContextUnref>;
using GMainLoopPtr = std::unique_ptr<GMainLoop, GMainLoopUnref>;
using GErrorPtr = std::unique_ptr<GError, GErrorFree>;
using GCharPtr = std::unique_ptr<gchar, GFree>;
using GHashTablePtr = std::unique_ptr<GHashTable, GHashTableUnref>;

template <typename T>
GObjectPtr<T> adopt(T* p) {
  return GObjectPtr<T>(p);
}
template <typename T>
GObjectPtr<T> retain(T* p) {
  return GObjectPtr<T>(p ? static_cast<T*>(g_object_ref(p)) : nullptr);
}

// A move-only file descriptor; closes on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace migemu
