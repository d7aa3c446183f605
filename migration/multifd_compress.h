// Page compression of multifd packets as QEMU 7.2 does it (docs/multifd.md):
// one zlib or zstd stream per channel for the whole migration; each packet's
// payload is the next slice of that stream, ending with a flush, so the
// receiver's single decompression stream per channel yields exactly the
// packet's pages. `none` sends raw pages and needs neither object.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "qapi/error.h"

namespace migemu::migration::multifd {

enum class Compression { kNone, kZlib, kZstd };

// The header flag bits that name `c` (0 for none).
uint32_t compression_flag(Compression c);

// 7.2's receivers read a payload into a buffer of twice the packet's page
// bytes; a larger next_packet_size is refused before anything is allocated.
inline constexpr uint32_t kMaxCompressedPayload = 2 * 128 * 4096;

class PageCompressor {
 public:
  virtual ~PageCompressor() = default;
  // Compresses `pages` (4096 bytes each, at most 128) as the next slice of
  // the channel's stream. The result stays valid until the next call.
  virtual Result<std::span<const uint8_t>> compress(std::span<const uint8_t* const> pages) = 0;
};

class PageDecompressor {
 public:
  virtual ~PageDecompressor() = default;
  // Inflates `in` into the 4096-byte pages `pages` (guest RAM), in order;
  // the slice must produce exactly pages.size() * 4096 bytes.
  virtual Status decompress(std::span<const uint8_t> in, std::span<uint8_t* const> pages) = 0;
};

// `channel` numbers the error texts ("multifd %u: ..."). `level`: zlib 0..9,
// zstd 0..20 (migration parameters multifd-zlib-level / multifd-zstd-level).
// Null for kNone.
Result<std::unique_ptr<PageCompressor>> make_compressor(Compression c, int level, unsigned channel);
Result<std::unique_ptr<PageDecompressor>> make_decompressor(Compression c, unsigned channel);

}  // namespace migemu::migration::multifd
