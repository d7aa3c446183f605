// The destination's multifd channels (QEMU 7.2's multifd_recv_*). The
// incoming listener hands over each connection whose first 64 bytes are a
// multifd initial packet; add_channel() checks it and starts the channel's
// thread, which reads packets and writes their pages straight into guest RAM.
// A SYNC packet parks the thread until the loader, at the matching RAM EOS of
// the main channel, has seen a SYNC from every channel (sync_main()) and
// releases them all: pages sent before a sync are in RAM before the main
// stream goes on. Within an epoch a page is written by the first channel
// that brings it (multifd_page_claims.h: a 7.2 source may send it twice).
//
// Errors (a bad packet, a read failure, a channel that ends or never comes
// while the loader waits for it) are reported once through `on_error` with
// 7.2's text where 7.2 has one; every thread then stops. shutdown() (cancel,
// exit, the end of the migration) wakes every blocking point.
#pragma once

#include <sys/uio.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "migration/fault_channel.h"
#include "migration/multifd_compress.h"
#include "migration/multifd_packet.h"
#include "migration/multifd_page_claims.h"
#include "migration/ram_codec.h"
#include "util/glib_ptr.h"

namespace migemu::migration::multifd {

struct RecvOptions {
  unsigned channels = 2;
  Compression compression = Compression::kNone;
  Uuid uuid{};  // the destination's own -uuid (zeros without one)
  // Guest RAM. known_zero bitmaps (if set) are shared with the main loader
  // and updated atomically.
  std::vector<RamBlockView> blocks;
  // How long a hung-up main channel may wait for a channel that never
  // connected before the migration fails (its connection may still be queued).
  int missing_channel_grace_ms = 2000;
  // x-migration-fault on channels: their reads after the initial packet go
  // through a FaultyChannel (offsets count the initial packet's 64 bytes).
  MultifdFaults faults;
};

class MultifdReceiver {
 public:
  MultifdReceiver(RecvOptions opt, std::function<void(const std::string&)> on_error);
  ~MultifdReceiver();
  MultifdReceiver(const MultifdReceiver&) = delete;
  MultifdReceiver& operator=(const MultifdReceiver&) = delete;

  // Any thread (the main loop's accept path). `init`: the connection's first
  // 64 bytes. On error the connection is closed and the error is also
  // reported through on_error.
  Status add_channel(Fd fd, std::span<const uint8_t, kInitPacketSize> init);
  // Loader thread, at every RAM EOS. 0, or -EIO once an error was reported.
  // `main_fd`: the main channel, watched for a hang-up while waiting.
  int sync_main(int main_fd);
  // Wakes every thread and the loader's sync wait; they end promptly.
  // Quick and non-blocking: safe from a Canceller hook. Idempotent.
  void stop();
  // stop(), then joins the threads. Idempotent.
  void shutdown();
  // After a successful load: lets each channel read on until its source
  // closes it (a 7.2 source may still send an empty packet after the last
  // SYNC; shutting the socket under it would make its write fail), at most
  // `timeout_ms`, then shutdown(). Nothing is reported any more.
  void finish(int timeout_ms);
  // The main channel has been identified (its loader starts). Until then a
  // channel that reaches end-of-file fails the migration at once: with no
  // loader, nobody would wait for its SYNC and the destination would sit in
  // inmigrate (a source cancelled before its first main-channel bytes left).
  void main_channel_arrived();
  bool all_connected() const;
  // The error reported (set before anything can see the failure).
  std::optional<std::string> error() const;
  // Bytes of pages received (for statistics and tests).
  uint64_t pages_received() const;

 private:
  struct Channel {
    unsigned id = 0;
    Fd fd;
    // Set when faults are armed on this channel: every read goes through it
    // (set before the thread starts; shut down under mu_ to end a stall).
    std::unique_ptr<StreamChannel> faulty;
    std::unique_ptr<PageDecompressor> decompressor;
    std::vector<uint8_t> buf;  // compressed payload
    // Where a page another channel already wrote this epoch is read to.
    std::vector<uint8_t> scratch = std::vector<uint8_t>(kTargetPageSize);
    PageClaims::Touched touched;  // this epoch's claims (reset by sync_main)
    std::thread thread;
    // Under MultifdReceiver::mu_:
    uint64_t synced = 0;  // SYNC packets received
    bool ended = false;   // the thread has returned
    uint64_t pages = 0;
  };

  void channel_main(Channel& c);
  Status receive_packet(Channel& c, bool* eof, bool* sync);
  // Reads exactly iov's bytes (modified as it goes). 1: done; 0: the peer
  // closed before the first byte; -1 with *err set: failure or a partial
  // read (7.2's texts).
  static int read_iov(Channel& c, iovec* iov, int count, std::string* err);
  void fail(const std::string& text);
  void wake_all_locked();

  RecvOptions opt_;
  std::function<void(const std::string&)> on_error_;
  PageClaims claims_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Channel>> channels_;  // by id; null until connected
  unsigned connected_ = 0;
  uint64_t released_ = 0;  // sync rounds the loader completed
  bool failed_ = false;
  bool quit_ = false;
  bool finishing_ = false;
  bool main_arrived_ = false;
  std::optional<std::string> error_;
};

// Parses a canonical UUID text (as -uuid stores it); zeros if malformed.
Uuid parse_uuid(const std::string& text);

}  // namespace migemu::migration::multifd
