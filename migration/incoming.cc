#include "migration/incoming.h"

#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cstdio>
#include <sstream>

#include "migration/faults.h"
#include "migration/savevm.h"
#include "qapi/qapi-events.h"
#include "system/guest_memory.h"
#include "system/runstate.h"
#include "system/vm.h"
#include "util/main_thread.h"

namespace migemu {

using qapi::MigrationStatus;

IncomingMigration::IncomingMigration(MigrationState& owner) : owner_(owner) {
  wake_channel_ = cancel_.on_cancel([this] {
    std::lock_guard<std::mutex> lk(channel_mu_);
    if (channel_) channel_->shutdown();
  });
}

IncomingMigration::~IncomingMigration() {
  if (delay_timer_) g_source_remove(delay_timer_);
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
  wake_channel_.reset();
}

Status IncomingMigration::start(const MigrationUri& uri, const FdResolver& resolve_fd) {
  switch (uri.kind) {
    case MigrationUri::Kind::Tcp: {
      MIGEMU_TRY(listener_.listen_inet(uri.host, uri.port, 1));
      break;
    }
    case MigrationUri::Kind::Unix:
      MIGEMU_TRY(listener_.listen_unix(uri.path, 1));
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
        // Our copy must not cross into exec: children.
        fd = Fd(fcntl(static_cast<int>(n), F_DUPFD_CLOEXEC, 0));
        if (!fd.valid()) return generic_error(std::string("Failed to dup fd: ") + strerror(errno));
      }
      accept_channel(MigrationChannel::bidirectional(std::move(fd)));
      return {};
    }
  }
  addrs_ = listener_.addresses();
  listener_.set_accept_callback([this](Fd client) {
    if (thread_.joinable() || delayed_) return;  // the main channel is already here
    accept_channel(MigrationChannel::bidirectional(std::move(client)));
  });
  return {};
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
  // 7.2 takes the first connection as the main channel and stops listening.
  listener_.disconnect();
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
  {
    std::lock_guard<std::mutex> lk(channel_mu_);
    channel_ = std::move(ch);
  }
  owner_.set_incoming_state(MigrationStatus::kNone, MigrationStatus::kActive);
  thread_ = std::thread([this] { run(); });
}

void IncomingMigration::run() {
  auto file = std::make_unique<migration::QemuFile>(
      migration::make_faulty_channel(migration::make_fd_channel(channel_->read_fd()),
                                     std::move(stream_faults_)),
      migration::QemuFile::Mode::kRead);
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
  // Pages already zero need no work for ZERO records; shared file/memfd
  // RAM takes full pages through pwrite (no page fault per page).
  std::vector<std::vector<uint64_t>> known_zero;
  known_zero.reserve(guest_memory().blocks().size());
  for (RamBlock* b : guest_memory().blocks()) {
    known_zero.push_back(b->known_zero_bitmap());
    migration::RamBlockView v;
    v.idstr = b->idstr();
    v.host = b->host();
    v.used_length = b->used_length();
    v.known_zero = &known_zero.back();
    if (b->file_backed() && b->shared()) v.fd = b->fd();
    target.ram_blocks.push_back(v);
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
}

}  // namespace migemu
