// Guest memory (RAM blocks, dirty log, digest) and the workload threads.
#include <fcntl.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "system/guest_memory.h"
#include "system/runstate.h"
#include "system/workload.h"

namespace migemu {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t MiB = 1024 * 1024;

Config none_config(uint64_t ram) {
  Config c;
  c.machine.type = "none";
  c.ram_size = ram;
  c.ram_size_set = true;
  return c;
}

ObjectConfig backend(std::string type, std::string id, uint64_t size) {
  ObjectConfig o;
  o.qom_type = std::move(type);
  o.id = std::move(id);
  o.size = size;
  return o;
}

// A temporary directory, removed with its files.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/guest_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    (void)!system(cmd.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

uint64_t vm_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

std::string gchecksum_sha256(const void* p, size_t n) {
  GChecksum* c = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(c, static_cast<const guchar*>(p), static_cast<gssize>(n));
  std::string s = g_checksum_get_string(c);
  g_checksum_free(c);
  return s;
}

void fill_random(uint8_t* p, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(rng());
}

// ---- SHA-256 ------------------------------------------------------------------

TEST(Sha256, MatchesGChecksum) {
  std::vector<uint8_t> buf(3 * MiB + 17);
  fill_random(buf.data(), buf.size(), 1);
  for (size_t n : {0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4096, 4104}) {
    EXPECT_EQ(sha256_hex(buf.data(), n), gchecksum_sha256(buf.data(), n)) << n;
    EXPECT_EQ(sha256_hex_portable(buf.data(), n), gchecksum_sha256(buf.data(), n)) << n;
  }
  EXPECT_EQ(sha256_hex(buf.data(), buf.size()), gchecksum_sha256(buf.data(), buf.size()));
  EXPECT_EQ(sha256_hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- Blocks: naming and sizes ---------------------------------------------------

TEST(GuestMemory, NoneMachineWithM) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init(none_config(64 * MiB)).ok());
  ASSERT_EQ(mem.blocks().size(), 1u);
  RamBlock* b = mem.blocks()[0];
  EXPECT_EQ(b->idstr(), "ram");
  EXPECT_EQ(b->used_length(), 64 * MiB);
  EXPECT_EQ(b->pages(), 16384u);
  EXPECT_EQ(b->bitmap_words(), 256u);
  EXPECT_FALSE(b->shared());
  EXPECT_FALSE(b->file_backed());
  EXPECT_EQ(b->fd(), -1);
  EXPECT_TRUE(b->migratable());
  EXPECT_EQ(mem.total_bytes(), 64 * MiB);
  EXPECT_EQ(mem.find("ram"), b);
  EXPECT_EQ(mem.find("pc.ram"), nullptr);
  b->host()[64 * MiB - 1] = 7;  // writable to the end
}

TEST(GuestMemory, NoneMachineWithoutMHasNoRam) {
  GuestMemory mem;
  Config c;
  c.machine.type = "none";
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_TRUE(mem.initialized());
  EXPECT_TRUE(mem.blocks().empty());
  EXPECT_EQ(mem.total_bytes(), 0u);
}

TEST(GuestMemory, PcMachinesUsePcRam) {
  for (const char* type : {"pc-i440fx-7.2", "pc-q35-7.2"}) {
    GuestMemory mem;
    Config c;
    c.machine.type = type;  // no -m: QEMU's default 128 MiB
    ASSERT_TRUE(mem.init(c).ok());
    ASSERT_EQ(mem.blocks().size(), 1u);
    EXPECT_EQ(mem.blocks()[0]->idstr(), "pc.ram");
    EXPECT_EQ(mem.total_bytes(), 128 * MiB);
  }
  GuestMemory mem;
  Config c = none_config(8 * MiB);
  c.machine.default_ram_id = "custom.ram";  // cmdline's value wins
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_EQ(mem.blocks()[0]->idstr(), "custom.ram");
}

TEST(GuestMemory, SizeRoundedToPages) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init(none_config(10000 * 1024 + 1)).ok());
  EXPECT_EQ(mem.blocks()[0]->used_length(), 0x9c5000u);
}

TEST(GuestMemory, MemoryBackendNamesTheBlock) {
  GuestMemory mem;
  Config c;
  c.machine.type = "none";
  c.machine.memory_backend = "mem";
  c.objects.push_back(backend("memory-backend-ram", "unused", 16 * MiB));
  c.objects.push_back(backend("memory-backend-ram", "mem", 32 * MiB));
  ASSERT_TRUE(mem.init(c).ok());  // no -m: the backend's size
  ASSERT_EQ(mem.blocks().size(), 1u);
  EXPECT_EQ(mem.blocks()[0]->idstr(), "mem");
  EXPECT_EQ(mem.total_bytes(), 32 * MiB);
  EXPECT_EQ(mem.find("unused"), nullptr);  // allocated, but not guest RAM
}

TEST(GuestMemory, MemoryBackendErrors) {
  GuestMemory mem;
  Config c;
  c.machine.type = "none";
  c.machine.memory_backend = "mem2";
  c.objects.push_back(backend("memory-backend-ram", "mem", 32 * MiB));
  Status st = mem.init(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc, "Memory backend 'mem2' not found");
  EXPECT_FALSE(mem.initialized());

  c.machine.memory_backend = "mem";
  c.ram_size = 64 * MiB;
  c.ram_size_set = true;
  st = mem.init(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc, "Machine memory size does not match the size of the memory backend");

  c.ram_size = 32 * MiB;
  EXPECT_TRUE(mem.init(c).ok());

  c.objects[0].size = 0;
  st = mem.init(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc, "can't create backend with size 0");
}

TEST(GuestMemory, FileBackendSharedIsVisibleThroughTheFile) {
  TempDir dir;
  std::string path = dir.path() + "/ram";
  GuestMemory mem;
  Config c = none_config(4 * MiB);
  c.machine.memory_backend = "mem";
  ObjectConfig o = backend("memory-backend-file", "mem", 4 * MiB);
  o.mem_path = path;
  o.share = true;
  o.props["share"] = "on";
  c.objects.push_back(o);
  ASSERT_TRUE(mem.init(c).ok());
  RamBlock* b = mem.find("mem");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->shared());
  EXPECT_TRUE(b->file_backed());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 4 * MiB);  // created and sized

  const char msg[] = "hello from the guest";
  b->write(3 * kGuestPageSize + 100, msg, sizeof msg);
  EXPECT_TRUE(b->test_dirty(3));
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char buf[sizeof msg] = {};
  ASSERT_EQ(pread(fd, buf, sizeof buf, 3 * kGuestPageSize + 100), (ssize_t)sizeof buf);
  close(fd);
  EXPECT_STREQ(buf, msg);

  // Re-open the existing file: contents are kept, not truncated.
  mem.reset();
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_EQ(memcmp(mem.find("mem")->host() + 3 * kGuestPageSize + 100, msg, sizeof msg), 0);
}

TEST(GuestMemory, FileBackendPrivateLeavesTheFileAlone) {
  TempDir dir;
  std::string path = dir.path() + "/ram";
  GuestMemory mem;
  Config c = none_config(1 * MiB);
  c.machine.memory_backend = "mem";
  ObjectConfig o = backend("memory-backend-file", "mem", 1 * MiB);
  o.mem_path = path;
  c.objects.push_back(o);
  ASSERT_TRUE(mem.init(c).ok());
  RamBlock* b = mem.blocks()[0];
  EXPECT_FALSE(b->shared());
  memset(b->host(), 0xab, kGuestPageSize);
  int fd = open(path.c_str(), O_RDONLY);
  uint8_t byte = 1;
  ASSERT_EQ(pread(fd, &byte, 1, 0), 1);
  close(fd);
  EXPECT_EQ(byte, 0);
}

TEST(GuestMemory, FileBackendErrors) {
  TempDir dir;
  GuestMemory mem;
  Config c = none_config(1 * MiB);
  c.machine.memory_backend = "mem";
  ObjectConfig o = backend("memory-backend-file", "mem", 1 * MiB);
  o.mem_path = "/nonexistent/x";
  c.objects.push_back(o);
  Status st = mem.init(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc,
            "can't open backing store /nonexistent/x for guest RAM: No such file or directory");

  // An existing, smaller file.
  std::string small = dir.path() + "/small";
  {
    std::ofstream f(small);
    f << std::string(4096, 'x');
  }
  c.objects[0].mem_path = small;
  st = mem.init(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc, "backing store size 0x1000 does not match 'size' option 0x100000");

  // A directory: an unlinked temporary file inside it.
  c.objects[0].mem_path = dir.path();
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_TRUE(mem.blocks()[0]->file_backed());
}

TEST(GuestMemory, OldMachineTypesUseCanonicalPathForFileBackends) {
  TempDir dir;
  GuestMemory mem;
  Config c = none_config(1 * MiB);
  c.machine.type = "pc-i440fx-3.1";
  c.machine.memory_backend = "mem";
  ObjectConfig o = backend("memory-backend-file", "mem", 1 * MiB);
  o.mem_path = dir.path() + "/f";
  c.objects.push_back(o);
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_EQ(mem.blocks()[0]->idstr(), "/objects/mem");
  c.machine.type = "pc-i440fx-4.0";
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_EQ(mem.blocks()[0]->idstr(), "mem");
}

TEST(GuestMemory, MemfdBackendIsSharedByDefault) {
  GuestMemory mem;
  Config c = none_config(2 * MiB);
  c.machine.memory_backend = "mem";
  c.objects.push_back(backend("memory-backend-memfd", "mem", 2 * MiB));
  ASSERT_TRUE(mem.init(c).ok());
  RamBlock* b = mem.blocks()[0];
  EXPECT_TRUE(b->shared());
  ASSERT_TRUE(b->file_backed());
  b->host()[5000] = 42;
  uint8_t v = 0;
  ASSERT_EQ(pread(b->fd(), &v, 1, 5000), 1);
  EXPECT_EQ(v, 42);

  c.objects[0].props["share"] = "off";
  c.objects[0].share = false;
  ASSERT_TRUE(mem.init(c).ok());
  b = mem.blocks()[0];
  EXPECT_FALSE(b->shared());
  b->host()[5000] = 42;
  ASSERT_EQ(pread(b->fd(), &v, 1, 5000), 1);
  EXPECT_EQ(v, 0);
}

TEST(GuestMemory, Prealloc) {
  GuestMemory mem;
  Config c = none_config(8 * MiB);
  c.machine.memory_backend = "mem";
  ObjectConfig o = backend("memory-backend-ram", "mem", 8 * MiB);
  o.prealloc = true;
  c.objects.push_back(o);
  uint64_t before = vm_rss_kib();
  ASSERT_TRUE(mem.init(c).ok());
  EXPECT_GE(vm_rss_kib(), before + 7 * 1024);
}

// ---- Dirty log ------------------------------------------------------------------

TEST(DirtyLog, WritesAreCollectedOnce) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(1 * MiB).ok());
  RamBlock* b = mem.blocks()[0];
  std::vector<uint64_t> bmap;
  EXPECT_EQ(b->sync_dirty(bmap), 0u);
  EXPECT_EQ(bmap.size(), b->bitmap_words());

  b->set_dirty(0);
  b->set_dirty(63);
  b->set_dirty(64);
  b->set_dirty(255);
  b->set_dirty(64);  // twice: still one page
  EXPECT_EQ(b->dirty_count(), 4u);
  EXPECT_EQ(b->sync_dirty(bmap), 4u);
  EXPECT_EQ(b->dirty_count(), 0u);
  EXPECT_EQ(bmap[0], (1ull << 0) | (1ull << 63));
  EXPECT_EQ(bmap[1], 1ull);
  EXPECT_EQ(bmap[3], 1ull << 63);
  EXPECT_EQ(b->sync_dirty(bmap), 0u);  // collected exactly once

  // Already set in the caller's bitmap: not newly dirty.
  b->set_dirty(0);
  b->set_dirty(1);
  EXPECT_EQ(b->sync_dirty(bmap), 1u);
  EXPECT_EQ(bmap[0] & 3, 3u);

  // A range spanning words; write() marks what it touches.
  std::vector<uint64_t> fresh;
  b->set_dirty_range(60 * kGuestPageSize + 1, 10 * kGuestPageSize);  // pages 60..70
  EXPECT_EQ(b->sync_dirty(fresh), 11u);
  EXPECT_EQ(fresh[0], 0xfull << 60);
  EXPECT_EQ(fresh[1], 0x7full);
  fresh.assign(fresh.size(), 0);
  char data[10] = {1};
  b->write(2 * kGuestPageSize - 5, data, sizeof data);  // pages 1 and 2
  EXPECT_EQ(b->sync_dirty(fresh), 2u);
  EXPECT_EQ(fresh[0], 6u);
  EXPECT_EQ(b->host()[2 * kGuestPageSize - 5], 1);
}

// Writers bump per-page counters and set dirty bits while a syncer copies
// dirty pages into a shadow (what a migration does). After the writers stop
// and a final sync, the shadow must equal guest memory: no lost page.
TEST(DirtyLog, ConcurrentWritersLoseNothing) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(4 * MiB).ok());
  RamBlock* b = mem.blocks()[0];
  const uint64_t pages = b->pages();
  std::vector<uint8_t> shadow(b->used_length());
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        uint64_t page = rng() % pages;
        // Each thread owns pages page % 3 == t so counters do not race.
        page -= page % 3;
        page += t;
        if (page >= pages) continue;
        uint64_t v = ++n;
        std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(b->page_ptr(page)))
            .store(v, std::memory_order_relaxed);
        b->set_dirty(page);
      }
    });
  }
  std::vector<uint64_t> bmap;
  auto copy_dirty = [&] {
    std::fill(bmap.begin(), bmap.end(), 0);
    b->sync_dirty(bmap);
    for (uint64_t w = 0; w < bmap.size(); ++w) {
      for (uint64_t bits = bmap[w]; bits; bits &= bits - 1) {
        uint64_t page = w * 64 + std::countr_zero(bits);
        uint64_t v = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(b->page_ptr(page)))
                         .load(std::memory_order_relaxed);
        memcpy(&shadow[page * kGuestPageSize], &v, 8);
      }
    }
  };
  auto deadline = std::chrono::steady_clock::now() + 300ms;
  int syncs = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    copy_dirty();
    ++syncs;
  }
  stop = true;
  for (auto& t : writers) t.join();
  copy_dirty();
  EXPECT_GT(syncs, 10);
  uint64_t mismatches = 0;
  for (uint64_t p = 0; p < pages; ++p) {
    mismatches += memcmp(&shadow[p * kGuestPageSize], b->page_ptr(p), 8) != 0;
  }
  EXPECT_EQ(mismatches, 0u);
}

// ---- Digest ---------------------------------------------------------------------

// The documented definition, recomputed with GLib.
std::string reference_digest(const GuestMemory& mem) {
  GChecksum* top = g_checksum_new(G_CHECKSUM_SHA256);
  const char tag[] = "migemu-ram-digest-v1";
  g_checksum_update(top, reinterpret_cast<const guchar*>(tag), sizeof tag - 1);
  auto be = [](GChecksum* c, uint64_t v, int bytes) {
    guchar b[8];
    for (int i = 0; i < bytes; ++i) b[i] = static_cast<guchar>(v >> (8 * (bytes - 1 - i)));
    g_checksum_update(c, b, bytes);
  };
  static const uint8_t zero[kGuestPageSize] = {};
  for (const RamBlock* b : mem.blocks()) {
    be(top, b->idstr().size(), 4);
    g_checksum_update(top, reinterpret_cast<const guchar*>(b->idstr().data()),
                      static_cast<gssize>(b->idstr().size()));
    be(top, b->used_length(), 8);
    for (uint64_t c0 = 0; c0 < b->pages(); c0 += kDigestChunkPages) {
      GChecksum* ch = g_checksum_new(G_CHECKSUM_SHA256);
      uint64_t zeros = 0;
      for (uint64_t p = c0; p < std::min(b->pages(), c0 + kDigestChunkPages); ++p) {
        if (memcmp(b->page_ptr(p), zero, kGuestPageSize) == 0) {
          ++zeros;
          continue;
        }
        be(ch, p, 8);
        g_checksum_update(ch, b->page_ptr(p), kGuestPageSize);
      }
      be(ch, zeros, 8);
      guint8 d[32];
      gsize len = sizeof d;
      g_checksum_get_digest(ch, d, &len);
      g_checksum_free(ch);
      g_checksum_update(top, d, len);
    }
  }
  std::string s = g_checksum_get_string(top);
  g_checksum_free(top);
  return s;
}

TEST(Digest, MatchesDefinitionAndDependsOnlyOnContent) {
  GuestMemory a, b;
  ASSERT_TRUE(a.init_anonymous(130 * MiB).ok());  // three chunks, the last one short
  ASSERT_TRUE(b.init_anonymous(130 * MiB).ok());
  EXPECT_EQ(a.digest(), b.digest());
  std::vector<uint8_t> page(kGuestPageSize);
  std::vector<uint64_t> order;
  for (uint64_t p = 0; p < a.blocks()[0]->pages(); p += 997) order.push_back(p);
  for (uint64_t p : order) {
    fill_random(page.data(), page.size(), static_cast<uint32_t>(p));
    a.blocks()[0]->write(p * kGuestPageSize, page.data(), page.size());
  }
  // Same pages, reverse order, plus a page written with zeros.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    fill_random(page.data(), page.size(), static_cast<uint32_t>(*it));
    memcpy(b.blocks()[0]->page_ptr(*it), page.data(), page.size());
  }
  memset(b.blocks()[0]->page_ptr(5), 0, kGuestPageSize);
  std::string da = a.digest();
  EXPECT_EQ(da.size(), 64u);
  EXPECT_EQ(da, b.digest());
  EXPECT_EQ(da, a.digest(1));  // thread count does not matter
  EXPECT_EQ(da, reference_digest(a));

  b.blocks()[0]->host()[77 * MiB + 3] ^= 1;
  EXPECT_NE(da, b.digest());
  b.blocks()[0]->host()[77 * MiB + 3] ^= 1;
  EXPECT_EQ(da, b.digest());

  GuestMemory c;  // same content, other name
  ASSERT_TRUE(c.init_anonymous(130 * MiB, "pc.ram").ok());
  for (uint64_t p : order) {
    fill_random(page.data(), page.size(), static_cast<uint32_t>(p));
    memcpy(c.blocks()[0]->page_ptr(p), page.data(), page.size());
  }
  EXPECT_NE(da, c.digest());
}

TEST(Digest, SharedFileBlockSkipsHolesButSeesData) {
  GuestMemory anon, memfd;
  ASSERT_TRUE(anon.init_anonymous(70 * MiB, "mem").ok());
  Config c = none_config(70 * MiB);
  c.machine.memory_backend = "mem";
  c.objects.push_back(backend("memory-backend-memfd", "mem", 70 * MiB));
  ASSERT_TRUE(memfd.init(c).ok());
  EXPECT_EQ(anon.digest(), memfd.digest());
  for (uint64_t off : {uint64_t{0}, 5 * MiB + 4095, 64 * MiB + 12345, 70 * MiB - 1}) {
    anon.blocks()[0]->host()[off] = 9;
    memfd.blocks()[0]->host()[off] = 9;
  }
  EXPECT_EQ(anon.digest(), memfd.digest());
  EXPECT_EQ(memfd.digest(), reference_digest(memfd));
}

TEST(Digest, SparseTwoGiBGuestStaysSmallAndFast) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers change RSS and speed";
#endif
  uint64_t before = vm_rss_kib();
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(2048 * MiB).ok());
  for (uint64_t off = 0; off < 2048 * MiB; off += 256 * MiB) mem.blocks()[0]->host()[off] = 1;
  EXPECT_LT(vm_rss_kib(), before + 16 * 1024);
  auto t0 = std::chrono::steady_clock::now();
  std::string d = mem.digest();
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 3000);
  EXPECT_LT(vm_rss_kib(), before + 32 * 1024);
  EXPECT_EQ(d.size(), 64u);
  printf("2 GiB sparse digest: %lld ms\n", static_cast<long long>(ms));
}

// ---- -x-workload ------------------------------------------------------------------

TEST(WorkloadOption, Parses) {
  auto p = parse_workload_option(
      "rate=64M,wss=1G,pattern=random,content=compressible,threads=4,seed=7,window=random");
  ASSERT_TRUE(p.ok()) << p.error().desc;
  EXPECT_EQ(p->rate, 64 * MiB);
  EXPECT_EQ(p->wss, 1024 * MiB);
  EXPECT_EQ(p->pattern, WorkloadPattern::kRandom);
  EXPECT_EQ(p->content, WorkloadContent::kCompressible);
  EXPECT_EQ(p->window, WorkloadWindow::kRandom);
  EXPECT_EQ(p->threads, 4u);
  EXPECT_EQ(p->seed, 7u);

  auto d = parse_workload_option("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, WorkloadParams{});
  auto implied = parse_workload_option("8192");
  ASSERT_TRUE(implied.ok());
  EXPECT_EQ(implied->rate, 8192u);

  // Changing a few keys of a running configuration (HMP).
  auto more = parse_workload_option("threads=2", *p);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->threads, 2u);
  EXPECT_EQ(more->rate, 64 * MiB);
  EXPECT_EQ(more->pattern, WorkloadPattern::kRandom);
}

TEST(WorkloadOption, Errors) {
  auto err = [](const char* s) {
    auto r = parse_workload_option(s);
    return r.ok() ? std::string("ok") : r.error().desc;
  };
  EXPECT_EQ(err("rate=1M,speed=3"), "Invalid parameter 'speed'");
  EXPECT_EQ(err("id=x"), "Invalid parameter 'id'");
  EXPECT_EQ(err("pattern=zigzag"), "Parameter 'pattern' does not accept value 'zigzag'");
  EXPECT_EQ(err("content=ones"), "Parameter 'content' does not accept value 'ones'");
  EXPECT_EQ(err("window=end"), "Parameter 'window' does not accept value 'end'");
  EXPECT_EQ(err("threads=0"), "Parameter 'threads' expects a value between 1 and 64");
  EXPECT_EQ(err("threads=65"), "Parameter 'threads' expects a value between 1 and 64");
  EXPECT_EQ(err("threads=two"), "Parameter 'threads' expects a number");
  EXPECT_EQ(err("rate=fast").rfind("Parameter 'rate' expects a non-negative number below 2^64", 0),
            0u);
}

// ---- Workload -----------------------------------------------------------------------

double measure_pages_per_second(Workload& w, std::chrono::milliseconds span) {
  uint64_t p0 = w.pages_written();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(span);
  uint64_t p1 = w.pages_written();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(p1 - p0) / secs;
}

TEST(Workload, ConfigureErrors) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(16 * MiB).ok());
  Workload w(mem);
  WorkloadParams p;
  p.rate = 1 * MiB;
  p.threads = 0;
  EXPECT_EQ(w.configure(p).error().desc, "Parameter 'threads' expects a value between 1 and 64");
  p.threads = 1;
  p.wss = 17 * MiB;
  EXPECT_EQ(w.configure(p).error().desc,
            "Parameter 'wss' expects a size no larger than the guest RAM (16777216 bytes)");
  EXPECT_EQ(w.params(), WorkloadParams{});  // unchanged

  GuestMemory none;
  Config c;
  c.machine.type = "none";
  ASSERT_TRUE(none.init(c).ok());
  Workload w2(none);
  p.wss = 0;
  EXPECT_EQ(w2.configure(p).error().desc, "The guest has no writable RAM: 'rate' must be 0");
  p.rate = 0;
  EXPECT_TRUE(w2.configure(p).ok());
}

TEST(Workload, IdleHasNoThreadsAndWritesNothing) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(16 * MiB).ok());
  Workload w(mem);
  w.set_running(true);
  ASSERT_TRUE(w.configure(WorkloadParams{}).ok());
  EXPECT_FALSE(w.info().active);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(w.pages_written(), 0u);
  EXPECT_EQ(mem.blocks()[0]->dirty_count(), 0u);
}

TEST(Workload, DirtyRateRoughlyAsConfigured) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(64 * MiB).ok());
  Workload w(mem);
  WorkloadParams p;
  p.rate = 16 * MiB;  // 4096 pages/s
  p.threads = 2;
  p.wss = 32 * MiB;  // 8192 pages: no page is written twice in 0.4 s
  ASSERT_TRUE(w.configure(p).ok());
  w.set_running(true);
  EXPECT_TRUE(w.info().active);
  double rate = measure_pages_per_second(w, 400ms);
  w.set_running(false);
  EXPECT_GT(rate, 4096 * 0.6);
  EXPECT_LT(rate, 4096 * 1.4);

  // Every write shows up in the dirty log, inside the working set.
  RamBlock* b = mem.blocks()[0];
  std::vector<uint64_t> bmap;
  uint64_t dirty = b->sync_dirty(bmap);
  EXPECT_EQ(dirty, std::min<uint64_t>(w.pages_written(), 8192));
  for (size_t i = 8192 / 64; i < bmap.size(); ++i) EXPECT_EQ(bmap[i], 0u) << i;
}

TEST(Workload, ThrottleReducesTheRate) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(64 * MiB).ok());
  Workload w(mem);
  WorkloadParams p;
  p.rate = 32 * MiB;  // 8192 pages/s
  ASSERT_TRUE(w.configure(p).ok());
  w.set_running(true);
  double full = measure_pages_per_second(w, 250ms);
  w.set_throttle(80);
  EXPECT_EQ(w.throttle(), 80u);
  std::this_thread::sleep_for(60ms);  // let the current periods end
  double throttled = measure_pages_per_second(w, 400ms);
  w.set_throttle(150);
  EXPECT_EQ(w.throttle(), 99u);
  w.set_throttle(0);
  EXPECT_GT(full, 8192 * 0.6);
  EXPECT_LT(throttled, full * 0.4);  // about 20 %
  EXPECT_GT(throttled, full * 0.08);
}

TEST(Workload, PausesAndResumesWithTheRunState) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(32 * MiB).ok());
  Workload w(mem);
  RunStateMachine rs;  // prelaunch, as with -S
  attach_to_run_state(w, rs);
  WorkloadParams p;
  p.rate = 64 * MiB;
  p.threads = 3;
  p.pattern = WorkloadPattern::kRandom;
  ASSERT_TRUE(w.configure(p).ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(w.pages_written(), 0u);  // not running yet
  EXPECT_FALSE(w.info().active);

  rs.vm_start();
  EXPECT_TRUE(w.running());
  std::this_thread::sleep_for(100ms);
  EXPECT_GT(w.pages_written(), 0u);

  rs.vm_stop(RunState::kPaused);
  // Once vm_stop returned nothing writes any more.
  RamBlock* b = mem.blocks()[0];
  std::vector<uint64_t> bmap;
  b->sync_dirty(bmap);
  std::string d = mem.digest();
  uint64_t n = w.pages_written();
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(w.pages_written(), n);
  EXPECT_EQ(b->dirty_count(), 0u);
  EXPECT_EQ(mem.digest(), d);

  rs.vm_start();
  std::this_thread::sleep_for(60ms);
  EXPECT_GT(w.pages_written(), n);
  EXPECT_GT(b->dirty_count(), 0u);
  // Reconfiguring while running keeps it running; rate 0 stops the threads.
  p.threads = 1;
  ASSERT_TRUE(w.configure(p).ok());
  EXPECT_TRUE(w.info().active);
  ASSERT_TRUE(w.configure(WorkloadParams{}).ok());
  EXPECT_FALSE(w.info().active);
}

TEST(Workload, ContentKinds) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(8 * MiB).ok());
  RamBlock* b = mem.blocks()[0];
  Workload w(mem);
  w.set_running(true);
  auto run = [&](WorkloadContent content) {
    WorkloadParams p;
    p.rate = 64 * MiB;
    p.wss = 64 * kGuestPageSize;
    p.content = content;
    EXPECT_TRUE(w.configure(p).ok());
    uint64_t start = w.pages_written();
    while (w.pages_written() < start + 64) std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(w.configure(WorkloadParams{}).ok());
  };
  run(WorkloadContent::kRandom);
  const uint8_t* p0 = b->page_ptr(0);
  int distinct = 0;
  for (int i = 1; i < 4096; ++i) distinct += p0[i] != p0[i - 1];
  EXPECT_GT(distinct, 3500);
  EXPECT_EQ(b->page_ptr(64)[0], 0);  // outside the working set

  run(WorkloadContent::kCompressible);
  const uint8_t* p1 = b->page_ptr(1);
  EXPECT_NE(p1[100], 0);
  for (int i = 17; i < 4096; ++i) ASSERT_EQ(p1[i], p1[16]) << i;

  std::vector<uint64_t> bmap;
  b->sync_dirty(bmap);
  run(WorkloadContent::kZero);
  static const uint8_t zero[kGuestPageSize] = {};
  EXPECT_EQ(memcmp(b->page_ptr(1), zero, kGuestPageSize), 0);
  EXPECT_EQ(b->sync_dirty(bmap), 0u);  // already dirty in bmap: not new ...
  EXPECT_EQ(bmap[0], ~0ull);           // ... but every page of the set is dirty
}

TEST(Workload, RandomWindowFollowsTheSeed) {
  GuestMemory mem;
  ASSERT_TRUE(mem.init_anonymous(64 * MiB).ok());
  Workload w(mem);
  WorkloadParams p;
  p.wss = 4 * MiB;
  p.window = WorkloadWindow::kRandom;
  p.seed = 1;
  ASSERT_TRUE(w.configure(p).ok());
  WorkloadInfo a = w.info();
  ASSERT_TRUE(w.configure(p).ok());
  EXPECT_EQ(w.info().wss_offset, a.wss_offset);
  p.seed = 2;
  ASSERT_TRUE(w.configure(p).ok());
  EXPECT_NE(w.info().wss_offset, a.wss_offset);
  EXPECT_EQ(a.wss_bytes, 4 * MiB);
  EXPECT_EQ(a.wss_offset % kGuestPageSize, 0u);
  EXPECT_LE(a.wss_offset + a.wss_bytes, 64 * MiB);

  // The writes land inside the window.
  p.rate = 64 * MiB;
  p.pattern = WorkloadPattern::kRandom;
  ASSERT_TRUE(w.configure(p).ok());
  WorkloadInfo info = w.info();
  w.set_running(true);
  std::this_thread::sleep_for(50ms);
  w.set_running(false);
  std::vector<uint64_t> bmap;
  EXPECT_GT(mem.blocks()[0]->sync_dirty(bmap), 0u);
  for (uint64_t wd = 0; wd < bmap.size(); ++wd) {
    for (uint64_t bits = bmap[wd]; bits; bits &= bits - 1) {
      uint64_t off = (wd * 64 + std::countr_zero(bits)) * kGuestPageSize;
      ASSERT_GE(off, info.wss_offset);
      ASSERT_LT(off, info.wss_offset + info.wss_bytes);
    }
  }
}

TEST(Workload, ProcessWideThrottleApi) {
  EXPECT_FALSE(cpu_throttle_active());
  cpu_throttle_set(0);
  EXPECT_EQ(cpu_throttle_get_percentage(), 1);  // QEMU's minimum
  cpu_throttle_set(120);
  EXPECT_EQ(cpu_throttle_get_percentage(), 99);
  EXPECT_TRUE(cpu_throttle_active());
  cpu_throttle_stop();
  EXPECT_FALSE(cpu_throttle_active());
  EXPECT_EQ(workload_info().throttle, 0u);
}

}  // namespace
}  // namespace migemu
