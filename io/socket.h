// Plain POSIX socket helpers: listening sockets for unix/tcp addresses,
// accept, and recvmsg with SCM_RIGHTS fd passing. All fds are close-on-exec.
#pragma once

#include <netdb.h>

#include <memory>
#include <string>
#include <vector>

#include "qapi/error.h"
#include "util/canceller.h"
#include "util/glib_ptr.h"

namespace migemu {

struct UnixAddress {
  std::string path;
  bool abstract = false;
  bool tight = true;
};

using AddrInfoPtr = std::unique_ptr<addrinfo, void (*)(addrinfo*)>;
// getaddrinfo for a stream socket, with QEMU's "address resolution failed"
// error. passive: for bind (an empty host means every local address).
Result<AddrInfoPtr> resolve_address(const std::string& host, const std::string& port, bool passive,
                                    int family);

Result<Fd> unix_listen(const UnixAddress& addr);
// Connects without blocking the caller past `cancel` (may be null): a
// connect that hangs (a peer whose accept queue is full) ends as soon as
// `cancel` fires, with an error; the caller tells cancel from failure by
// asking `cancel`. The returned socket is blocking.
Result<Fd> unix_connect(const UnixAddress& addr, const Canceller* cancel = nullptr);
Result<Fd> tcp_listen(const std::string& host, const std::string& port, bool ipv4_only,
                      bool ipv6_only);
Result<Fd> tcp_connect(const std::string& host, const std::string& port,
                       const Canceller* cancel = nullptr);

// Accepts one pending connection (non-blocking listener): an invalid Fd when
// nothing is pending.
Fd accept_client(int listen_fd);

void set_nonblocking(int fd, bool on);

// Reads up to `len` bytes; any fds passed with SCM_RIGHTS are appended to
// `fds` (made blocking and close-on-exec, as QEMU does). Returns the byte
// count, 0 at EOF, -1 with errno set on error (EAGAIN when nothing to read).
ssize_t recv_with_fds(int fd, char* buf, size_t len, std::vector<Fd>& fds);

// True when `fd` is a socket in listening state (an inherited fd=N).
bool is_listening_socket(int fd);

}  // namespace migemu
