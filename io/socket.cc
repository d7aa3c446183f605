#include "io/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace migemu {

namespace {

// How often a connect to a unix listener with a full backlog is retried.
constexpr int kUnixConnectRetryMs = 20;

std::string errno_text(int err) {
  return strerror(err);
}

Result<sockaddr_un> make_unix_sockaddr(const UnixAddress& addr, socklen_t* len) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  size_t max = sizeof(un.sun_path) - (addr.abstract ? 1 : 0);
  if (addr.path.size() >= max + (addr.abstract ? 1 : 0) || addr.path.size() > max) {
    return generic_error("UNIX socket path '" + addr.path + "' is too long");
  }
  size_t off = addr.abstract ? 1 : 0;
  memcpy(un.sun_path + off, addr.path.data(), addr.path.size());
  if (addr.abstract && addr.tight) {
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + addr.path.size());
  } else {
    *len = sizeof(un);
  }
  return un;
}

}  // namespace

Result<AddrInfoPtr> resolve_address(const std::string& host, const std::string& port, bool passive,
                                    int family) {
  addrinfo hints{};
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const char* node = host.empty() && passive ? nullptr : host.c_str();
  int rc = getaddrinfo(node, port.c_str(), &hints, &res);
  if (rc != 0) {
    return generic_error("address resolution failed for " + host + ":" + port + ": " +
                         gai_strerror(rc));
  }
  return AddrInfoPtr(res, freeaddrinfo);
}

void set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return;
  fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

Result<Fd> unix_listen(const UnixAddress& addr) {
  socklen_t len;
  auto un = make_unix_sockaddr(addr, &len);
  if (!un.ok()) return un.take_error();
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return generic_error("Failed to create Unix socket: " + errno_text(errno));
  if (!addr.abstract) unlink(addr.path.c_str());  // QEMU replaces a stale socket file
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&*un), len) < 0) {
    return generic_error("Failed to bind socket to " + addr.path + ": " + errno_text(errno));
  }
  if (listen(fd.get(), 1) < 0)
    return generic_error("Failed to listen on socket: " + errno_text(errno));
  return fd;
}

Result<Fd> unix_connect(const UnixAddress& addr, const Canceller* cancel) {
  socklen_t len;
  auto un = make_unix_sockaddr(addr, &len);
  if (!un.ok()) return un.take_error();
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return generic_error("Failed to create socket: " + errno_text(errno));
  for (;;) {
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&*un), len) == 0) break;
    if (errno == EINTR) continue;
    // A unix listener with a full backlog: a blocking connect would wait for
    // room, which cannot be polled for; retry until there is room or cancel.
    if (errno == EAGAIN) {
      if (poll_cancellable(-1, 0, cancel, kUnixConnectRetryMs) == -ECANCELED) {
        return generic_error("Failed to connect to '" + addr.path + "': " + errno_text(ECANCELED));
      }
      continue;
    }
    return generic_error("Failed to connect to '" + addr.path + "': " + errno_text(errno));
  }
  set_nonblocking(fd.get(), false);
  return fd;
}

Result<Fd> tcp_listen(const std::string& host, const std::string& port, bool ipv4_only,
                      bool ipv6_only) {
  auto res = resolve_address(host, port, true,
                             ipv4_only   ? AF_INET
                             : ipv6_only ? AF_INET6
                                         : AF_UNSPEC);
  if (!res.ok()) return res.take_error();
  int last_err = 0;
  for (addrinfo* ai = res->get(); ai; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd.get(), 1) == 0) return fd;
    last_err = errno;
  }
  return generic_error("Failed to bind socket: " + errno_text(last_err));
}

Result<Fd> tcp_connect(const std::string& host, const std::string& port, const Canceller* cancel) {
  auto res = resolve_address(host, port, false, AF_UNSPEC);
  if (!res.ok()) return res.take_error();
  int last_err = 0;
  for (addrinfo* ai = res->get(); ai; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) {
      last_err = errno;
      continue;
    }
    int rc = connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && (errno == EINPROGRESS || errno == EINTR)) {
      int w = poll_cancellable(fd.get(), POLLOUT, cancel, -1);
      if (w < 0) {
        last_err = -w;
        if (w == -ECANCELED) break;
        continue;
      }
      int err = 0;
      socklen_t elen = sizeof err;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen);
      rc = err ? -1 : 0;
      errno = err;
    }
    if (rc == 0) {
      set_nonblocking(fd.get(), false);
      return fd;
    }
    last_err = errno;
  }
  return generic_error("Failed to connect to '" + host + ":" + port + "': " + errno_text(last_err));
}

Fd accept_client(int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return Fd(fd);
    if (errno != EINTR) return Fd();
  }
}

ssize_t recv_with_fds(int fd, char* buf, size_t len, std::vector<Fd>& fds) {
  // Room for the most fds QEMU accepts in one message (TCP_MAX_FDS = 16).
  constexpr size_t kMaxFds = 16;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  iovec iov{buf, len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int passed;
      memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      set_nonblocking(passed, false);  // O_NONBLOCK survives SCM_RIGHTS; QEMU clears it
      fds.emplace_back(passed);
    }
  }
  return n;
}

bool is_listening_socket(int fd) {
  int val = 0;
  socklen_t len = sizeof val;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == 0 && val;
}

}  // namespace migemu
