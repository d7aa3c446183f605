// Multifd's wire pieces: the initial packet and the packet header (7.2's
// layout and checks), the zlib/zstd page streams (a continuing stream per
// channel, one flush per packet), and the bounded queue between the
// migration thread and a channel thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "migration/multifd_compress.h"
#include "migration/multifd_packet.h"
#include "migration/multifd_queue.h"
#include "util/iovec.h"

namespace migemu::migration::multifd {
namespace {

std::string err(const Result<uint8_t>& r) {
  return r.ok() ? "" : r.error().desc;
}

TEST(MultifdInit, LayoutIsQemus) {
  Uuid u{};
  for (int i = 0; i < 16; i++) u[i] = static_cast<uint8_t>(0xa0 + i);
  auto b = encode_init(InitPacket{u, 3});
  ASSERT_EQ(b.size(), 64u);
  const uint8_t head[] = {0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1};
  EXPECT_EQ(std::memcmp(b.data(), head, 8), 0);
  EXPECT_EQ(std::memcmp(b.data() + 8, u.data(), 16), 0);
  EXPECT_EQ(b[24], 3);
  for (size_t i = 25; i < 64; i++) EXPECT_EQ(b[i], 0) << i;
  auto id = decode_init(b, u, 4);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 3);
}

TEST(MultifdInit, ChecksInQemusOrderWithItsTexts) {
  Uuid zero{};
  auto b = encode_init(InitPacket{zero, 0});
  auto bad = b;
  bad[0] = 'Q';
  EXPECT_EQ(err(decode_init(bad, zero, 2)),
            "multifd: received packet magic 51223344 expected 11223344");
  bad = b;
  bad[7] = 2;
  EXPECT_EQ(err(decode_init(bad, zero, 2)), "multifd: received packet version 2 expected 1");
  bad = b;
  bad[8] = 0xff;
  bad[24] = 0xff;  // printed as a signed char, as 7.2's %hhd
  EXPECT_EQ(err(decode_init(bad, zero, 2)),
            "multifd: received uuid 'ff000000-0000-0000-0000-000000000000' and expected uuid "
            "'00000000-0000-0000-0000-000000000000' for channel -1");
  bad = b;
  bad[24] = 2;  // == channels: refused (7.2's text names the version)
  EXPECT_EQ(err(decode_init(bad, zero, 2)), "multifd: received channel version 1 expected 1");
  bad[24] = 1;
  EXPECT_TRUE(decode_init(bad, zero, 2).ok());
}

TEST(MultifdHeader, RoundTripAndSize) {
  PacketHeader h;
  h.flags = kFlagSync | kFlagZstd;
  h.normal_pages = 3;
  h.next_packet_size = 12345;
  h.packet_num = 0x0102030405060708ull;
  h.ramblock = "mem";
  h.offsets[0] = 0;
  h.offsets[1] = 0x1000;
  h.offsets[2] = 0x7fff000;
  std::array<uint8_t, kHeaderSize> raw;
  encode_header(h, raw);
  EXPECT_EQ(kHeaderSize, 1344u);
  EXPECT_EQ(raw[12], 0);
  EXPECT_EQ(raw[15], 128);  // pages_alloc
  EXPECT_EQ(std::string(reinterpret_cast<char*>(raw.data() + 64)), "mem");
  auto d = decode_header(raw);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->flags, h.flags);
  EXPECT_EQ(d->normal_pages, 3u);
  EXPECT_EQ(d->next_packet_size, 12345u);
  EXPECT_EQ(d->packet_num, h.packet_num);
  EXPECT_EQ(d->ramblock, "mem");
  EXPECT_EQ(d->offsets[2], 0x7fff000u);
}

TEST(MultifdHeader, RefusesWhatQemuRefuses) {
  PacketHeader h;
  std::array<uint8_t, kHeaderSize> raw;
  encode_header(h, raw);
  auto e = [](std::array<uint8_t, kHeaderSize> r) {
    auto d = decode_header(r);
    return d.ok() ? std::string() : d.error().desc;
  };
  auto bad = raw;
  bad[3] = 0;
  EXPECT_EQ(e(bad), "multifd: received packet magic 11223300 and expected magic 11223344");
  bad = raw;
  bad[7] = 9;
  EXPECT_EQ(e(bad), "multifd: received packet version 9 and expected version 1");
  bad = raw;
  bad[14] = 1;  // pages_alloc 384
  EXPECT_EQ(e(bad), "multifd: received packet with size 384 and expected a size of 128");
  bad = raw;
  bad[15] = 4;  // pages_alloc 4
  bad[19] = 5;  // normal_pages 5
  EXPECT_EQ(e(bad), "multifd: received packet with 5 pages and expected maximum pages are 4");
  // An unterminated block name is cut at 255 bytes.
  bad = raw;
  bad[19] = 1;
  std::memset(bad.data() + 64, 'a', 256);
  auto d = decode_header(bad);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ramblock.size(), 255u);
}

std::vector<std::vector<uint8_t>> some_pages(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> pages(n, std::vector<uint8_t>(4096));
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < 4096; k++) {
      // a mix: random, repeated, zero
      pages[i][k] = i % 3 == 0 ? static_cast<uint8_t>(rng()) : i % 3 == 1 ? uint8_t(i) : 0;
    }
  }
  return pages;
}

class MultifdCompression : public ::testing::TestWithParam<Compression> {};

TEST_P(MultifdCompression, ContinuingStreamOnePacketAtATime) {
  auto comp = make_compressor(GetParam(), 1, 0);
  auto dec = make_decompressor(GetParam(), 0);
  ASSERT_TRUE(comp.ok() && dec.ok());
  ASSERT_TRUE(*comp && *dec);
  for (uint32_t round = 0; round < 4; round++) {
    size_t n = round == 0 ? 1 : 128 - round;
    auto pages = some_pages(n, round);
    std::vector<const uint8_t*> in;
    for (auto& p : pages) in.push_back(p.data());
    auto payload = (*comp)->compress(in);
    ASSERT_TRUE(payload.ok()) << payload.error().desc;
    if (round == 0 && GetParam() == Compression::kZlib) {
      EXPECT_EQ((*payload)[0], 0x78);  // zlib wrapper, level 1
      EXPECT_EQ((*payload)[1], 0x01);
    }
    if (round == 0 && GetParam() == Compression::kZstd) {
      const uint8_t magic[] = {0x28, 0xb5, 0x2f, 0xfd};
      EXPECT_EQ(std::memcmp(payload->data(), magic, 4), 0);
    }
    EXPECT_LE(payload->size(), kMaxCompressedPayload);
    std::vector<uint8_t> copy(payload->begin(), payload->end());
    std::vector<std::vector<uint8_t>> out(n, std::vector<uint8_t>(4096, 0xee));
    std::vector<uint8_t*> dst;
    for (auto& p : out) dst.push_back(p.data());
    Status st = (*dec)->decompress(copy, dst);
    ASSERT_TRUE(st.ok()) << st.error().desc;
    EXPECT_EQ(out, pages) << "round " << round;
  }
}

TEST_P(MultifdCompression, TooFewBytesIsAnError) {
  auto comp = make_compressor(GetParam(), 1, 5);
  auto dec = make_decompressor(GetParam(), 5);
  auto pages = some_pages(4, 9);
  std::vector<const uint8_t*> in;
  for (auto& p : pages) in.push_back(p.data());
  auto payload = (*comp)->compress(in);
  ASSERT_TRUE(payload.ok());
  std::vector<uint8_t> copy(payload->begin(), payload->end());
  // The receiver is told to expect one page more than was sent.
  std::vector<std::vector<uint8_t>> out(5, std::vector<uint8_t>(4096));
  std::vector<uint8_t*> dst;
  for (auto& p : out) dst.push_back(p.data());
  Status st = (*dec)->decompress(copy, dst);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().desc.rfind("multifd 5: ", 0), 0u) << st.error().desc;
}

TEST_P(MultifdCompression, GarbageIsAnError) {
  auto dec = make_decompressor(GetParam(), 1);
  std::vector<uint8_t> junk(1000, 0x5a);
  std::vector<uint8_t> page(4096);
  uint8_t* dst[] = {page.data()};
  EXPECT_FALSE((*dec)->decompress(junk, dst).ok());
}

INSTANTIATE_TEST_SUITE_P(ZlibZstd, MultifdCompression,
                         ::testing::Values(Compression::kZlib, Compression::kZstd));

TEST(MultifdCompressionNone, NoObjects) {
  EXPECT_FALSE(*make_compressor(Compression::kNone, 1, 0));
  EXPECT_FALSE(*make_decompressor(Compression::kNone, 0));
  EXPECT_EQ(compression_flag(Compression::kNone), 0u);
  EXPECT_EQ(compression_flag(Compression::kZlib), kFlagZlib);
  EXPECT_EQ(compression_flag(Compression::kZstd), kFlagZstd);
}

// The readv/writev loops of the channels go on from where a short transfer
// stopped.
TEST(MultifdIov, ConsumeSkipsDoneEntriesAndShortensAPartialOne) {
  uint8_t a[10], b[20], c[30];
  iovec v[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
  iovec* p = v;
  int n = 3;
  iov_consume(&p, &n, 0);
  EXPECT_EQ(p, v);
  EXPECT_EQ(n, 3);
  iov_consume(&p, &n, 15);  // all of a, 5 bytes of b
  EXPECT_EQ(p, v + 1);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(p->iov_base, b + 5);
  EXPECT_EQ(p->iov_len, 15u);
  iov_consume(&p, &n, 15);  // exactly the rest of b
  EXPECT_EQ(p, v + 2);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(p->iov_base, c);
  iov_consume(&p, &n, 30);
  EXPECT_EQ(n, 0);
}

TEST(MultifdQueue, BoundedFifo) {
  int pops = 0;
  BoundedQueue<int> q(2, [&] { pops++; });
  int a = 1, b = 2, c = 3;
  EXPECT_TRUE(q.try_push(a));
  EXPECT_TRUE(q.try_push(b));
  EXPECT_FALSE(q.try_push(c));  // full
  EXPECT_EQ(c, 3);              // untouched
  EXPECT_EQ(*q.pop(), 1);
  EXPECT_EQ(pops, 1);
  EXPECT_TRUE(q.try_push(c));
  EXPECT_EQ(*q.pop(), 2);
  EXPECT_EQ(*q.pop(), 3);
  EXPECT_EQ(q.size(), 0u);
}

TEST(MultifdQueue, PushWaitsForRoomAcrossThreads) {
  BoundedQueue<int> q(1);
  std::atomic<int> sum{0};
  std::thread consumer([&] {
    while (auto v = q.pop()) sum += *v;
  });
  for (int i = 1; i <= 1000; i++) {
    int v = i;
    ASSERT_TRUE(q.push(v));
  }
  while (q.size()) std::this_thread::yield();
  q.close();
  consumer.join();
  EXPECT_EQ(sum.load(), 500500);
}

TEST(MultifdQueue, CloseWakesBlockedPushAndPop) {
  BoundedQueue<int> full(1), empty(1);
  int x = 1;
  ASSERT_TRUE(full.push(x));
  std::atomic<bool> push_done{false}, pop_done{false};
  std::thread pusher([&] {
    int y = 2;
    EXPECT_FALSE(full.push(y));  // woken by close, not by room
    push_done = true;
  });
  std::thread popper([&] {
    EXPECT_FALSE(empty.pop().has_value());
    pop_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(push_done.load());
  EXPECT_FALSE(pop_done.load());
  full.close();
  empty.close();
  pusher.join();
  popper.join();
  EXPECT_TRUE(full.closed());
  int z = 3;
  EXPECT_FALSE(full.try_push(z));
  EXPECT_FALSE(full.pop().has_value());  // queued items are dropped
}

}  // namespace
}  // namespace migemu::migration::multifd
