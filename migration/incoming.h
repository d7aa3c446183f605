// The destination side (QEMU's MigrationIncomingState): how the stream
// arrives (listener whose accept callback runs on the main loop, exec: child,
// fd) and the loader thread that parses it into guest RAM and device state.
// Created and destroyed on the main thread; the destructor joins.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "io/net_listener.h"
#include "migration/fault_channel.h"
#include "migration/migration.h"
#include "migration/multifd_recv.h"
#include "migration/qemu_file.h"
#include "migration/transport.h"
#include "util/canceller.h"

namespace migemu {

class IncomingMigration {
 public:
  explicit IncomingMigration(MigrationState& owner);
  ~IncomingMigration();

  // Starts listening (tcp/unix) or reading (exec/fd). Errors are returned.
  // `resolve_fd` turns an fd: name into a descriptor (the monitor's getfd
  // names); a decimal number names an inherited fd.
  Status start(const MigrationUri& uri, const FdResolver& resolve_fd);
  // Listening addresses for query-migrate (empty once the main channel arrived).
  std::vector<qapi::SocketAddress> socket_addresses() const;
  // Process exit: wakes the loader wherever it blocks (a pipe that never
  // delivers, a return path nobody reads); it ends without reporting.
  void cancel() { cancel_.cancel(); }

 private:
  // Takes the destination's armed faults (migration/faults.h) with the
  // channel: refused, delayed, or handed to the loader with stream faults.
  void accept_channel(MigrationChannel ch);
  void start_loader(MigrationChannel ch);
  void run();

  // Multifd (capability on when a connection arrives): every connection is
  // read on the main loop, without blocking it, until its first bytes tell
  // what it is: "QEVM" = the main channel (whatever the order, as QEMU 8.1+
  // peeks), the multifd magic = a channel whose 64-byte initial packet goes
  // to the receiver. A connection that never sends stays pending until the
  // migration ends.
  struct Pending {
    Fd fd;
    std::vector<uint8_t> got;
    size_t need = 4;
    FdWatch watch;
  };
  void identify(Pending* p);
  void drop_pending(Pending* p);
  // Guest RAM as the loader and the multifd threads see it (main thread,
  // once, before either starts).
  void prepare_ram();
  void start_multifd_receiver();
  // Any thread: a multifd failure (7.2's text). The loader, if running, is
  // woken and reports it; otherwise it is reported here. Either way the
  // process exits with status 1 like a failed load.
  void fail_multifd(const std::string& text);

  std::vector<std::vector<uint64_t>> known_zero_;
  std::vector<migration::RamBlockView> views_;
  bool ram_prepared_ = false;
  bool sockets_ = false;  // tcp:/unix: (the only transports with multifd channels)
  std::list<Pending> pending_;
  bool main_seen_ = false;
  std::vector<uint8_t> main_prefix_;  // bytes read while identifying the main channel
  std::unique_ptr<migration::multifd::MultifdReceiver> multifd_;  // set under channel_mu_
  std::optional<std::string> multifd_error_;                      // under channel_mu_
  bool loader_started_ = false;                                   // under channel_mu_

  MigrationState& owner_;
  NetListener listener_;
  // What was bound; reported (as 7.2 does) until the incoming state is torn
  // down at completion, even after the listener stopped listening.
  std::vector<ListenAddress> addrs_;
  std::mutex channel_mu_;  // the loader closes the channel when done
  std::optional<MigrationChannel> channel_;
  std::thread thread_;
  std::vector<migration::StreamFault> stream_faults_;
  guint delay_timer_ = 0;
  std::optional<MigrationChannel> delayed_;
  // Declared after what its hooks touch, so they are gone first.
  Canceller cancel_;
  Canceller::Hook wake_channel_;
};

}  // namespace migemu
