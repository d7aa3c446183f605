// Multifd send channels; see multifd_send.h.
#include "migration/multifd_send.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "util/iovec.h"

namespace migemu::migration::multifd {

namespace {

// Writes every byte of `iov` (modified as it goes). A socket shut down by a
// cancel makes the blocked writev fail at once.
int writev_all(int fd, iovec* iov, int count) {
  while (count > 0) {
    ssize_t n = writev(fd, iov, std::min(count, IOV_MAX));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    iov_consume(&iov, &count, static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

MultifdSender::MultifdSender(const SendOptions& opt, MigrationUri uri, Canceller& cancel)
    : opt_(opt), uri_(std::move(uri)), cancel_(cancel) {
  for (unsigned i = 0; i < opt_.channels; i++) {
    auto c = std::make_unique<Channel>([this] {
      {
        std::lock_guard<std::mutex> lk(mu_);
        pops_++;
      }
      cv_.notify_all();
    });
    c->id = i;
    channels_.push_back(std::move(c));
  }
  wake_ = cancel_.on_cancel([this] { shutdown_all(); });
  for (auto& c : channels_) {
    Channel* ch = c.get();
    ch->thread = std::thread([this, ch] { channel_main(*ch); });
  }
}

MultifdSender::~MultifdSender() {
  shutdown_all();
  for (auto& c : channels_) {
    if (c->thread.joinable()) c->thread.join();
  }
  wake_.reset();
}

void MultifdSender::shutdown_all() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  for (auto& c : channels_) shut(*c);
}

void MultifdSender::shut(Channel& c) {
  c.queue.close();
  std::lock_guard<std::mutex> lk(c.mu);
  if (c.faulty) c.faulty->shutdown();
  if (c.conn) c.conn->shutdown();
}

int MultifdSender::write_iov(Channel& c, int fd, iovec* iov, int count) {
  if (!c.faulty) return writev_all(fd, iov, count);
  for (int i = 0; i < count; i++) {
    int r = c.faulty->write_all(static_cast<const uint8_t*>(iov[i].iov_base), iov[i].iov_len);
    if (r < 0) return r;
  }
  return 0;
}

void MultifdSender::fail(std::string text) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!error_) error_ = std::move(text);
  }
  cv_.notify_all();
  // One channel down stops them all (multifd_send_terminate_threads).
  for (auto& c : channels_) shut(*c);
}

std::optional<std::string> MultifdSender::error() const {
  std::lock_guard<std::mutex> lk(mu_);
  return error_;
}

void MultifdSender::channel_main(Channel& c) {
  auto comp = make_compressor(opt_.compression, opt_.level, c.id);
  if (!comp.ok()) {
    fail(comp.error().desc);
    return;
  }
  c.compressor = std::move(*comp);
  Result<MigrationChannel> conn = connect_outgoing(uri_, &cancel_);
  if (!conn.ok()) {
    if (!cancel_.cancelled()) fail(conn.error().desc);
    return;
  }
  int fd;
  {
    std::lock_guard<std::mutex> lk(c.mu);
    c.conn = std::move(*conn);
    fd = c.conn->write_fd();
    if (auto f = opt_.faults.find(c.id); f != opt_.faults.end()) {
      c.faulty = migration::make_faulty_channel(migration::make_fd_channel(fd), f->second);
    }
    // A cancel that came while connecting found nothing to shut down.
    if (cancel_.cancelled() || c.queue.closed()) {
      if (c.faulty) c.faulty->shutdown();
      c.conn->shutdown();
    }
  }
  auto init = encode_init(InitPacket{opt_.uuid, static_cast<uint8_t>(c.id)});
  iovec iv{init.data(), init.size()};
  if (int err = write_iov(c, fd, &iv, 1); err < 0) {
    if (!cancel_.cancelled()) fail(std::string("Unable to write to socket: ") + strerror(-err));
    return;
  }
  for (;;) {
    std::optional<Job> job = c.queue.pop();
    if (!job) return;
    Status st = send_job(c, fd, *job);
    if (!st.ok()) {
      if (!cancel_.cancelled()) fail(st.error().desc);
      return;
    }
    if (job->sync) {
      {
        std::lock_guard<std::mutex> lk(mu_);
        c.syncs_written++;
      }
      cv_.notify_all();
    }
  }
}

Status MultifdSender::send_job(Channel& c, int fd, Job& job) {
  PacketHeader h;
  h.flags = job.sync ? kFlagSync : 0;
  h.normal_pages = job.count;
  h.packet_num = job.packet_num;
  std::array<const uint8_t*, kPagesPerPacket> pages{};
  if (job.count) {
    h.ramblock = job.block->idstr;
    for (uint32_t i = 0; i < job.count; i++) {
      h.offsets[i] = job.offsets[i];
      pages[i] = job.block->host + job.offsets[i];
    }
  }
  std::array<uint8_t, kHeaderSize> header;
  std::array<iovec, 1 + kPagesPerPacket> iov;
  int n = 1;
  if (job.count && c.compressor) {
    auto payload = c.compressor->compress(std::span<const uint8_t* const>(pages.data(), job.count));
    if (!payload.ok()) return payload.take_error();
    h.flags |= compression_flag(opt_.compression);
    h.next_packet_size = static_cast<uint32_t>(payload->size());
    iov[n++] = iovec{const_cast<uint8_t*>(payload->data()), payload->size()};
  } else if (job.count) {
    // Raw pages straight from guest RAM, header and pages in one writev.
    h.next_packet_size = job.count * static_cast<uint32_t>(kTargetPageSize);
    for (uint32_t i = 0; i < job.count; i++) {
      iov[n++] = iovec{const_cast<uint8_t*>(pages[i]), kTargetPageSize};
    }
  }
  encode_header(h, header);
  iov[0] = iovec{header.data(), header.size()};
  if (int err = write_iov(c, fd, iov.data(), n); err < 0) {
    return generic_error(std::string("Unable to write to socket: ") + strerror(-err));
  }
  return {};
}

Status MultifdSender::dispatch(Job& job) {
  job.packet_num = packet_num_++;
  for (;;) {
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (error_) return generic_error(*error_);
      if (quit_ || cancel_.cancelled()) return generic_error("migration cancelled");
      gen = pops_;
    }
    for (size_t k = 0; k < channels_.size(); k++) {
      size_t i = (next_channel_ + k) % channels_.size();
      if (channels_[i]->queue.try_push(job)) {
        next_channel_ = (i + 1) % channels_.size();
        return {};
      }
    }
    // Every queue is full: wait for a channel to take a job (or an error).
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return pops_ != gen || error_ || quit_; });
  }
}

Status MultifdSender::send_batch() {
  // Counted when handed to a channel, as 7.2 does (multifd_send_pages).
  uint64_t b = kHeaderSize + batch_.count * kTargetPageSize;
  MIGEMU_TRY(dispatch(batch_));
  bytes_.fetch_add(b, std::memory_order_relaxed);
  unaccounted_ += b;
  batch_ = Job{};
  return {};
}

Status MultifdSender::queue_page(const RamBlockView& block, uint64_t offset) {
  if (batch_.count && batch_.block != &block) {
    // 7.2 sends a batch per block: a new block flushes the current one.
    MIGEMU_TRY(send_batch());
  }
  batch_.block = &block;
  batch_.offsets[batch_.count++] = offset;
  if (batch_.count == kPagesPerPacket) {
    MIGEMU_TRY(send_batch());
  }
  return {};
}

Status MultifdSender::sync() {
  if (batch_.count) {
    MIGEMU_TRY(send_batch());
  }
  syncs_requested_++;
  for (auto& c : channels_) {
    Job s;
    s.sync = true;
    s.packet_num = packet_num_++;
    // The SYNC must go on this very channel: wait for room in its queue.
    if (!c->queue.push(s)) {
      std::lock_guard<std::mutex> lk(mu_);
      if (error_) return generic_error(*error_);
      return generic_error("migration cancelled");
    }
    bytes_.fetch_add(kHeaderSize, std::memory_order_relaxed);
    unaccounted_ += kHeaderSize;
  }
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] {
    if (error_ || quit_) return true;
    for (auto& c : channels_) {
      if (c->syncs_written < syncs_requested_) return false;
    }
    return true;
  });
  if (error_) return generic_error(*error_);
  if (quit_) return generic_error("migration cancelled");
  return {};
}

}  // namespace migemu::migration::multifd
