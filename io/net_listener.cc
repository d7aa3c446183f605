#include "io/net_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/socket.h"

namespace migemu {

namespace {

// An IPv6 address is bound dual-stack, as QEMU 7.2 binds a listener given no
// ipv4/ipv6 flags: "tcp:[::]:PORT" (what libvirt asks a migration destination
// for) then also accepts IPv4 peers. If the IPv4 side of the port is taken
// (another socket of this listener bound 0.0.0.0 first), it falls back to
// IPv6 only. docs/libvirt.md (live migration)
bool bind_dual_stack(int fd, const addrinfo* ai) {
  if (ai->ai_family != AF_INET6) return bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
  int v6only = 0;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) return true;
  if (errno != EADDRINUSE) return false;
  v6only = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  return bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
}

}  // namespace

Status NetListener::listen_inet(const std::string& host, const std::string& port, int backlog) {
  auto res = resolve_address(host, port, true, AF_UNSPEC);
  if (!res.ok()) return res.take_error();
  int last_err = 0;
  std::string bound_port = port;
  for (addrinfo* ai = res->get(); ai; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // With port 0 every address shares the port the first bind picked.
    if (bound_port != port) {
      if (ai->ai_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_port = htons(std::stoi(bound_port));
      } else if (ai->ai_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_port = htons(std::stoi(bound_port));
      }
    }
    if (!bind_dual_stack(fd.get(), ai) || ::listen(fd.get(), backlog) < 0) {
      last_err = errno;
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, hbuf, sizeof hbuf, sbuf, sizeof sbuf,
                NI_NUMERICHOST | NI_NUMERICSERV);
    bound_port = sbuf;
    ListenAddress a;
    a.kind = ListenAddress::Kind::Inet;
    a.host = hbuf;
    a.port = sbuf;
    a.ipv4 = ai->ai_family == AF_INET;
    a.ipv6 = ai->ai_family == AF_INET6;
    addrs_.push_back(a);
    set_nonblocking(fd.get(), true);
    socks_.push_back(std::move(fd));
  }
  if (socks_.empty())
    return generic_error("Failed to bind socket: " + std::string(strerror(last_err)));
  arm();
  return {};
}

Status NetListener::listen_unix(const std::string& path, int backlog) {
  Result<Fd> fd = unix_listen(UnixAddress{path, false, true});
  if (!fd.ok()) return fd.take_error();
  if (::listen(fd->get(), backlog) < 0) return generic_error("Failed to listen on socket");
  ListenAddress a;
  a.kind = ListenAddress::Kind::Unix;
  a.path = path;
  addrs_.push_back(a);
  set_nonblocking(fd->get(), true);
  socks_.push_back(std::move(*fd));
  arm();
  return {};
}

Status NetListener::listen_fd(Fd fd) {
  set_nonblocking(fd.get(), true);
  socks_.push_back(std::move(fd));
  arm();
  return {};
}

void NetListener::set_accept_callback(AcceptCallback cb) {
  cb_ = std::move(cb);
}

void NetListener::arm() {
  watches_.clear();
  for (const Fd& s : socks_) {
    int fd = s.get();
    watches_.emplace_back(fd, G_IO_IN, [this, fd](GIOCondition) {
      Fd c = accept_client(fd);
      if (!c.valid()) return;
      set_nonblocking(c.get(), false);
      if (cb_) cb_(std::move(c));
    });
  }
}

void NetListener::disconnect() {
  watches_.clear();
  socks_.clear();
  for (const auto& a : addrs_)
    if (a.kind == ListenAddress::Kind::Unix) unlink(a.path.c_str());
  addrs_.clear();
}

}  // namespace migemu
