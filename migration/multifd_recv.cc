// Multifd receive channels; see multifd_recv.h.
#include "migration/multifd_recv.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "util/iovec.h"

namespace migemu::migration::multifd {

namespace {

std::string format(const char* fmt, auto... args) {
  char buf[512];
  snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// A page now holds data: clear its known-zero bit (and the next page's, for
// an unaligned offset), atomically, as the main loader shares the words.
void forget_zero(const RamBlockView& b, uint64_t offset) {
  if (!b.known_zero) return;
  for (uint64_t page :
       {offset / kTargetPageSize, (offset + kTargetPageSize - 1) / kTargetPageSize}) {
    if ((page >> 6) >= b.known_zero->size()) continue;
    std::atomic_ref<uint64_t> w((*b.known_zero)[page >> 6]);
    w.fetch_and(~(uint64_t{1} << (page & 63)), std::memory_order_relaxed);
  }
}

}  // namespace

Uuid parse_uuid(const std::string& text) {
  Uuid u{};
  size_t k = 0;
  for (size_t i = 0; i < text.size() && k < 32; i++) {
    char c = text[i];
    if (c == '-') continue;
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) return Uuid{};
    u[k / 2] = static_cast<uint8_t>(u[k / 2] | (v << ((k % 2) ? 0 : 4)));
    k++;
  }
  return k == 32 ? u : Uuid{};
}

MultifdReceiver::MultifdReceiver(RecvOptions opt, std::function<void(const std::string&)> on_error)
    : opt_(std::move(opt)), on_error_(std::move(on_error)), claims_(opt_.blocks) {
  channels_.resize(opt_.channels);
}

MultifdReceiver::~MultifdReceiver() {
  shutdown();
}

void MultifdReceiver::wake_all_locked() {
  for (auto& c : channels_) {
    if (c && c->faulty) c->faulty->shutdown();
    if (c && c->fd.valid()) ::shutdown(c->fd.get(), SHUT_RDWR);
  }
  cv_.notify_all();
}

void MultifdReceiver::stop() {
  std::lock_guard<std::mutex> lk(mu_);
  quit_ = true;
  wake_all_locked();
}

void MultifdReceiver::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lk(mu_);
    quit_ = true;
    wake_all_locked();
    for (auto& c : channels_) {
      if (c && c->thread.joinable()) threads.push_back(std::move(c->thread));
    }
  }
  for (auto& t : threads) t.join();
}

void MultifdReceiver::finish(int timeout_ms) {
  {
    std::unique_lock<std::mutex> lk(mu_);
    finishing_ = true;
    cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [this] {
      if (quit_) return true;
      for (auto& c : channels_) {
        if (c && !c->ended) return false;
      }
      return true;
    });
  }
  shutdown();
}

void MultifdReceiver::main_channel_arrived() {
  std::lock_guard<std::mutex> lk(mu_);
  main_arrived_ = true;
}

void MultifdReceiver::fail(const std::string& text) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (failed_ || quit_ || finishing_) return;
    failed_ = true;
    error_ = text;
    // multifd_recv_terminate_threads: every channel stops.
    wake_all_locked();
  }
  if (on_error_) on_error_(text);
}

std::optional<std::string> MultifdReceiver::error() const {
  std::lock_guard<std::mutex> lk(mu_);
  return error_;
}

bool MultifdReceiver::all_connected() const {
  std::lock_guard<std::mutex> lk(mu_);
  return connected_ == opt_.channels;
}

uint64_t MultifdReceiver::pages_received() const {
  std::lock_guard<std::mutex> lk(mu_);
  uint64_t n = 0;
  for (auto& c : channels_) {
    if (c) n += c->pages;
  }
  return n;
}

Status MultifdReceiver::add_channel(Fd fd, std::span<const uint8_t, kInitPacketSize> init) {
  unsigned count;
  {
    std::lock_guard<std::mutex> lk(mu_);
    count = connected_;
  }
  Result<uint8_t> id = decode_init(init, opt_.uuid, opt_.channels);
  if (!id.ok()) {
    std::string text =
        format("failed to receive packet via multifd channel %d: ", static_cast<int>(count)) +
        id.error().desc;
    fail(text);
    return generic_error(text);
  }
  auto dec = make_decompressor(opt_.compression, *id);
  if (!dec.ok()) {
    fail(dec.error().desc);
    return dec.take_error();
  }
  std::unique_lock<std::mutex> lk(mu_);
  if (quit_ || failed_) return generic_error("migration ended");
  if (channels_[*id]) {
    // (sic) 7.2's text ends in a stray quote and has no channel prefix.
    std::string text = format("multifd: received id '%d' already setup'", static_cast<int>(*id));
    failed_ = true;
    error_ = text;
    wake_all_locked();
    lk.unlock();
    if (on_error_) on_error_(text);
    return generic_error(text);
  }
  auto c = std::make_unique<Channel>();
  c->id = *id;
  c->fd = std::move(fd);
  if (auto f = opt_.faults.find(*id); f != opt_.faults.end()) {
    // The initial packet was read when the connection was identified.
    c->faulty =
        make_faulty_channel(make_fd_channel(c->fd.get()), f->second, ECONNRESET, kInitPacketSize);
  }
  c->decompressor = std::move(*dec);
  Channel* ch = c.get();
  channels_[*id] = std::move(c);
  connected_++;
  ch->thread = std::thread([this, ch] { channel_main(*ch); });
  cv_.notify_all();
  return {};
}

void MultifdReceiver::channel_main(Channel& c) {
  for (;;) {
    bool eof = false, sync = false;
    Status st = receive_packet(c, &eof, &sync);
    if (!st.ok()) {
      fail(st.error().desc);
      break;
    }
    if (eof) {
      // 7.2: the end of a channel is no error by itself; the loader reports
      // a missing SYNC. Without a loader yet, report it here.
      bool orphaned;
      {
        std::lock_guard<std::mutex> lk(mu_);
        orphaned = !main_arrived_ && !quit_ && !failed_;
      }
      if (orphaned) fail(format("multifd %u: channel closed before its sync", c.id));
      break;
    }
    if (sync) {
      std::unique_lock<std::mutex> lk(mu_);
      c.synced++;
      cv_.notify_all();
      cv_.wait(lk, [&] { return quit_ || failed_ || released_ >= c.synced; });
      if (quit_ || failed_) break;
    }
  }
  std::lock_guard<std::mutex> lk(mu_);
  c.ended = true;
  cv_.notify_all();
}

Status MultifdReceiver::receive_packet(Channel& c, bool* eof, bool* sync) {
  std::array<uint8_t, kHeaderSize> raw;
  std::string err;
  iovec hv{raw.data(), raw.size()};
  int r = read_iov(c, &hv, 1, &err);
  {
    std::lock_guard<std::mutex> lk(mu_);
    // Woken by shutdown or another channel's failure: nothing to report.
    if (quit_ || failed_) {
      *eof = true;
      return {};
    }
  }
  if (r == 0) {
    *eof = true;
    return {};
  }
  if (r < 0) return generic_error(err);
  Result<PacketHeader> h = decode_header(raw);
  if (!h.ok()) return h.take_error();
  *sync = h->flags & kFlagSync;
  uint32_t n = h->normal_pages;
  if (n == 0) return {};
  size_t bi = opt_.blocks.size();
  for (size_t i = 0; i < opt_.blocks.size(); i++) {
    if (opt_.blocks[i].idstr == h->ramblock) bi = i;
  }
  if (bi == opt_.blocks.size() || !opt_.blocks[bi].host) {
    return generic_error(format("multifd: unknown ram block %s", h->ramblock.c_str()));
  }
  const RamBlockView* block = &opt_.blocks[bi];
  for (uint32_t i = 0; i < n; i++) {
    uint64_t off = h->offsets[i];
    // The whole page must lie inside the block (7.2 tests the start against
    // used_length - page size; blocks smaller than a page cannot take one).
    if (block->used_length < kTargetPageSize || off > block->used_length - kTargetPageSize) {
      return generic_error(format("multifd: offset too long %" PRIu64 " (max %" PRIx64 ")", off,
                                  block->used_length));
    }
  }
  uint32_t flags = h->flags & kCompressionMask;
  uint32_t expected = compression_flag(opt_.compression);
  if (flags != expected) {
    return generic_error(
        format("multifd %u: flags received %x flags expected %x", c.id, flags, expected));
  }
  // Claimed only once the packet is known good: a page of this epoch that
  // another channel (or an earlier packet) already wrote is read to scratch.
  std::array<uint8_t*, kPagesPerPacket> pages;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t off = h->offsets[i];
    pages[i] =
        claims_.claim(bi, off / kTargetPageSize, c.touched) ? block->host + off : c.scratch.data();
  }
  if (!c.decompressor) {
    // Raw pages, read straight into guest RAM.
    std::array<iovec, kPagesPerPacket> iov;
    for (uint32_t i = 0; i < n; i++) iov[i] = iovec{pages[i], kTargetPageSize};
    int rr = read_iov(c, iov.data(), static_cast<int>(n), &err);
    if (rr == 0) return generic_error("Unexpected end-of-file before all bytes were read");
    if (rr < 0) return generic_error(err);
  } else {
    if (h->next_packet_size > kMaxCompressedPayload) {
      // 7.2 would overrun its buffer here; refuse before allocating.
      return generic_error(format("multifd %u: received packet size %u larger than %u", c.id,
                                  h->next_packet_size, kMaxCompressedPayload));
    }
    c.buf.resize(h->next_packet_size);
    if (!c.buf.empty()) {
      iovec bv{c.buf.data(), c.buf.size()};
      int rr = read_iov(c, &bv, 1, &err);
      if (rr == 0) return generic_error("Unexpected end-of-file before all bytes were read");
      if (rr < 0) return generic_error(err);
    }
    MIGEMU_TRY(c.decompressor->decompress(c.buf, std::span<uint8_t* const>(pages.data(), n)));
  }
  for (uint32_t i = 0; i < n; i++) forget_zero(*block, h->offsets[i]);
  std::lock_guard<std::mutex> lk(mu_);
  c.pages += n;
  return {};
}

int MultifdReceiver::read_iov(Channel& c, iovec* v, int left, std::string* err) {
  bool any = false;
  while (left > 0) {
    ssize_t got;
    if (c.faulty) {
      got = c.faulty->read(static_cast<uint8_t*>(v->iov_base), v->iov_len);
      if (got < 0) {
        errno = static_cast<int>(-got);
        got = -1;
      }
    } else {
      got = readv(c.fd.get(), v, left);
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      *err = std::string("Unable to read from socket: ") + strerror(errno);
      return -1;
    }
    if (got == 0) {
      if (!any) return 0;
      *err = "Unexpected end-of-file before all bytes were read";
      return -1;
    }
    any = true;
    iov_consume(&v, &left, static_cast<size_t>(got));
  }
  return 1;
}

int MultifdReceiver::sync_main(int main_fd) {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lk(mu_);
  uint64_t round = released_ + 1;
  std::optional<Clock::time_point> hangup_since;
  for (;;) {
    if (failed_ || quit_) return -EIO;
    bool all = true;
    std::optional<unsigned> missing, ended;
    for (unsigned i = 0; i < opt_.channels; i++) {
      Channel* c = channels_[i].get();
      if (c && c->synced >= round) continue;
      all = false;
      if (!c) {
        if (!missing) missing = i;
      } else if (c->ended) {
        if (!ended) ended = i;
      }
    }
    if (all) break;
    if (ended) {
      // A source closes a channel only after its last SYNC: this one will
      // never come (7.2 would wait forever).
      std::string text = format("multifd %u: channel closed before its sync", *ended);
      lk.unlock();
      fail(text);
      return -EIO;
    }
    if (missing && main_fd >= 0) {
      pollfd p{main_fd, POLLRDHUP, 0};
      if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        if (!hangup_since) hangup_since = Clock::now();
        if (Clock::now() - *hangup_since >=
            std::chrono::milliseconds(opt_.missing_channel_grace_ms)) {
          std::string text = format("multifd %u: channel never connected", *missing);
          lk.unlock();
          fail(text);
          return -EIO;
        }
      }
    }
    cv_.wait_for(lk, std::chrono::milliseconds(100));
  }
  // Every channel is parked at its SYNC until released_ moves: the next
  // epoch starts with no page claimed.
  for (auto& c : channels_) PageClaims::reset(c->touched);
  released_ = round;
  cv_.notify_all();
  return 0;
}

}  // namespace migemu::migration::multifd
