#include "chardev/char_stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/socket.h"

namespace migemu {

namespace {

// Past this much unsent output we stop reading the client until it catches
// up, so a client that floods requests without reading replies cannot make
// the process grow without bound.
constexpr size_t kOutputHighWater = 1 << 20;

}  // namespace

std::string connected_socket_filename(int fd, bool listen) {
  sockaddr_storage local{}, peer{};
  socklen_t llen = sizeof local, plen = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) < 0) return "unknown";
  getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen);
  const char* server = listen ? ",server=on" : "";
  if (local.ss_family == AF_UNIX) {
    return std::string("unix:") + reinterpret_cast<sockaddr_un*>(&local)->sun_path + server;
  }
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6) return "unknown";
  const char* left = local.ss_family == AF_INET6 ? "[" : "";
  const char* right = local.ss_family == AF_INET6 ? "]" : "";
  char sh[NI_MAXHOST] = "", ss[NI_MAXSERV] = "", ph[NI_MAXHOST] = "", ps[NI_MAXSERV] = "";
  getnameinfo(reinterpret_cast<sockaddr*>(&local), llen, sh, sizeof sh, ss, sizeof ss,
              NI_NUMERICHOST | NI_NUMERICSERV);
  getnameinfo(reinterpret_cast<sockaddr*>(&peer), plen, ph, sizeof ph, ps, sizeof ps,
              NI_NUMERICHOST | NI_NUMERICSERV);
  return std::string("tcp:") + left + sh + right + ":" + ss + server + " <-> " + left + ph + right +
         ":" + ps;
}

StreamChardev::StreamChardev(std::string id, Kind kind, std::string filename)
    : Chardev(std::move(id), std::move(filename)), kind_(kind) {}

StreamChardev::~StreamChardev() {
  if (kind_ == Kind::Stdio) {
    // stdin/stdout are not ours to close.
    (void)in_fd_.release();
    (void)out_fd_.release();
  }
}

void StreamChardev::start_server(Fd listener, std::string idle) {
  listener_ = std::move(listener);
  idle_filename_ = std::move(idle);
  filename_ = idle_filename_;
  set_nonblocking(listener_.get(), true);
  arm_accept();
}

void StreamChardev::start_connected(Fd in, Fd out) {
  in_fd_ = std::move(in);
  out_fd_ = std::move(out);
  connected_ = true;
  set_nonblocking(in_fd_.get(), true);
  if (out_fd_.get() != in_fd_.get()) set_nonblocking(out_fd_.get(), true);
  if (kind_ == Kind::Client) filename_ = connected_socket_filename(in_fd_.get(), false);
}

void StreamChardev::wait_for_client() {
  set_nonblocking(listener_.get(), false);
  for (;;) {
    Fd c = accept_client(listener_.get());
    if (c.valid()) {
      accept_watch_.reset();
      adopt_client(std::move(c));
      break;
    }
  }
  set_nonblocking(listener_.get(), true);
}

void StreamChardev::set_handlers(Handlers h) {
  handlers_ = std::move(h);
  if (connected_) {
    update_read_watch();
    if (handlers_.opened) handlers_.opened();
  }
}

void StreamChardev::write(std::string_view bytes) {
  if (!connected_ || !out_fd_.valid()) return;
  outbuf_.append(bytes);
  try_flush();
}

Fd StreamChardev::take_msgfd() {
  if (msgfds_.empty()) return Fd();
  Fd first = std::move(msgfds_.front());
  msgfds_.clear();  // the rest of the batch is closed, as QEMU does
  return first;
}

void StreamChardev::set_reading(bool on) {
  reading_enabled_ = on;
  update_read_watch();
}

void StreamChardev::disconnect() {
  if (connected_) hangup();
}

void StreamChardev::flush_blocking() {
  if (!connected_ || outbuf_.empty()) return;
  set_nonblocking(out_fd_.get(), false);
  try_flush();
}

void StreamChardev::arm_accept() {
  accept_watch_ = FdWatch(listener_.get(), G_IO_IN, [this](GIOCondition) {
    Fd c = accept_client(listener_.get());
    if (!c.valid()) return;
    accept_watch_.reset();  // one client at a time: others wait in the backlog
    adopt_client(std::move(c));
    if (handlers_.opened) handlers_.opened();
  });
}

void StreamChardev::adopt_client(Fd c) {
  set_nonblocking(c.get(), true);
  filename_ = connected_socket_filename(c.get(), true);
  out_fd_ = Fd(fcntl(c.get(), F_DUPFD_CLOEXEC, 0));
  in_fd_ = std::move(c);
  connected_ = true;
  outbuf_.clear();
  update_read_watch();
}

bool StreamChardev::reading() const {
  return reading_enabled_ && outbuf_.size() < kOutputHighWater;
}

void StreamChardev::update_read_watch() {
  if (!connected_ || !reading()) {
    read_watch_.reset();
    return;
  }
  if (!read_watch_.active()) {
    read_watch_ = FdWatch(in_fd_.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                          [this](GIOCondition) { on_readable(); });
  }
}

void StreamChardev::on_readable() {
  char buf[4096];
  std::vector<Fd> fds;
  ssize_t n = kind_ == Kind::Stdio ? ::read(in_fd_.get(), buf, sizeof buf)
                                   : recv_with_fds(in_fd_.get(), buf, sizeof buf, fds);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (!fds.empty()) msgfds_ = std::move(fds);  // a new batch replaces the unused old one
  if (n <= 0) {
    hangup();
    return;
  }
  if (handlers_.read) handlers_.read(std::string_view(buf, static_cast<size_t>(n)));
}

void StreamChardev::try_flush() {
  while (!outbuf_.empty()) {
    ssize_t n = ::write(out_fd_.get(), outbuf_.data(), outbuf_.size());
    if (n > 0) {
      outbuf_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!write_watch_.active()) {
        write_watch_ = FdWatch(out_fd_.get(), G_IO_OUT, [this](GIOCondition) {
          write_watch_.reset();
          try_flush();
        });
      }
      update_read_watch();
      return;
    }
    // The peer is gone; reading will report the hang-up.
    outbuf_.clear();
    break;
  }
  write_watch_.reset();
  update_read_watch();
}

void StreamChardev::hangup() {
  read_watch_.reset();
  write_watch_.reset();
  connected_ = false;
  outbuf_.clear();
  msgfds_.clear();
  if (kind_ == Kind::Stdio) {
    (void)in_fd_.release();
    (void)out_fd_.release();
  } else {
    in_fd_.reset();
    out_fd_.reset();
  }
  if (kind_ == Kind::Server) filename_ = idle_filename_;
  if (handlers_.closed) handlers_.closed();
  if (kind_ == Kind::Server) arm_accept();
}

}  // namespace migemu
