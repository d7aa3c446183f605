// Where generated qapi_event_send_* functions deliver events. The monitor
// module installs the sink at startup; it must only be called on the main
// thread (events are emitted from the main loop, never from worker threads).
#pragma once

#include <functional>
#include <optional>

#include "qapi/qobject.h"

namespace migemu {

using EventSink = std::function<void(const char* name, std::optional<Dict> data)>;

void set_event_sink(EventSink sink);
void qapi_event_emit(const char* name, std::optional<Dict> data);

}  // namespace migemu
