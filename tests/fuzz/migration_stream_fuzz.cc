// Fuzz target: the destination's migration stream loader.
//
// Byte 0 holds the destination's settings (bit 0 compress, bit 1
// postcopy-ram, bit 2 x-ignore-shared, bit 3 no section footers, bit 4 no
// configuration section, bit 5 a local -uuid, bit 6 a return path that
// cannot be opened); the rest is the stream exactly as it would arrive on the
// socket. The guest has two small RAM blocks ("ram", 64 KiB, as with
// `-m 64K`, and "mem", 16 KiB).
//
// The stream is loaded twice: into plain memory, and into a memfd-backed
// guest with a known-zero page map (the path of a shared memory-backend,
// where pages are written with pwrite and zero pages are skipped). Both
// loads must agree on the outcome and, when they succeed, on guest RAM.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "migration/qemu_file.h"
#include "migration/savevm.h"

namespace {

using namespace migemu::migration;

constexpr size_t kRamSize = 64 * 1024;
constexpr size_t kMemSize = 16 * 1024;

// Guest RAM in a memfd, mapped shared (what memory-backend-memfd gives).
class MemfdRam {
 public:
  explicit MemfdRam(size_t size) : size_(size) {
    fd_ = memfd_create("migemu-fuzz", 0);
    if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(size)) != 0) std::abort();
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) std::abort();
    host_ = static_cast<uint8_t*>(p);
  }
  ~MemfdRam() {
    munmap(host_, size_);
    close(fd_);
  }
  MemfdRam(const MemfdRam&) = delete;
  MemfdRam& operator=(const MemfdRam&) = delete;

  uint8_t* host() const { return host_; }
  int fd() const { return fd_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  int fd_ = -1;
  uint8_t* host_ = nullptr;
};

struct Outcome {
  bool ok = false;
  std::string text;  // the error lines, or the messages of a success
};

Outcome load(const std::vector<uint8_t>& stream, uint8_t settings, uint8_t* ram, uint8_t* mem,
             int ram_fd, std::vector<std::vector<uint64_t>>* known_zero) {
  LoadTarget t;
  TimerState timer;
  GlobalState gs;
  t.timer = &timer;
  t.global_state = &gs;
  t.compress = settings & 1;
  t.postcopy_ram = settings & 2;
  t.x_ignore_shared = settings & 4;
  t.send_section_footer = !(settings & 8);
  t.send_configuration = !(settings & 16);
  if (settings & 32) t.local_uuid = Uuid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  bool rp_works = !(settings & 64);
  t.open_return_path = [rp_works] { return rp_works; };
  t.send_pong = [](uint32_t) {};
  t.ram_blocks = {RamBlockView{"ram", ram, kRamSize}, RamBlockView{"mem", mem, kMemSize}};
  // With x-ignore-shared, "mem" is a shared block that must not be sent.
  t.ram_blocks[1].ignored = t.x_ignore_shared;
  t.ram_blocks[1].gpa = 0x100000;
  if (known_zero) {
    t.ram_blocks[0].fd = ram_fd;
    t.ram_blocks[0].known_zero = &(*known_zero)[0];
    t.ram_blocks[1].known_zero = &(*known_zero)[1];
  }
  QemuFile f(make_memory_reader(stream), QemuFile::Mode::kRead);
  migemu::Result<LoadOutcome> r = load_stream(f, t);
  Outcome o;
  o.ok = r.ok();
  if (r.ok()) {
    for (const std::string& m : r->messages) o.text += m + "\n";
  } else {
    o.text = r.error().desc;
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static MemfdRam shared_ram(kRamSize);
  const uint8_t settings = data[0];
  std::vector<uint8_t> stream(data + 1, data + size);

  std::vector<uint8_t> plain_ram(kRamSize, 0), plain_mem(kMemSize, 0);
  Outcome a = load(stream, settings, plain_ram.data(), plain_mem.data(), -1, nullptr);

  std::memset(shared_ram.host(), 0, kRamSize);
  std::vector<uint8_t> other_mem(kMemSize, 0);
  // Every page starts out known to be zero, as in a fresh destination.
  std::vector<std::vector<uint64_t>> known_zero = {
      std::vector<uint64_t>((kRamSize / 4096 + 63) / 64, ~uint64_t{0}),
      std::vector<uint64_t>((kMemSize / 4096 + 63) / 64, ~uint64_t{0})};
  Outcome b =
      load(stream, settings, shared_ram.host(), other_mem.data(), shared_ram.fd(), &known_zero);

  // For looking at what a corpus file does: MIGEMU_FUZZ_VERBOSE=1 TARGET FILE.
  if (std::getenv("MIGEMU_FUZZ_VERBOSE")) {
    std::fprintf(stderr, "%s\n%s", a.ok ? "load ok" : "load failed", a.text.c_str());
  }
  if (a.ok != b.ok || a.text != b.text) std::abort();
  if (a.ok &&
      (std::memcmp(plain_ram.data(), shared_ram.host(), kRamSize) != 0 || plain_mem != other_mem)) {
    std::abort();
  }
  return 0;
}
