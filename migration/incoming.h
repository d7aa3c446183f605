// The destination side (QEMU's MigrationIncomingState): how the stream
// arrives (listener whose accept callback runs on the main loop, exec: child,
// fd) and the loader thread that parses it into guest RAM and device state.
// Created and destroyed on the main thread; the destructor joins.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "io/net_listener.h"
#include "migration/fault_channel.h"
#include "migration/migration.h"
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
