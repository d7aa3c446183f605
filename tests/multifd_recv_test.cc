// The destination's multifd receiver over socketpairs: the handshake (ids,
// duplicates), pages written into RAM, and the SYNC rendezvous with the
// loader.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "migration/multifd_recv.h"

namespace migemu::migration::multifd {
namespace {

struct Pair {
  Fd ours, theirs;
  Pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ours = Fd(sv[0]);
    theirs = Fd(sv[1]);
  }
};

// A receiver that failed may have closed its end already: no SIGPIPE, and
// whether the bytes arrived is what the checks on RAM and errors look at.
void send_all(int fd, const void* p, size_t n) {
  [[maybe_unused]] ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
}

void send_packet(int fd, uint32_t flags, std::vector<uint64_t> offsets, uint8_t fill) {
  PacketHeader h;
  h.flags = flags;
  h.normal_pages = static_cast<uint32_t>(offsets.size());
  h.next_packet_size = h.normal_pages * 4096;
  h.ramblock = "mem";
  for (size_t i = 0; i < offsets.size(); i++) h.offsets[i] = offsets[i];
  std::array<uint8_t, kHeaderSize> raw;
  encode_header(h, raw);
  send_all(fd, raw.data(), raw.size());
  std::vector<uint8_t> page(4096, fill);
  for (size_t i = 0; i < offsets.size(); i++) send_all(fd, page.data(), page.size());
}

TEST(MultifdReceiver, PagesThenSyncFromEveryChannel) {
  std::vector<uint8_t> ram(16 * 4096);
  std::vector<uint64_t> known_zero(1, ~uint64_t{0});
  RecvOptions o;
  o.channels = 2;
  RamBlockView v;
  v.idstr = "mem";
  v.host = ram.data();
  v.used_length = ram.size();
  v.known_zero = &known_zero;
  o.blocks = {v};
  std::string error;
  MultifdReceiver r(o, [&](const std::string& e) { error = e; });
  Pair a, b;
  ASSERT_TRUE(r.add_channel(std::move(a.ours), encode_init(InitPacket{{}, 1})).ok());
  EXPECT_FALSE(r.all_connected());
  ASSERT_TRUE(r.add_channel(std::move(b.ours), encode_init(InitPacket{{}, 0})).ok());
  EXPECT_TRUE(r.all_connected());
  send_packet(a.theirs.get(), 0, {0x2000, 0x5000}, 0xab);
  send_packet(a.theirs.get(), kFlagSync, {}, 0);
  send_packet(b.theirs.get(), kFlagSync, {0x3000}, 0xcd);  // pages and SYNC in one packet
  EXPECT_EQ(r.sync_main(-1), 0);
  EXPECT_EQ(ram[0x2000], 0xab);
  EXPECT_EQ(ram[0x5fff], 0xab);
  EXPECT_EQ(ram[0x3000], 0xcd);
  EXPECT_EQ(ram[0x4000], 0);
  EXPECT_EQ(known_zero[0],
            ~uint64_t{0} & ~(uint64_t{1} << 2) & ~(uint64_t{1} << 3) & ~(uint64_t{1} << 5));
  // A second round.
  send_packet(a.theirs.get(), kFlagSync, {}, 0);
  send_packet(b.theirs.get(), kFlagSync, {}, 0);
  EXPECT_EQ(r.sync_main(-1), 0);
  EXPECT_EQ(r.pages_received(), 3u);
  EXPECT_EQ(error, "");
  r.shutdown();
}

TEST(MultifdReceiver, DuplicateIdAndBadOffsetFail) {
  std::vector<uint8_t> ram(4 * 4096);
  RecvOptions o;
  o.channels = 2;
  RamBlockView v;
  v.idstr = "mem";
  v.host = ram.data();
  v.used_length = ram.size();
  o.blocks = {v};
  {
    std::string error;
    MultifdReceiver r(o, [&](const std::string& e) { error = e; });
    Pair a, b;
    ASSERT_TRUE(r.add_channel(std::move(a.ours), encode_init(InitPacket{{}, 0})).ok());
    auto st = r.add_channel(std::move(b.ours), encode_init(InitPacket{{}, 0}));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(error, "multifd: received id '0' already setup'");
    EXPECT_EQ(r.sync_main(-1), -EIO);  // the loader is not left waiting
  }
  {
    std::string error;
    MultifdReceiver r(o, [&](const std::string& e) { error = e; });
    Pair a;
    ASSERT_TRUE(r.add_channel(std::move(a.ours), encode_init(InitPacket{{}, 1})).ok());
    send_packet(a.theirs.get(), 0, {0x3001}, 1);
    EXPECT_EQ(r.sync_main(-1), -EIO);
    // error() is what the loader reports; it is recorded before the failure
    // is visible (the callback may still be running on the channel's thread).
    EXPECT_EQ(r.error().value_or(""), "multifd: offset too long 12289 (max 4000)");
  }
  {
    std::string error;
    MultifdReceiver r(o, [&](const std::string& e) { error = e; });
    Pair a;
    auto st = r.add_channel(std::move(a.ours), encode_init(InitPacket{{}, 7}));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(error,
              "failed to receive packet via multifd channel 0: multifd: received channel version "
              "1 expected 1");
  }
}

TEST(MultifdReceiver, ChannelClosedBeforeSyncFails) {
  std::vector<uint8_t> ram(4096);
  RecvOptions o;
  o.channels = 1;
  RamBlockView v;
  v.idstr = "mem";
  v.host = ram.data();
  v.used_length = ram.size();
  o.blocks = {v};
  std::string error;
  MultifdReceiver r(o, [&](const std::string& e) { error = e; });
  Pair a;
  ASSERT_TRUE(r.add_channel(std::move(a.ours), encode_init(InitPacket{{}, 0})).ok());
  a.theirs.reset();
  EXPECT_EQ(r.sync_main(-1), -EIO);
  EXPECT_EQ(error, "multifd 0: channel closed before its sync");
}

}  // namespace
}  // namespace migemu::migration::multifd
