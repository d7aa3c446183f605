#include "migration/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "io/socket.h"
#include "util/child_reaper.h"

namespace migemu {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// inet_parse: HOST:PORT, [V6]:PORT or :PORT, then ",opt" flags.
Result<MigrationUri> parse_inet(std::string_view str) {
  MigrationUri u;
  u.kind = MigrationUri::Kind::Tcp;
  std::string s(str);
  size_t pos;
  if (!s.empty() && s[0] == ':') {
    size_t end = s.find(',', 1);
    u.port = s.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    if (u.port.empty() || u.port.size() > 32) {
      return generic_error("error parsing port in address '" + s + "'");
    }
    pos = end == std::string::npos ? s.size() : end;
  } else if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close == 1 || close > 65 || close + 1 >= s.size() ||
        s[close + 1] != ':') {
      return generic_error("error parsing IPv6 address '" + s + "'");
    }
    u.host = s.substr(1, close - 1);
    size_t end = s.find(',', close + 2);
    u.port = s.substr(close + 2, end == std::string::npos ? std::string::npos : end - close - 2);
    if (u.port.empty() || u.port.size() > 32) {
      return generic_error("error parsing IPv6 address '" + s + "'");
    }
    pos = end == std::string::npos ? s.size() : end;
  } else {
    size_t colon = s.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 64) {
      return generic_error("error parsing address '" + s + "'");
    }
    u.host = s.substr(0, colon);
    size_t end = s.find(',', colon + 1);
    u.port = s.substr(colon + 1, end == std::string::npos ? std::string::npos : end - colon - 1);
    if (u.port.empty() || u.port.size() > 32) {
      return generic_error("error parsing address '" + s + "'");
    }
    pos = end == std::string::npos ? s.size() : end;
  }
  std::string opts = s.substr(pos);
  for (const char* flag : {"ipv4", "ipv6"}) {
    std::string key = std::string(",") + flag;
    size_t at = opts.find(key);
    if (at == std::string::npos) continue;
    std::string rest = opts.substr(at + key.size());
    bool value;
    if (rest.empty() || rest[0] == ',') {
      value = true;
    } else if (starts_with(rest, "=on") && (rest.size() == 3 || rest[3] == ',')) {
      value = true;
    } else if (starts_with(rest, "=off") && (rest.size() == 4 || rest[4] == ',')) {
      value = false;
    } else {
      return generic_error("error parsing '" + std::string(flag) + "' flag '" + rest + "'");
    }
    (std::string(flag) == "ipv4" ? u.ipv4 : u.ipv6) = value;
  }
  return u;
}

Result<MigrationUri> parse_common(std::string_view uri, bool* known) {
  *known = true;
  MigrationUri u;
  if (starts_with(uri, "tcp:")) {
    auto r = parse_inet(uri.substr(4));
    if (!r.ok()) return r;
    u = std::move(*r);
  } else if (starts_with(uri, "unix:")) {
    if (uri.size() == 5) return generic_error("invalid Unix socket address");
    u.kind = MigrationUri::Kind::Unix;
    u.path = std::string(uri.substr(5));
  } else if (starts_with(uri, "exec:")) {
    u.kind = MigrationUri::Kind::Exec;
    u.command = std::string(uri.substr(5));
  } else if (starts_with(uri, "fd:")) {
    u.kind = MigrationUri::Kind::Fd;
    u.fdname = std::string(uri.substr(3));
  } else {
    *known = false;
    return generic_error("");
  }
  u.text = std::string(uri);
  return u;
}

}  // namespace

Result<MigrationUri> parse_outgoing_uri(std::string_view uri) {
  bool known;
  auto r = parse_common(uri, &known);
  if (!known) return generic_error("Parameter 'uri' expects a valid migration protocol");
  return r;
}

Result<MigrationUri> parse_incoming_uri(std::string_view uri) {
  bool known;
  auto r = parse_common(uri, &known);
  if (!known) return generic_error("unknown migration protocol: " + std::string(uri));
  return r;
}

MigrationChannel::MigrationChannel(Fd read_fd, Fd write_fd, pid_t child)
    : read_(std::move(read_fd)), write_(std::move(write_fd)), child_(child) {}

MigrationChannel MigrationChannel::bidirectional(Fd fd) {
  Fd read_side(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  return MigrationChannel(std::move(read_side), std::move(fd));
}

MigrationChannel::MigrationChannel(MigrationChannel&& o) noexcept
    : read_(std::move(o.read_)),
      write_(std::move(o.write_)),
      child_(std::exchange(o.child_, -1)),
      aborted_(o.aborted_.load()) {}

MigrationChannel& MigrationChannel::operator=(MigrationChannel&& o) noexcept {
  if (this != &o) {
    release_child();
    read_ = std::move(o.read_);
    write_ = std::move(o.write_);
    child_ = std::exchange(o.child_, -1);
    aborted_.store(o.aborted_.load());
  }
  return *this;
}

MigrationChannel::~MigrationChannel() {
  release_child();
}

void MigrationChannel::shutdown() {
  aborted_.store(true);
  if (read_.valid()) ::shutdown(read_.get(), SHUT_RDWR);
  if (write_.valid()) ::shutdown(write_.get(), SHUT_RDWR);
  // Pipes do not shut down: the exec: child is told to go instead.
  if (child_ > 0) kill(child_, SIGTERM);
}

void MigrationChannel::release_child() {
  read_.reset();
  write_.reset();
  if (child_ > 0) reap_child(std::exchange(child_, -1), aborted_.load());
}

Result<MigrationChannel> connect_outgoing(const MigrationUri& uri, const Canceller* cancel) {
  Result<Fd> fd = Fd();
  switch (uri.kind) {
    case MigrationUri::Kind::Tcp:
      fd = tcp_connect(uri.host, uri.port, cancel);
      break;
    case MigrationUri::Kind::Unix:
      fd = unix_connect(UnixAddress{uri.path, false, true}, cancel);
      if (fd.ok()) {
        // A unix stream socket holds at most SO_SNDBUF bytes in flight (208
        // KiB by default, ~50 pages), after which the sender sleeps until
        // the receiver has read them: both ends spent a third of a migration
        // waking each other up (docs/datapath.md). The kernel caps this at
        // wmem_max; TCP tunes its own buffers and is left alone.
        constexpr int kUnixSendBuffer = 2 << 20;
        setsockopt(fd->get(), SOL_SOCKET, SO_SNDBUF, &kUnixSendBuffer, sizeof kUnixSendBuffer);
      }
      break;
    case MigrationUri::Kind::Exec:
      return spawn_exec(uri.command);
    case MigrationUri::Kind::Fd:
      return generic_error("fd: channels are resolved by the monitor");
  }
  if (!fd.ok()) return fd.take_error();
  return MigrationChannel::bidirectional(std::move(*fd));
}

Result<MigrationChannel> spawn_exec(const std::string& command) {
  // The child gets the stream on stdin (outgoing) or produces it on stdout
  // (incoming); the other direction is a second pipe, as QEMU's command channel.
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) < 0) return generic_error(std::string("pipe: ") + strerror(errno));
  if (pipe2(from_child, O_CLOEXEC) < 0) {
    close(to_child[0]);
    close(to_child[1]);
    return generic_error(std::string("pipe: ") + strerror(errno));
  }
  // A pipe holds 64 KiB by default: 16 pages, after which writer and child
  // wake each other up for every few pages and contend for the pipe's lock
  // (a 1 MiB batch of pages is written at once). Best effort: the kernel
  // caps it at pipe-max-size.
  constexpr int kPipeSize = 1 << 20;
  fcntl(to_child[1], F_SETPIPE_SZ, kPipeSize);
  fcntl(from_child[1], F_SETPIPE_SZ, kPipeSize);
  pid_t pid = fork();
  if (pid < 0) {
    for (int f : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(f);
    return generic_error(std::string("Unable to fork: ") + strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here (the parent has threads).
    // migemu blocks its termination signals (read through a signalfd) and
    // ignores SIGPIPE; a child must not inherit either.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    // Every fd of migemu's is close-on-exec; this also covers any that a
    // library opened without it.
    close_range(3, ~0U, 0);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  return MigrationChannel(Fd(from_child[0]), Fd(to_child[1]), pid);
}

}  // namespace migemu
