// Moving an iovec array past the bytes a readv/writev already moved, for the
// loops that call it again until every byte is through.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace migemu {

// Drops the first `done` bytes of the `*count` entries at `*iov`: finished
// entries are skipped, a partly done one is shortened in place.
inline void iov_consume(iovec** iov, int* count, size_t done) {
  while (*count > 0 && done >= (*iov)->iov_len) {
    done -= (*iov)->iov_len;
    ++*iov;
    --*count;
  }
  if (*count > 0) {
    (*iov)->iov_base = static_cast<uint8_t*>((*iov)->iov_base) + done;
    (*iov)->iov_len -= done;
  }
}

}  // namespace migemu
