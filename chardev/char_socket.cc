// The socket backend: a server (listening on a path, a host:port or an
// inherited fd) that serves one client at a time, or a client connection.
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdio>

#include "chardev/char_backends.h"
#include "chardev/char_stream.h"
#include "io/socket.h"

namespace migemu {

namespace {

// QEMU replaces the address it was given by the listener's own address once
// it listens, so the idle name shows the bound path or the numeric host and
// the real port: "disconnected:unix:/p,server=on",
// "disconnected:tcp:127.0.0.1:4444,server=on".
std::string idle_filename(const ChardevConfig& cfg, int listener) {
  std::string prefix = "disconnected:";
  if (cfg.path && cfg.abstract) {
    return prefix + "unix:" + *cfg.path + ",abstract=on" + (cfg.tight ? ",tight=on" : "") +
           ",server=on";
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return prefix + "socket";
  }
  if (ss.ss_family == AF_UNIX) {
    return prefix + "unix:" + reinterpret_cast<sockaddr_un*>(&ss)->sun_path + ",server=on";
  }
  char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
  getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, serv, sizeof serv,
              NI_NUMERICHOST | NI_NUMERICSERV);
  return prefix + (cfg.telnet ? "telnet:" : "tcp:") + host + ":" + serv + ",server=on";
}

Result<Fd> inherited_listener(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
    return generic_error("File descriptor '" + std::to_string(fd) + "' is not a socket");
  }
  if (!is_listening_socket(fd)) {
    return generic_error("File descriptor '" + std::to_string(fd) + "' is not a listening socket");
  }
  // Inherited on purpose by us, not by the children we start.
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return Fd(fd);
}

}  // namespace

Result<std::unique_ptr<Chardev>> create_socket_chardev(const ChardevConfig& cfg) {
  if (!cfg.server) {
    Result<Fd> fd = cfg.path ? unix_connect(UnixAddress{*cfg.path, cfg.abstract, cfg.tight})
                             : tcp_connect(cfg.host.value_or("localhost"), cfg.port.value_or(""));
    if (!fd.ok()) return fd.take_error();
    auto c = std::make_unique<StreamChardev>(cfg.id, StreamChardev::Kind::Client);
    int raw = fd->get();
    c->start_connected(std::move(*fd), Fd(fcntl(raw, F_DUPFD_CLOEXEC, 0)));
    return std::unique_ptr<Chardev>(std::move(c));
  }
  Result<Fd> listener = Fd();
  if (cfg.fd) {
    listener = inherited_listener(*cfg.fd);
  } else if (cfg.path) {
    listener = unix_listen(UnixAddress{*cfg.path, cfg.abstract, cfg.tight});
  } else {
    listener = tcp_listen(cfg.host.value_or(""), cfg.port.value_or(""), cfg.ipv4.value_or(false),
                          cfg.ipv6.value_or(false));
  }
  if (!listener.ok()) return listener.take_error();
  std::string idle = idle_filename(cfg, listener->get());
  auto c = std::make_unique<StreamChardev>(cfg.id, StreamChardev::Kind::Server);
  c->start_server(std::move(*listener), idle);
  if (cfg.wait) {
    // info_report with the option as its location, like QEMU.
    fprintf(stderr, "%s: %s%sinfo: QEMU waiting for connection on: %s\n", g_get_prgname(),
            cfg.location.c_str(), cfg.location.empty() ? "" : ": ", idle.c_str());
    c->wait_for_client();
  }
  return std::unique_ptr<Chardev>(std::move(c));
}

}  // namespace migemu
