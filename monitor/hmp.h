// The human monitor (HMP): QEMU's readline on a chardev, the command table,
// and command execution shared with human-monitor-command.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <span>

#include "monitor/hmp_args.h"
#include "monitor/monitor.h"
#include "monitor/readline.h"

namespace migemu {

// The HMP command table (sorted by name as QEMU sorts it; `info` has a sub-table).
std::span<const HmpCommand> hmp_command_table();
// Runs a parsed command's handler (selected by HmpCommand::id).
void hmp_run_command(Monitor& mon, const HmpCommand& cmd, const Dict& args);

// Runs one HMP command line on `mon` (handle_hmp_command).
void hmp_handle_command(Monitor& mon, std::string_view cmdline);

class HmpMonitor : public Monitor {
 public:
  explicit HmpMonitor(Chardev* chr);
  bool is_qmp() const override { return false; }
  bool suspend() override;
  void resume() override;

 private:
  void on_opened();
  void on_read(std::string_view bytes);
  void on_line(std::string line);

  Readline rl_;
  int suspended_ = 0;
  std::string pending_input_;  // bytes that arrived while suspended
};

// A monitor with no connection whose output is collected: what
// human-monitor-command runs HMP commands on.
class CaptureMonitor : public Monitor {
 public:
  CaptureMonitor() : Monitor(nullptr) {}
  bool is_qmp() const override { return false; }
  const std::string& output() const { return out_; }

 protected:
  void emit(std::string_view bytes) override { out_.append(bytes); }

 private:
  std::string out_;
};

}  // namespace migemu
