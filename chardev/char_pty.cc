// The pty backend: a pseudo-terminal whose slave side someone (libvirt's
// `virsh console`, a terminal program) opens by its /dev/pts path. Like
// QEMU's, the pty is in raw mode, the slave fd is closed at once, and the
// master reports a hang-up while nobody holds the slave open; a timer then
// polls once a second for a new peer.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "chardev/char_backends.h"
#include "io/fd_watch.h"
#include "io/socket.h"

namespace migemu {

namespace {

constexpr guint kReconnectPollMs = 1000;

class PtyChardev : public Chardev {
 public:
  PtyChardev(std::string id, Fd master, std::string path)
      : Chardev(std::move(id), "pty:" + path), master_(std::move(master)) {
    check_peer();
  }
  ~PtyChardev() override {
    if (timer_) g_source_remove(timer_);
  }

  void set_handlers(Handlers h) override {
    handlers_ = std::move(h);
    if (connected_ && handlers_.opened) handlers_.opened();
    update_watch();
  }

  void write(std::string_view bytes) override {
    // Output with no peer is dropped: a serial console without a reader.
    if (!connected_ && !peer_present()) return;
    while (!bytes.empty()) {
      ssize_t n = ::write(master_.get(), bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full pty drops the rest, as a slow UART would
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  void set_reading(bool on) override {
    reading_ = on;
    update_watch();
  }
  bool connected() const override { return connected_; }

 private:
  bool peer_present() const {
    pollfd p{master_.get(), POLLOUT, 0};
    return poll(&p, 1, 0) > 0 && !(p.revents & POLLHUP);
  }

  void check_peer() {
    bool now = peer_present();
    if (now && !connected_) {
      connected_ = true;
      if (handlers_.opened) handlers_.opened();
    }
    if (!now) arm_timer();
    update_watch();
  }

  void arm_timer() {
    if (timer_) return;
    timer_ = g_timeout_add(
        kReconnectPollMs,
        [](gpointer self) -> gboolean {
          auto* c = static_cast<PtyChardev*>(self);
          c->timer_ = 0;
          c->check_peer();
          return G_SOURCE_REMOVE;
        },
        this);
  }

  void update_watch() {
    if (!connected_ || !reading_) {
      watch_.reset();
      return;
    }
    if (watch_.active()) return;
    watch_ = FdWatch(master_.get(), static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                     [this](GIOCondition cond) { on_ready(cond); });
  }

  void on_ready(GIOCondition cond) {
    char buf[4096];
    ssize_t n = (cond & G_IO_IN) ? ::read(master_.get(), buf, sizeof buf) : 0;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0) {
      if (handlers_.read) handlers_.read(std::string_view(buf, static_cast<size_t>(n)));
      return;
    }
    // The last holder of the slave closed it (EIO on Linux): wait for the next.
    watch_.reset();
    connected_ = false;
    if (handlers_.closed) handlers_.closed();
    arm_timer();
  }

  Fd master_;
  Handlers handlers_;
  FdWatch watch_;
  bool connected_ = false;
  bool reading_ = true;
  guint timer_ = 0;
};

}  // namespace

Result<std::unique_ptr<Chardev>> create_pty_chardev(const ChardevConfig& cfg) {
  int master = -1, slave = -1;
  char name[256];
  if (openpty(&master, &slave, name, nullptr, nullptr) < 0) {
    return generic_error(std::string("Failed to create PTY: ") + strerror(errno));
  }
  Fd m(master), s(slave);
  fcntl(master, F_SETFD, FD_CLOEXEC);
  termios tty;
  tcgetattr(slave, &tty);
  cfmakeraw(&tty);
  tcsetattr(slave, TCSAFLUSH, &tty);
  s.reset();
  set_nonblocking(master, true);
  // qemu_printf with no monitor current: stdout, one line per pty.
  printf("char device redirected to %s (label %s)\n", name, cfg.id.c_str());
  fflush(stdout);
  return std::unique_ptr<Chardev>(std::make_unique<PtyChardev>(cfg.id, std::move(m), name));
}

}  // namespace migemu
