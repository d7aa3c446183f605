// A listening socket whose accept callback runs on the GLib main loop
// (QEMU's QIONetListener). Used by incoming migration: every accepted
// connection is handed to the callback; the listener keeps listening until
// it is destroyed or disconnect() is called.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "io/fd_watch.h"
#include "qapi/error.h"
#include "util/glib_ptr.h"

namespace migemu {

struct ListenAddress {
  enum class Kind { Inet, Unix };
  Kind kind = Kind::Inet;
  std::string host;                 // inet
  std::string port;                 // inet (the bound port after listen(), for "0")
  std::string path;                 // unix
  bool ipv4 = false, ipv6 = false;  // what the bound socket serves (inet)
};

class NetListener {
 public:
  using AcceptCallback = std::function<void(Fd client)>;

  NetListener() = default;
  NetListener(const NetListener&) = delete;
  NetListener& operator=(const NetListener&) = delete;

  // Binds every address `host:port` resolves to (or the unix path).
  // backlog: how many connections may wait (QEMU: multifd channels or 1).
  Status listen_inet(const std::string& host, const std::string& port, int backlog);
  Status listen_unix(const std::string& path, int backlog);
  // Serve an already-listening socket.
  Status listen_fd(Fd fd);

  void set_accept_callback(AcceptCallback cb);
  void disconnect();  // stop listening and close the sockets
  bool listening() const { return !socks_.empty(); }
  // The bound addresses, for query-migrate's socket-address.
  const std::vector<ListenAddress>& addresses() const { return addrs_; }

 private:
  void arm();
  std::vector<Fd> socks_;
  std::vector<ListenAddress> addrs_;
  std::vector<FdWatch> watches_;
  AcceptCallback cb_;
};

}  // namespace migemu
