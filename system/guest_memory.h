// The emulated guest's memory: RAM blocks (QEMU's RAMBlocks) with a dirty
// log, and a digest over their contents.
//
// Where the blocks come from (QEMU 7.2 semantics):
//  * `-m SIZE` without `-machine memory-backend=`: one anonymous block named
//    after the machine's default RAM id ("ram" for `none`, "pc.ram" for
//    pc/q35). `-M none` without `-m` has no RAM at all (its default size
//    is 0).
//  * `-object memory-backend-{ram,file,memfd},id=ID,...` +
//    `-machine memory-backend=ID`: that backend is the guest RAM, its block
//    is named ID ("/objects/ID" for file/memfd backends on machine types
//    3.1 and older, as QEMU's compat property does).
//  * A memory backend that the machine does not use is still allocated (so
//    its errors and files behave as in QEMU) but is not guest RAM: it is not
//    in blocks(), not migrated, not in the digest.
//
// Mappings: anonymous RAM is MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE (a
// sparse guest costs nothing until touched); share=on maps MAP_SHARED (a
// file backend is then visible through its file); memfd defaults to
// share=on.
//
// Dirty log: one bit per 4 KiB page, always on. Whoever writes guest RAM
// (the workload threads) writes the page first and then sets its bit; the
// migration thread collects and clears bits with sync_dirty().
//
// Threads: GuestMemory::init()/reset() run on the main thread before any
// other thread uses the memory (and after they are gone); in between the
// block list is immutable and may be read from any thread. Page contents
// and the dirty log may be used from any thread concurrently (see RamBlock).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qapi/error.h"
#include "system/config.h"
#include "util/glib_ptr.h"

namespace migemu {

inline constexpr uint64_t kGuestPageSize = 4096;
inline constexpr unsigned kGuestPageBits = 12;

class RamBlock {
 public:
  enum class Kind {
    kAnonymous,  // -m (QEMU's implicit memory-backend-ram)
    kRam,        // -object memory-backend-ram
    kFile,       // -object memory-backend-file
    kMemfd,      // -object memory-backend-memfd
  };

  // How to create a block; GuestMemory fills this from the Config.
  struct Spec {
    Kind kind = Kind::kAnonymous;
    std::string idstr;
    uint64_t size = 0;  // bytes; rounded up to whole pages
    bool share = false;
    bool prealloc = false;
    bool dump = true;
    // memory-backend-file
    std::string mem_path;
    uint64_t align = 0;
    bool readonly = false;
    bool discard_data = false;
    // memory-backend-memfd
    bool hugetlb = false;
    uint64_t hugetlbsize = 0;
    bool seal = true;
  };

  // Maps the memory as QEMU 7.2 would for this backend. Errors carry QEMU's
  // texts ("can't open backing store PATH for guest RAM: REASON", ...).
  static Result<std::unique_ptr<RamBlock>> create(const Spec& spec);

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  RamBlock(Key, const Spec& spec);  // use create()

  RamBlock(const RamBlock&) = delete;
  RamBlock& operator=(const RamBlock&) = delete;
  ~RamBlock();  // unmaps; discard-data=on drops the file's pages first

  // ---- Identity: immutable, any thread. ----
  const std::string& idstr() const { return idstr_; }  // name on the wire
  Kind kind() const { return kind_; }
  uint8_t* host() const { return host_; }
  uint64_t used_length() const { return used_length_; }  // multiple of 4096
  uint64_t pages() const { return used_length_ >> kGuestPageBits; }
  // The backing page size (4096, or the huge page size of a hugetlb memfd).
  uint64_t page_size() const { return page_size_; }
  uint64_t gpa() const { return 0; }                // guest-physical base (main RAM sits at 0)
  bool shared() const { return shared_; }           // MAP_SHARED (QEMU's RAM_SHARED)
  bool file_backed() const { return fd_.valid(); }  // file or memfd
  int fd() const { return fd_.get(); }              // -1 if anonymous
  bool readonly() const { return readonly_; }
  // Whether this block is guest RAM (sent by migration); false for a
  // backend the machine does not use.
  bool migratable() const { return migratable_; }

  uint8_t* page_ptr(uint64_t page) const { return host_ + (page << kGuestPageBits); }

  // ---- Dirty log: any thread, lock-free. ----
  // Writers: write the page first, then call set_dirty (release ordering, so
  // a sync that sees the bit also sees the data).
  void set_dirty(uint64_t page) {
    dirty_[page >> 6].fetch_or(uint64_t{1} << (page & 63), std::memory_order_release);
  }
  // Marks every page that [offset, offset+length) touches.
  void set_dirty_range(uint64_t offset, uint64_t length);
  // memcpy into guest RAM, then mark the pages dirty.
  void write(uint64_t offset, const void* src, size_t length);
  bool test_dirty(uint64_t page) const {
    return (dirty_[page >> 6].load(std::memory_order_relaxed) >> (page & 63)) & 1;
  }
  // Words of the dirty bitmap: bit (p & 63) of word (p >> 6) is page p.
  size_t bitmap_words() const { return (pages() + 63) / 64; }
  // Atomically takes every set bit out of the log (each word exchanged with
  // 0; zero words are skipped without a write) and ORs it into `into`
  // (resized to bitmap_words() if shorter). Returns how many bits were newly
  // set in `into` (set in the log, clear in `into` before), i.e. what QEMU's
  // migration_bitmap_sync adds to its dirty page count. A page written
  // after its bit was taken shows up in a later sync: nothing is lost.
  uint64_t sync_dirty(std::vector<uint64_t>& into);
  // One bit per page, set where the page is known to read as zero without
  // looking at it (never populated anonymous memory, a hole in the file).
  // Call while nothing writes the block (an incoming migration's start).
  std::vector<uint64_t> known_zero_bitmap() const;
  // Bits currently set in the log (a racy snapshot; the log is unchanged).
  uint64_t dirty_count() const;

 private:
  Status map(const Spec& spec);
  Status map_file(const Spec& spec);
  Status map_memfd(const Spec& spec);
  Status map_fd(const Spec& spec);
  Status preallocate();

  std::string idstr_;
  Kind kind_;
  uint8_t* host_ = nullptr;
  uint64_t used_length_ = 0;
  uint64_t map_length_ = 0;
  uint64_t page_size_ = kGuestPageSize;
  bool shared_ = false;
  bool readonly_ = false;
  bool discard_data_ = false;
  bool migratable_ = false;
  Fd fd_;
  std::unique_ptr<std::atomic<uint64_t>[]> dirty_;

  friend class GuestMemory;
};

// Every RAM block of the process.
class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;
  ~GuestMemory();

  // Main thread, once (call reset() first to re-init). Creates the memory
  // backends of cfg.objects in order, then the machine's RAM, with QEMU
  // 7.2's checks and texts: "Memory backend 'ID' not found", "Machine
  // memory size does not match the size of the memory backend", the
  // backends' own allocation errors. Texts have no location prefix (QEMU
  // prints these as "PROG: TEXT"). On error nothing stays allocated.
  // In QEMU the backends are created after chardevs and monitors; call this
  // after daemonizing and before starting any workload.
  Status init(const Config& cfg);
  // Test/tool helper: one anonymous block of `size` bytes named `idstr`.
  Status init_anonymous(uint64_t size, std::string idstr = "ram");
  // Unmaps everything. No other thread may be using the memory.
  void reset();

  bool initialized() const { return initialized_; }
  // Guest RAM blocks in QEMU's RAM list order (largest first; equal sizes
  // in creation order). Stable from init() to reset(); any thread.
  const std::vector<RamBlock*>& blocks() const { return blocks_; }
  RamBlock* find(std::string_view idstr) const;
  // Sum of used_length over blocks() (the MEM_SIZE total of the stream).
  uint64_t total_bytes() const { return total_bytes_; }

  // Digest of guest RAM (lower-case hex SHA-256, see kDigestAlgorithm).
  // Reads every page of blocks(); pages being written concurrently give an
  // arbitrary (but harmless) result, so pause the workload first. Uses up to
  // `threads` worker threads (0: one per CPU, at most 8); the value does not
  // depend on the thread count. Any thread.
  std::string digest(unsigned threads = 0) const;

 private:
  std::vector<std::unique_ptr<RamBlock>> all_;  // every backend, creation order
  std::vector<RamBlock*> blocks_;               // guest RAM only
  uint64_t total_bytes_ = 0;
  bool initialized_ = false;
};

// The digest (GuestMemory::digest), defined so that it can be recomputed
// from a dump of guest RAM (e.g. with Python's hashlib):
//   per block, per chunk of kDigestChunkPages pages (the last may be short):
//     C = SHA-256( for every page of the chunk that is not all zero, in
//                  order: be64(page index within the block) || 4096 bytes;
//                  then be64(number of all-zero pages in the chunk) )
//   digest = SHA-256( "migemu-ram-digest-v1" ||
//                     for each block in blocks() order:
//                       be32(strlen idstr) || idstr || be64(used_length) ||
//                       C_0 || C_1 || ... )
// It depends only on the blocks' names, lengths and contents.
inline constexpr const char* kDigestAlgorithm = "migemu-ram-sha256-v1";
inline constexpr uint64_t kDigestChunkPages = 16384;  // 64 MiB

// SHA-256 of a buffer as lower-case hex (SHA-NI when the CPU has it).
std::string sha256_hex(const void* data, size_t length);
// The same without CPU extensions (for tests).
std::string sha256_hex_portable(const void* data, size_t length);

// The process-wide guest memory (main() initialises it).
GuestMemory& guest_memory();
// For the x-query-guest-digest handler: guest_memory().digest().
std::string guest_digest();

}  // namespace migemu
