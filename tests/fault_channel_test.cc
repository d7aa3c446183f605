// migration/fault_channel.h: faults land on exactly the byte offset asked.
#include "migration/fault_channel.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace migemu::migration {
namespace {

using Kind = StreamFault::Kind;

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

TEST(FaultChannel, NoFaultsIsTheChannelItself) {
  std::vector<uint8_t> sink;
  auto inner = make_memory_writer(&sink);
  StreamChannel* raw = inner.get();
  EXPECT_EQ(make_faulty_channel(std::move(inner), {}).get(), raw);
}

TEST(FaultChannel, CorruptInvertsOneByteAcrossWrites) {
  std::vector<uint8_t> sink;
  auto ch = make_faulty_channel(make_memory_writer(&sink), {{Kind::kCorrupt, 1000, 0, 0}});
  auto data = pattern(3000);
  // in pieces that straddle the offset
  ASSERT_EQ(ch->write_all(data.data(), 999), 0);
  ASSERT_EQ(ch->write_all(data.data() + 999, 2001), 0);
  ASSERT_EQ(sink.size(), data.size());
  for (size_t i = 0; i < data.size(); i++) {
    EXPECT_EQ(sink[i], i == 1000 ? static_cast<uint8_t>(data[i] ^ 0xFF) : data[i]) << i;
  }
  EXPECT_EQ(data[1000], static_cast<uint8_t>(1000 * 7));  // the caller's buffer is untouched
}

// A multifd channel's faults count from its initial packet, which the
// destination read before the faulty channel existed.
TEST(FaultChannel, StartPositionShiftsTheOffsets) {
  std::vector<uint8_t> sink;
  auto ch = make_faulty_channel(make_memory_writer(&sink),
                                {{Kind::kCorrupt, 10, 0, 0}, {Kind::kCorrupt, 100, 0, 0}},
                                ECONNRESET, 64);
  auto data = pattern(100);
  ASSERT_EQ(ch->write_all(data.data(), data.size()), 0);
  ASSERT_EQ(sink.size(), data.size());
  for (size_t i = 0; i < data.size(); i++) {
    // offset 10 had already gone by; offset 100 is byte 36 of this stream
    EXPECT_EQ(sink[i], i == 36 ? static_cast<uint8_t>(data[i] ^ 0xFF) : data[i]) << i;
  }
  auto drop =
      make_faulty_channel(make_memory_writer(&sink), {{Kind::kDrop, 0, 0, 0}}, ECONNRESET, 64);
  EXPECT_EQ(drop->write_all(data.data(), 1), -ECONNRESET);  // due at once
}

TEST(FaultChannel, CorruptOnReads) {
  auto data = pattern(5000);
  auto ch = make_faulty_channel(make_memory_reader(data), {{Kind::kCorrupt, 4096, 0, 0}});
  std::vector<uint8_t> got;
  uint8_t buf[777];
  for (;;) {
    ssize_t n = ch->read(buf, sizeof buf);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    got.insert(got.end(), buf, buf + n);
  }
  ASSERT_EQ(got.size(), data.size());
  for (size_t i = 0; i < data.size(); i++) {
    ASSERT_EQ(got[i], i == 4096 ? static_cast<uint8_t>(data[i] ^ 0xFF) : data[i]) << i;
  }
}

TEST(FaultChannel, DropCutsAtTheOffset) {
  std::vector<uint8_t> sink;
  auto ch = make_faulty_channel(make_memory_writer(&sink), {{Kind::kDrop, 1500, 0, 0}});
  auto data = pattern(4000);
  EXPECT_EQ(ch->write_all(data.data(), data.size()), -ECONNRESET);
  EXPECT_EQ(sink.size(), 1500u);
  EXPECT_EQ(ch->write_all(data.data(), 1), -ECONNRESET);
}

TEST(FaultChannel, StallDelaysAndShutdownEndsIt) {
  std::vector<uint8_t> sink;
  auto data = pattern(100);
  {
    auto ch = make_faulty_channel(make_memory_writer(&sink), {{Kind::kStall, 50, 200, 0}});
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(ch->write_all(data.data(), data.size()), 0);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  }
  auto ch = make_faulty_channel(make_memory_writer(&sink), {{Kind::kStall, 0, 60000, 0}});
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ch->shutdown();
  });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_LT(ch->write_all(data.data(), data.size()), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  t.join();
}

TEST(FaultChannel, ThrottleKeepsTheRate) {
  std::vector<uint8_t> sink;
  auto ch = make_faulty_channel(make_memory_writer(&sink), {{Kind::kThrottle, 0, 0, 100000}});
  auto data = pattern(50000);  // half a second at 100 kB/s
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(ch->write_all(data.data(), data.size()), 0);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(sink, data);
}

}  // namespace
}  // namespace migemu::migration
