// Maps a file-backed block's pages ahead of the source's bulk pass in large
// windows. Reading a page of a shared file mapping for the first time costs a
// page fault, and the kernel maps at most 16 pages per fault (fault-around):
// for a 2 GiB guest that is 32768 faults in the migration thread. One
// MADV_POPULATE_READ per window maps the same pages with one system call.
// Pages known to be zero (holes, never written) are left out: populating
// them would allocate them, which the source must not do
// (docs/datapath.md).
#pragma once

#include <cstdint>
#include <vector>

namespace migemu::migration {

class RamPrefault {
 public:
  // `host`/`length`: the block's mapping; `known_zero`: its bitmap of pages
  // known to be zero (may be null; read only, by the migration thread).
  // `enabled`: false for blocks whose untouched pages are not mapped by
  // reading (anonymous RAM: its untouched pages are known zero anyway).
  RamPrefault(uint8_t* host, uint64_t length, const std::vector<uint64_t>* known_zero,
              bool enabled);
  // The pass is about to read the page at `offset`: maps the window starting
  // there unless done already. Only for a pass that walks up the block once.
  void before(uint64_t offset);

 private:
  static constexpr uint64_t kWindow = 4 << 20;
  uint8_t* host_;
  uint64_t length_;
  const std::vector<uint64_t>* known_zero_;
  bool enabled_;
  uint64_t mapped_end_ = 0;
};

}  // namespace migemu::migration
