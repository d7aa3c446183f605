#include "system/guest_memory.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <thread>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

namespace migemu {

namespace {

// ---- SHA-256 ----------------------------------------------------------------

constexpr uint32_t kRoundK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr uint32_t kInitialHash[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void compress_generic(uint32_t* h, const uint8_t* data, size_t nblocks) {
  for (; nblocks > 0; --nblocks, data += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) w[i] = load_be32(data + 4 * i);
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = std::rotr(w[i - 15], 7) ^ std::rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = std::rotr(w[i - 2], 17) ^ std::rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 = k + (std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25)) +
                    ((e & f) ^ (~e & g)) + kRoundK[i] + w[i];
      uint32_t t2 =
          (std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      k = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
  }
}

// The x86 SHA extensions keep the state as two vectors, {A,B,E,F} and
// {C,D,G,H} (highest lane first), and do two rounds per instruction.
__attribute__((target("sha,sse4.1,ssse3"))) void compress_shani(uint32_t* h, const uint8_t* data,
                                                                size_t nblocks) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));      // a b c d
  __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 4));  // e f g h
  lo = _mm_shuffle_epi32(lo, 0xB1);
  hi = _mm_shuffle_epi32(hi, 0x1B);
  __m128i abef = _mm_alignr_epi8(lo, hi, 8);
  __m128i cdgh = _mm_blend_epi16(hi, lo, 0xF0);
  for (; nblocks > 0; --nblocks, data += 64) {
    const __m128i abef_in = abef, cdgh_in = cdgh;
    __m128i w[4];
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
      __m128i x;
      if (g < 4) {
        x = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)),
                             bswap);
      } else {
        __m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g - 3) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g - 1) & 3], w[(g - 2) & 3], 4));
        x = _mm_sha256msg2_epu32(t, w[(g - 1) & 3]);
      }
      w[g & 3] = x;
      __m128i m =
          _mm_add_epi32(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kRoundK[4 * g])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(m, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }
  __m128i t = _mm_shuffle_epi32(abef, 0x1B);
  cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(t, cdgh, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(cdgh, t, 8));
}

using CompressFn = void (*)(uint32_t*, const uint8_t*, size_t);

// CPUID rather than __builtin_cpu_supports: clang 14 (the fuzzing build's
// compiler) does not know the "sha" feature name.
bool cpu_has_sha_ni() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = c & bit_SSSE3;
  const bool sse41 = c & bit_SSE4_1;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return ssse3 && sse41 && (b & bit_SHA);
}

CompressFn pick_compress() {
  return cpu_has_sha_ni() ? compress_shani : compress_generic;
}

CompressFn best_compress() {
  static const CompressFn fn = pick_compress();
  return fn;
}

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  explicit Sha256(CompressFn compress = best_compress()) : compress_(compress) {}

  void update(const void* data, size_t len) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    total_ += len;
    if (buf_len_ > 0) {
      size_t take = std::min(len, sizeof buf_ - buf_len_);
      memcpy(buf_ + buf_len_, p, take);
      buf_len_ += take;
      p += take;
      len -= take;
      if (buf_len_ < sizeof buf_) return;
      compress_(h_, buf_, 1);
      buf_len_ = 0;
    }
    if (len >= 64) {
      compress_(h_, p, len / 64);
      p += len & ~size_t{63};
      len &= 63;
    }
    memcpy(buf_, p, len);
    buf_len_ = len;
  }
  void update_be64(uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    update(b, 8);
  }
  void update_be32(uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
    update(b, 4);
  }

  Digest finish() {
    uint64_t bits = total_ * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (buf_len_ < 56 ? 56 : 120) - buf_len_;
    update(pad, padlen);
    update_be64(bits);
    Digest out;
    for (int i = 0; i < 8; ++i) {
      out[4 * i] = static_cast<uint8_t>(h_[i] >> 24);
      out[4 * i + 1] = static_cast<uint8_t>(h_[i] >> 16);
      out[4 * i + 2] = static_cast<uint8_t>(h_[i] >> 8);
      out[4 * i + 3] = static_cast<uint8_t>(h_[i]);
    }
    return out;
  }

 private:
  CompressFn compress_;
  uint32_t h_[8] = {kInitialHash[0], kInitialHash[1], kInitialHash[2], kInitialHash[3],
                    kInitialHash[4], kInitialHash[5], kInitialHash[6], kInitialHash[7]};
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string to_hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

// ---- Helpers ----------------------------------------------------------------

std::string hex64(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

Error errno_error(const std::string& what, int err) {
  return generic_error(what + ": " + strerror(err));
}

uint64_t round_up(uint64_t v, uint64_t align) {
  return (v + align - 1) / align * align;
}

bool page_is_zero(const uint8_t* p) {
  // Cheap rejection of the common non-zero case, then the whole page.
  uint64_t w0, w1;
  memcpy(&w0, p, 8);
  memcpy(&w1, p + kGuestPageSize - 8, 8);
  if (w0 | w1) return false;
  for (size_t off = 0; off < kGuestPageSize; off += 64) {
    uint64_t acc = 0;
    for (size_t i = 0; i < 64; i += 8) {
      uint64_t w;
      memcpy(&w, p + off + i, 8);
      acc |= w;
    }
    if (acc) return false;
  }
  return true;
}

// Machine types 3.1 and older name file/memfd backed RAM blocks by the
// backend's canonical QOM path (hw_compat_3_1's
// x-use-canonical-path-for-ramblock-id).
bool machine_uses_canonical_ramblock_ids(const std::string& type) {
  size_t dash = type.rfind('-');
  if (dash == std::string::npos) return false;
  unsigned major = 0, minor = 0;
  char tail = 0;
  if (sscanf(type.c_str() + dash + 1, "%u.%u%c", &major, &minor, &tail) != 2) return false;
  return major < 3 || (major == 3 && minor <= 1);
}

std::string default_ram_id(const MachineConfig& m) {
  if (!m.default_ram_id.empty()) return m.default_ram_id;
  if (m.type.rfind("pc", 0) == 0 || m.type.rfind("q35", 0) == 0) return "pc.ram";
  if (m.type.rfind("microvm", 0) == 0) return "microvm.ram";
  return "ram";
}

bool is_memory_backend(const std::string& qom_type) {
  return qom_type == "memory-backend-ram" || qom_type == "memory-backend-file" ||
         qom_type == "memory-backend-memfd";
}

}  // namespace

std::string sha256_hex(const void* data, size_t length) {
  Sha256 s;
  s.update(data, length);
  Sha256::Digest d = s.finish();
  return to_hex(d.data(), d.size());
}

std::string sha256_hex_portable(const void* data, size_t length) {
  Sha256 s(compress_generic);
  s.update(data, length);
  Sha256::Digest d = s.finish();
  return to_hex(d.data(), d.size());
}

// ---- RamBlock ---------------------------------------------------------------

RamBlock::RamBlock(Key, const Spec& spec) : idstr_(spec.idstr), kind_(spec.kind) {}

RamBlock::~RamBlock() {
  if (host_) {
    if (discard_data_) madvise(host_, map_length_, MADV_REMOVE);
    munmap(host_, map_length_);
  }
}

Result<std::unique_ptr<RamBlock>> RamBlock::create(const Spec& spec) {
  auto b = std::make_unique<RamBlock>(Key(), spec);
  MIGEMU_TRY(b->map(spec));
  if (!spec.dump) madvise(b->host_, b->map_length_, MADV_DONTDUMP);
  if (spec.prealloc && !b->readonly_) MIGEMU_TRY(b->preallocate());
  b->dirty_ = std::make_unique<std::atomic<uint64_t>[]>(b->bitmap_words());
  return b;
}

Status RamBlock::map(const Spec& spec) {
  if (spec.size == 0) return generic_error("can't create backend with size 0");
  used_length_ = round_up(spec.size, kGuestPageSize);
  switch (spec.kind) {
    case Kind::kAnonymous:
    case Kind::kRam: {
      shared_ = spec.share;
      map_length_ = used_length_;
      int flags = (shared_ ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE;
      void* p = mmap(nullptr, map_length_, PROT_READ | PROT_WRITE, flags, -1, 0);
      if (p == MAP_FAILED) {
        return errno_error("cannot set up guest memory '" + idstr_ + "'", errno);
      }
      host_ = static_cast<uint8_t*>(p);
      // Keep the cost per touched page at 4 KiB (no transparent huge pages):
      // a sparse workload must stay cheap.
      if (!shared_) madvise(host_, map_length_, MADV_NOHUGEPAGE);
      return {};
    }
    case Kind::kFile:
      return map_file(spec);
    case Kind::kMemfd:
      return map_memfd(spec);
  }
  return generic_error("unknown memory backend kind");
}

Status RamBlock::map_file(const Spec& spec) {
  if (spec.mem_path.empty()) return generic_error("mem-path property not set");
  const std::string& path = spec.mem_path;
  bool created = false;
  for (;;) {
    int fd = open(path.c_str(), (spec.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd >= 0) {
      fd_.reset(fd);
      break;
    }
    if (errno == ENOENT) {
      fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        fd_.reset(fd);
        created = true;
        break;
      }
    } else if (errno == EISDIR) {
      std::string name = idstr_;
      std::replace(name.begin(), name.end(), '/', '_');
      std::string tmpl = path + "/qemu_back_mem." + name + ".XXXXXX";
      std::vector<char> buf(tmpl.begin(), tmpl.end());
      buf.push_back('\0');
      fd = mkostemp(buf.data(), O_CLOEXEC);
      if (fd >= 0) {
        unlink(buf.data());
        fd_.reset(fd);
        break;
      }
    }
    if (errno != EEXIST && errno != EINTR) {
      return errno_error("can't open backing store " + path + " for guest RAM", errno);
    }
  }
  Status st = map_fd(spec);
  if (!st.ok()) {
    fd_.reset();
    if (created) unlink(path.c_str());
  }
  return st;
}

Status RamBlock::map_memfd(const Spec& spec) {
  unsigned huge_shift = spec.hugetlbsize ? std::countr_zero(spec.hugetlbsize) : 0;
  if (huge_shift && (uint64_t{1} << huge_shift) != spec.hugetlbsize) {
    return generic_error("Hugepage size must be a power of 2");
  }
  unsigned flags = MFD_CLOEXEC;
  if (spec.seal) flags |= MFD_ALLOW_SEALING;
  if (spec.hugetlb) flags |= MFD_HUGETLB | (huge_shift << MFD_HUGE_SHIFT);
  int fd = memfd_create("memory-backend-memfd", flags);
  if (fd < 0) {
    char what[64];
    snprintf(what, sizeof what, "failed to create memfd with flags 0x%x", flags);
    return errno_error(what, errno);
  }
  fd_.reset(fd);
  if (ftruncate(fd, static_cast<off_t>(spec.size)) < 0) {
    int err = errno;
    fd_.reset();
    return errno_error("failed to resize memfd to " + std::to_string(spec.size), err);
  }
  if (spec.seal && fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
    int err = errno;
    fd_.reset();
    char what[64];
    snprintf(what, sizeof what, "failed to add seals 0x%x",
             F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    return errno_error(what, err);
  }
  Status st = map_fd(spec);
  if (!st.ok()) fd_.reset();
  return st;
}

// QEMU's qemu_ram_alloc_from_fd + file_ram_alloc.
Status RamBlock::map_fd(const Spec& spec) {
  int fd = fd_.get();
  struct statfs fs;
  if (fstatfs(fd, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC) {
    page_size_ = static_cast<uint64_t>(fs.f_bsize);
  }
  struct stat stbuf;
  int64_t file_size;
  if (fstat(fd, &stbuf) < 0) {
    file_size = -errno;
  } else if (S_ISREG(stbuf.st_mode)) {
    file_size = stbuf.st_size;
  } else {
    off_t end = lseek(fd, 0, SEEK_END);
    file_size = end < 0 ? -errno : end;
  }
  if (file_size > 0 && static_cast<uint64_t>(file_size) < used_length_) {
    return generic_error("backing store size " + hex64(static_cast<uint64_t>(file_size)) +
                         " does not match 'size' option " + hex64(used_length_));
  }
  if (spec.align % page_size_) {
    char buf[128];
    snprintf(buf, sizeof buf, "alignment 0x%" PRIx64 " must be multiples of page size 0x%zx",
             spec.align, static_cast<size_t>(page_size_));
    return generic_error(buf);
  }
  if (spec.align && !std::has_single_bit(spec.align)) {
    return generic_error("alignment " + hex64(spec.align) + " must be a power of two");
  }
  map_length_ = round_up(used_length_, page_size_);
  if (file_size == 0 && ftruncate(fd, static_cast<off_t>(map_length_)) < 0) {
    perror("ftruncate");  // as QEMU: not fatal, mmap decides
  }
  shared_ = spec.share;
  readonly_ = spec.readonly;
  discard_data_ = spec.discard_data;
  int prot = PROT_READ | (readonly_ ? 0 : PROT_WRITE);
  int flags = shared_ ? MAP_SHARED : MAP_PRIVATE | MAP_NORESERVE;
  void* p = mmap(nullptr, map_length_, prot, flags, fd, 0);
  if (p == MAP_FAILED) return errno_error("unable to map backing store for guest RAM", errno);
  host_ = static_cast<uint8_t*>(p);
  return {};
}

Status RamBlock::preallocate() {
  if (madvise(host_, map_length_, MADV_POPULATE_WRITE) == 0) return {};
  int err = errno;
  if (err != EINVAL) {
    return errno_error("qemu_prealloc_mem: preallocating memory failed", err);
  }
  // Kernel without MADV_POPULATE_WRITE: touch every page, keeping its contents.
  for (uint64_t off = 0; off < map_length_; off += page_size_) {
    volatile uint8_t* p = host_ + off;
    *p = *p;
  }
  return {};
}

void RamBlock::set_dirty_range(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  uint64_t first = offset >> kGuestPageBits;
  uint64_t last = (offset + length - 1) >> kGuestPageBits;  // inclusive
  while (first <= last) {
    uint64_t word = first >> 6;
    unsigned lo = first & 63;
    unsigned hi = (last >> 6) == word ? (last & 63) : 63;
    uint64_t mask =
        (hi == 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi + 1)) - 1)) & ~((uint64_t{1} << lo) - 1);
    dirty_[word].fetch_or(mask, std::memory_order_release);
    first = (word + 1) << 6;
  }
}

void RamBlock::write(uint64_t offset, const void* src, size_t length) {
  memcpy(host_ + offset, src, length);
  set_dirty_range(offset, length);
}

uint64_t RamBlock::sync_dirty(std::vector<uint64_t>& into) {
  const size_t n = bitmap_words();
  if (into.size() < n) into.resize(n, 0);
  uint64_t newly = 0;
  for (size_t i = 0; i < n; ++i) {
    if (dirty_[i].load(std::memory_order_relaxed) == 0) continue;
    uint64_t bits = dirty_[i].exchange(0, std::memory_order_acquire);
    newly += static_cast<uint64_t>(std::popcount(bits & ~into[i]));
    into[i] |= bits;
  }
  return newly;
}

uint64_t RamBlock::dirty_count() const {
  uint64_t n = 0;
  for (size_t i = 0; i < bitmap_words(); ++i) {
    n += static_cast<uint64_t>(std::popcount(dirty_[i].load(std::memory_order_relaxed)));
  }
  return n;
}

// ---- GuestMemory ------------------------------------------------------------

GuestMemory::~GuestMemory() {
  reset();
}

void GuestMemory::reset() {
  blocks_.clear();
  all_.clear();
  total_bytes_ = 0;
  initialized_ = false;
}

Status GuestMemory::init_anonymous(uint64_t size, std::string idstr) {
  reset();
  RamBlock::Spec spec;
  spec.idstr = std::move(idstr);
  spec.size = size;
  auto b = RamBlock::create(spec);
  if (!b.ok()) return b.take_error();
  (*b)->migratable_ = true;
  blocks_.push_back(b->get());
  all_.push_back(std::move(*b));
  total_bytes_ = blocks_[0]->used_length();
  initialized_ = true;
  return {};
}

Status GuestMemory::init(const Config& cfg) {
  reset();
  const bool canonical_ids = machine_uses_canonical_ramblock_ids(cfg.machine.type);
  const ObjectConfig* machine_backend = nullptr;
  RamBlock* machine_block = nullptr;
  auto fail = [this](Error e) -> Status {
    reset();
    return e;
  };

  // The backends, in command line order (QEMU creates them as "late"
  // objects, each one allocated as it completes).
  for (const ObjectConfig& o : cfg.objects) {
    if (!is_memory_backend(o.qom_type)) continue;
    RamBlock::Spec spec;
    spec.idstr = o.id;
    spec.size = o.size;
    spec.share = o.share;
    spec.prealloc = o.prealloc;
    spec.dump = o.dump;
    if (o.qom_type == "memory-backend-ram") {
      spec.kind = RamBlock::Kind::kRam;
    } else if (o.qom_type == "memory-backend-file") {
      spec.kind = RamBlock::Kind::kFile;
      spec.mem_path = o.mem_path.value_or("");
      spec.align = o.align;
      spec.readonly = o.readonly;
      spec.discard_data = o.discard_data;
      if (canonical_ids) spec.idstr = "/objects/" + o.id;
    } else {
      spec.kind = RamBlock::Kind::kMemfd;
      spec.hugetlb = o.hugetlb;
      spec.hugetlbsize = o.hugetlbsize;
      spec.seal = o.seal;
      // memory-backend-memfd defaults to share=on.
      if (!o.props.count("share")) spec.share = true;
      if (canonical_ids) spec.idstr = "/objects/" + o.id;
    }
    auto b = RamBlock::create(spec);
    if (!b.ok()) return fail(b.take_error());
    if (cfg.machine.memory_backend && o.id == *cfg.machine.memory_backend) {
      machine_backend = &o;
      machine_block = b->get();
    }
    all_.push_back(std::move(*b));
  }

  // The machine's RAM.
  if (cfg.machine.memory_backend) {
    if (!machine_block) {
      return fail(generic_error("Memory backend '" + *cfg.machine.memory_backend + "' not found"));
    }
    if (cfg.ram_size_set && cfg.ram_size != machine_backend->size) {
      return fail(
          generic_error("Machine memory size does not match the size of the memory backend"));
    }
    machine_block->migratable_ = true;
  } else {
    // -M none defaults to no RAM; the other machines to 128 MiB (cfg.ram_size).
    uint64_t size = cfg.ram_size;
    if (!cfg.ram_size_set && cfg.machine.type == "none") size = 0;
    if (size > 0) {
      RamBlock::Spec spec;
      spec.kind = RamBlock::Kind::kAnonymous;
      spec.idstr = default_ram_id(cfg.machine);
      spec.size = size;
      auto b = RamBlock::create(spec);
      if (!b.ok()) return fail(b.take_error());
      (*b)->migratable_ = true;
      all_.push_back(std::move(*b));
    }
  }

  for (const auto& b : all_) {
    if (b->migratable_) blocks_.push_back(b.get());
  }
  // QEMU keeps its RAM list sorted from the largest block down.
  std::stable_sort(blocks_.begin(), blocks_.end(), [](const RamBlock* a, const RamBlock* b) {
    return a->used_length() > b->used_length();
  });
  for (const RamBlock* b : blocks_) total_bytes_ += b->used_length();
  initialized_ = true;
  return {};
}

RamBlock* GuestMemory::find(std::string_view idstr) const {
  for (RamBlock* b : blocks_) {
    if (b->idstr() == idstr) return b;
  }
  return nullptr;
}

namespace {

struct ChunkTask {
  const RamBlock* block;
  uint64_t first;  // page index within the block
  uint64_t count;
};

// Private anonymous memory: pages that were never populated (neither
// present nor swapped, says /proc/self/pagemap) are zero; finding them
// there avoids faulting in the zero page for every untouched page.
template <typename Fn>
void for_each_run_anonymous(const RamBlock& b, int pagemap, uint64_t first, uint64_t count,
                            Fn&& fn) {
  constexpr uint64_t kPresent = uint64_t{1} << 63, kSwapped = uint64_t{1} << 62;
  const uint64_t base = reinterpret_cast<uintptr_t>(b.host()) >> kGuestPageBits;
  std::vector<uint64_t> entries(std::min<uint64_t>(count, 4096));
  uint64_t run_start = first;
  bool run_hole = false;
  for (uint64_t pos = first; pos < first + count;) {
    const uint64_t n = std::min<uint64_t>(entries.size(), first + count - pos);
    const ssize_t want = static_cast<ssize_t>(n * sizeof(uint64_t));
    if (pread(pagemap, entries.data(), static_cast<size_t>(want),
              static_cast<off_t>((base + pos) * sizeof(uint64_t))) != want) {
      // Cannot tell: treat the rest as possible data.
      if (pos > run_start) fn(run_start, pos - run_start, run_hole);
      fn(pos, first + count - pos, false);
      return;
    }
    for (uint64_t i = 0; i < n; ++i) {
      const bool hole = (entries[i] & (kPresent | kSwapped)) == 0;
      if (hole != run_hole && pos + i > run_start) {
        fn(run_start, pos + i - run_start, run_hole);
        run_start = pos + i;
      }
      run_hole = hole;
    }
    pos += n;
  }
  fn(run_start, first + count - run_start, run_hole);
}

// Calls fn(first, count, in_hole) over [first, first+count) pages, split into
// runs known to be zero (holes) and runs that may hold data.
template <typename Fn>
void for_each_run(const RamBlock& b, int pagemap, uint64_t first, uint64_t count, Fn&& fn) {
  const uint64_t end = first + count;
  if (!b.file_backed() && !b.shared() && pagemap >= 0) {
    for_each_run_anonymous(b, pagemap, first, count, fn);
    return;
  }
  // A MAP_SHARED file or memfd is the memory: its holes are zero pages.
  if (!b.file_backed() || !b.shared()) {
    fn(first, count, false);
    return;
  }
  uint64_t pos = first;
  while (pos < end) {
    off_t data = lseek(b.fd(), static_cast<off_t>(pos << kGuestPageBits), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {
        fn(pos, end - pos, true);  // only a hole up to the end of the file
      } else {
        fn(pos, end - pos, false);
      }
      return;
    }
    uint64_t data_page = std::min<uint64_t>(static_cast<uint64_t>(data) >> kGuestPageBits, end);
    if (data_page > pos) fn(pos, data_page - pos, true);
    if (data_page >= end) return;
    off_t hole = lseek(b.fd(), data, SEEK_HOLE);
    uint64_t hole_page =
        hole < 0
            ? end
            : std::min<uint64_t>(
                  round_up(static_cast<uint64_t>(hole), kGuestPageSize) >> kGuestPageBits, end);
    if (hole_page <= data_page) hole_page = data_page + 1;
    fn(data_page, hole_page - data_page, false);
    pos = hole_page;
  }
}

}  // namespace

std::vector<uint64_t> RamBlock::known_zero_bitmap() const {
  std::vector<uint64_t> bits((pages() + 63) / 64, 0);
  Fd pagemap(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  for_each_run(*this, pagemap.get(), 0, pages(), [&](uint64_t first, uint64_t n, bool hole) {
    if (!hole) return;
    for (uint64_t p = first; p < first + n; p++) bits[p >> 6] |= uint64_t{1} << (p & 63);
  });
  return bits;
}

namespace {

Sha256::Digest hash_chunk(const ChunkTask& t, int pagemap) {
  Sha256 s;
  uint64_t zero = 0;
  for_each_run(*t.block, pagemap, t.first, t.count, [&](uint64_t first, uint64_t n, bool hole) {
    if (hole) {
      zero += n;
      return;
    }
    for (uint64_t p = first; p < first + n; ++p) {
      const uint8_t* page = t.block->page_ptr(p);
      if (page_is_zero(page)) {
        ++zero;
        continue;
      }
      s.update_be64(p);
      s.update(page, kGuestPageSize);
    }
  });
  s.update_be64(zero);
  return s.finish();
}

}  // namespace

std::string GuestMemory::digest(unsigned threads) const {
  std::vector<ChunkTask> tasks;
  for (const RamBlock* b : blocks_) {
    for (uint64_t p = 0; p < b->pages(); p += kDigestChunkPages) {
      tasks.push_back({b, p, std::min(kDigestChunkPages, b->pages() - p)});
    }
  }
  std::vector<Sha256::Digest> results(tasks.size());
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  threads = static_cast<unsigned>(std::min<size_t>(threads, tasks.size()));
  Fd pagemap(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < tasks.size();) {
      results[i] = hash_chunk(tasks[i], pagemap.get());
    }
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
  }  // joined

  Sha256 s;
  static const char kTag[] = "migemu-ram-digest-v1";
  s.update(kTag, sizeof kTag - 1);
  size_t r = 0;
  for (const RamBlock* b : blocks_) {
    s.update_be32(static_cast<uint32_t>(b->idstr().size()));
    s.update(b->idstr().data(), b->idstr().size());
    s.update_be64(b->used_length());
    for (uint64_t p = 0; p < b->pages(); p += kDigestChunkPages) {
      s.update(results[r].data(), results[r].size());
      ++r;
    }
  }
  Sha256::Digest d = s.finish();
  return to_hex(d.data(), d.size());
}

GuestMemory& guest_memory() {
  static GuestMemory mem;
  return mem;
}

std::string guest_digest() {
  return guest_memory().digest();
}

}  // namespace migemu
