// Monitors: QMP (JSON) and HMP (human) front-ends on chardevs, the registry
// that broadcasts events to them, and the context QMP handlers run in.
// Main thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chardev/chardev.h"
#include "qapi/error.h"
#include "qapi/qobject.h"
#include "util/glib_ptr.h"

namespace migemu {

class Monitor {
 public:
  virtual ~Monitor() = default;
  virtual bool is_qmp() const = 0;

  // Monitor output: every "\n" becomes "\r\n" on the wire (monitor_puts).
  void puts(std::string_view text);
  void printf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  // An fd that arrived with SCM_RIGHTS on this monitor's connection.
  Fd take_msgfd() { return chr_ ? chr_->take_msgfd() : Fd(); }

  // monitor_suspend/monitor_resume: a command that keeps running (HMP
  // `migrate` without -d) holds the monitor's input. suspend() fails on a
  // monitor that cannot wait (human-monitor-command's).
  virtual bool suspend() { return false; }
  virtual void resume() {}

  // Named fds from getfd, private to this monitor (QEMU's mon->fds).
  Status getfd(const std::string& name);
  Status closefd(const std::string& name);
  Fd take_named_fd(const std::string& name);

  // The CPU that HMP commands act on (QEMU's mon_cpu; `cpu N` changes it).
  int cpu_index() const { return cpu_index_; }
  void set_cpu_index(int index) { cpu_index_ = index; }

 protected:
  explicit Monitor(Chardev* chr) : chr_(chr) {}
  // Raw bytes to the client, or to a capture buffer for an HMP monitor that
  // serves human-monitor-command.
  virtual void emit(std::string_view bytes);

  Chardev* chr_;  // not owned; null for a capture-only monitor

 private:
  std::map<std::string, Fd> named_fds_;
  int cpu_index_ = 0;
};

// What a QMP command handler may ask of the monitor that runs it.
struct CommandContext {
  Monitor* mon = nullptr;
};

// Creates the monitors of the command line and owns them; their chardevs
// belong to the chardev registry (chardev/chardev.h).
class MonitorSet {
 public:
  Status add_monitor(const std::string& chardev_id, bool control, bool pretty);

  // Sends an event to every QMP monitor that finished negotiation.
  void broadcast_event(const char* name, std::optional<Dict> data);
  // Number of QMP/HMP monitors with a connected client (QEMU's mon_refcount).
  int connected_count() const;

 private:
  std::vector<std::unique_ptr<Monitor>> monitors_;
  std::vector<Chardev*> chardevs_;  // the monitors' chardevs (not owned)
};

MonitorSet& monitors();

// QMP reply/event shapes, shared by the QMP monitor and its tests.
Dict qmp_error_response(const Error& err);
Value qmp_event_value(const char* name, std::optional<Dict> data);

}  // namespace migemu
