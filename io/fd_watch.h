// An fd readiness watch on the GLib main context, owned RAII-style: the
// callback stops being called when the FdWatch is destroyed or reset.
//
// The callback is owned by the GSource itself, so a callback may safely
// destroy its own FdWatch (GLib keeps the callback alive until it returns).
#pragma once

#include <glib.h>

#include <functional>

#include "util/glib_ptr.h"

namespace migemu {

class FdWatch {
 public:
  using Callback = std::function<void(GIOCondition)>;

  FdWatch() = default;
  FdWatch(int fd, GIOCondition cond, Callback cb);

  bool active() const { return source_ != nullptr; }
  void reset() { source_.reset(); }

 private:
  GSourcePtr source_;
};

}  // namespace migemu
