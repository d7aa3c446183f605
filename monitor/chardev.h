// Character devices that monitors talk through. Modelled on QEMU's socket
// chardev: a server socket serves one client at a time (the next client waits
// in the listen backlog), and every new connection is an "opened" event.
//
// All methods run on the main thread.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/fd_watch.h"
#include "qapi/error.h"
#include "system/config.h"
#include "util/glib_ptr.h"

namespace migemu {

class Chardev {
 public:
  struct Handlers {
    std::function<void()> opened;
    std::function<void(std::string_view)> read;
    std::function<void()> closed;
  };

  virtual ~Chardev() = default;
  const std::string& id() const { return id_; }

  // Installs the frontend; if a client is already connected, `opened` runs.
  virtual void set_handlers(Handlers h) = 0;
  // Queues bytes for the connected client (dropped when nobody is connected).
  virtual void write(std::string_view bytes) = 0;
  // Takes one fd passed with SCM_RIGHTS by the last read that carried fds
  // (qemu_chr_fe_get_msgfd); the others of that batch are closed.
  virtual Fd take_msgfd() { return Fd(); }
  // Stops/starts delivering input (a monitor that is busy suspends reading).
  virtual void set_reading(bool on) = 0;
  // Drops the current client, as a peer hang-up would.
  virtual void disconnect() {}
  // Writes everything still queued, blocking (used before the process exits).
  virtual void flush_blocking() {}
  virtual bool connected() const = 0;

 protected:
  explicit Chardev(std::string id) : id_(std::move(id)) {}
  std::string id_;
};

// Creates the chardev for a -chardev/-qmp/-monitor configuration. For a
// server socket with wait=on this blocks until the first client connects,
// printing QEMU's "waiting for connection" line on stderr.
Result<std::unique_ptr<Chardev>> create_chardev(const ChardevConfig& cfg);

}  // namespace migemu
