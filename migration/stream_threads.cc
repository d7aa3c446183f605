// Stream threads policy; see stream_threads.h.
#include "migration/stream_threads.h"

#include <sched.h>

#include <cstdlib>
#include <cstring>

namespace migemu::migration {

namespace {

bool decide() {
  const char* v = std::getenv("MIGEMU_STREAM_THREADS");
  if (v && (!strcmp(v, "on") || !strcmp(v, "1"))) return true;
  if (v && (!strcmp(v, "off") || !strcmp(v, "0"))) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
  return CPU_COUNT(&set) >= 4;
}

}  // namespace

bool stream_threads_enabled() {
  static const bool enabled = decide();
  return enabled;
}

}  // namespace migemu::migration
