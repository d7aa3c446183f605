// Per-epoch page claims of the multifd receive channels; see
// multifd_page_claims.h.
#include "migration/multifd_page_claims.h"

namespace migemu::migration::multifd {

PageClaims::PageClaims(const std::vector<RamBlockView>& blocks) {
  for (const RamBlockView& b : blocks) {
    size_t words = (b.used_length / kTargetPageSize + 63) / 64;
    // Value-initialised: every page unclaimed. One bit per page (2 MiB for
    // a 64 GiB guest).
    words_.push_back(std::unique_ptr<std::atomic<uint64_t>[]>(new std::atomic<uint64_t>[words]()));
  }
}

bool PageClaims::claim(size_t block, uint64_t page, Touched& touched) {
  std::atomic<uint64_t>& w = words_[block][page >> 6];
  uint64_t bit = uint64_t{1} << (page & 63);
  // Relaxed: the claim only picks the writer. What the loader and the next
  // epoch see of the page is ordered by the SYNC rendezvous (a mutex).
  uint64_t old = w.fetch_or(bit, std::memory_order_relaxed);
  if (old == 0) touched.push_back(&w);
  return !(old & bit);
}

void PageClaims::reset(Touched& touched) {
  for (std::atomic<uint64_t>* w : touched) w->store(0, std::memory_order_relaxed);
  touched.clear();
}

}  // namespace migemu::migration::multifd
