// RAM section codec; see ram_codec.h.
#include "migration/ram_codec.h"

#include <zlib.h>

#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <cinttypes>
#include <cstring>

namespace migemu::migration {

bool buffer_is_zero(const uint8_t* p, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    if (v) return false;
  }
  for (; i < len; i++) {
    if (p[i]) return false;
  }
  return true;
}

namespace {
// The page at `addr` is about to hold data: it is no longer known to be zero.
void forget_zero(RamBlockView& b, uint64_t addr) {
  if (!b.known_zero) return;
  uint64_t page = addr / kTargetPageSize;
  // Atomic: multifd channel threads clear bits of the same words.
  std::atomic_ref<uint64_t> w((*b.known_zero)[page >> 6]);
  w.fetch_and(~(uint64_t{1} << (page & 63)), std::memory_order_relaxed);
}
}  // namespace

// ------------------------------------------------------------------ sender

void RamSender::account(uint64_t bytes) {
  transferred_.fetch_add(bytes, std::memory_order_relaxed);
  if (phase_.load(std::memory_order_relaxed) == Phase::kPrecopy) {
    precopy_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  } else {
    downtime_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
}

RamCounters RamSender::counters() const {
  RamCounters c;
  c.transferred = transferred_.load(std::memory_order_relaxed);
  c.duplicate = duplicate_.load(std::memory_order_relaxed);
  c.normal = normal_.load(std::memory_order_relaxed);
  c.precopy_bytes = precopy_bytes_.load(std::memory_order_relaxed);
  c.downtime_bytes = downtime_bytes_.load(std::memory_order_relaxed);
  c.multifd_bytes = multifd_bytes_.load(std::memory_order_relaxed);
  return c;
}

void RamSender::section_header(QemuFile& f, uint8_t type) {
  f.put_byte(type);
  f.put_be32(opt_.section_id);
  if (type == 1) {  // START: idstr, instance, version
    f.put_counted_string("ram");
    f.put_be32(0);
    f.put_be32(4);
  }
}

void RamSender::footer(QemuFile& f) {
  if (!opt_.send_section_footer) return;
  f.put_byte(0x7e);
  f.put_be32(opt_.section_id);
}

void RamSender::write_setup(QemuFile& f, std::span<const RamBlockView> blocks) {
  write_setup_records(f, blocks);
  f.put_be64(ram_flag::kEos);
}

void RamSender::write_setup_records(QemuFile& f, std::span<const RamBlockView> blocks) {
  uint64_t total = 0;
  for (const RamBlockView& b : blocks) total += b.used_length;
  f.put_be64(total | ram_flag::kMemSize);
  for (const RamBlockView& b : blocks) {
    f.put_counted_string(b.idstr);
    f.put_be64(b.used_length);
    if (opt_.postcopy_ram && b.page_size != opt_.host_page_size) f.put_be64(b.page_size);
    if (opt_.x_ignore_shared) f.put_be64(b.gpa);
  }
}

void RamSender::write_setup_section(QemuFile& f, std::span<const RamBlockView> blocks) {
  begin_setup(f, blocks);
  end_setup(f);
}

void RamSender::begin_setup(QemuFile& f, std::span<const RamBlockView> blocks) {
  last_block_.clear();
  section_header(f, 1);
  write_setup_records(f, blocks);
}

void RamSender::end_setup(QemuFile& f) {
  f.put_be64(ram_flag::kEos);
  footer(f);
  f.flush();
}

void RamSender::count_multifd_bytes(uint64_t bytes) {
  // 7.2 adds multifd packets to `transferred` and multifd-bytes only, not
  // to precopy-bytes / downtime-bytes.
  transferred_.fetch_add(bytes, std::memory_order_relaxed);
  multifd_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void RamSender::begin_part(QemuFile& f) {
  section_header(f, 2);
}

void RamSender::end_part(QemuFile& f) {
  write_eos(f, true);
  footer(f);
  f.flush();
}

void RamSender::begin_end(QemuFile& f) {
  section_header(f, 3);
}

void RamSender::end_end(QemuFile& f) {
  write_eos(f, false);
  footer(f);
  f.flush();
}

void RamSender::write_eos(QemuFile& f, bool counted) {
  f.put_be64(ram_flag::kEos);
  if (counted) account(8);
}

void RamSender::page_header(QemuFile& f, const RamBlockView& block, uint64_t word) {
  size_t size = 8;
  if (block.idstr == last_block_) {
    f.put_be64(word | ram_flag::kContinue);
  } else {
    f.put_be64(word);
    f.put_counted_string(block.idstr);
    size += 1 + std::min<size_t>(block.idstr.size(), 255);
    last_block_ = block.idstr;
  }
  account(size);
}

bool RamSender::write_zero_page_if_zero(QemuFile& f, const RamBlockView& block, uint64_t offset) {
  assert(offset % kTargetPageSize == 0 && offset + kTargetPageSize <= block.used_length);
  if (!buffer_is_zero(block.host + offset, kTargetPageSize)) return false;
  write_zero_page(f, block, offset);
  return true;
}

void RamSender::write_zero_page(QemuFile& f, const RamBlockView& block, uint64_t offset) {
  assert(offset % kTargetPageSize == 0 && offset + kTargetPageSize <= block.used_length);
  page_header(f, block, offset | ram_flag::kZero);
  f.put_byte(0);
  account(1);
  duplicate_.fetch_add(1, std::memory_order_relaxed);
}

void RamSender::write_normal_page(QemuFile& f, const RamBlockView& block, uint64_t offset) {
  assert(offset % kTargetPageSize == 0 && offset + kTargetPageSize <= block.used_length);
  page_header(f, block, offset | ram_flag::kPage);
  // By reference: guest RAM stays mapped for the whole migration (the
  // kernel copies the page once, at the flush; QemuFile::put_buffer_ref).
  f.put_buffer_ref(block.host + offset, kTargetPageSize);
  account(kTargetPageSize);
  normal_.fetch_add(1, std::memory_order_relaxed);
}

RamSender::PageKind RamSender::write_page(QemuFile& f, const RamBlockView& block, uint64_t offset) {
  if (write_zero_page_if_zero(f, block, offset)) return PageKind::kZero;
  write_normal_page(f, block, offset);
  return PageKind::kNormal;
}

// ------------------------------------------------------------------ loader

int xbzrle_decode(const uint8_t* src, int slen, uint8_t* dst, int dlen) {
  // Runs of (uleb128 zero-run length, uleb128 literal length, literal bytes);
  // the zero runs leave dst as it was. Lengths use at most two uleb bytes.
  auto uleb = [](const uint8_t* in, uint32_t* n) -> int {
    if (!(in[0] & 0x80)) {
      *n = in[0];
      return 1;
    }
    if (in[1] & 0x80) return -1;
    *n = uint32_t(in[0] & 0x7f) | uint32_t(in[1]) << 7;
    return 2;
  };
  int i = 0;
  int64_t d = 0;
  while (i < slen) {
    uint32_t count = 0;
    if (slen - i < 2) return -1;
    int r = uleb(src + i, &count);
    if (r < 0 || (i && !count)) return -1;
    i += r;
    d += count;
    if (d > dlen) return -1;
    if (slen - i < 2) return -1;
    r = uleb(src + i, &count);
    if (r < 0 || !count) return -1;
    i += r;
    if (d + count > dlen || int64_t(i) + count > slen) return -1;
    std::memcpy(dst + d, src + i, count);
    d += count;
    i += static_cast<int>(count);
  }
  return static_cast<int>(d);
}

RamBlockView* RamLoader::find(std::string_view id) {
  for (RamBlockView& b : blocks_) {
    if (b.idstr == id) return &b;
  }
  return nullptr;
}

int RamLoader::load_xbzrle(QemuFile& f, uint8_t* host, LoadLog& log) {
  uint8_t xh_flags = f.get_byte();
  unsigned xh_len = f.get_be16();
  if (xh_flags != 1) {  // ENCODING_FLAG_XBZRLE
    log.error("Failed to load XBZRLE page - wrong compression!");
    return -1;
  }
  if (xh_len > kTargetPageSize) {
    log.error("Failed to load XBZRLE page - len overflow!");
    return -1;
  }
  uint8_t buf[kTargetPageSize];
  std::memset(buf, 0, xh_len);
  f.get_buffer(buf, xh_len);
  if (xbzrle_decode(buf, static_cast<int>(xh_len), host, kTargetPageSize) == -1) {
    log.error("Failed to load XBZRLE page - decode error!");
    return -1;
  }
  return 0;
}

int RamLoader::load_compressed(QemuFile& f, uint8_t* host, LoadLog& log) {
  int32_t len = static_cast<int32_t>(f.get_be32());
  const int32_t bound = static_cast<int32_t>(compressBound(kTargetPageSize));
  if (len < 0 || len > bound) {
    log.error("Invalid compressed data length: %d", len);
    return -EINVAL;
  }
  std::vector<uint8_t> in(static_cast<size_t>(len));
  f.get_buffer(in.data(), in.size());
  if (f.error()) return 0;  // the caller reports the stream error
  z_stream zs{};
  int ret = -1;
  if (inflateInit(&zs) == Z_OK) {
    zs.next_in = in.data();
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = host;
    zs.avail_out = kTargetPageSize;
    if (inflate(&zs, Z_FINISH) == Z_STREAM_END) ret = 0;
    inflateEnd(&zs);
  }
  if (ret < 0) {
    log.error("decompress data failed");
    return -1;
  }
  return 0;
}

int RamLoader::load(QemuFile& f, int version_id, LoadLog& log) {
  if (version_id != 4) return -EINVAL;
  uint64_t invalid_flags = opt_.compress ? 0 : ram_flag::kCompressPage;
  uint64_t flags = 0;
  int ret = 0;
  while (!ret && !(flags & ram_flag::kEos)) {
    uint64_t addr = f.get_be64();
    flags = addr & ~kTargetPageMask;
    addr &= kTargetPageMask;
    uint8_t* host = nullptr;

    if (flags & invalid_flags) {
      if (flags & invalid_flags & ram_flag::kCompressPage) {
        log.error("Received an unexpected compressed page");
      }
      ret = -EINVAL;
      break;
    }

    if (flags & (ram_flag::kZero | ram_flag::kPage | ram_flag::kCompressPage | ram_flag::kXbzrle)) {
      RamBlockView* block = nullptr;
      if (flags & ram_flag::kContinue) {
        block = last_block_;
        if (!block) log.error("Ack, bad migration stream!");
      } else {
        std::string id;
        f.get_counted_string(&id);
        id = id.substr(0, id.find('\0'));  // 7.2 treats it as a C string
        block = find(id);
        if (!block) {
          log.error("Can't find block %s", id.c_str());
        } else if (block->ignored) {
          log.error("block %s should not be migrated !", id.c_str());
          block = nullptr;
        } else {
          last_block_ = block;
        }
      }
      // The whole page must lie inside the block (7.2 checks the start only;
      // its blocks are page-multiples, so this is the same test for them).
      if (block && block->host && addr < block->used_length &&
          block->used_length - addr >= kTargetPageSize) {
        host = block->host + addr;
      }
      if (!host) {
        log.error("Illegal RAM offset %" PRIx64, addr);
        ret = -EINVAL;
        break;
      }
    }

    if ((flags & ~ram_flag::kContinue) != ram_flag::kPage) flush_pending_pages();
    switch (flags & ~ram_flag::kContinue) {
      case ram_flag::kMemSize: {
        uint64_t total = addr;
        while (!ret && total) {
          std::string id;
          uint8_t len = f.get_byte();
          char tmp[256];
          size_t got = f.get_buffer(reinterpret_cast<uint8_t*>(tmp), len);
          id.assign(tmp, got);
          id = id.substr(0, id.find('\0'));  // 7.2 treats it as a C string
          uint64_t length = f.get_be64();
          RamBlockView* block = find(id);
          if (block) {
            uint64_t hp = opt_.host_page_size;
            uint64_t newsize = (length + hp - 1) & ~(hp - 1);  // wraps as 7.2's
            if (newsize != block->used_length) {
              log.error("Size mismatch: %s: 0x%" PRIx64 " != 0x%" PRIx64 ": Invalid argument",
                        block->idstr.c_str(), newsize, block->used_length);
              ret = -EINVAL;
            }
            if (opt_.postcopy_advised && opt_.postcopy_ram &&
                block->page_size != opt_.host_page_size) {
              uint64_t remote = f.get_be64();
              if (remote != block->page_size) {
                log.error("Mismatched RAM page size %s (local) %" PRIu64 " != %" PRId64, id.c_str(),
                          block->page_size, static_cast<int64_t>(remote));
                ret = -EINVAL;
              }
            }
            if (opt_.x_ignore_shared) {
              uint64_t gpa = f.get_be64();
              if (block->ignored && block->gpa != gpa) {
                log.error("Mismatched GPAs for block %s %" PRId64 "!= %" PRId64, id.c_str(),
                          static_cast<int64_t>(gpa), static_cast<int64_t>(block->gpa));
                ret = -EINVAL;
              }
            }
          } else {
            log.error("Unknown ramblock \"%s\", cannot accept migration", id.c_str());
            ret = -EINVAL;
          }
          total -= length;
        }
        break;
      }
      case ram_flag::kZero: {
        uint8_t ch = f.get_byte();
        uint64_t page = addr / kTargetPageSize;
        bool known = ch == 0 && last_block_->known_zero &&
                     (std::atomic_ref<uint64_t>((*last_block_->known_zero)[page >> 6])
                          .load(std::memory_order_relaxed) >>
                      (page & 63)) &
                         1;
        // 7.2 reads the page and writes only if needed; a page known to be
        // zero is not even read (reading would populate it).
        if (!known && (ch != 0 || !buffer_is_zero(host, kTargetPageSize))) {
          std::memset(host, ch, kTargetPageSize);
        }
        if (ch != 0) forget_zero(*last_block_, addr);
        zero_pages_++;
        break;
      }
      case ram_flag::kPage:
        if (last_block_->fd >= 0) {
          // Runs of consecutive pages go to the file in one pwrite.
          if (wc_block_ != last_block_ || wc_addr_ + wc_buf_.size() != addr ||
              wc_buf_.size() >= kWriteCombineMax) {
            flush_pending_pages();
            wc_block_ = last_block_;
            wc_addr_ = addr;
          }
          size_t at = wc_buf_.size();
          wc_buf_.resize(at + kTargetPageSize);
          f.get_buffer(wc_buf_.data() + at, kTargetPageSize);
        } else {
          f.get_buffer(host, kTargetPageSize);
        }
        forget_zero(*last_block_, addr);
        normal_pages_++;
        break;
      case ram_flag::kCompressPage:
        forget_zero(*last_block_, addr);
        ret = load_compressed(f, host, log);
        normal_pages_++;
        break;
      case ram_flag::kXbzrle:
        forget_zero(*last_block_, addr);
        if (load_xbzrle(f, host, log) < 0) {
          log.error("Failed to decompress XBZRLE page at %" PRIx64, addr);
          ret = -EINVAL;
        }
        xbzrle_pages_++;
        break;
      case ram_flag::kEos:
        if (opt_.eos_sync) ret = opt_.eos_sync();
        break;
      default:
        if (flags & ram_flag::kHook) {
          // No RDMA: 7.2 fails the file silently.
          f.set_error(-EINVAL);
        } else {
          log.error("Unknown combination of migration flags: 0x%x", static_cast<unsigned>(flags));
          ret = -EINVAL;
        }
        break;
    }
    if (!ret) ret = f.error();
  }
  flush_pending_pages();
  return ret;
}

void RamLoader::flush_pending_pages() {
  if (wc_buf_.empty()) return;
  const uint8_t* p = wc_buf_.data();
  size_t left = wc_buf_.size();
  off_t off = static_cast<off_t>(wc_addr_);
  while (left > 0) {
    ssize_t n = pwrite(wc_block_->fd, p, left, off);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      // Not writable through the file: through the mapping, then.
      std::memcpy(wc_block_->host + off, p, left);
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
    off += n;
  }
  wc_buf_.clear();
  wc_block_ = nullptr;
}

}  // namespace migemu::migration
