// zlib and zstd page streams for multifd; see multifd_compress.h.
#include "migration/multifd_compress.h"

#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>

namespace migemu::migration::multifd {

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kPacketBytes = 128 * kPage;

std::string format(const char* fmt, auto... args) {
  char buf[256];
  snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// What 7.2's receivers check after a packet's payload is inflated: exactly
// the packet's pages came out.
Status check_packet_size(unsigned id, size_t got, size_t pages) {
  uint32_t want = static_cast<uint32_t>(pages * kPage);
  if (got != want) {
    return generic_error(format("multifd %u: packet size received %u size expected %u", id,
                                static_cast<uint32_t>(got), want));
  }
  return {};
}

class ZlibCompressor final : public PageCompressor {
 public:
  explicit ZlibCompressor(unsigned id) : id_(id) {}
  ~ZlibCompressor() override {
    if (ready_) deflateEnd(&zs_);
  }
  Status init(int level) {
    if (deflateInit(&zs_, level) != Z_OK)
      return generic_error(format("multifd %u: deflate init failed", id_));
    ready_ = true;
    out_.resize(compressBound(kPacketBytes));
    return {};
  }
  Result<std::span<const uint8_t>> compress(std::span<const uint8_t* const> pages) override {
    size_t used = 0;
    for (size_t i = 0; i < pages.size(); i++) {
      // The guest may write the page meanwhile; zlib wants stable input.
      std::memcpy(page_, pages[i], kPage);
      zs_.next_in = page_;
      zs_.avail_in = kPage;
      zs_.next_out = out_.data() + used;
      zs_.avail_out = static_cast<uInt>(out_.size() - used);
      int flush = i + 1 == pages.size() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
      int ret;
      do {
        ret = deflate(&zs_, flush);
      } while (ret == Z_OK && zs_.avail_in && zs_.avail_out);
      if (ret == Z_OK && zs_.avail_in) {
        return generic_error(format("multifd %u: deflate failed to compress all input", id_));
      }
      if (ret != Z_OK) {
        return generic_error(format("multifd %u: deflate returned %d instead of Z_OK", id_, ret));
      }
      used = out_.size() - zs_.avail_out;
    }
    return std::span<const uint8_t>(out_.data(), used);
  }

 private:
  unsigned id_;
  z_stream zs_{};
  bool ready_ = false;
  std::vector<uint8_t> out_;
  uint8_t page_[kPage];
};

class ZlibDecompressor final : public PageDecompressor {
 public:
  explicit ZlibDecompressor(unsigned id) : id_(id) {}
  ~ZlibDecompressor() override {
    if (ready_) inflateEnd(&zs_);
  }
  Status init() {
    if (inflateInit(&zs_) != Z_OK)
      return generic_error(format("multifd %u: inflate init failed", id_));
    ready_ = true;
    return {};
  }
  Status decompress(std::span<const uint8_t> in, std::span<uint8_t* const> pages) override {
    uLong start_total = zs_.total_out;
    zs_.next_in = const_cast<Bytef*>(in.data());
    zs_.avail_in = static_cast<uInt>(in.size());
    for (size_t i = 0; i < pages.size(); i++) {
      uLong start = zs_.total_out;
      zs_.next_out = pages[i];
      zs_.avail_out = kPage;
      int flush = i + 1 == pages.size() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
      int ret;
      do {
        ret = inflate(&zs_, flush);
      } while (ret == Z_OK && zs_.avail_in && zs_.total_out - start < kPage);
      if (ret == Z_OK && zs_.total_out - start < kPage) {
        return generic_error(format("multifd %u: inflate generated too few output", id_));
      }
      if (ret != Z_OK) {
        return generic_error(format("multifd %u: inflate returned %d instead of Z_OK", id_, ret));
      }
    }
    return check_packet_size(id_, zs_.total_out - start_total, pages.size());
  }

 private:
  unsigned id_;
  z_stream zs_{};
  bool ready_ = false;
};

struct ZstdCStreamFree {
  void operator()(ZSTD_CStream* s) const { ZSTD_freeCStream(s); }
};
struct ZstdDStreamFree {
  void operator()(ZSTD_DStream* s) const { ZSTD_freeDStream(s); }
};

class ZstdCompressor final : public PageCompressor {
 public:
  explicit ZstdCompressor(unsigned id) : id_(id) {}
  Status init(int level) {
    zcs_.reset(ZSTD_createCStream());
    if (!zcs_) return generic_error(format("multifd %u: zstd createCStream failed", id_));
    size_t r = ZSTD_initCStream(zcs_.get(), level);
    if (ZSTD_isError(r)) {
      return generic_error(
          format("multifd %u: initCStream failed with error %s", id_, ZSTD_getErrorName(r)));
    }
    out_.resize(ZSTD_compressBound(kPacketBytes));
    return {};
  }
  Result<std::span<const uint8_t>> compress(std::span<const uint8_t* const> pages) override {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    for (size_t i = 0; i < pages.size(); i++) {
      std::memcpy(page_, pages[i], kPage);  // stable input, as for zlib
      ZSTD_inBuffer in{page_, kPage, 0};
      ZSTD_EndDirective mode = i + 1 == pages.size() ? ZSTD_e_flush : ZSTD_e_continue;
      size_t ret;
      do {
        ret = ZSTD_compressStream2(zcs_.get(), &out, &in, mode);
        // Input left, or (for the flush) output still held back: go on
        // while there is room.
      } while (!ZSTD_isError(ret) && (in.pos < in.size || (mode == ZSTD_e_flush && ret > 0)) &&
               out.pos < out.size);
      if (ZSTD_isError(ret)) {
        return generic_error(
            format("multifd %u: compressStream error %s", id_, ZSTD_getErrorName(ret)));
      }
      // A flush that is not finished (ret > 0) or input left over means the
      // bounded buffer was too small; it never is for 128 pages.
      if (ret > 0 && (in.pos < in.size || mode == ZSTD_e_flush)) {
        return generic_error(format("multifd %u: compressStream buffer too small", id_));
      }
    }
    return std::span<const uint8_t>(out_.data(), out.pos);
  }

 private:
  unsigned id_;
  std::unique_ptr<ZSTD_CStream, ZstdCStreamFree> zcs_;
  std::vector<uint8_t> out_;
  uint8_t page_[kPage];
};

class ZstdDecompressor final : public PageDecompressor {
 public:
  explicit ZstdDecompressor(unsigned id) : id_(id) {}
  Status init() {
    zds_.reset(ZSTD_createDStream());
    if (!zds_) return generic_error(format("multifd %u: zstd createDStream failed", id_));
    size_t r = ZSTD_initDStream(zds_.get());
    if (ZSTD_isError(r)) {
      return generic_error(
          format("multifd %u: initDStream failed with error %s", id_, ZSTD_getErrorName(r)));
    }
    return {};
  }
  Status decompress(std::span<const uint8_t> in_bytes, std::span<uint8_t* const> pages) override {
    ZSTD_inBuffer in{in_bytes.data(), in_bytes.size(), 0};
    size_t got = 0;
    for (uint8_t* page : pages) {
      ZSTD_outBuffer out{page, kPage, 0};
      size_t ret;
      do {
        ret = ZSTD_decompressStream(zds_.get(), &out, &in);
      } while (!ZSTD_isError(ret) && ret > 0 && in.pos < in.size && out.pos < kPage);
      if (ZSTD_isError(ret)) {
        return generic_error(
            format("multifd %u: decompressStream returned %s", id_, ZSTD_getErrorName(ret)));
      }
      if (ret > 0 && out.pos < kPage) {
        return generic_error(format("multifd %u: decompressStream buffer too small", id_));
      }
      got += out.pos;
    }
    return check_packet_size(id_, got, pages.size());
  }

 private:
  unsigned id_;
  std::unique_ptr<ZSTD_DStream, ZstdDStreamFree> zds_;
};

}  // namespace

uint32_t compression_flag(Compression c) {
  switch (c) {
    case Compression::kNone:
      return 0;
    case Compression::kZlib:
      return 0x2;
    case Compression::kZstd:
      return 0x4;
  }
  return 0;
}

Result<std::unique_ptr<PageCompressor>> make_compressor(Compression c, int level,
                                                        unsigned channel) {
  switch (c) {
    case Compression::kNone:
      return std::unique_ptr<PageCompressor>();
    case Compression::kZlib: {
      auto z = std::make_unique<ZlibCompressor>(channel);
      MIGEMU_TRY(z->init(level));
      return std::unique_ptr<PageCompressor>(std::move(z));
    }
    case Compression::kZstd: {
      auto z = std::make_unique<ZstdCompressor>(channel);
      MIGEMU_TRY(z->init(level));
      return std::unique_ptr<PageCompressor>(std::move(z));
    }
  }
  return std::unique_ptr<PageCompressor>();
}

Result<std::unique_ptr<PageDecompressor>> make_decompressor(Compression c, unsigned channel) {
  switch (c) {
    case Compression::kNone:
      return std::unique_ptr<PageDecompressor>();
    case Compression::kZlib: {
      auto z = std::make_unique<ZlibDecompressor>(channel);
      MIGEMU_TRY(z->init());
      return std::unique_ptr<PageDecompressor>(std::move(z));
    }
    case Compression::kZstd: {
      auto z = std::make_unique<ZstdDecompressor>(channel);
      MIGEMU_TRY(z->init());
      return std::unique_ptr<PageDecompressor>(std::move(z));
    }
  }
  return std::unique_ptr<PageDecompressor>();
}

}  // namespace migemu::migration::multifd
