// Which guest pages the destination's multifd channels have written since
// the last SYNC. QEMU 7.2's source can put one page into two packets of the
// same sync epoch, often on two channels: its multifd_queue_page() hands a
// full batch to a channel and then looks at that batch's block again; once
// the channel thread has emptied it the block no longer matches and the
// last page is queued a second time (fixed upstream after 7.2). Nothing
// orders the two packets, so two receive threads would write the page at
// once. The first channel to claim a page writes it into guest RAM; a later
// copy of that epoch goes to a scratch page. Dropping it loses nothing:
// both copies were read from the same source page within one epoch, and a
// page the guest wrote in between is dirty again and is re-sent after the
// next SYNC, when the claims have been reset.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "migration/ram_codec.h"

namespace migemu::migration::multifd {

class PageClaims {
 public:
  // The words a channel turned non-zero since the last reset().
  using Touched = std::vector<std::atomic<uint64_t>*>;

  explicit PageClaims(const std::vector<RamBlockView>& blocks);

  // Channel threads: true if this is the first claim of page `page` of
  // block `block` in this epoch. A word this call made non-zero is added to
  // `touched`, so that reset() clears only what was used.
  bool claim(size_t block, uint64_t page, Touched& touched);
  // Between epochs, while no channel thread runs (every one is parked at
  // its SYNC, and the caller's lock orders this against them): forgets the
  // claims recorded in `touched` and empties it.
  static void reset(Touched& touched);

 private:
  std::vector<std::unique_ptr<std::atomic<uint64_t>[]>> words_;
};

}  // namespace migemu::migration::multifd
