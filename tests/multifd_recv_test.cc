// The destination's multifd receiver over socketpairs: the handshake (ids,
// duplicates), pages written into RAM, and the SYNC rendezvous with the
// loader.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
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

// One block "mem" of `pages` pages, and a receiver over it whose reported
// error lands in error_. `main`: whether the main channel (the loader that
// waits for SYNCs) is there, as it is once a migration is under way.
class MultifdReceiverTest : public ::testing::Test {
 protected:
  MultifdReceiver& receiver(unsigned channels, size_t pages = 16, bool main = true) {
    ram_.assign(pages * 4096, 0);
    known_zero_.assign((pages + 63) / 64, ~uint64_t{0});
    RecvOptions o;
    o.channels = channels;
    RamBlockView v;
    v.idstr = "mem";
    v.host = ram_.data();
    v.used_length = ram_.size();
    v.known_zero = &known_zero_;
    o.blocks = {v};
    error_.clear();
    receiver_.reset();  // joined before its RAM is reused
    receiver_ = std::make_unique<MultifdReceiver>(o, [this](const std::string& e) { error_ = e; });
    if (main) receiver_->main_channel_arrived();
    return *receiver_;
  }
  // Connects channel `id` over a socketpair; returns the source's end.
  Fd connect(unsigned id) {
    Pair p;
    EXPECT_TRUE(
        receiver_
            ->add_channel(std::move(p.ours), encode_init(InitPacket{{}, static_cast<uint8_t>(id)}))
            .ok());
    return std::move(p.theirs);
  }
  void TearDown() override {
    if (receiver_) receiver_->shutdown();
  }

  std::vector<uint8_t> ram_;
  std::vector<uint64_t> known_zero_;
  std::string error_;
  std::unique_ptr<MultifdReceiver> receiver_;
};

TEST_F(MultifdReceiverTest, PagesThenSyncFromEveryChannel) {
  MultifdReceiver& r = receiver(2);
  Fd a = connect(1);
  EXPECT_FALSE(r.all_connected());
  Fd b = connect(0);
  EXPECT_TRUE(r.all_connected());
  send_packet(a.get(), 0, {0x2000, 0x5000}, 0xab);
  send_packet(a.get(), kFlagSync, {}, 0);
  send_packet(b.get(), kFlagSync, {0x3000}, 0xcd);  // pages and SYNC in one packet
  EXPECT_EQ(r.sync_main(-1), 0);
  EXPECT_EQ(ram_[0x2000], 0xab);
  EXPECT_EQ(ram_[0x5fff], 0xab);
  EXPECT_EQ(ram_[0x3000], 0xcd);
  EXPECT_EQ(ram_[0x4000], 0);
  EXPECT_EQ(known_zero_[0],
            ~uint64_t{0} & ~(uint64_t{1} << 2) & ~(uint64_t{1} << 3) & ~(uint64_t{1} << 5));
  // A second round.
  send_packet(a.get(), kFlagSync, {}, 0);
  send_packet(b.get(), kFlagSync, {}, 0);
  EXPECT_EQ(r.sync_main(-1), 0);
  EXPECT_EQ(r.pages_received(), 3u);
  EXPECT_EQ(error_, "");
}

// QEMU 7.2 can send one page in two packets of one epoch, on two channels
// (multifd_page_claims.h): the first copy is written, the second is read
// past; after the SYNC the page can be written again.
TEST_F(MultifdReceiverTest, PageSentTwiceInOneEpochIsWrittenOnce) {
  MultifdReceiver& r = receiver(2);
  Fd a = connect(0);
  Fd b = connect(1);
  send_packet(a.get(), 0, {0x2000}, 0xab);
  for (int i = 0; i < 500 && r.pages_received() < 1; i++) usleep(1000);
  ASSERT_EQ(r.pages_received(), 1u);
  // The duplicate comes with a page of its own, which is written.
  send_packet(b.get(), 0, {0x4000, 0x2000}, 0xcd);
  send_packet(a.get(), kFlagSync, {}, 0);
  send_packet(b.get(), kFlagSync, {}, 0);
  EXPECT_EQ(r.sync_main(-1), 0);
  EXPECT_EQ(r.pages_received(), 3u);
  EXPECT_EQ(ram_[0x2000], 0xab);
  EXPECT_EQ(ram_[0x2fff], 0xab);
  EXPECT_EQ(ram_[0x4000], 0xcd);
  // The next epoch: the other channel's copy is the one written now.
  send_packet(b.get(), kFlagSync, {0x2000}, 0xef);
  send_packet(a.get(), kFlagSync, {}, 0);
  EXPECT_EQ(r.sync_main(-1), 0);
  EXPECT_EQ(ram_[0x2000], 0xef);
  EXPECT_EQ(error_, "");
}

TEST_F(MultifdReceiverTest, DuplicateIdFails) {
  MultifdReceiver& r = receiver(2, 4);
  Fd a = connect(0);
  Pair b;
  auto st = r.add_channel(std::move(b.ours), encode_init(InitPacket{{}, 0}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(error_, "multifd: received id '0' already setup'");
  EXPECT_EQ(r.sync_main(-1), -EIO);  // the loader is not left waiting
}

TEST_F(MultifdReceiverTest, BadOffsetFails) {
  MultifdReceiver& r = receiver(2, 4);
  Fd a = connect(1);
  send_packet(a.get(), 0, {0x3001}, 1);
  EXPECT_EQ(r.sync_main(-1), -EIO);
  // error() is what the loader reports; it is recorded before the failure
  // is visible (the callback may still be running on the channel's thread).
  EXPECT_EQ(r.error().value_or(""), "multifd: offset too long 12289 (max 4000)");
}

TEST_F(MultifdReceiverTest, ChannelIdOutOfRangeFails) {
  MultifdReceiver& r = receiver(2, 4);
  Pair a;
  auto st = r.add_channel(std::move(a.ours), encode_init(InitPacket{{}, 7}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(error_,
            "failed to receive packet via multifd channel 0: multifd: received channel version "
            "1 expected 1");
}

TEST_F(MultifdReceiverTest, ChannelClosedBeforeSyncFails) {
  MultifdReceiver& r = receiver(1, 1);
  Fd a = connect(0);
  a.reset();
  EXPECT_EQ(r.sync_main(-1), -EIO);
  EXPECT_EQ(error_, "multifd 0: channel closed before its sync");
}

// With no main channel yet nobody waits for the SYNC: the channel that ends
// fails the migration by itself (a source cancelled before its main channel
// said anything would otherwise leave the destination in inmigrate).
TEST_F(MultifdReceiverTest, ChannelClosedBeforeTheMainChannelFailsAtOnce) {
  MultifdReceiver& r = receiver(2, 1, /*main=*/false);
  Fd a = connect(0);
  a.reset();
  for (int i = 0; i < 2000 && !r.error(); i++) usleep(1000);
  // error() is recorded before the callback runs on the channel's thread.
  EXPECT_EQ(r.error().value_or(""), "multifd 0: channel closed before its sync");
  EXPECT_EQ(r.sync_main(-1), -EIO);
}

}  // namespace
}  // namespace migemu::migration::multifd
