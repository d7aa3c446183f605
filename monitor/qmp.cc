#include "monitor/qmp.h"

#include "monitor/command_tables.h"
#include "qapi/json_writer.h"
#include "qapi/qapi-commands.h"
#include "qapi/qapi-visit.h"
#include "system/vm.h"

namespace migemu {

namespace {

const qapi::QmpCommand* find_command(std::string_view name) {
  const std::vector<qapi::QmpCommand>* table = command_tables().qmp;
  if (!table) return nullptr;
  for (const auto& c : *table)
    if (name == c.name) return &c;
  return nullptr;
}

// qmp_dispatch_check_obj: members are checked in QDict iteration order.
Status check_request(const Dict& req, bool allow_oob) {
  const char* exec_key = nullptr;
  for (size_t idx : qdict_iteration_order(req)) {
    const auto& [key, val] = req.entries()[idx];
    if (key == "execute" || (key == "exec-oob" && allow_oob)) {
      if (!val.is_string()) return generic_error("QMP input member '" + key + "' must be a string");
      if (exec_key) {
        return generic_error("QMP input member '" + key + "' clashes with '" + exec_key + "'");
      }
      exec_key = key == "execute" ? "execute" : "exec-oob";
    } else if (key == "arguments") {
      if (!val.is_dict()) return generic_error("QMP input member 'arguments' must be an object");
    } else if (key != "id") {
      return generic_error("QMP input member '" + key + "' is unexpected");
    }
  }
  if (!exec_key) return generic_error("QMP input lacks member 'execute'");
  return {};
}

}  // namespace

Value qmp_greeting(bool oob_offered) {
  std::vector<Value> caps;
  if (oob_offered) caps.emplace_back("oob");
  Dict qmp;
  qmp.put("version", qapi::to_value(vm().version_info()));
  qmp.put("capabilities", Value(std::move(caps)));
  Dict top;
  top.put("QMP", Value(std::move(qmp)));
  return Value(std::move(top));
}

QmpMonitor::QmpMonitor(Chardev* chr, bool pretty)
    : Monitor(chr),
      pretty_(pretty),
      parser_([this](Result<Value> msg) { on_message(std::move(msg)); }) {
  chr_->attach_frontend(Chardev::Handlers{
      [this] { on_opened(); },
      [this](std::string_view bytes) { parser_.feed(bytes); },
      [this] { on_closed(); },
  });
}

void QmpMonitor::on_opened() {
  command_mode_ = false;
  oob_enabled_ = false;
  queue_.clear();
  parser_.reset();
  send(qmp_greeting(oob_offered_));
}

void QmpMonitor::on_closed() {
  // Requests not yet executed die with the connection, as in QEMU.
  queue_.clear();
  parser_.reset();
  command_mode_ = false;
  oob_enabled_ = false;
  vm().monitor_disconnected();
}

void QmpMonitor::send(const Value& msg) {
  std::string text = to_json(msg, pretty_);
  text += '\n';
  puts(text);
}

Status QmpMonitor::accept_capabilities(const std::vector<std::string>& enable) {
  if (command_mode_) {
    return Error{ErrorClass::CommandNotFound,
                 "Capabilities negotiation is already complete, command ignored"};
  }
  std::string unavailable;
  bool want_oob = false;
  for (const auto& cap : enable) {
    if (cap == "oob" && oob_offered_) {
      want_oob = true;
      continue;
    }
    unavailable += unavailable.empty() ? cap : ", " + cap;
  }
  if (!unavailable.empty()) return generic_error("Capability " + unavailable + " not available");
  oob_enabled_ = want_oob;
  command_mode_ = true;
  return {};
}

void QmpMonitor::on_message(Result<Value> msg) {
  // Out-of-band requests jump the queue (handle_qmp_command's qmp_is_oob).
  if (msg.ok() && msg->is_dict() && msg->as_dict().has("exec-oob") &&
      !msg->as_dict().has("execute")) {
    if (!vm().exit_requested()) send(Value(dispatch(*msg)));
    return;
  }
  queue_.push_back(std::move(msg));
  drain_queue();
}

void QmpMonitor::drain_queue() {
  if (draining_) return;
  draining_ = true;
  while (!queue_.empty() && !vm().exit_requested()) {
    Result<Value> msg = std::move(queue_.front());
    queue_.pop_front();
    if (!msg.ok()) {
      send(Value(qmp_error_response(msg.error())));
      continue;
    }
    send(Value(dispatch(*msg)));
  }
  draining_ = false;
  if (vm().exit_requested()) chr_->set_reading(false);
}

Dict QmpMonitor::dispatch(const Value& request) {
  const Value* id = nullptr;
  Dict rsp;
  auto fail = [&](const Error& e) {
    rsp = qmp_error_response(e);
    if (!command_mode_ && e.cls == ErrorClass::CommandNotFound) {
      // Negotiation mode replaces the text with a hint (monitor_qmp_dispatch).
      Dict& err = rsp.get("error")->as_dict();
      err.remove("desc");
      err.put("desc", Value("Expecting capabilities negotiation with 'qmp_capabilities'"));
    }
  };
  if (!request.is_dict()) {
    fail(generic_error("QMP input must be a JSON object"));
  } else {
    const Dict& req = request.as_dict();
    id = req.get("id");
    Status st = check_request(req, oob_enabled_);
    if (!st.ok()) {
      fail(st.error());
    } else {
      bool oob = !req.has("execute");
      const std::string& name = req.get(oob ? "exec-oob" : "execute")->as_string();
      // Before negotiation only qmp_capabilities exists.
      const qapi::QmpCommand* cmd =
          (command_mode_ || name == "qmp_capabilities") ? find_command(name) : nullptr;
      if (!cmd) {
        fail(Error{ErrorClass::CommandNotFound, "The command " + name + " has not been found"});
      } else if (oob && !cmd->allow_oob) {
        fail(generic_error("The command " + name + " does not support OOB"));
      } else {
        const Value* args = req.get("arguments");
        CommandContext ctx{this};
        Result<Value> ret = cmd->marshal(args ? &args->as_dict() : nullptr, ctx);
        if (ret.ok()) {
          rsp.put("return", std::move(*ret));
        } else {
          fail(ret.error());
        }
      }
    }
  }
  if (id) rsp.put("id", *id);
  return rsp;
}

}  // namespace migemu
