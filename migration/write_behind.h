// A writer thread for a migration stream's QemuFile on the source: while it
// writes one batch (the kernel copying the pages into the socket, or waiting
// for room there), the migration thread checks the next pages and fills the
// next batch, so checking and sending overlap on two cores instead of
// alternating on one (docs/datapath.md).
//
// One batch is in flight at most. A batch is QemuFile's list of pieces plus
// the buffer its small puts were copied into; they travel by swap, never
// copied, and the pieces that point into guest RAM stay valid because guest
// RAM stays mapped for the whole migration.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace migemu::migration {

class StreamChannel;

class WriteBehind {
 public:
  // `transferred` grows by each batch written. `ch` must outlive this.
  WriteBehind(StreamChannel& ch, std::atomic<uint64_t>& transferred);
  // Waits for the batch in flight (shut the channel down to end it early),
  // then joins the thread.
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Waits until the previous batch is written, then takes this one: *pieces
  // and *storage are swapped with the finished batch's (emptied) ones.
  // Returns 0, or the first error (-errno) of any batch so far; after an
  // error nothing more is written.
  int submit(std::vector<iovec>* pieces, std::vector<uint8_t>* storage, size_t bytes);
  // Waits until nothing is in flight: 0 or the first error.
  int wait_idle();

 private:
  void run();

  StreamChannel& ch_;
  std::atomic<uint64_t>& transferred_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<iovec> pieces_;     // the batch in flight (or finished)
  std::vector<uint8_t> storage_;  // its copied bytes
  size_t bytes_ = 0;
  bool busy_ = false;  // a batch is in flight
  bool stop_ = false;
  int error_ = 0;
  std::thread thread_;
};

}  // namespace migemu::migration
