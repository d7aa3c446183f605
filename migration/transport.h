// Migration URIs and the channels behind them (QEMU 7.2's migration/socket.c,
// exec.c, fd.c): parsing with QEMU's error texts, the outgoing connect, and
// the incoming side's listener / child process / fd.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/net_listener.h"
#include "qapi/error.h"
#include "util/canceller.h"
#include "util/glib_ptr.h"

namespace migemu {

struct MigrationUri {
  enum class Kind { Tcp, Unix, Exec, Fd };
  Kind kind = Kind::Tcp;
  std::string host, port;  // tcp
  std::optional<bool> ipv4, ipv6;
  std::string path;     // unix
  std::string command;  // exec (run by /bin/sh -c)
  std::string fdname;   // fd
  std::string text;     // as given
};

// Turns an fd: URI's name into the descriptor it names (the monitor's getfd
// names); an invalid Fd when there is none.
using FdResolver = std::function<Fd(const std::string& name)>;

// Outgoing: "Parameter 'uri' expects a valid migration protocol" for an
// unknown scheme (the caller also moves the state to failed), address parse
// errors otherwise.
Result<MigrationUri> parse_outgoing_uri(std::string_view uri);
// Incoming: "unknown migration protocol: URI" for an unknown scheme.
Result<MigrationUri> parse_incoming_uri(std::string_view uri);

// A byte channel to or from a peer: a socket, or the pipes of an exec: child.
// Destroying it closes its fds and hands the child to the main loop's reaper
// (util/child_reaper.h): told to terminate if the channel was shut down, left
// to finish otherwise. Destruction never blocks.
class MigrationChannel {
 public:
  MigrationChannel() = default;
  MigrationChannel(Fd read_fd, Fd write_fd, pid_t child = -1);
  // One fd for both directions (a socket, or an fd: channel): the channel
  // keeps a duplicate for the read side.
  static MigrationChannel bidirectional(Fd fd);
  MigrationChannel(MigrationChannel&&) noexcept;
  MigrationChannel& operator=(MigrationChannel&&) noexcept;
  ~MigrationChannel();

  int read_fd() const { return read_.get(); }
  int write_fd() const { return write_.get(); }
  // Unblocks any thread blocked on this channel (migrate_cancel, a failed
  // migration, exit): sockets are shut down, an exec: child is terminated.
  // Thread-safe against I/O on the channel, not against its destruction.
  void shutdown();
  // Closes the write side (the exec: child then sees EOF).
  void close_write() { write_.reset(); }

 private:
  void release_child();
  Fd read_;
  Fd write_;
  pid_t child_ = -1;
  std::atomic<bool> aborted_{false};
};

// Source side. tcp/unix connect (blocking until connected, refused or
// `cancel` fires; call it from the migration thread); exec spawns the child at
// once. fd: the caller resolves the name.
Result<MigrationChannel> connect_outgoing(const MigrationUri& uri, const Canceller* cancel);
// Runs `command` with /bin/sh -c, the stream on its stdin (outgoing) or
// stdout (incoming). The child starts as a child of QEMU would: default signal
// mask and dispositions, and no fd of migemu's but stdin, stdout and stderr.
Result<MigrationChannel> spawn_exec(const std::string& command);

}  // namespace migemu
