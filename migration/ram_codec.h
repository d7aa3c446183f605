// The RAM section ("ram", instance 0, version 4) of QEMU 7.2's stream:
// setup record (MEM_SIZE + block list), page records (ZERO, PAGE, XBZRLE,
// COMPRESS_PAGE, with CONTINUE) and EOS, for both directions.
//
// Guest memory is seen through RamBlockView (the guest-memory module owns
// the mappings); which pages to send is the caller's business (the migration
// thread owns the dirty bitmaps). Record layout: reference 5.7.
//
// Sender sequence (what a 7.2 source does):
//   RamSender ram;                                // section id 2 as in 7.2 -M none
//   ram.write_setup_section(f, blocks);           // START + setup + EOS + footer, flushed
//   while (!converged) {                          // one iteration:
//     ram.begin_part(f);                          //   PART header
//     for (page in dirty pages, rate-limited) ram.write_page(f, blocks[b], offset);
//     ram.end_part(f);                            //   EOS (+8 bytes counted), footer, flush
//   }
//   ram.set_phase(RamSender::Phase::kDowntime);   // guest stopped
//   ram.begin_end(f); ...pages...; ram.end_end(f); // END section (EOS not counted, as 7.2)
//   then savevm.h: save_device_sections_and_eof(...)
// Multifd: call write_zero_page_if_zero() first (zero pages stay on the main
// channel in 7.2); if it returns false queue the page on a channel and call
// count_multifd_page(). Before each EOS the caller does its multifd sync.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "migration/qemu_file.h"
#include "migration/vmstate_devices.h"

namespace migemu::migration {

inline constexpr uint64_t kTargetPageSize = 4096;
inline constexpr uint64_t kTargetPageMask = ~(kTargetPageSize - 1);

// RAM_SAVE_FLAG_* (low bits of each record's be64 word).
namespace ram_flag {
inline constexpr uint64_t kFull = 0x01;  // obsolete
inline constexpr uint64_t kZero = 0x02;
inline constexpr uint64_t kMemSize = 0x04;
inline constexpr uint64_t kPage = 0x08;
inline constexpr uint64_t kEos = 0x10;
inline constexpr uint64_t kContinue = 0x20;
inline constexpr uint64_t kXbzrle = 0x40;
inline constexpr uint64_t kHook = 0x80;
inline constexpr uint64_t kCompressPage = 0x100;
inline constexpr uint64_t kMultifdFlush = 0x200;  // 8.x+ only; 7.2 rejects it
}  // namespace ram_flag

// One guest RAM block as the codec sees it.
struct RamBlockView {
  std::string idstr;          // "ram" for -m, the backend id for memory-backend=
  uint8_t* host = nullptr;    // used_length bytes, writable on the destination
  uint64_t used_length = 0;   // multiple of kTargetPageSize
  uint64_t page_size = 4096;  // backing page size (postcopy setup entries)
  uint64_t gpa = 0;           // guest-physical base (x-ignore-shared setup entries)
  bool ignored = false;       // x-ignore-shared on and the block is shared
  // Destination only, optional: pages known to be zero already (bit set), so
  // a ZERO record for them needs no memory access at all; the loader clears
  // a page's bit when it writes the page.
  std::vector<uint64_t>* known_zero = nullptr;
  // Destination only, optional: the shared file or memfd behind `host`
  // (mapped from offset 0). Full pages are then written with pwrite, which
  // fills the page cache without a page fault per page.
  int fd = -1;
};

// Statistics for query-migrate's "ram" object. Atomic: the migration thread
// writes, the main thread reads.
struct RamCounters {
  uint64_t transferred = 0;     // ram.transferred
  uint64_t duplicate = 0;       // zero pages
  uint64_t normal = 0;          // full pages (main channel + multifd)
  uint64_t precopy_bytes = 0;   // transferred while the guest ran
  uint64_t downtime_bytes = 0;  // transferred while it was stopped
  uint64_t multifd_bytes = 0;   // multifd packets (headers + uncompressed pages)
  uint64_t normal_bytes() const { return normal * kTargetPageSize; }
};

class RamSender {
 public:
  enum class PageKind { kZero, kNormal };
  // QEMU attributes each counted byte to precopy (running) or downtime.
  enum class Phase { kPrecopy, kDowntime };
  struct Options {
    uint32_t section_id = 2;       // 7.2 -M none -nodefaults: ram is handler #2
    bool postcopy_ram = false;     // adds page sizes to setup entries (if != host page)
    bool x_ignore_shared = false;  // adds GPAs to setup entries
    uint64_t host_page_size = 4096;
    bool send_section_footer = true;
  };
  RamSender() : RamSender(Options{}) {}
  explicit RamSender(Options o) : opt_(o) {}

  // START section (header, setup body, EOS, footer) and flush.
  void write_setup_section(QemuFile& f, std::span<const RamBlockView> blocks);
  // The setup body alone: be64(total | MEM_SIZE), per block counted idstr +
  // be64 used_length [+ page size][+ GPA], be64 EOS. Not counted (as 7.2).
  void write_setup(QemuFile& f, std::span<const RamBlockView> blocks);
  // The START section in two steps, for multifd's sync before the EOS:
  // header + setup records, then EOS + footer + flush.
  void begin_setup(QemuFile& f, std::span<const RamBlockView> blocks);
  void end_setup(QemuFile& f);

  void begin_part(QemuFile& f);  // SECTION_PART header
  void end_part(QemuFile& f);    // EOS (counted: 8 bytes), footer, flush
  void begin_end(QemuFile& f);   // SECTION_END header
  void end_end(QemuFile& f);     // EOS (not counted), footer, flush

  // One page: a ZERO record (fill 0) if the page is all zeros, else PAGE +
  // 4096 bytes. Names the block unless it is the one last sent (CONTINUE).
  // offset must be page aligned and inside the block (asserted).
  PageKind write_page(QemuFile& f, const RamBlockView& block, uint64_t offset);
  // Writes a ZERO record and returns true if the page is zero.
  bool write_zero_page_if_zero(QemuFile& f, const RamBlockView& block, uint64_t offset);
  // A ZERO record for a page known to be zero without looking at it (never
  // written: reading it would allocate it).
  void write_zero_page(QemuFile& f, const RamBlockView& block, uint64_t offset);
  // Always a PAGE record.
  void write_normal_page(QemuFile& f, const RamBlockView& block, uint64_t offset);
  // A page sent over multifd: counted as normal, bytes are not RAM transfer.
  void count_multifd_page() { normal_.fetch_add(1, std::memory_order_relaxed); }
  // Multifd packet bytes as 7.2 counts them (transferred and multifd-bytes).
  void count_multifd_bytes(uint64_t bytes);
  // Bare EOS record; `counted` adds 8 to the counters (7.2 does for PART only).
  void write_eos(QemuFile& f, bool counted);
  // Forget the last block (next page names its block), as ram_state_reset.
  void reset_last_block() { last_block_.clear(); }

  void set_phase(Phase p) { phase_.store(p, std::memory_order_relaxed); }
  RamCounters counters() const;

 private:
  void write_setup_records(QemuFile& f, std::span<const RamBlockView> blocks);
  void page_header(QemuFile& f, const RamBlockView& block, uint64_t word);
  void account(uint64_t bytes);
  void section_header(QemuFile& f, uint8_t type);
  void footer(QemuFile& f);

  Options opt_;
  std::string last_block_;
  std::atomic<Phase> phase_{Phase::kPrecopy};
  std::atomic<uint64_t> transferred_{0}, duplicate_{0}, normal_{0}, precopy_bytes_{0},
      downtime_bytes_{0}, multifd_bytes_{0};
};

// Loads RAM section bodies into the destination's blocks (7.2's
// ram_load_precopy). Every offset is checked against the block before
// anything is written; nothing is allocated from stream lengths.
class RamLoader {
 public:
  struct Options {
    bool compress = false;          // capability "compress" (else COMPRESS_PAGE is rejected)
    bool x_ignore_shared = false;   // setup entries carry GPAs
    bool postcopy_ram = false;      // capability postcopy-ram ...
    bool postcopy_advised = false;  // ... and POSTCOPY_ADVISE seen: page sizes in setup
    uint64_t host_page_size = 4096;
    // Called on every EOS (7.2: multifd_recv_sync_main). Returns 0 or -errno.
    std::function<int()> eos_sync;
  };
  explicit RamLoader(std::vector<RamBlockView> blocks) : RamLoader(std::move(blocks), Options{}) {}
  RamLoader(std::vector<RamBlockView> blocks, Options o)
      : blocks_(std::move(blocks)), opt_(std::move(o)) {}

  Options& options() { return opt_; }
  // One section body (records until EOS). Returns 0 or -errno with the
  // lines 7.2 prints in `log`. version_id other than 4 fails silently (7.2).
  int load(QemuFile& f, int version_id, LoadLog& log);

  uint64_t zero_pages() const { return zero_pages_; }
  uint64_t normal_pages() const { return normal_pages_; }
  uint64_t xbzrle_pages() const { return xbzrle_pages_; }

 private:
  // Pages for a file-backed block, written together (one pwrite per run).
  static constexpr size_t kWriteCombineMax = 256 * 1024;
  void flush_pending_pages();
  std::vector<uint8_t> wc_buf_;
  RamBlockView* wc_block_ = nullptr;
  uint64_t wc_addr_ = 0;

  RamBlockView* find(std::string_view id);
  int load_xbzrle(QemuFile& f, uint8_t* host, LoadLog& log);
  int load_compressed(QemuFile& f, uint8_t* host, LoadLog& log);

  std::vector<RamBlockView> blocks_;
  Options opt_;
  RamBlockView* last_block_ = nullptr;  // survives EOS and sections, like 7.2
  uint64_t zero_pages_ = 0, normal_pages_ = 0, xbzrle_pages_ = 0;
};

// Decodes one XBZRLE page delta (7.2's xbzrle_decode_buffer) into dst of
// dlen bytes. Returns the decoded length or -1.
int xbzrle_decode(const uint8_t* src, int slen, uint8_t* dst, int dlen);

// True if all len bytes are zero.
bool buffer_is_zero(const uint8_t* p, size_t len);

}  // namespace migemu::migration
