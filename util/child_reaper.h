// Children that migemu started (exec: migration commands) are collected by
// the main loop, never by a blocking waitpid on a migration thread: a child
// that reads nothing or never exits can then neither hang a cancel nor keep
// the process from exiting.
#pragma once

#include <sys/types.h>

namespace migemu {

// Hands `pid` over for collection. The stream's fds must already be closed.
// terminate=false (the stream ended normally): the child finishes in its own
// time (`gzip > file` still writes its tail). terminate=true (cancelled or
// failed): SIGTERM now, SIGKILL if it is still there a second later.
// Any thread.
void reap_child(pid_t pid, bool terminate);

}  // namespace migemu
