// A reader thread for a migration stream's QemuFile on the destination: it
// reads the channel into a few large buffers while the loader parses and
// stores what came before, so receiving (the copy out of the socket) and
// storing (the copy into guest RAM or its file) overlap on two cores instead
// of alternating on one (docs/datapath.md).
//
// Buffers travel between the two threads by move, never copied: each has
// kHeadroom bytes in front of the data, where QemuFile::fill() moves the
// few unread bytes of the previous buffer so that a record split across two
// reads is contiguous again.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace migemu::migration {

class StreamChannel;

class ReadAhead {
 public:
  static constexpr size_t kHeadroom = 32768;  // >= any fill(want): QemuFile::kBufferSize
  static constexpr size_t kChunk = 256 * 1024;
  // The reader holds two (the one it reads and the one it read before):
  // three in flight, 768 KiB ahead.
  static constexpr size_t kChunks = 5;

  // Starts reading `ch`, which nothing else may read from now on; it must
  // outlive this object.
  explicit ReadAhead(StreamChannel& ch);
  // Shuts the channel down (ending a blocked read) and joins the thread.
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Waits for the next buffer read: true with it in *buf and its byte count
  // in *len (data at kHeadroom); false once the stream ended or failed.
  // `spent`, a buffer taken before, goes back to the pool (others dropped).
  bool next(std::vector<uint8_t>* buf, size_t* len, std::vector<uint8_t> spent);

 private:
  struct Filled {
    std::vector<uint8_t> buf;
    size_t len;
  };
  void run();

  StreamChannel& ch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Filled> ready_;
  std::vector<std::vector<uint8_t>> free_;
  bool ended_ = false;  // the channel ended or failed: nothing more comes
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace migemu::migration
