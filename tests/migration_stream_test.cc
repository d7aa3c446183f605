// Tests of the migration stream layer (migration/): QemuFile, the savevm
// framing and loader, the RAM codec, timer/globalstate and the vmdesc JSON,
// against streams captured from real QEMU 7.2 (tests/data/, made with
// scripts/check-stream-interop capture) and hostile streams.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tests/test_data.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "migration/qemu_file.h"
#include "migration/ram_codec.h"
#include "migration/savevm.h"
#include "migration/vmstate_devices.h"

namespace migemu::migration {
namespace {

using Bytes = std::vector<uint8_t>;

// QEMU (and migemu) ignore SIGPIPE; a closed pipe must be an error, not death.
const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();
constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kPage = kTargetPageSize;

// ------------------------------------------------------------------ helpers

// The pattern scripts/check-stream-interop fills a real QEMU's RAM with.
Bytes fill_pattern(uint64_t size) {
  Bytes m(size, 0);
  uint64_t pages = size / kPage;
  for (uint64_t p = 0; p < pages; p++) {
    uint8_t* b = m.data() + p * kPage;
    if (p == pages - 1) {
      std::memset(b, 0xff, kPage);
    } else if (p % 64 == 0) {
      for (uint64_t j = 0; j < kPage; j++) b[j] = static_cast<uint8_t>(p * 131 + j * 7 + 1);
    } else if (p == 5) {
      b[kPage - 1] = 1;
    }
  }
  return m;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::unique_ptr<QemuFile> mem_writer(Bytes* sink) {
  return std::make_unique<QemuFile>(make_memory_writer(sink), QemuFile::Mode::kWrite);
}
std::unique_ptr<QemuFile> mem_reader(Bytes data) {
  return std::make_unique<QemuFile>(make_memory_reader(std::move(data)), QemuFile::Mode::kRead);
}

// Big-endian byte builder for hand-made streams.
struct B {
  Bytes b;
  B& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  B& be16(uint16_t v) { return u8(v >> 8).u8(v & 0xff); }
  B& be32(uint32_t v) { return be16(v >> 16).be16(v & 0xffff); }
  B& be64(uint64_t v) { return be32(v >> 32).be32(v & 0xffffffff); }
  B& str(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  B& cstr(std::string_view s) { return u8(static_cast<uint8_t>(s.size())).str(s); }
  B& bytes(const Bytes& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
  B& zeros(size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
  // Header + configuration "none".
  B& header() { return be32(kFileMagic).be32(3).u8(7).be32(4).str("none"); }
  B& start(uint32_t sid, std::string_view id, uint32_t inst, uint32_t ver) {
    return u8(1).be32(sid).cstr(id).be32(inst).be32(ver);
  }
  B& full(uint32_t sid, std::string_view id, uint32_t inst, uint32_t ver) {
    return u8(4).be32(sid).cstr(id).be32(inst).be32(ver);
  }
  B& footer(uint32_t sid) { return u8(0x7e).be32(sid); }
  // RAM START with the setup record for one block.
  B& ram_setup(std::string_view block, uint64_t size, uint32_t sid = 2) {
    return start(sid, "ram", 0, 4).be64(size | 4).cstr(block).be64(size).be64(0x10).footer(sid);
  }
  B& eof_vmdesc() { return u8(0).u8(6).be32(2).str("{}"); }
};

struct Dest {
  explicit Dest(uint64_t size = 4 * kMiB, std::string name = "ram") : mem(size, 0) {
    target.ram_blocks = {RamBlockView{std::move(name), mem.data(), size}};
    target.global_state = &gs;
    target.timer = &timer;
  }
  Result<LoadOutcome> load(const Bytes& stream) {
    auto f = mem_reader(stream);
    return load_stream(*f, target);
  }
  Bytes mem;
  GlobalState gs;
  TimerState timer;
  LoadTarget target;
};

// The error lines of a failed load.
std::string load_error(Dest& d, const Bytes& stream) {
  auto r = d.load(stream);
  if (r.ok()) return "<ok>";
  return r.error().desc;
}

// Writes a whole -M none stream: setup, one PART with every page, an empty
// END, timer, globalstate, EOF, vmdesc - the shape of the captures.
void write_none_stream(QemuFile& f, std::span<const RamBlockView> blocks, TimerState& timer,
                       GlobalState& gs, RamSender& ram) {
  save_header(f, SaveConfig{});
  ram.write_setup_section(f, blocks);
  ram.begin_part(f);
  for (const RamBlockView& b : blocks) {
    for (uint64_t off = 0; off < b.used_length; off += kPage) ram.write_page(f, b, off);
  }
  ram.end_part(f);
  ram.set_phase(RamSender::Phase::kDowntime);
  ram.begin_end(f);
  ram.end_end(f);
  gs.store(qapi::RunState::kRunning);
  ASSERT_EQ(save_device_state(f, none_machine_devices(timer, gs)), 0);
  f.flush();
}

TimerState timer_from_capture(const Bytes& s) {
  // FULL "timer" body: be64 ticks, 8 unused, be64 clock.
  const char needle[] = "\x05timer";
  auto it = std::search(s.begin(), s.end(), needle, needle + 6);
  size_t at = static_cast<size_t>(it - s.begin()) + 6 + 8;
  auto be64 = [&](size_t o) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | s[o + i];
    return static_cast<int64_t>(v);
  };
  TimerState t;
  t.cpu_ticks_offset = be64(at);
  t.cpu_clock_offset = be64(at + 16);
  return t;
}

const char kNoneVmdesc[] =
    R"({"page_size": 4096, "devices": [{"name": "timer", "instance_id": 0, "vmsd_name": "timer", )"
    R"("version": 2, "fields": [{"name": "cpu_ticks_offset", "type": "int64", "size": 8}, )"
    R"({"name": "unused", "type": "unused_buffer", "size": 8}, {"name": "cpu_clock_offset", )"
    R"("type": "int64", "size": 8}]}, {"name": "globalstate", "instance_id": 0, "vmsd_name": )"
    R"("globalstate", "version": 1, "fields": [{"name": "size", "type": "uint32", "size": 4}, )"
    R"({"name": "runstate", "type": "buffer", "size": 100}]}]})";

// ------------------------------------------------------------------ QemuFile

TEST(QemuFile, PutGetRoundTrip) {
  Bytes sink;
  {
    auto w = mem_writer(&sink);
    w->put_byte(0xab);
    w->put_be16(0x1234);
    w->put_be32(0xdeadbeef);
    w->put_be64(0x0102030405060708ull);
    w->put_counted_string("ram");
    Bytes big(100000, 0x5a);
    w->put_buffer(big);
    EXPECT_EQ(w->bytes_queued(), 1 + 2 + 4 + 8 + 4 + 100000u);
    w->flush();
    EXPECT_EQ(w->bytes_transferred(), 1 + 2 + 4 + 8 + 4 + 100000u);
    EXPECT_EQ(w->error(), 0);
  }
  EXPECT_EQ(Bytes(sink.begin(), sink.begin() + 15),
            (Bytes{0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8}));
  auto r = mem_reader(sink);
  EXPECT_EQ(r->peek_byte(0), 0xab);
  EXPECT_EQ(r->peek_byte(3), 0xde);
  EXPECT_EQ(r->get_byte(), 0xab);
  EXPECT_EQ(r->get_be16(), 0x1234);
  EXPECT_EQ(r->get_be32(), 0xdeadbeefu);
  EXPECT_EQ(r->get_be64(), 0x0102030405060708ull);
  std::string s;
  EXPECT_EQ(r->get_counted_string(&s), 3u);
  EXPECT_EQ(s, "ram");
  Bytes big(100000);
  EXPECT_EQ(r->get_buffer(big.data(), big.size()), big.size());
  EXPECT_EQ(big, Bytes(100000, 0x5a));
  EXPECT_EQ(r->error(), 0);
  // End of stream: -EIO, zeros, sticky.
  EXPECT_EQ(r->get_be32(), 0u);
  EXPECT_EQ(r->error(), -EIO);
  r->set_error(-EINVAL);
  EXPECT_EQ(r->error(), -EIO);
  EXPECT_EQ(r->bytes_transferred(), sink.size());
}

TEST(QemuFile, WritesAreDroppedAfterError) {
  Bytes sink;
  auto w = mem_writer(&sink);
  w->put_be32(1);
  w->set_error(-EPIPE);
  w->put_be32(2);
  w->flush();
  EXPECT_TRUE(sink.empty());
  EXPECT_EQ(w->error(), -EPIPE);
}

TEST(QemuFile, RateLimit) {
  Bytes sink;
  auto w = mem_writer(&sink);
  w->set_rate_limit(100);
  w->put_buffer(Bytes(100, 1));
  EXPECT_FALSE(w->rate_limit_exceeded());  // exceeding means strictly more
  w->put_byte(1);
  EXPECT_TRUE(w->rate_limit_exceeded());
  w->reset_rate_limit();
  EXPECT_FALSE(w->rate_limit_exceeded());
  w->account_rate_limit(1000);
  EXPECT_TRUE(w->rate_limit_exceeded());
  w->set_rate_limit(0);  // unlimited
  EXPECT_FALSE(w->rate_limit_exceeded());
}

TEST(QemuFile, PipeReadAndCountedBytes) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::thread writer([&] {
    auto w = QemuFile::writer(p[1]);
    for (int i = 0; i < 10000; i++) w->put_be64(static_cast<uint64_t>(i));
    w->flush();
    EXPECT_EQ(w->error(), 0);
    close(p[1]);
  });
  auto r = QemuFile::reader(p[0]);
  for (int i = 0; i < 10000; i++) ASSERT_EQ(r->get_be64(), static_cast<uint64_t>(i));
  writer.join();
  EXPECT_EQ(r->get_byte(), 0);
  EXPECT_EQ(r->error(), -EIO);
  EXPECT_EQ(r->bytes_transferred(), 80000u);
  close(p[0]);
}

// Small puts (copied) and pages by reference (put_buffer_ref) interleave
// into one gathered write per batch; the reader sees every byte in order,
// over a socket (sendmsg) and a pipe (writev), across many batches (more
// pieces and more referenced bytes than one batch holds).
TEST(QemuFile, ReferencedPagesKeepTheirPlaceInTheStream) {
  Bytes pages(3000 * kPage);
  for (size_t i = 0; i < pages.size(); i++) pages[i] = static_cast<uint8_t>(i * 7 + i / kPage);
  Bytes expected;
  for (size_t i = 0; i < 3000; i++) {
    for (int b = 7; b >= 0; b--) expected.push_back(static_cast<uint8_t>(uint64_t(i) >> (8 * b)));
    // Every third page is sent twice in a row: adjacent references merge.
    size_t n = i % 3 == 0 ? 2 : 1;
    for (size_t k = 0; k < n && i + k < 3000; k++) {
      expected.insert(expected.end(), pages.begin() + (i + k) * kPage,
                      pages.begin() + (i + k + 1) * kPage);
    }
  }
  // Plain, and with the writer and reader threads of a migration's main
  // channel (write-behind on the source, read-ahead on the destination).
  for (int mode = 0; mode < 4; mode++) {
    bool socket = mode & 1, threads = mode & 2;
    SCOPED_TRACE(std::string(socket ? "socket" : "pipe") + (threads ? ", threads" : ""));
    int fds[2];
    ASSERT_EQ(socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) : pipe(fds), 0);
    std::thread writer([&] {
      auto w = QemuFile::writer(fds[1]);
      if (threads) w->enable_write_behind();
      for (size_t i = 0; i < 3000; i++) {
        w->put_be64(i);
        size_t n = i % 3 == 0 ? 2 : 1;
        for (size_t k = 0; k < n && i + k < 3000; k++) {
          w->put_buffer_ref(pages.data() + (i + k) * kPage, kPage);
        }
      }
      EXPECT_EQ(w->bytes_queued(), expected.size());
      w->flush();
      EXPECT_EQ(w->error(), 0);
      EXPECT_EQ(w->bytes_transferred(), expected.size());
      close(fds[1]);
    });
    auto r = QemuFile::reader(fds[0]);
    if (threads) r->enable_read_ahead();
    // Records as a loader reads them: a peeked header, then the page.
    Bytes got;
    for (size_t i = 0; i < 3000; i++) {
      uint8_t head[8];
      ASSERT_EQ(r->peek_buffer(head, 8, 0), 8u);
      r->consume_peeked(8);
      got.insert(got.end(), head, head + 8);
      size_t n = i % 3 == 0 ? 2 : 1;
      for (size_t k = 0; k < n && i + k < 3000; k++) {
        Bytes page(kPage);
        ASSERT_EQ(r->get_buffer(page.data(), kPage), kPage);
        got.insert(got.end(), page.begin(), page.end());
      }
    }
    EXPECT_EQ(r->bytes_transferred(), expected.size());
    writer.join();
    EXPECT_TRUE(got == expected);
    EXPECT_EQ(r->get_byte(), 0);
    EXPECT_EQ(r->error(), -EIO);
    close(fds[0]);
  }
}

// With its threads, a stream still ends the way a plain one does: a
// reader that sees the end of the stream fails with -EIO after the bytes that
// came, a writer whose peer is gone fails with the channel's error, and
// shutdown() ends a reader waiting for data and a writer waiting for room.
// Runs `blocked_call` (which must block on `f`: a read with nothing to come,
// or writes into a full pipe) in a thread; shutdown() must end it, -EIO.
void expect_shutdown_ends(QemuFile& f, const std::function<void()>& blocked_call) {
  std::thread t(blocked_call);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f.shutdown();
  t.join();
  EXPECT_EQ(f.error(), -EIO);
}

// Writes far more referenced pages than a pipe holds, then flushes.
void write_referenced(QemuFile& w, const Bytes& data) {
  for (size_t off = 0; off < data.size(); off += kPage) w.put_buffer_ref(data.data() + off, kPage);
  w.flush();
}

TEST(QemuFile, StreamThreadsEndLikePlainStreams) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  {
    auto w = QemuFile::writer(p[1]);
    w->put_be32(0x01020304);
    w->put_byte(5);
  }
  close(p[1]);
  auto r = QemuFile::reader(p[0]);
  r->enable_read_ahead();
  EXPECT_EQ(r->get_be32(), 0x01020304u);
  EXPECT_EQ(r->peek_byte(0), 5);
  EXPECT_EQ(r->peek_byte(1), 0);  // beyond the end
  EXPECT_EQ(r->get_byte(), 5);
  EXPECT_EQ(r->get_byte(), 0);
  EXPECT_EQ(r->error(), -EIO);
  r.reset();
  close(p[0]);

  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
  close(s[0]);
  auto w = QemuFile::writer(s[1]);
  w->enable_write_behind();
  Bytes page(kPage, 3);
  for (int i = 0; i < 2000 && w->error() == 0; i++) w->put_buffer_ref(page.data(), kPage);
  w->flush();
  EXPECT_EQ(w->error(), -EIO);
  EXPECT_EQ(w->io_errno(), EPIPE);
  w.reset();
  close(s[1]);

  int q[2];
  ASSERT_EQ(pipe(q), 0);
  auto waiting = QemuFile::reader(q[0]);
  waiting->enable_read_ahead();
  auto full = QemuFile::writer(q[1]);
  full->enable_write_behind();
  Bytes lots(4 * kMiB, 1);  // far more than a pipe holds
  expect_shutdown_ends(*full, [&] { write_referenced(*full, lots); });
  // The reader has its first bytes; then it waits for more than will come.
  EXPECT_EQ(waiting->get_be64(), 0x0101010101010101u);
  expect_shutdown_ends(*waiting, [&] { waiting->skip(64 * kMiB); });
  waiting.reset();
  full.reset();
  close(q[0]);
  close(q[1]);
}

// A writer blocked in a gathered write of referenced pages is woken by
// shutdown, as one blocked in a copied write is.
TEST(QemuFile, ShutdownUnblocksAReferencedBatch) {
  int q[2];
  ASSERT_EQ(pipe(q), 0);
  auto w = QemuFile::writer(q[1]);
  Bytes lots(4 * kMiB, 1);  // far more than a pipe holds
  expect_shutdown_ends(*w, [&] { write_referenced(*w, lots); });
  close(q[0]);
  close(q[1]);
}

TEST(QemuFile, ShutdownUnblocksReaderAndWriter) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto r = QemuFile::reader(p[0]);
  expect_shutdown_ends(*r, [&] { r->get_be32(); });  // nobody writes

  int q[2];
  ASSERT_EQ(pipe(q), 0);
  auto w = QemuFile::writer(q[1]);
  Bytes lots(4 * kMiB, 1);  // far more than a pipe holds
  expect_shutdown_ends(*w, [&] {
    w->put_buffer(lots);
    w->flush();
  });
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

TEST(QemuFile, ReturnPathMessages) {
  Bytes sink;
  {
    auto w = mem_writer(&sink);
    write_rp_pong(*w, 1);
    write_rp_shut(*w, 0);
  }
  EXPECT_EQ(sink, (Bytes{0, 2, 0, 4, 0, 0, 0, 1, 0, 1, 0, 4, 0, 0, 0, 0}));
  auto r = mem_reader(sink);
  RpMessage m;
  std::string err;
  ASSERT_TRUE(read_rp_message(*r, &m, &err));
  EXPECT_EQ(m.type, 2);
  EXPECT_EQ(m.payload, (Bytes{0, 0, 0, 1}));
  ASSERT_TRUE(read_rp_message(*r, &m, &err));
  EXPECT_EQ(m.type, 1);
  EXPECT_FALSE(read_rp_message(*r, &m, &err));
  EXPECT_EQ(err, "");

  auto bad = mem_reader(Bytes{0, 9, 0, 0});
  EXPECT_FALSE(read_rp_message(*bad, &m, &err));
  EXPECT_EQ(err, "RP: Received invalid message 0x0009 length 0x0000");
  auto badlen = mem_reader(Bytes{0, 1, 0, 3, 0, 0, 0});
  EXPECT_FALSE(read_rp_message(*badlen, &m, &err));
  EXPECT_EQ(err, "RP: Received 'SHUT' message (0x0001) withincorrect length 3 expecting 4");
}

// ------------------------------------------------------------------ vmstate

TEST(Vmdesc, NoneMachineMatchesReference) {
  Bytes sink;
  auto w = mem_writer(&sink);
  TimerState t;
  GlobalState gs;
  gs.store(qapi::RunState::kRunning);
  std::string json;
  ASSERT_EQ(save_device_state(*w, none_machine_devices(t, gs), {}, &json), 0);
  EXPECT_EQ(json, kNoneVmdesc);
  EXPECT_EQ(json.size(), 486u);
  // And the bytes a real 7.2 sent.
  Bytes cap = read_file(data_path("qemu72-none-4M-zero.stream"));
  ASSERT_GT(cap.size(), 486u);
  EXPECT_EQ(std::string(cap.end() - 486, cap.end()), json);
}

TEST(Vmstate, GlobalStateEncodingAndStaleTail) {
  GlobalState gs;
  gs.store(qapi::RunState::kFinishMigrate);
  gs.store(qapi::RunState::kPaused);  // "paused\0" over "finish-migrate\0"
  Bytes sink;
  {
    auto w = mem_writer(&sink);
    ASSERT_EQ(vmstate_save(*w, kGlobalStateVmsd, &gs, nullptr), 0);
  }
  ASSERT_EQ(sink.size(), 104u);
  EXPECT_EQ(Bytes(sink.begin(), sink.begin() + 4), (Bytes{0, 0, 0, 7}));
  EXPECT_EQ(std::string(sink.begin() + 4, sink.begin() + 19), std::string("paused\0migrate\0", 15));
  GlobalState in;
  auto r = mem_reader(sink);
  LoadLog log;
  ASSERT_EQ(vmstate_load(*r, kGlobalStateVmsd, &in, 1, log), 0);
  EXPECT_TRUE(in.received);
  EXPECT_EQ(in.state, qapi::RunState::kPaused);
}

TEST(Vmstate, TimerVersion1HasNoClockOffset) {
  Bytes body = B().be64(5).zeros(8).b;
  TimerState t;
  t.cpu_clock_offset = 77;
  auto r = mem_reader(body);
  LoadLog log;
  ASSERT_EQ(vmstate_load(*r, kTimerVmsd, &t, 1, log), 0);
  EXPECT_EQ(t.cpu_ticks_offset, 5);
  EXPECT_EQ(t.cpu_clock_offset, 77);
}

TEST(Vmstate, TimerIcountSubsectionsAccepted) {
  Bytes body = B().be64(1)
                   .zeros(8)
                   .be64(2)
                   .u8(5)
                   .cstr("timer/icount")
                   .be32(1)
                   .be64(10)
                   .be64(11)
                   .u8(5)
                   .cstr("timer/icount/shift")
                   .be32(2)
                   .be16(3)
                   .be64(12)
                   .u8(0x7e)
                   .b;
  TimerState t;
  auto r = mem_reader(body);
  LoadLog log;
  ASSERT_EQ(vmstate_load(*r, kTimerVmsd, &t, 2, log), 0);
  EXPECT_TRUE(t.icount_received);
  EXPECT_EQ(t.qemu_icount, 11);
  EXPECT_EQ(t.icount_time_shift, 3);
  EXPECT_EQ(t.last_delta, 12);
  EXPECT_EQ(r->get_byte(), 0x7e);  // the footer is left for the caller
}

// ------------------------------------------------------- writer vs captures

TEST(StreamWriter, ZeroRamStreamIsByteIdenticalToQemu) {
  Bytes cap = read_file(data_path("qemu72-none-4M-zero.stream"));
  ASSERT_EQ(cap.size(), 9997u);
  Bytes mem(4 * kMiB, 0);
  std::vector<RamBlockView> blocks{{"ram", mem.data(), mem.size()}};
  TimerState timer = timer_from_capture(cap);
  GlobalState gs;
  RamSender ram;
  Bytes out;
  {
    auto f = mem_writer(&out);
    write_none_stream(*f, blocks, timer, gs, ram);
    EXPECT_EQ(f->bytes_transferred(), out.size());
  }
  EXPECT_EQ(out, cap);
  RamCounters c = ram.counters();
  EXPECT_EQ(c.duplicate, 1024u);
  EXPECT_EQ(c.normal, 0u);
  EXPECT_EQ(c.transferred, 13 + 1023 * 9 + 8u);  // records + the PART's EOS
  EXPECT_EQ(c.precopy_bytes, c.transferred);
  EXPECT_EQ(c.downtime_bytes, 0u);
}

TEST(StreamWriter, PatternStreamIsByteIdenticalToQemu) {
  Bytes cap = read_file(data_path("qemu72-none-4M-pattern.stream"));
  ASSERT_FALSE(cap.empty());
  Bytes mem = fill_pattern(4 * kMiB);
  std::vector<RamBlockView> blocks{{"mem", mem.data(), mem.size()}};
  TimerState timer = timer_from_capture(cap);
  GlobalState gs;
  RamSender ram;
  Bytes out;
  {
    auto f = mem_writer(&out);
    write_none_stream(*f, blocks, timer, gs, ram);
  }
  EXPECT_EQ(out.size(), cap.size());
  EXPECT_TRUE(out == cap);
  RamCounters c = ram.counters();
  EXPECT_EQ(c.normal, 18u);  // 16 pattern pages, page 5, the last page
  EXPECT_EQ(c.duplicate, 1024u - 18u);
  EXPECT_EQ(c.normal_bytes(), 18 * kPage);
}

TEST(StreamWriter, HeaderSubsections) {
  Bytes out;
  {
    auto f = mem_writer(&out);
    SaveConfig cfg;
    cfg.x_ignore_shared = true;
    cfg.uuid = Uuid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    save_header(*f, cfg);
    save_open_return_path(*f);
    save_ping(*f, 1);
  }
  Bytes want = B().header()
                   .u8(5)
                   .cstr("configuration/capabilities")
                   .be32(1)
                   .be32(1)
                   .cstr("x-ignore-shared")
                   .u8(5)
                   .cstr("configuration/uuid")
                   .be32(1)
                   .bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
                   .u8(8)
                   .be16(1)
                   .be16(0)
                   .u8(8)
                   .be16(2)
                   .be16(4)
                   .be32(1)
                   .b;
  EXPECT_EQ(out, want);
}

// ------------------------------------------------------- loader vs captures

TEST(StreamLoader, LoadsRealQemuPatternStream) {
  Bytes cap = read_file(data_path("qemu72-none-4M-pattern.stream"));
  Dest d(4 * kMiB, "mem");
  auto r = d.load(cap);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(d.mem, fill_pattern(4 * kMiB));
  ASSERT_TRUE(r->runstate.has_value());
  EXPECT_EQ(*r->runstate, qapi::RunState::kRunning);
  EXPECT_TRUE(r->vmdesc_received);
  EXPECT_TRUE(r->timer_received);
  EXPECT_EQ(d.timer.cpu_clock_offset, timer_from_capture(cap).cpu_clock_offset);
  EXPECT_EQ(r->normal_pages, 18u);
  EXPECT_EQ(r->zero_pages, 1006u);
  EXPECT_TRUE(r->messages.empty());
}

TEST(StreamLoader, LoadsRealQemuZeroStream) {
  Dest d;
  std::fill(d.mem.begin(), d.mem.end(), 0x33);  // ZERO pages must clear it
  auto r = d.load(read_file(data_path("qemu72-none-4M-zero.stream")));
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(d.mem, Bytes(4 * kMiB, 0));
}

TEST(StreamLoader, RoundTripOverPipe) {
  Bytes src = fill_pattern(8 * kMiB);
  for (size_t i = 0; i < src.size(); i += 4096 * 3) src[i + 17] ^= 0x5a;
  std::vector<RamBlockView> blocks{{"ram", src.data(), 4 * kMiB},
                                   {"extra", src.data() + 4 * kMiB, 4 * kMiB}};
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::thread sender([&] {
    auto f = QemuFile::writer(p[1]);
    TimerState t{.cpu_ticks_offset = 123, .cpu_clock_offset = 456};
    GlobalState gs;
    RamSender ram;
    save_header(*f, SaveConfig{});
    ram.write_setup_section(*f, blocks);
    // Two passes; the second resends some pages in reverse order.
    for (int pass = 0; pass < 2; pass++) {
      ram.begin_part(*f);
      for (const RamBlockView& b : blocks) {
        for (uint64_t off = 0; off < b.used_length; off += kPage) {
          uint64_t o = pass ? b.used_length - kPage - off : off;
          if (pass && (o / kPage) % 5) continue;
          ram.write_page(*f, b, o);
        }
      }
      ram.end_part(*f);
    }
    ram.begin_end(*f);
    ram.end_end(*f);
    gs.store(qapi::RunState::kPaused);
    save_device_state(*f, none_machine_devices(t, gs));
    f->flush();
    EXPECT_EQ(f->error(), 0);
    close(p[1]);
  });
  Bytes dst(8 * kMiB, 0xee);
  LoadTarget t;
  t.ram_blocks = {{"ram", dst.data(), 4 * kMiB}, {"extra", dst.data() + 4 * kMiB, 4 * kMiB}};
  TimerState timer;
  t.timer = &timer;
  auto f = QemuFile::reader(p[0]);
  auto r = load_stream(*f, t);
  sender.join();
  close(p[0]);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(dst, src);
  EXPECT_EQ(*r->runstate, qapi::RunState::kPaused);
  EXPECT_EQ(timer.cpu_ticks_offset, 123);
  EXPECT_EQ(timer.cpu_clock_offset, 456);
}

TEST(StreamLoader, MultifdStyleZeroCheckAndEosHook) {
  Bytes mem = fill_pattern(4 * kMiB);
  RamBlockView blk{"ram", mem.data(), mem.size()};
  RamSender ram;
  Bytes out;
  auto f = mem_writer(&out);
  ram.begin_part(*f);
  EXPECT_TRUE(ram.write_zero_page_if_zero(*f, blk, kPage));
  EXPECT_FALSE(ram.write_zero_page_if_zero(*f, blk, 0));
  ram.count_multifd_page();
  ram.end_part(*f);
  EXPECT_EQ(ram.counters().normal, 1u);
  EXPECT_EQ(ram.counters().duplicate, 1u);
  EXPECT_EQ(ram.counters().transferred, 13u + 8u);

  Dest d;
  int syncs = 0;
  d.target.ram_eos_sync = [&] {
    syncs++;
    return 0;
  };
  Bytes s = B().header().ram_setup("ram", 4 * kMiB).b;
  s.insert(s.end(), out.begin(), out.end());
  B tail;
  tail.eof_vmdesc();
  s.insert(s.end(), tail.b.begin(), tail.b.end());
  auto r = d.load(s);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(syncs, 2);  // setup EOS and the PART's EOS
}

// ------------------------------------------------------------ header errors

TEST(LoaderErrors, BadMagic) {
  Dest d;
  EXPECT_EQ(load_error(d, B().be32(0x5145564e).be32(3).b),
            "Not a migration stream\nload of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, Bytes{}),
            "Not a migration stream\nload of migration failed: Invalid argument");
}

TEST(LoaderErrors, Versions) {
  Dest d;
  EXPECT_EQ(load_error(d, B().be32(kFileMagic).be32(2).b),
            "SaveVM v2 format is obsolete and don't work anymore\n"
            "load of migration failed: Operation not supported");
  EXPECT_EQ(load_error(d, B().be32(kFileMagic).be32(4).b),
            "Unsupported migration stream version\n"
            "load of migration failed: Operation not supported");
}

TEST(LoaderErrors, ConfigurationMissing) {
  Dest d;
  EXPECT_EQ(load_error(d, B().be32(kFileMagic).be32(3).u8(1).b),
            "Configuration section missing\nload of migration failed: Invalid argument");
}

TEST(LoaderErrors, MachineName) {
  Dest d;
  EXPECT_EQ(load_error(d, B().be32(kFileMagic).be32(3).u8(7).be32(2).str("pc").u8(0).b),
            "Machine type received is 'pc' and local is 'none'\n"
            "load of migration failed: Invalid argument");
  // A prefix of the local name is accepted (7.2 compares with strncmp).
  auto ok = d.load(B().be32(kFileMagic).be32(3).u8(7).be32(2).str("no").eof_vmdesc().b);
  EXPECT_TRUE(ok.ok());
  auto ok2 = d.load(B().be32(kFileMagic).be32(3).u8(7).be32(0).eof_vmdesc().b);
  EXPECT_TRUE(ok2.ok());
  EXPECT_FALSE(ok2->runstate.has_value());
  // Longer names fail, even when they start with the local one.
  EXPECT_EQ(load_error(d, B().be32(kFileMagic).be32(3).u8(7).be32(5).str("nonex").u8(0).b),
            "Machine type received is 'nonex' and local is 'none'\n"
            "load of migration failed: Invalid argument");
}

TEST(LoaderErrors, ConfigurationSubsections) {
  Dest d;
  auto cfg = [] { return B().be32(kFileMagic).be32(3).u8(7).be32(4).str("none"); };
  EXPECT_EQ(
      load_error(d, cfg().u8(5).cstr("configuration/target-page-bits").be32(1).be32(16).u8(0).b),
      "Received TARGET_PAGE_BITS is 16 but local is 12\n"
      "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, cfg()
                              .u8(5)
                              .cstr("configuration/capabilities")
                              .be32(1)
                              .be32(1)
                              .cstr("x-ignore-shared")
                              .u8(0)
                              .b),
            "Capability x-ignore-shared is off, but received capability is on\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(
      load_error(
          d, cfg().u8(5).cstr("configuration/capabilities").be32(1).be32(1).cstr("bogus").u8(0).b),
      "Received unknown capability bogus\n"
      "Failed to load configuration/capabilities:capabilities\n"
      "load of migration failed: Invalid argument");
  // Other capability names are known but not validated.
  EXPECT_TRUE(d.load(cfg()
                         .u8(5)
                         .cstr("configuration/capabilities")
                         .be32(1)
                         .be32(1)
                         .cstr("events")
                         .eof_vmdesc()
                         .b)
                  .ok());
  EXPECT_EQ(load_error(d, cfg().u8(5).cstr("configuration/nope").be32(1).b),
            "load of migration failed: No such file or directory");
  EXPECT_EQ(load_error(d, cfg().u8(5).cstr("configuration/uuid").be32(2).b),
            "configuration/uuid: incoming version_id 2 is too new for local version_id 1\n"
            "load of migration failed: Invalid argument");
  Uuid u{0x12, 0x34};
  auto r = d.load(cfg()
                      .u8(5)
                      .cstr("configuration/uuid")
                      .be32(1)
                      .bytes(Bytes(u.begin(), u.end()))
                      .eof_vmdesc()
                      .b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages, std::vector<std::string>{"warning: UUID is received "
                                                  "12340000-0000-0000-0000-000000000000, but "
                                                  "local uuid isn't set"});
  d.target.local_uuid = Uuid{};
  EXPECT_EQ(
      load_error(d,
                 cfg().u8(5).cstr("configuration/uuid").be32(1).bytes(Bytes(u.begin(), u.end())).b),
      "UUID received is 12340000-0000-0000-0000-000000000000 and local is "
      "00000000-0000-0000-0000-000000000000\n"
      "load of migration failed: Invalid argument");
}

TEST(LoaderErrors, HugeConfigurationNameIsNotAllocated) {
  Dest d;
  // Claims 4 GB of machine name, sends 10 bytes.
  EXPECT_EQ(load_error(d, B().be32(kFileMagic).be32(3).u8(7).be32(0xffffffff).str("noneXXXXXX").b),
            "Failed to load configuration:name\nload of migration failed: Input/output error");
}

// ----------------------------------------------------------- section errors

TEST(LoaderErrors, UnknownSection) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().full(9, "foo", 0, 1).b),
            "Unknown savevm section or instance 'foo' 0. Make sure that your current VM setup "
            "matches your saved VM setup, including any hotplugged devices\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().full(9, "timer", 1, 2).b),
            "Unknown savevm section or instance 'timer' 1. Make sure that your current VM setup "
            "matches your saved VM setup, including any hotplugged devices\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().u8(2).be32(5).b),
            "Unknown savevm section 5\nload of migration failed: Invalid argument");
}

TEST(LoaderErrors, UnknownSectionType) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().u8(9).b),
            "Unknown savevm section type 9\nload of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().u8(0x7e).b),
            "Unknown savevm section type 126\nload of migration failed: Invalid argument");
}

TEST(LoaderErrors, UnsupportedVersion) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().start(2, "ram", 0, 5).b),
            "savevm: unsupported version 5 for 'ram' v4\nload of migration failed: Invalid "
            "argument");
  // Older RAM versions fail without a reason of their own.
  EXPECT_EQ(load_error(d, B().header().start(2, "ram", 0, 3).b),
            "error while loading state for instance 0x0 of device 'ram'\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().full(0, "timer", 0, 0).b),
            "timer: incoming version_id 0 is too old for local minimum version_id  1\n"
            "error while loading state for instance 0x0 of device 'timer'\n"
            "load of migration failed: Invalid argument");
}

TEST(LoaderErrors, Footers) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().full(0, "timer", 0, 2).zeros(24).u8(0).b),
            "Missing section footer for timer\nload of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().full(0, "timer", 0, 2).zeros(24).footer(3).b),
            "Mismatched section id in footer for timer - read 0x3 expected 0x0\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header()
                              .start(2, "ram", 0, 4)
                              .be64(4 * kMiB | 4)
                              .cstr("ram")
                              .be64(4 * kMiB)
                              .be64(0x10)
                              .b),
            "check_section_footer: Read section footer failed: -5\n"
            "load of migration failed: Invalid argument");
  // Without footers expected, none are read.
  d.target.send_section_footer = false;
  EXPECT_TRUE(d.load(B().header().full(0, "timer", 0, 2).zeros(24).eof_vmdesc().b).ok());
}

TEST(LoaderErrors, PartWithSectionIdZeroGoesToTimer) {
  Dest d;
  // RAM started as section 0, as a buggy source might: PART 0 then reaches
  // timer, the first handler whose id is 0 (7.2's pitfall).
  EXPECT_EQ(load_error(d, B().header().ram_setup("ram", 4 * kMiB, 0).u8(2).be32(0).be64(0x10).b),
            "timer: incoming version_id 0 is too old for local minimum version_id  1\n"
            "error while loading state section id 0(timer)\n"
            "load of migration failed: Invalid argument");
}

TEST(LoaderErrors, GlobalStateBogusRunState) {
  Dest d;
  Bytes name(100, 0);
  std::memcpy(name.data(), "bogus", 5);
  EXPECT_EQ(
      load_error(
          d,
          B().header().full(4, "globalstate", 0, 1).be32(6).bytes(name).footer(4).eof_vmdesc().b),
      "invalid parameter value: bogus\n"
      "error while loading state for instance 0x0 of device 'globalstate'\n"
      "load of migration failed: Invalid argument");
  // 100 bytes with no NUL: cut to 99.
  Bytes full(100, 'x');
  EXPECT_EQ(load_error(d, B().header().full(4, "globalstate", 0, 1).be32(6).bytes(full).b),
            "invalid parameter value: " + std::string(99, 'x') +
                "\nerror while loading state for instance 0x0 of device 'globalstate'\n"
                "load of migration failed: Invalid argument");
}

TEST(LoaderErrors, TruncatedInsideDevice) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().full(0, "timer", 0, 2).zeros(4).b),
            "Failed to load timer:cpu_ticks_offset\n"
            "error while loading state for instance 0x0 of device 'timer'\n"
            "load of migration failed: Input/output error");
}

// --------------------------------------------------------------- RAM errors

TEST(RamErrors, SizeMismatch) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().ram_setup("ram", 2 * kMiB).b),
            "Size mismatch: ram: 0x200000 != 0x400000: Invalid argument\n"
            "error while loading state for instance 0x0 of device 'ram'\n"
            "load of migration failed: Invalid argument");
}

TEST(RamErrors, UnknownBlock) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().ram_setup("pc.ram", 4 * kMiB).b),
            "Unknown ramblock \"pc.ram\", cannot accept migration\n"
            "error while loading state for instance 0x0 of device 'ram'\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(
      load_error(
          d, B().header().ram_setup("ram", 4 * kMiB).u8(2).be32(2).be64(2).cstr("nope").u8(0).b),
      "Can't find block nope\nIllegal RAM offset 0\n"
      "error while loading state section id 2(ram)\n"
      "load of migration failed: Invalid argument");
}

TEST(RamErrors, OffsetBeyondBlock) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header()
                              .ram_setup("ram", 4 * kMiB)
                              .u8(2)
                              .be32(2)
                              .be64(4 * kMiB | 8)
                              .cstr("ram")
                              .zeros(4096)
                              .b),
            "Illegal RAM offset 400000\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header()
                              .ram_setup("ram", 4 * kMiB)
                              .u8(2)
                              .be32(2)
                              .be64(0xfffffffffffff000ull | 2)
                              .cstr("ram")
                              .u8(0)
                              .b),
            "Illegal RAM offset fffffffffffff000\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(d.mem, Bytes(4 * kMiB, 0));
}

TEST(RamErrors, BlockNotPageMultipleNeverOverflows) {
  // A block whose length is not a page multiple: the last partial page is
  // refused instead of being written past the end.
  Bytes mem(3 * kPage + 100, 0);
  LoadTarget t;
  t.ram_blocks = {{"ram", mem.data(), mem.size()}};
  Bytes s = B().header()
                .start(2, "ram", 0, 4)
                .be64(0x10)
                .footer(2)
                .u8(2)
                .be32(2)
                .be64(3 * kPage | 8)
                .cstr("ram")
                .bytes(Bytes(kPage, 0xaa))
                .b;
  auto f = mem_reader(s);
  auto r = load_stream(*f, t);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().desc.find("Illegal RAM offset 3000"), std::string::npos);
}

TEST(RamErrors, ContinueWithoutBlock) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().ram_setup("ram", 4 * kMiB).u8(2).be32(2).be64(0x22).u8(0).b),
            "Ack, bad migration stream!\nIllegal RAM offset 0\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
}

TEST(RamErrors, BadFlags) {
  Dest d;
  auto part = [] { return B().header().ram_setup("ram", 4 * kMiB).u8(2).be32(2); };
  EXPECT_EQ(load_error(d, part().be64(0x200).b),
            "Unknown combination of migration flags: 0x200\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, part().be64(0x01).b),
            "Unknown combination of migration flags: 0x1\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, part().be64(0x0a).cstr("ram").b),
            "Unknown combination of migration flags: 0xa\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, part().be64(0x100).cstr("ram").be32(10).b),
            "Received an unexpected compressed page\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  // RDMA hook without RDMA: silent failure.
  EXPECT_EQ(load_error(d, part().be64(0x80).b),
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
}

TEST(RamErrors, XbzrleIsAlwaysDecoded) {
  // 7.2 decodes XBZRLE pages even without the capability.
  Dest d;
  std::fill(d.mem.begin(), d.mem.begin() + kPage, 0x11);
  // zero run 10, literal 3 bytes "abc"
  Bytes enc{10, 3, 'a', 'b', 'c'};
  auto r = d.load(B().header()
                      .ram_setup("ram", 4 * kMiB)
                      .u8(2)
                      .be32(2)
                      .be64(0x40)
                      .cstr("ram")
                      .u8(1)
                      .be16(5)
                      .bytes(enc)
                      .be64(0x10)
                      .footer(2)
                      .eof_vmdesc()
                      .b);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(d.mem[9], 0x11);
  EXPECT_EQ(d.mem[10], 'a');
  EXPECT_EQ(d.mem[12], 'c');
  EXPECT_EQ(d.mem[13], 0x11);
  auto part = [] { return B().header().ram_setup("ram", 4 * kMiB).u8(2).be32(2); };
  EXPECT_EQ(load_error(d, part().be64(0x40).cstr("ram").u8(2).be16(5).b),
            "Failed to load XBZRLE page - wrong compression!\n"
            "Failed to decompress XBZRLE page at 0\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, part().be64(0x40).cstr("ram").u8(1).be16(4097).b),
            "Failed to load XBZRLE page - len overflow!\n"
            "Failed to decompress XBZRLE page at 0\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
  // Literal running past the page.
  EXPECT_EQ(
      load_error(d, part().be64(0x40).cstr("ram").u8(1).be16(4).bytes({0xff, 0x1f, 0x7f, 1}).b),
      "Failed to load XBZRLE page - decode error!\n"
      "Failed to decompress XBZRLE page at 0\n"
      "error while loading state section id 2(ram)\n"
      "load of migration failed: Invalid argument");
}

TEST(RamErrors, CompressedPagesWhenEnabled) {
  Dest d;
  d.target.compress = true;
  Bytes page(kPage, 0x42);
  uLongf clen = compressBound(kPage);
  Bytes comp(clen);
  ASSERT_EQ(compress(comp.data(), &clen, page.data(), kPage), Z_OK);
  comp.resize(clen);
  auto r = d.load(B().header()
                      .ram_setup("ram", 4 * kMiB)
                      .u8(2)
                      .be32(2)
                      .be64(kPage | 0x100)
                      .cstr("ram")
                      .be32(static_cast<uint32_t>(comp.size()))
                      .bytes(comp)
                      .be64(0x10)
                      .footer(2)
                      .eof_vmdesc()
                      .b);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(Bytes(d.mem.begin() + kPage, d.mem.begin() + 2 * kPage), page);
  EXPECT_EQ(load_error(d, B().header()
                              .ram_setup("ram", 4 * kMiB)
                              .u8(2)
                              .be32(2)
                              .be64(0x100)
                              .cstr("ram")
                              .be32(99999)
                              .b),
            "Invalid compressed data length: 99999\n"
            "error while loading state section id 2(ram)\n"
            "load of migration failed: Invalid argument");
}

// ----------------------------------------------------------------- commands

TEST(Commands, PingNeedsReturnPath) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(2).be16(4).be32(1).b),
            "CMD_PING (0x1) received with no return path\n"
            "load of migration failed: Operation not permitted");
  std::vector<uint32_t> pongs;
  d.target.open_return_path = [] { return true; };
  d.target.send_pong = [&](uint32_t v) { pongs.push_back(v); };
  auto r = d.load(B().header()
                      .u8(8)
                      .be16(1)
                      .be16(0)
                      .u8(8)
                      .be16(2)
                      .be16(4)
                      .be32(7)
                      .u8(8)
                      .be16(1)
                      .be16(0)
                      .eof_vmdesc()
                      .b);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_TRUE(r->return_path_opened);
  EXPECT_EQ(pongs, std::vector<uint32_t>{7});
  EXPECT_EQ(r->messages,
            std::vector<std::string>{"CMD_OPEN_RETURN_PATH called when RP already open"});
  d.target.open_return_path = nullptr;
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(1).be16(0).b),
            "CMD_OPEN_RETURN_PATH failed\nload of migration failed: Operation not permitted");
}

TEST(Commands, UnknownAndBadLength) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(0xc).be16(0).b),
            "MIG_CMD 0xc unknown (len 0x0)\nload of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(0).be16(0).b),
            "MIG_CMD 0x0 unknown (len 0x0)\nload of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(2).be16(3).b),
            "PING received with bad length - expecting 4, got 3\n"
            "load of migration failed: Numerical result out of range");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(8).be16(1).b),
            "(null) received with bad length - expecting 0, got 1\n"
            "load of migration failed: Numerical result out of range");
}

TEST(Commands, PostcopyWithoutPostcopy) {
  Dest d;
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(3).be16(16).be64(4096).be64(4096).b),
            "RAM postcopy is disabled but have 16 byte advise\n"
            "load of migration failed: Invalid argument");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(3).be16(5).b),
            "CMD_POSTCOPY_ADVISE invalid length (5)\nload of migration failed: Invalid argument");
  // A 0-byte advise (dirty bitmaps only) is accepted; a second one is not.
  EXPECT_TRUE(d.load(B().header().u8(8).be16(3).be16(0).eof_vmdesc().b).ok());
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(3).be16(0).u8(8).be16(3).be16(0).b),
            "CMD_POSTCOPY_ADVISE in wrong postcopy state (1)\n"
            "load of migration failed: Operation not permitted");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(4).be16(0).b),
            "CMD_POSTCOPY_LISTEN in wrong postcopy state (0)\n"
            "load of migration failed: Operation not permitted");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(5).be16(0).b),
            "CMD_POSTCOPY_RUN in wrong postcopy state (0)\n"
            "load of migration failed: Operation not permitted");
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(6).be16(20).b),
            "CMD_POSTCOPY_RAM_DISCARD in wrong postcopy state (0)\n"
            "load of migration failed: Operation not permitted");
  auto r = d.load(B().header().u8(8).be16(9).be16(0).eof_vmdesc().b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages,
            std::vector<std::string>{"loadvm_postcopy_handle_resume: illegal resume received"});
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(10).be16(4).cstr("abc").b),
            "loadvm_handle_recv_bitmap: block 'abc' not found\n"
            "load of migration failed: Invalid argument");
}

TEST(Commands, PackagedStreamIsLoaded) {
  Dest d;
  Bytes inner = B().ram_setup("ram", 4 * kMiB)
                    .u8(2)
                    .be32(2)
                    .be64(kPage | 8)
                    .cstr("ram")
                    .bytes(Bytes(kPage, 0x77))
                    .be64(0x10)
                    .footer(2)
                    .u8(0)
                    .b;
  auto r = d.load(B().header()
                      .u8(8)
                      .be16(7)
                      .be16(4)
                      .be32(static_cast<uint32_t>(inner.size()))
                      .bytes(inner)
                      .eof_vmdesc()
                      .b);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(d.mem[kPage], 0x77);
  // 4 GB announced, 3 bytes sent: no 4 GB buffer, 7.2's message.
  EXPECT_EQ(load_error(d, B().header().u8(8).be16(7).be16(4).be32(0xffffffff).str("abc").b),
            "CMD_PACKAGED: Buffer receive fail ret=3 length=4294967295\n"
            "load of migration failed: Resource temporarily unavailable");
}

TEST(Commands, PackagedInsidePackagedIsRefused) {
  // Nested packages used to be loaded, each level holding a copy of the
  // rest of the stream: 540 KB of them took more than 2 GB.
  Dest d;
  Bytes inner = B().u8(8).be16(7).be16(4).be32(1).u8(0).b;
  EXPECT_EQ(load_error(d, B().header()
                              .u8(8)
                              .be16(7)
                              .be16(4)
                              .be32(static_cast<uint32_t>(inner.size()))
                              .bytes(inner)
                              .eof_vmdesc()
                              .b),
            "CMD_PACKAGED inside CMD_PACKAGED is not supported by this emulator\n"
            "load of migration failed: Operation not supported");
}

// ------------------------------------------------------------- end of stream

TEST(EndOfStream, VmdescHandling) {
  Dest d;
  auto r = d.load(B().header().u8(0).b);  // source closed after EOF
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages, std::vector<std::string>{"Expected vmdescription section, but got 0"});
  EXPECT_FALSE(r->vmdesc_received);
  r = d.load(B().header().u8(0).u8(9).b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages, std::vector<std::string>{"Expected vmdescription section, but got 9"});
  // A 4 GB vmdesc that never comes: skipped without allocating, still success.
  auto t0 = std::chrono::steady_clock::now();
  r = d.load(B().header().u8(0).u8(6).be32(0xffffffff).str("{}").b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->vmdesc_received);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(EndOfStream, EveryTruncationFailsCleanly) {
  for (const char* name : {"qemu72-none-4M-zero.stream", "qemu72-none-4M-pattern.stream"}) {
    Bytes cap = read_file(data_path(name));
    ASSERT_FALSE(cap.empty());
    const std::string block = std::string(name).find("zero") != std::string::npos ? "ram" : "mem";
    // The EOF byte: cuts after it succeed.
    size_t eof_at = cap.size() - 486 - 5 - 1;
    ASSERT_EQ(cap[eof_at], 0);
    // Every cut near both ends, and a stride coprime with the 9-byte zero
    // page records in between.
    size_t step = cap.size() > 20000 ? 97 : 13;
    Dest d(4 * kMiB, block);
    for (size_t cut = 0; cut < cap.size(); cut += (cut < 200 || cut > eof_at - 300) ? 1 : step) {
      auto r = d.load(Bytes(cap.begin(), cap.begin() + cut));
      if (cut > eof_at) {
        EXPECT_TRUE(r.ok()) << "cut " << cut;
        continue;
      }
      ASSERT_FALSE(r.ok()) << "cut " << cut;
      const std::string& e = r.error().desc;
      EXPECT_EQ(e.rfind("load of migration failed: "), e.find("load of migration failed: ")) << e;
      EXPECT_NE(e.find("load of migration failed: "), std::string::npos) << "cut " << cut;
    }
  }
}

TEST(EndOfStream, RandomGarbageNeverCrashes) {
  Bytes cap = read_file(data_path("qemu72-none-4M-pattern.stream"));
  uint32_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 1103515245 + 12345;
    return seed >> 8;
  };
  Dest d(4 * kMiB, "mem");
  for (int i = 0; i < 300; i++) {
    Bytes s(cap.begin(), cap.begin() + std::min<size_t>(cap.size(), 200 + rnd() % 9000));
    for (int k = 0; k < 3; k++) s[rnd() % s.size()] = static_cast<uint8_t>(rnd());
    auto r = d.load(s);
    (void)r;
  }
}

// ----------------------------------------------------------------- interop
// Driven by scripts/check-stream-interop (skipped unless MIGEMU_INTEROP_DIR
// is set): writes a stream for a real QEMU destination, or loads one that a
// real QEMU source produced.

TEST(Interop, WriteStreamForQemu) {
  const char* dir = getenv("MIGEMU_INTEROP_DIR");
  if (!dir) GTEST_SKIP() << "MIGEMU_INTEROP_DIR not set";
  Bytes mem = fill_pattern(4 * kMiB);
  for (size_t i = 7 * kPage; i < 9 * kPage; i++) mem[i] = static_cast<uint8_t>(i * 13);
  std::vector<RamBlockView> blocks{{"mem", mem.data(), mem.size()}};
  TimerState timer{.cpu_ticks_offset = 1000, .cpu_clock_offset = 2000};
  GlobalState gs;
  RamSender ram;
  Bytes out;
  {
    auto f = mem_writer(&out);
    write_none_stream(*f, blocks, timer, gs, ram);
  }
  write_file(std::string(dir) + "/migemu.stream", out);
  write_file(std::string(dir) + "/migemu.mem", mem);
}

TEST(Interop, LoadStreamFromQemu) {
  const char* dir = getenv("MIGEMU_INTEROP_DIR");
  if (!dir) GTEST_SKIP() << "MIGEMU_INTEROP_DIR not set";
  Bytes stream = read_file(std::string(dir) + "/qemu.stream");
  Bytes want = read_file(std::string(dir) + "/qemu.mem");
  ASSERT_FALSE(stream.empty());
  Dest d(want.size(), "mem");
  int fd = open((std::string(dir) + "/qemu.stream").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto f = QemuFile::reader(fd);
  auto r = load_stream(*f, d.target);
  close(fd);
  ASSERT_TRUE(r.ok()) << r.error().desc;
  EXPECT_EQ(d.mem, want);
  EXPECT_EQ(*r->runstate, qapi::RunState::kRunning);
}

// Sends the pattern stream with OPEN_RETURN_PATH + PING(1) on the connected
// socket $MIGEMU_SEND_FD (a real 7.2 destination) and reads its return
// path: PONG(1), then SHUT(0) once it has loaded everything.
TEST(Interop, SendWithReturnPath) {
  const char* fdenv = getenv("MIGEMU_SEND_FD");
  if (!fdenv) GTEST_SKIP() << "MIGEMU_SEND_FD not set";
  int fd = atoi(fdenv);
  Bytes mem = fill_pattern(4 * kMiB);
  std::vector<RamBlockView> blocks{{"mem", mem.data(), mem.size()}};
  TimerState timer;
  GlobalState gs;
  RamSender ram;
  auto f = QemuFile::writer(fd);
  auto rp = QemuFile::reader(fd);
  save_header(*f, SaveConfig{});
  save_open_return_path(*f);
  save_ping(*f, 1);
  f->flush();
  RpMessage m;
  std::string err;
  ASSERT_TRUE(read_rp_message(*rp, &m, &err)) << err;
  EXPECT_EQ(m.type, static_cast<uint16_t>(RpMessageType::kPong));
  EXPECT_EQ(m.payload, (Bytes{0, 0, 0, 1}));
  ram.write_setup_section(*f, blocks);
  ram.begin_part(*f);
  for (uint64_t off = 0; off < mem.size(); off += kPage) ram.write_page(*f, blocks[0], off);
  ram.end_part(*f);
  ram.begin_end(*f);
  ram.end_end(*f);
  gs.store(qapi::RunState::kRunning);
  ASSERT_EQ(save_device_state(*f, none_machine_devices(timer, gs)), 0);
  f->flush();
  ASSERT_EQ(f->error(), 0);
  ASSERT_TRUE(read_rp_message(*rp, &m, &err)) << err;
  EXPECT_EQ(m.type, static_cast<uint16_t>(RpMessageType::kShut));
  EXPECT_EQ(m.payload, (Bytes{0, 0, 0, 0}));
  printf("SHUT: %u\n", m.payload.size() == 4 ? m.payload[3] : 99u);
}

// Loads $MIGEMU_LOAD_FILE (or the connected socket $MIGEMU_LOAD_FD, with a
// return path: PONGs, then SHUT) into a 4 MiB "mem" destination and prints
// what a 7.2 destination would print on stderr, one "LINE: " per line, then
// "RESULT: ok|failed", and on success "MEMORY: <file>" with the RAM written
// to $MIGEMU_LOAD_FILE.mem (scripts/check-stream-interop).
TEST(Interop, LoadStreamFile) {
  const char* path = getenv("MIGEMU_LOAD_FILE");
  const char* fdenv = getenv("MIGEMU_LOAD_FD");
  if (!path && !fdenv) GTEST_SKIP() << "MIGEMU_LOAD_FILE / MIGEMU_LOAD_FD not set";
  Dest d(4 * kMiB, "mem");
  int fd = fdenv ? atoi(fdenv) : open(path, O_RDONLY);
  ASSERT_GE(fd, 0);
  auto f = QemuFile::reader(fd);
  std::unique_ptr<QemuFile> rp;
  std::vector<uint32_t> pongs;
  d.target.open_return_path = [&] {
    if (!fdenv) return false;
    rp = QemuFile::writer(fd);
    return true;
  };
  d.target.send_pong = [&](uint32_t v) {
    pongs.push_back(v);
    write_rp_pong(*rp, v);
  };
  auto r = load_stream(*f, d.target);
  if (rp && r.ok()) write_rp_shut(*rp, 0);
  rp.reset();
  close(fd);
  std::string text;
  if (r.ok()) {
    for (const std::string& l : r->messages) text += l + "\n";
  } else {
    text = r.error().desc + "\n";
  }
  for (size_t p = 0, q; (q = text.find('\n', p)) != std::string::npos; p = q + 1) {
    printf("LINE: %s\n", text.substr(p, q - p).c_str());
  }
  printf("RESULT: %s\n", r.ok() ? "ok" : "failed");
  for (uint32_t v : pongs) printf("PONG: %u\n", v);
  if (r.ok() && path) write_file(std::string(path) + ".mem", d.mem);
}

}  // namespace
}  // namespace migemu::migration
