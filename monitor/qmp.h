// A QMP monitor session (monitor/qmp.c): greeting on connect, capabilities
// negotiation, request validation and dispatch, replies and events.
#pragma once

#include <deque>
#include <memory>

#include "monitor/monitor.h"
#include "qapi/json_parser.h"

namespace migemu {

class QmpMonitor : public Monitor {
 public:
  QmpMonitor(Chardev* chr, bool pretty);
  bool is_qmp() const override { return true; }

  bool in_command_mode() const { return command_mode_; }
  bool oob_enabled() const { return oob_enabled_; }

  // qmp_capabilities: validates `enable` and leaves negotiation mode.
  Status accept_capabilities(const std::vector<std::string>& enable);
  void send(const Value& msg);

 private:
  void on_opened();
  void on_closed();
  void on_message(Result<Value> msg);
  void drain_queue();
  Dict dispatch(const Value& request);

  bool pretty_;
  bool command_mode_ = false;
  bool oob_offered_ = true;  // socket/stdio chardevs can run OOB in QEMU
  bool oob_enabled_ = false;
  JsonMessageParser parser_;
  std::deque<Result<Value>> queue_;
  bool draining_ = false;
};

// The greeting object sent on every new connection.
Value qmp_greeting(bool oob_offered);

}  // namespace migemu
