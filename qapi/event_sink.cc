#include "qapi/event_sink.h"

namespace migemu {

namespace {
EventSink& sink() {
  static EventSink s;
  return s;
}
}  // namespace

void set_event_sink(EventSink s) {
  sink() = std::move(s);
}

void qapi_event_emit(const char* name, std::optional<Dict> data) {
  if (sink()) sink()(name, std::move(data));
}

}  // namespace migemu
