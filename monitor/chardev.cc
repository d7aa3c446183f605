#include "monitor/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "io/socket.h"

namespace migemu {

namespace {

// Past this much unsent output we stop reading the client until it catches
// up, so a client that floods requests without reading replies cannot make
// the process grow without bound.
constexpr size_t kOutputHighWater = 1 << 20;

// A byte stream with one peer at a time: a server socket's current client, a
// connected client socket, or stdin/stdout.
class StreamChardev : public Chardev {
 public:
  enum class Kind { Server, Client, Stdio };

  StreamChardev(std::string id, Kind kind) : Chardev(std::move(id)), kind_(kind) {}

  ~StreamChardev() override {
    if (kind_ == Kind::Stdio) {
      // stdin/stdout are not ours to close.
      (void)in_fd_.release();
      (void)out_fd_.release();
    }
  }

  // Server: start accepting on an already-listening socket.
  void start_server(Fd listener) {
    listener_ = std::move(listener);
    set_nonblocking(listener_.get(), true);
    arm_accept();
  }

  // Client or stdio: the stream is connected from the start.
  void start_connected(Fd in, Fd out) {
    in_fd_ = std::move(in);
    out_fd_ = std::move(out);
    connected_ = true;
    set_nonblocking(in_fd_.get(), true);
    if (out_fd_.get() != in_fd_.get()) set_nonblocking(out_fd_.get(), true);
  }

  // Blocks until a client connects (server wait=on).
  void wait_for_client() {
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

  void set_handlers(Handlers h) override {
    handlers_ = std::move(h);
    if (connected_) {
      update_read_watch();
      if (handlers_.opened) handlers_.opened();
    }
  }

  void write(std::string_view bytes) override {
    if (!connected_ || !out_fd_.valid()) return;
    outbuf_.append(bytes);
    try_flush();
  }

  Fd take_msgfd() override {
    if (msgfds_.empty()) return Fd();
    Fd first = std::move(msgfds_.front());
    msgfds_.clear();  // the rest of the batch is closed, as QEMU does
    return first;
  }

  void set_reading(bool on) override {
    reading_enabled_ = on;
    update_read_watch();
  }

  void disconnect() override {
    if (connected_) hangup();
  }

  void flush_blocking() override {
    if (!connected_ || outbuf_.empty()) return;
    set_nonblocking(out_fd_.get(), false);
    try_flush();
  }

  bool connected() const override { return connected_; }

 private:
  void arm_accept() {
    accept_watch_ = FdWatch(listener_.get(), G_IO_IN, [this](GIOCondition) {
      Fd c = accept_client(listener_.get());
      if (!c.valid()) return;
      accept_watch_.reset();  // one client at a time: others wait in the backlog
      adopt_client(std::move(c));
      if (handlers_.opened) handlers_.opened();
    });
  }

  void adopt_client(Fd c) {
    set_nonblocking(c.get(), true);
    out_fd_ = Fd(fcntl(c.get(), F_DUPFD_CLOEXEC, 0));
    in_fd_ = std::move(c);
    connected_ = true;
    outbuf_.clear();
    update_read_watch();
  }

  bool reading() const { return reading_enabled_ && outbuf_.size() < kOutputHighWater; }

  void update_read_watch() {
    if (!connected_ || !reading()) {
      read_watch_.reset();
      return;
    }
    if (!read_watch_.active()) {
      read_watch_ = FdWatch(in_fd_.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                            [this](GIOCondition) { on_readable(); });
    }
  }

  void on_readable() {
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

  void try_flush() {
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

  void hangup() {
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
    if (handlers_.closed) handlers_.closed();
    if (kind_ == Kind::Server) arm_accept();
  }

  Kind kind_;
  Fd listener_;
  Fd in_fd_;
  Fd out_fd_;
  bool connected_ = false;
  bool reading_enabled_ = true;
  std::string outbuf_;
  std::vector<Fd> msgfds_;
  Handlers handlers_;
  FdWatch accept_watch_;
  FdWatch read_watch_;
  FdWatch write_watch_;
};

// A chardev with nobody on the other side (QEMU's null backend, and the
// virtual console a default monitor gets when there is no display).
class NullChardev : public Chardev {
 public:
  explicit NullChardev(std::string id) : Chardev(std::move(id)) {}
  void set_handlers(Handlers) override {}
  void write(std::string_view) override {}
  void set_reading(bool) override {}
  bool connected() const override { return false; }
};

std::string describe_address(const ChardevConfig& cfg) {
  if (cfg.path) return "disconnected:unix:" + *cfg.path + ",server=on";
  if (cfg.fd) return "disconnected:socket";
  return "disconnected:tcp:" + cfg.host.value_or("") + ":" + cfg.port.value_or("") + ",server=on";
}

}  // namespace

Result<std::unique_ptr<Chardev>> create_chardev(const ChardevConfig& cfg) {
  if (cfg.backend == "null" || cfg.backend == "vc") {
    return std::unique_ptr<Chardev>(std::make_unique<NullChardev>(cfg.id));
  }
  if (cfg.backend == "stdio") {
    auto c = std::make_unique<StreamChardev>(cfg.id, StreamChardev::Kind::Stdio);
    c->start_connected(Fd(STDIN_FILENO), Fd(STDOUT_FILENO));
    return std::unique_ptr<Chardev>(std::move(c));
  }
  if (cfg.backend != "socket") {
    return generic_error("chardev backend '" + cfg.backend + "' is not supported by migemu");
  }
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
    struct stat st;
    if (fstat(*cfg.fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
      return generic_error("File descriptor '" + std::to_string(*cfg.fd) + "' is not a socket");
    }
    if (!is_listening_socket(*cfg.fd)) {
      return generic_error("File descriptor '" + std::to_string(*cfg.fd) +
                           "' is not a listening socket");
    }
    // Inherited on purpose by us, not by the children we start.
    fcntl(*cfg.fd, F_SETFD, FD_CLOEXEC);
    listener = Fd(*cfg.fd);
  } else if (cfg.path) {
    listener = unix_listen(UnixAddress{*cfg.path, cfg.abstract, cfg.tight});
  } else {
    listener = tcp_listen(cfg.host.value_or(""), cfg.port.value_or(""), cfg.ipv4.value_or(false),
                          cfg.ipv6.value_or(false));
  }
  if (!listener.ok()) return listener.take_error();
  auto c = std::make_unique<StreamChardev>(cfg.id, StreamChardev::Kind::Server);
  c->start_server(std::move(*listener));
  if (cfg.wait) {
    // info_report with the option as its location, like QEMU.
    fprintf(stderr, "%s: %s%sinfo: QEMU waiting for connection on: %s\n", g_get_prgname(),
            cfg.location.c_str(), cfg.location.empty() ? "" : ": ", describe_address(cfg).c_str());
    c->wait_for_client();
  }
  return std::unique_ptr<Chardev>(std::move(c));
}

}  // namespace migemu
