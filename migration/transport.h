// Migration URIs and the channels behind them (QEMU 7.2's migration/socket.c,
// exec.c, fd.c): parsing with QEMU's error texts, the outgoing connect, and
// the incoming side's listener / child process / fd.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/net_listener.h"
#include "qapi/error.h"
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

// Outgoing: "Parameter 'uri' expects a valid migration protocol" for an
// unknown scheme (the caller also moves the state to failed), address parse
// errors otherwise.
Result<MigrationUri> parse_outgoing_uri(std::string_view uri);
// Incoming: "unknown migration protocol: URI" for an unknown scheme.
Result<MigrationUri> parse_incoming_uri(std::string_view uri);

// A byte channel to or from a peer: a socket, or the pipes of an exec: child
// (whose exit status is collected when the channel is destroyed).
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
  // Unblocks any thread blocked on this channel (migrate_cancel).
  void shutdown();
  // Closes the write side (the exec: child then sees EOF).
  void close_write() { write_.reset(); }

 private:
  void reap();
  Fd read_;
  Fd write_;
  pid_t child_ = -1;
};

// Source side. tcp/unix connect (blocking; call it from the migration
// thread); exec spawns the child at once. fd: the caller resolves the name.
Result<MigrationChannel> connect_outgoing(const MigrationUri& uri);
Result<MigrationChannel> spawn_exec(const std::string& command, bool child_reads_stream);

}  // namespace migemu
