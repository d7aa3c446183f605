#include "monitor/monitor.h"

#include <glib.h>

#include <cctype>
#include <cstdarg>
#include <cstdio>

#include "monitor/hmp.h"
#include "monitor/qmp.h"
#include "qapi/event_sink.h"

namespace migemu {

void Monitor::emit(std::string_view bytes) {
  if (chr_) chr_->write(bytes);
}

void Monitor::puts(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  emit(out);
}

void Monitor::printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  GCharPtr text(g_strdup_vprintf(fmt, ap));
  va_end(ap);
  puts(text.get());
}

Status Monitor::getfd(const std::string& name) {
  Fd fd = take_msgfd();
  if (!fd.valid()) return generic_error("No file descriptor supplied via SCM_RIGHTS");
  if (!name.empty() && isdigit(static_cast<unsigned char>(name[0]))) {
    return generic_error("Parameter 'fdname' expects a name not starting with a digit");
  }
  named_fds_[name] = std::move(fd);  // a second getfd of a name replaces (and closes) the old fd
  return {};
}

Status Monitor::closefd(const std::string& name) {
  auto it = named_fds_.find(name);
  if (it == named_fds_.end())
    return generic_error("File descriptor named '" + name + "' not found");
  named_fds_.erase(it);
  return {};
}

Fd Monitor::take_named_fd(const std::string& name) {
  auto it = named_fds_.find(name);
  if (it == named_fds_.end()) return Fd();
  Fd fd = std::move(it->second);
  named_fds_.erase(it);
  return fd;
}

Dict qmp_error_response(const Error& err) {
  Dict e;
  e.put("class", Value(error_class_name(err.cls)));
  e.put("desc", Value(err.desc));
  Dict rsp;
  rsp.put("error", Value(std::move(e)));
  return rsp;
}

Value qmp_event_value(const char* name, std::optional<Dict> data) {
  // QEMU inserts "event" then "timestamp" then "data" (qmp_event_build_dict).
  gint64 now = g_get_real_time();
  Dict ts;
  ts.put("seconds", Value::i64(now / G_USEC_PER_SEC));
  ts.put("microseconds", Value::i64(now % G_USEC_PER_SEC));
  Dict ev;
  ev.put("event", Value(name));
  ev.put("timestamp", Value(std::move(ts)));
  if (data) ev.put("data", Value(std::move(*data)));
  return Value(std::move(ev));
}

Status MonitorSet::add_monitor(const std::string& chardev_id, bool control, bool pretty) {
  Chardev* chr = chardevs().find(chardev_id);
  if (!chr) return generic_error("chardev \"" + chardev_id + "\" not found");
  chardevs_.push_back(chr);
  if (control) {
    monitors_.push_back(std::make_unique<QmpMonitor>(chr, pretty));
  } else {
    monitors_.push_back(std::make_unique<HmpMonitor>(chr));
  }
  static bool sink_installed = false;
  if (!sink_installed) {
    set_event_sink([this](const char* name, std::optional<Dict> data) {
      broadcast_event(name, std::move(data));
    });
    sink_installed = true;
  }
  return {};
}

void MonitorSet::broadcast_event(const char* name, std::optional<Dict> data) {
  Value ev = qmp_event_value(name, std::move(data));
  for (auto& m : monitors_) {
    if (!m->is_qmp()) continue;
    auto* q = static_cast<QmpMonitor*>(m.get());
    if (q->in_command_mode()) q->send(ev);
  }
}

int MonitorSet::connected_count() const {
  int n = 0;
  for (const Chardev* c : chardevs_)
    if (c->connected()) n++;
  return n;
}

MonitorSet& monitors() {
  static MonitorSet set;
  return set;
}

}  // namespace migemu
