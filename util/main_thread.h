// Hands work from any thread to the GLib main loop (the main thread owns
// monitors, events and the run state). Closures run in the order posted.
#pragma once

#include <functional>

namespace migemu {

void post_to_main(std::function<void()> fn);

}  // namespace migemu
