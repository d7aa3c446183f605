// The source's multifd channels (QEMU 7.2's multifd_send_*): `channels`
// sockets opened after the main channel, each with a thread that connects,
// writes the initial packet, then writes the packets the migration thread
// hands it through a bounded queue. The migration thread batches pages of one
// RAM block (up to 128 per packet), gives each batch to the first channel
// with room (round robin, as 7.2 picks the next idle channel), and at every
// RAM EOS calls sync(): one SYNC packet per channel, waiting until each
// channel has written it.
//
// Cancel and failure: the Canceller given at construction wakes every
// blocking point (connect, socket writes, queue and sync waits). The first
// error of any channel is kept; the migration thread sees it at its next
// queue_page()/sync() and fails the migration. The destructor closes the
// queues, shuts the sockets down and joins every thread.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "migration/fault_channel.h"
#include "migration/multifd_compress.h"
#include "migration/multifd_packet.h"
#include "migration/multifd_queue.h"
#include "migration/ram_codec.h"
#include "migration/transport.h"
#include "util/canceller.h"

namespace migemu::migration::multifd {

struct SendOptions {
  unsigned channels = 2;
  Compression compression = Compression::kNone;
  int level = 1;  // zlib or zstd level
  Uuid uuid{};    // the source VM's -uuid (zeros without one)
  // x-migration-fault on channels: their bytes (initial packet included)
  // go through a FaultyChannel.
  MultifdFaults faults;
};

class MultifdSender {
 public:
  // Channels connect to `uri` (tcp/unix) from their own threads, at once.
  MultifdSender(const SendOptions& opt, MigrationUri uri, Canceller& cancel);
  ~MultifdSender();
  MultifdSender(const MultifdSender&) = delete;
  MultifdSender& operator=(const MultifdSender&) = delete;

  // Migration thread. Adds a page to the current batch (dispatched when full
  // or when the block changes). Returns the first channel error, if any.
  Status queue_page(const RamBlockView& block, uint64_t offset);
  // Dispatches a partial batch, then one SYNC packet per channel, and waits
  // until every channel has written its SYNC.
  Status sync();
  // Bytes the packets count (1344 per packet + 4096 per page, uncompressed,
  // as 7.2's multifd-bytes), and what to charge the rate limit since the
  // last call.
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t take_unaccounted_bytes() { return std::exchange(unaccounted_, 0); }
  // The first channel error (empty if none).
  std::optional<std::string> error() const;

 private:
  struct Job {
    bool sync = false;
    uint64_t packet_num = 0;
    const RamBlockView* block = nullptr;
    uint32_t count = 0;
    std::array<uint64_t, kPagesPerPacket> offsets{};
  };
  struct Channel {
    explicit Channel(std::function<void()> on_pop) : queue(2, std::move(on_pop)) {}
    unsigned id = 0;
    BoundedQueue<Job> queue;
    std::mutex mu;  // guards `conn` and `faulty` against the cancel hook
    std::optional<MigrationChannel> conn;
    // Set when faults are armed on this channel: every write goes through it.
    std::unique_ptr<StreamChannel> faulty;
    std::unique_ptr<PageCompressor> compressor;
    uint64_t syncs_written = 0;  // under MultifdSender::mu_
    std::thread thread;
  };

  void channel_main(Channel& c);
  Status send_job(Channel& c, int fd, Job& job);
  // Writes every byte of `iov` (modified as it goes): 0 or -errno.
  static int write_iov(Channel& c, int fd, iovec* iov, int count);
  // Shuts the channel's connection down (and ends a fault's stall).
  static void shut(Channel& c);
  void fail(std::string text);
  void shutdown_all();
  Status dispatch(Job& job);
  Status send_batch();

  SendOptions opt_;
  MigrationUri uri_;
  Canceller& cancel_;
  std::vector<std::unique_ptr<Channel>> channels_;

  // Dispatcher state (migration thread only).
  Job batch_;
  size_t next_channel_ = 0;
  uint64_t packet_num_ = 0;
  uint64_t syncs_requested_ = 0;
  uint64_t unaccounted_ = 0;
  std::atomic<uint64_t> bytes_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;  // room in a queue, a SYNC written, an error, cancel
  uint64_t pops_ = 0;           // queue pops so far (wake-up generation)
  std::optional<std::string> error_;
  bool quit_ = false;

  // Last: its hook runs while everything above exists.
  Canceller::Hook wake_;
};

}  // namespace migemu::migration::multifd
