#include "migration/incoming.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cstdio>
#include <sstream>

#include "migration/faults.h"
#include "migration/options.h"
#include "migration/savevm.h"
#include "migration/stream_threads.h"
#include "qapi/qapi-events.h"
#include "system/guest_memory.h"
#include "system/runstate.h"
#include "system/vm.h"
#include "util/main_thread.h"

namespace migemu {

using qapi::MigrationStatus;

namespace {
constexpr uint32_t kQevm = 0x5145564d;

uint32_t be32_at(const std::vector<uint8_t>& b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

bool multifd_on() {
  return migration_options().capability(qapi::MigrationCapability::kMultifd);
}
}  // namespace

IncomingMigration::IncomingMigration(MigrationState& owner) : owner_(owner) {
  wake_channel_ = cancel_.on_cancel([this] {
    std::lock_guard<std::mutex> lk(channel_mu_);
    if (channel_) channel_->shutdown();
    if (multifd_) multifd_->stop();
  });
}

IncomingMigration::~IncomingMigration() {
  if (delay_timer_) g_source_remove(delay_timer_);
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
  pending_.clear();
  if (multifd_) multifd_->shutdown();
  wake_channel_.reset();
}

Status IncomingMigration::start(const MigrationUri& uri, const FdResolver& resolve_fd) {
  int backlog = multifd_on() ? migration_options().snapshot().multifd_channels : 1;
  sockets_ = uri.kind == MigrationUri::Kind::Tcp || uri.kind == MigrationUri::Kind::Unix;
  switch (uri.kind) {
    case MigrationUri::Kind::Tcp: {
      // 7.2's backlog: one per multifd channel, or 1.
      MIGEMU_TRY(listener_.listen_inet(uri.host, uri.port, backlog));
      break;
    }
    case MigrationUri::Kind::Unix:
      MIGEMU_TRY(listener_.listen_unix(uri.path, backlog));
      break;
    case MigrationUri::Kind::Exec: {
      auto ch = spawn_exec(uri.command);
      if (!ch.ok()) return ch.take_error();
      // QEMU starts reading once the pipe is readable; the loader thread
      // simply blocks until data arrives.
      accept_channel(std::move(*ch));
      return {};
    }
    case MigrationUri::Kind::Fd: {
      // A name from getfd on this monitor, or a decimal fd number.
      Fd fd = resolve_fd ? resolve_fd(uri.fdname) : Fd();
      if (!fd.valid()) {
        char* end = nullptr;
        long n = strtol(uri.fdname.c_str(), &end, 10);
        if (uri.fdname.empty() || *end || n < 0 || n > INT_MAX) {
          return generic_error("File descriptor named '" + uri.fdname + "' has not been found");
        }
        // An inherited fd is taken over, as QEMU's fd: channel does: it is
        // closed with the channel, and never crosses into exec: children.
        int flags = fcntl(static_cast<int>(n), F_GETFD);
        if (flags < 0) return generic_error(std::string("Failed to dup fd: ") + strerror(errno));
        fcntl(static_cast<int>(n), F_SETFD, flags | FD_CLOEXEC);
        fd = Fd(static_cast<int>(n));
      }
      accept_channel(MigrationChannel::bidirectional(std::move(fd)));
      return {};
    }
  }
  addrs_ = listener_.addresses();
  listener_.set_accept_callback([this](Fd client) {
    // Multifd decides per connection, when it arrives (as 7.2 reads the
    // capability then). Without it the first connection is the main one.
    if (multifd_on() && !main_seen_ && (multifd_ || !thread_.joinable())) {
      if (!multifd_) start_multifd_receiver();
      pending_.emplace_back();
      Pending* p = &pending_.back();
      p->fd = std::move(client);
      p->watch = FdWatch(p->fd.get(), G_IO_IN, [this, p](GIOCondition) { identify(p); });
      return;
    }
    if (multifd_ && main_seen_ && !multifd_->all_connected()) {
      // More channels may follow the main one.
      pending_.emplace_back();
      Pending* p = &pending_.back();
      p->fd = std::move(client);
      p->watch = FdWatch(p->fd.get(), G_IO_IN, [this, p](GIOCondition) { identify(p); });
      return;
    }
    if (thread_.joinable() || delayed_ || main_seen_) return;  // the main channel is already here
    accept_channel(MigrationChannel::bidirectional(std::move(client)));
  });
  return {};
}

void IncomingMigration::prepare_ram() {
  if (ram_prepared_) return;
  ram_prepared_ = true;
  // Pages already zero need no work for ZERO records; shared file/memfd
  // RAM takes full pages through pwrite (no page fault per page).
  known_zero_.reserve(guest_memory().blocks().size());
  for (RamBlock* b : guest_memory().blocks()) {
    known_zero_.push_back(b->known_zero_bitmap());
    migration::RamBlockView v;
    v.idstr = b->idstr();
    v.host = b->host();
    v.used_length = b->used_length();
    v.known_zero = &known_zero_.back();
    if (b->file_backed() && b->shared()) v.fd = b->fd();
    views_.push_back(v);
  }
}

void IncomingMigration::start_multifd_receiver() {
  prepare_ram();
  MigrationTuning t = owner_.tuning();
  migration::multifd::RecvOptions o;
  o.channels = t.multifd_channels;
  o.compression = t.multifd_compression;
  o.uuid = t.uuid;
  o.blocks = views_;
  // Taken with the first connection, which may be a multifd channel; the
  // main channel's faults are taken when it arrives (accept_channel).
  o.faults = migration_faults().take_multifd(FaultSide::kDestination);
  auto r = std::make_unique<migration::multifd::MultifdReceiver>(
      std::move(o), [this](const std::string& text) { fail_multifd(text); });
  std::lock_guard<std::mutex> lk(channel_mu_);
  multifd_ = std::move(r);
}

void IncomingMigration::drop_pending(Pending* p) {
  // Called from p's own watch: GLib keeps the running callback alive.
  pending_.remove_if([p](const Pending& q) { return &q == p; });
}

void IncomingMigration::identify(Pending* p) {
  uint8_t buf[migration::multifd::kInitPacketSize];
  ssize_t n = recv(p->fd.get(), buf, p->need - p->got.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    drop_pending(p);  // gone before saying what it is
    return;
  }
  p->got.insert(p->got.end(), buf, buf + n);
  if (p->got.size() < p->need) return;
  if (p->need == 4) {
    uint32_t magic = be32_at(p->got);
    if (magic == kQevm) {
      if (main_seen_) {
        drop_pending(p);  // a second main channel: not ours
        return;
      }
      main_seen_ = true;
      if (multifd_) multifd_->main_channel_arrived();
      main_prefix_ = std::move(p->got);
      Fd fd = std::move(p->fd);
      drop_pending(p);
      accept_channel(MigrationChannel::bidirectional(std::move(fd)));
    } else if (magic == migration::multifd::kMagic) {
      p->need = migration::multifd::kInitPacketSize;
      return;
    } else {
      // Neither: 7.2 reads it as a multifd channel and fails on its magic.
      char text[160];
      snprintf(text, sizeof text,
               "failed to receive packet via multifd channel %d: multifd: received packet magic "
               "%x expected %x",
               0, magic, migration::multifd::kMagic);
      drop_pending(p);
      fail_multifd(text);
      return;
    }
  } else {
    std::array<uint8_t, migration::multifd::kInitPacketSize> init;
    std::copy(p->got.begin(), p->got.end(), init.begin());
    Fd fd = std::move(p->fd);
    drop_pending(p);
    // Errors are reported through fail_multifd by the receiver.
    (void)multifd_->add_channel(std::move(fd), init);
  }
  if (main_seen_ && multifd_ && multifd_->all_connected()) listener_.disconnect();
}

void IncomingMigration::fail_multifd(const std::string& text) {
  std::lock_guard<std::mutex> lk(channel_mu_);
  if (multifd_error_ || cancel_.cancelled()) return;
  multifd_error_ = text;
  if (multifd_) multifd_->stop();
  if (loader_started_) {
    // The loader may be reading the main channel: wake it, it reports.
    if (channel_) channel_->shutdown();
    return;
  }
  MigrationState& owner = owner_;
  std::string desc = text;
  post_to_main([desc, &owner] {
    fprintf(stderr, "%s: %s\n", g_get_prgname(), desc.c_str());
    fflush(stderr);
    owner.set_incoming_state(MigrationStatus::kNone, MigrationStatus::kFailed);
    vm().request_exit(EXIT_FAILURE);
  });
}

std::vector<qapi::SocketAddress> IncomingMigration::socket_addresses() const {
  std::vector<qapi::SocketAddress> out;
  for (const ListenAddress& a : addrs_) {
    qapi::SocketAddress sa;
    if (a.kind == ListenAddress::Kind::Inet) {
      sa.type = qapi::SocketAddressType::kInet;
      qapi::InetSocketAddress in;
      in.host = a.host;
      in.port = a.port;
      if (a.ipv4) in.ipv4 = true;
      if (a.ipv6) in.ipv6 = true;
      sa.u.inet = in;
    } else {
      sa.type = qapi::SocketAddressType::kUnix;
      qapi::UnixSocketAddress un;
      un.path = a.path;
      sa.u.unix_ = un;
    }
    out.push_back(std::move(sa));
  }
  return out;
}

void IncomingMigration::accept_channel(MigrationChannel ch) {
  ArmedFaults faults = migration_faults().take(FaultSide::kDestination);
  if (faults.refuse_accept) {
    // As if the destination went away at once: the source sees the
    // connection end; this side keeps waiting for the next one.
    ch.shutdown();
    return;
  }
  // 7.2 takes the first connection as the main channel and stops listening
  // (with multifd, once every channel is here too).
  if (!multifd_ || multifd_->all_connected()) listener_.disconnect();
  stream_faults_ = std::move(faults.stream);
  if (faults.delay_accept_ms) {
    delayed_ = std::move(ch);
    delay_timer_ = g_timeout_add(
        static_cast<guint>(*faults.delay_accept_ms),
        [](gpointer self) {
          auto* in = static_cast<IncomingMigration*>(self);
          in->delay_timer_ = 0;
          MigrationChannel taken = std::move(*in->delayed_);
          in->delayed_.reset();
          in->start_loader(std::move(taken));
          return G_SOURCE_REMOVE;
        },
        this);
    return;
  }
  start_loader(std::move(ch));
}

void IncomingMigration::start_loader(MigrationChannel ch) {
  if (multifd_on() && !sockets_) {
    // exec:/fd: with multifd: 7.2's multifd_load_setup refuses the channel
    // and the destination keeps waiting in inmigrate.
    fprintf(stderr, "%s: multifd is not supported by current protocol\n", g_get_prgname());
    return;
  }
  prepare_ram();
  {
    std::lock_guard<std::mutex> lk(channel_mu_);
    if (multifd_error_) return;  // already failing: nothing to load
    channel_ = std::move(ch);
    loader_started_ = true;
  }
  owner_.set_incoming_state(MigrationStatus::kNone, MigrationStatus::kActive);
  thread_ = std::thread([this] { run(); });
}

void IncomingMigration::run() {
  auto file = std::make_unique<migration::QemuFile>(
      migration::make_faulty_channel(
          migration::make_prefixed_channel(std::move(main_prefix_),
                                           migration::make_fd_channel(channel_->read_fd())),
          std::move(stream_faults_)),
      migration::QemuFile::Mode::kRead);
  // Receiving overlaps with loading (parsing, storing pages) on another core.
  if (migration::stream_threads_enabled()) file->enable_read_ahead();
  std::unique_ptr<migration::QemuFile> rp;
  std::mutex rp_mu;  // rp is created by the loader while a cancel may look at it
  // The streams are locals of this thread: cancel reaches them through here.
  Canceller::Hook wake_streams = cancel_.on_cancel([&] {
    file->shutdown();
    std::lock_guard<std::mutex> lk(rp_mu);
    if (rp) rp->shutdown();
  });
  migration::LoadTarget target;
  target.machine_name = "none";
  target.ram_blocks = views_;
  if (multifd_) {
    // multifd_recv_sync_main at every RAM EOS.
    int main_fd = channel_->read_fd();
    target.ram_eos_sync = [this, main_fd] { return multifd_->sync_main(main_fd); };
  }
  migration::GlobalState gs;
  target.global_state = &gs;
  target.open_return_path = [&] {
    std::lock_guard<std::mutex> lk(rp_mu);
    rp = migration::QemuFile::writer(channel_->write_fd());
    if (cancel_.cancelled()) rp->shutdown();
    return true;
  };
  target.send_pong = [&](uint32_t v) {
    if (rp) {
      migration::write_rp_pong(*rp, v);
      rp->flush();
    }
  };
  Result<migration::LoadOutcome> r = migration::load_stream(*file, target);
  // Woken for exit: the process is ending, nothing is reported.
  if (cancel_.cancelled()) return;
  if (!r.ok()) {
    std::string desc = r.error().desc;
    {
      // A multifd failure stopped the load: its text is the one to print.
      std::lock_guard<std::mutex> lk(channel_mu_);
      if (multifd_error_) {
        desc = *multifd_error_;
      } else if (multifd_) {
        if (auto e = multifd_->error()) desc = *e;
      }
    }
    MigrationState& owner = owner_;
    post_to_main([desc, &owner] {
      // A 7.2 destination reports the load error, announces `failed` and
      // exits with status 1 (process_incoming_migration_co).
      std::istringstream lines(desc);
      std::string line;
      while (std::getline(lines, line)) fprintf(stderr, "%s: %s\n", g_get_prgname(), line.c_str());
      fflush(stderr);
      owner.set_incoming_state(MigrationStatus::kActive, MigrationStatus::kFailed);
      vm().request_exit(EXIT_FAILURE);
    });
    return;
  }
  if (rp) {
    migration::write_rp_shut(*rp, 0);
    rp->flush();
  }
  // The incoming state is torn down: the peer sees the connection close.
  wake_streams.reset();
  rp.reset();
  file.reset();
  {
    std::optional<MigrationChannel> closing;
    std::lock_guard<std::mutex> lk(channel_mu_);
    closing = std::move(channel_);
    channel_.reset();
  }
  migration::LoadOutcome out = std::move(*r);
  MigrationState& owner = owner_;
  post_to_main([&owner, out] {
    // Connections that never said what they are go with the migration.
    if (owner.incoming_) {
      owner.incoming_->pending_.clear();
      owner.incoming_->listener_.disconnect();
    }
    for (const std::string& m : out.messages)
      fprintf(stderr, "%s: %s\n", g_get_prgname(), m.c_str());
    RunStateMachine& rs = runstate();
    if (!out.runstate || *out.runstate == RunState::kRunning) {
      if (rs.autostart) {
        rs.vm_start();
      } else {
        rs.set(RunState::kPaused);
      }
    } else {
      rs.set(*out.runstate);
    }
    owner.set_incoming_state(MigrationStatus::kActive, MigrationStatus::kCompleted);
  });
  // multifd_load_cleanup: the channels end once their source closes them
  // (bounded), then are joined.
  if (multifd_) multifd_->finish(5000);
}

}  // namespace migemu
