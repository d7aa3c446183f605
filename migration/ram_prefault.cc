// Windowed prefault of file-backed guest RAM; see ram_prefault.h.
#include "migration/ram_prefault.h"

#include <errno.h>
#include <sys/mman.h>

#include <algorithm>

#include "migration/ram_codec.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif

namespace migemu::migration {

RamPrefault::RamPrefault(uint8_t* host, uint64_t length, const std::vector<uint64_t>* known_zero,
                         bool enabled)
    : host_(host), length_(length), known_zero_(known_zero), enabled_(enabled) {}

void RamPrefault::before(uint64_t offset) {
  if (!enabled_ || offset < mapped_end_) return;
  uint64_t end = std::min(length_, offset + kWindow);
  mapped_end_ = end;
  auto known_zero = [this](uint64_t page) {
    if (!known_zero_) return false;
    uint64_t w = page / 64;
    return w < known_zero_->size() && ((*known_zero_)[w] >> (page % 64) & 1);
  };
  // One call per run of pages that may hold data.
  uint64_t page = offset / kTargetPageSize;
  const uint64_t last = end / kTargetPageSize;
  while (page < last) {
    while (page < last && known_zero(page)) page++;
    uint64_t run = page;
    while (page < last && !known_zero(page)) page++;
    if (page == run) break;
    if (madvise(host_ + run * kTargetPageSize, (page - run) * kTargetPageSize,
                MADV_POPULATE_READ) != 0 &&
        errno == EINVAL) {
      // A kernel before 5.14: pages fault one window of 16 at a time, as
      // without this.
      enabled_ = false;
      return;
    }
  }
}

}  // namespace migemu::migration
