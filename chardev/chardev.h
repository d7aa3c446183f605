// Character devices: the byte streams that monitors and the guest's serial
// ports talk through, with their own registry, as QEMU keeps chardevs under
// /chardevs beside (not inside) its monitors. Backends: socket (one client at
// a time, like QEMU's), pty, file, null (and vc, served as null), stdio.
//
// All methods run on the main thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

  // A frontend (a monitor, a serial port) takes the chardev: its handlers
  // are installed and query-chardev reports frontend-open from then on.
  void attach_frontend(Handlers h) {
    frontend_open_ = true;
    set_handlers(std::move(h));
  }
  bool frontend_open() const { return frontend_open_; }
  // query-chardev's "filename": what the backend is connected to now
  // ("pty:/dev/pts/3", "unix:/p,server=on", "disconnected:unix:/p,server=on").
  virtual std::string filename() const { return filename_; }

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
  explicit Chardev(std::string id, std::string filename = {})
      : id_(std::move(id)), filename_(std::move(filename)) {}
  std::string id_;
  std::string filename_;

 private:
  bool frontend_open_ = false;
};

// Creates the chardev for a -chardev/-qmp/-monitor configuration. For a
// server socket with wait=on this blocks until the first client connects,
// printing QEMU's "waiting for connection" line on stderr; a pty prints
// "char device redirected to /dev/pts/N (label ID)" on stdout.
Result<std::unique_ptr<Chardev>> create_chardev(const ChardevConfig& cfg);

// The process's chardevs (QEMU's /chardevs container), owned here.
class ChardevRegistry {
 public:
  // "Duplicate ID 'X' for chardev" when the id is taken.
  Status add(std::unique_ptr<Chardev> chr);
  Chardev* find(std::string_view id) const;
  // In the order QEMU's query-chardev reports them: it walks the container's
  // children (a GLib string hash table) and prepends each one.
  std::vector<const Chardev*> query_order() const;
  // Writes pending output of every chardev (before the process exits).
  void flush_all();
  // Drops every chardev (unit tests).
  void clear() { chardevs_.clear(); }

 private:
  std::vector<std::unique_ptr<Chardev>> chardevs_;  // creation order
};

ChardevRegistry& chardevs();

}  // namespace migemu
