// Buffered migration stream; see qemu_file.h.
#include "migration/qemu_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "migration/read_ahead.h"
#include "migration/write_behind.h"
#include "util/glib_ptr.h"
#include "util/iovec.h"

namespace migemu::migration {

int StreamChannel::writev_all(iovec* iov, int count) {
  for (int i = 0; i < count; i++) {
    int r = write_all(static_cast<const uint8_t*>(iov[i].iov_base), iov[i].iov_len);
    if (r < 0) return r;
  }
  return 0;
}

namespace {

class FdChannel final : public StreamChannel {
 public:
  FdChannel(int fd, bool owned) : fd_(fd), owned_(owned), wake_(eventfd(0, EFD_CLOEXEC)) {
    struct stat st {};
    is_socket_ = fstat(fd_, &st) == 0 && S_ISSOCK(st.st_mode);
    int fl = fcntl(fd_, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd_, F_SETFL, fl | O_NONBLOCK);
  }
  ~FdChannel() override {
    if (owned_) ::close(fd_);
  }

  ssize_t read(uint8_t* buf, size_t n) override {
    for (;;) {
      if (stopped_.load(std::memory_order_acquire)) return -EIO;
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -errno;
      int w = wait(POLLIN);
      if (w < 0) return w;
    }
  }

  int write_all(const uint8_t* buf, size_t n) override {
    iovec one{const_cast<uint8_t*>(buf), n};
    return writev_all(&one, 1);
  }

  int writev_all(iovec* iov, int count) override {
    while (count > 0) {
      if (stopped_.load(std::memory_order_acquire)) return -EIO;
      ssize_t r;
      if (is_socket_) {
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = static_cast<size_t>(std::min(count, IOV_MAX));
        r = ::sendmsg(fd_, &m, MSG_NOSIGNAL);
      } else {
        r = ::writev(fd_, iov, std::min(count, IOV_MAX));
      }
      if (r > 0) {
        iov_consume(&iov, &count, static_cast<size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        int w = wait(POLLOUT);
        if (w < 0) return w;
        continue;
      }
      return r < 0 ? -errno : -EIO;
    }
    return 0;
  }

  void shutdown() override {
    if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
    if (wake_.valid()) {
      uint64_t one = 1;
      [[maybe_unused]] ssize_t r = ::write(wake_.get(), &one, sizeof one);
    }
    if (is_socket_) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  // Waits until fd_ is ready for `events` or shutdown() is called.
  int wait(short events) {
    struct pollfd p[2] = {{fd_, events, 0}, {wake_.get(), POLLIN, 0}};
    for (;;) {
      int r = ::poll(p, wake_.valid() ? 2 : 1, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return -errno;
      if (p[1].revents) return -EIO;
      return 0;  // ready, hung up or failed: the next call reports which
    }
  }

  int fd_;
  bool owned_;
  bool is_socket_ = false;
  Fd wake_;
  std::atomic<bool> stopped_{false};
};

class MemoryReader final : public StreamChannel {
 public:
  explicit MemoryReader(std::vector<uint8_t> data) : data_(std::move(data)) {}
  ssize_t read(uint8_t* buf, size_t n) override {
    if (stopped_.load()) return -EIO;
    size_t k = std::min(n, data_.size() - pos_);
    if (k == 0) return 0;
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return static_cast<ssize_t>(k);
  }
  int write_all(const uint8_t*, size_t) override { return -EBADF; }
  void shutdown() override { stopped_.store(true); }

 private:
  std::vector<uint8_t> data_;
  size_t pos_ = 0;
  std::atomic<bool> stopped_{false};
};

class MemoryWriter final : public StreamChannel {
 public:
  explicit MemoryWriter(std::vector<uint8_t>* sink) : sink_(sink) {}
  ssize_t read(uint8_t*, size_t) override { return -EBADF; }
  int write_all(const uint8_t* buf, size_t n) override {
    if (stopped_.load()) return -EIO;
    sink_->insert(sink_->end(), buf, buf + n);
    return 0;
  }
  void shutdown() override { stopped_.store(true); }

 private:
  std::vector<uint8_t>* sink_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<StreamChannel> make_fd_channel(int fd, bool owned) {
  return std::make_unique<FdChannel>(fd, owned);
}
std::unique_ptr<StreamChannel> make_memory_reader(std::vector<uint8_t> data) {
  return std::make_unique<MemoryReader>(std::move(data));
}
std::unique_ptr<StreamChannel> make_memory_writer(std::vector<uint8_t>* sink) {
  return std::make_unique<MemoryWriter>(sink);
}

namespace {
// Bytes already taken off the channel (to tell the main channel from a
// multifd one) come first, then the channel itself.
class PrefixedChannel final : public StreamChannel {
 public:
  PrefixedChannel(std::vector<uint8_t> prefix, std::unique_ptr<StreamChannel> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}
  ssize_t read(uint8_t* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return static_cast<ssize_t>(k);
    }
    return inner_->read(buf, n);
  }
  int write_all(const uint8_t* buf, size_t n) override { return inner_->write_all(buf, n); }
  void shutdown() override { inner_->shutdown(); }

 private:
  std::vector<uint8_t> prefix_;
  size_t pos_ = 0;
  std::unique_ptr<StreamChannel> inner_;
};
}  // namespace

std::unique_ptr<StreamChannel> make_prefixed_channel(std::vector<uint8_t> prefix,
                                                     std::unique_ptr<StreamChannel> inner) {
  if (prefix.empty()) return inner;
  return std::make_unique<PrefixedChannel>(std::move(prefix), std::move(inner));
}

// ------------------------------------------------------------------ QemuFile

QemuFile::QemuFile(std::unique_ptr<StreamChannel> channel, Mode mode)
    : channel_(std::move(channel)),
      mode_(mode),
      buf_(mode == Mode::kRead ? kReadBufferSize : kBufferSize) {}

QemuFile::~QemuFile() {
  if (is_writable()) flush();
}

void QemuFile::set_error(int err) {
  if (last_error_ == 0 && err != 0) last_error_ = err;
}

void QemuFile::shutdown() {
  // The flag first, so that a racing reader that sees its read fail also
  // sees why (QEMU orders these the same way).
  shutdown_.store(true, std::memory_order_release);
  channel_->shutdown();
}

bool QemuFile::rate_limit_exceeded() const {
  if (last_error_ || shutdown_requested()) return true;
  return rate_limit_max_ > 0 && rate_limit_used_ > rate_limit_max_;
}

uint64_t QemuFile::bytes_queued() const {
  if (!is_writable()) return bytes_transferred();
  // With write-behind, bytes_transferred() grows in the writer's thread.
  return (write_behind_ ? submitted_ : bytes_transferred()) + pending_;
}

void QemuFile::enable_write_behind() {
  if (!is_writable() || write_behind_) return;
  submitted_ = bytes_transferred();
  write_behind_ = std::make_unique<WriteBehind>(*channel_, transferred_);
}

// ---- writing

void QemuFile::flush() {
  if (is_writable()) write_out(true);
}

void QemuFile::write_out(bool wait) {
  if (pending_ == 0 && !(wait && write_behind_)) return;
  if (shutdown_requested()) set_error(-EIO);
  if (last_error_ == 0) {
    int r = 0;
    if (!write_behind_) {
      r = channel_->writev_all(pieces_.data(), static_cast<int>(pieces_.size()));
      if (r == 0) transferred_.fetch_add(pending_, std::memory_order_relaxed);
    } else {
      if (pending_ > 0) r = write_behind_->submit(&pieces_, &buf_, pending_);
      if (r == 0) submitted_ += pending_;
      if (r == 0 && wait) r = write_behind_->wait_idle();
    }
    if (r < 0) {
      // QEMU reports -EIO but keeps the channel's own error for the message.
      if (io_errno_ == 0) io_errno_ = -r;
      set_error(-EIO);
    }
  }
  pieces_.clear();
  size_ = 0;
  pending_ = 0;
}

void QemuFile::push_piece(const uint8_t* p, size_t len) {
  // Right after the previous piece (puts into buf_ in a row, adjacent
  // pages): the same piece.
  if (!pieces_.empty() &&
      static_cast<const uint8_t*>(pieces_.back().iov_base) + pieces_.back().iov_len == p) {
    pieces_.back().iov_len += len;
  } else {
    pieces_.push_back(iovec{const_cast<uint8_t*>(p), len});
  }
  pending_ += len;
}

void QemuFile::put_buffer(const uint8_t* data, size_t len) {
  if (last_error_) return;
  rate_limit_used_ += static_cast<int64_t>(len);
  while (len > 0) {
    size_t k = std::min(len, kBufferSize - size_);
    std::memcpy(buf_.data() + size_, data, k);
    push_piece(buf_.data() + size_, k);
    size_ += k;
    data += k;
    len -= k;
    if (size_ == kBufferSize || pieces_.size() >= kMaxPieces) {
      write_out(false);
      if (last_error_) return;
    }
  }
}

void QemuFile::put_buffer_ref(const uint8_t* data, size_t len) {
  if (last_error_) return;
  rate_limit_used_ += static_cast<int64_t>(len);
  push_piece(data, len);
  // Bytes referenced, not copied: all pending ones except those in buf_.
  if (pieces_.size() >= kMaxPieces || pending_ - size_ >= kMaxReferenced) write_out(false);
}

void QemuFile::put_byte(uint8_t v) {
  put_buffer(&v, 1);
}

void QemuFile::put_be16(uint16_t v) {
  uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
  put_buffer(b, 2);
}

void QemuFile::put_be32(uint32_t v) {
  uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  put_buffer(b, 4);
}

void QemuFile::put_be64(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = uint8_t(v >> (56 - 8 * i));
  put_buffer(b, 8);
}

void QemuFile::put_counted_string(std::string_view s) {
  size_t n = std::min<size_t>(s.size(), 255);
  put_byte(static_cast<uint8_t>(n));
  put_buffer(s.substr(0, n));
}

// ---- reading

void QemuFile::enable_read_ahead() {
  if (is_writable() || read_ahead_ || size_ != pos_) return;
  read_ahead_ = std::make_unique<ReadAhead>(*channel_);
}

size_t QemuFile::fill_ahead(size_t want) {
  while (size_ - pos_ < want && last_error_ == 0) {
    if (shutdown_requested()) {
      set_error(-EIO);
      break;
    }
    std::vector<uint8_t> next;
    size_t len = 0;
    bool ok = read_ahead_->next(&next, &len, std::move(spent_));
    spent_.clear();
    if (!ok) {
      set_error(-EIO);  // end of stream or any read failure, as QEMU
      break;
    }
    // The unread tail (fewer than want <= kBufferSize <= kHeadroom bytes)
    // goes right in front of the new data. The old buffer goes back to the
    // pool at the next call, once nothing points into it any more.
    size_t left = size_ - pos_;
    std::memcpy(next.data() + ReadAhead::kHeadroom - left, buf_.data() + pos_, left);
    spent_ = std::move(buf_);
    buf_ = std::move(next);
    pos_ = ReadAhead::kHeadroom - left;
    size_ = ReadAhead::kHeadroom + len;
    transferred_.fetch_add(len, std::memory_order_relaxed);
  }
  return size_ - pos_;
}

size_t QemuFile::fill(size_t want) {
  if (is_writable()) {
    set_error(-EBADF);
    return 0;
  }
  if (size_ - pos_ >= want) return size_ - pos_;
  if (read_ahead_) return fill_ahead(want);
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
  }
  while (size_ < want && last_error_ == 0) {
    if (shutdown_requested()) {
      set_error(-EIO);
      break;
    }
    ssize_t r = channel_->read(buf_.data() + size_, buf_.size() - size_);
    if (r > 0) {
      size_ += static_cast<size_t>(r);
      transferred_.fetch_add(static_cast<uint64_t>(r), std::memory_order_relaxed);
    } else {
      set_error(-EIO);  // end of stream or any read failure, as QEMU
    }
  }
  return size_ - pos_;
}

size_t QemuFile::get_buffer(uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    if (pos_ == size_) {
      if (last_error_) break;
      fill(1);
      if (pos_ == size_) break;
    }
    size_t k = std::min(len - done, size_ - pos_);
    std::memcpy(out + done, buf_.data() + pos_, k);
    pos_ += k;
    done += k;
  }
  return done;
}

uint64_t QemuFile::skip(uint64_t len) {
  uint64_t done = 0;
  while (done < len) {
    if (pos_ == size_) {
      if (last_error_) break;
      fill(1);
      if (pos_ == size_) break;
    }
    size_t k = static_cast<size_t>(std::min<uint64_t>(len - done, size_ - pos_));
    pos_ += k;
    done += k;
  }
  return done;
}

uint8_t QemuFile::get_byte() {
  uint8_t b = 0;
  get_buffer(&b, 1);
  return b;
}

uint16_t QemuFile::get_be16() {
  uint8_t b[2] = {};
  get_buffer(b, 2);
  return uint16_t(b[0] << 8 | b[1]);
}

uint32_t QemuFile::get_be32() {
  uint8_t b[4] = {};
  get_buffer(b, 4);
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

uint64_t QemuFile::get_be64() {
  uint8_t b[8] = {};
  get_buffer(b, 8);
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return v;
}

size_t QemuFile::get_counted_string(std::string* out) {
  out->clear();
  uint8_t len = get_byte();
  char tmp[256];
  size_t n = get_buffer(reinterpret_cast<uint8_t*>(tmp), len);
  out->assign(tmp, n);
  return n == len ? len : 0;
}

size_t QemuFile::peek_buffer(uint8_t* out, size_t len, size_t offset) {
  if (offset + len > kBufferSize) return 0;
  size_t avail = fill(offset + len);
  if (avail <= offset) return 0;
  size_t k = std::min(len, avail - offset);
  std::memcpy(out, buf_.data() + pos_ + offset, k);
  return k;
}

uint8_t QemuFile::peek_byte(size_t offset) {
  uint8_t b = 0;
  peek_buffer(&b, 1, offset);
  return b;
}

void QemuFile::consume_peeked(size_t len) {
  if (pos_ + len <= size_) pos_ += len;
}

// ---------------------------------------------------------------- return path

namespace {
struct RpArgs {
  int len;  // -1: variable
  const char* name;
};
constexpr RpArgs kRpArgs[] = {
    {-1, "INVALID"},      {4, "SHUT"},         {4, "PONG"},       {12, "REQ_PAGES"},
    {-1, "REQ_PAGES_ID"}, {-1, "RECV_BITMAP"}, {4, "RESUME_ACK"},
};
constexpr uint16_t kRpMax = 7;
}  // namespace

void write_rp_message(QemuFile& f, RpMessageType type, std::span<const uint8_t> payload) {
  f.put_be16(static_cast<uint16_t>(type));
  f.put_be16(static_cast<uint16_t>(payload.size()));
  f.put_buffer(payload);
  f.flush();
}

void write_rp_shut(QemuFile& f, uint32_t failed) {
  uint8_t b[4] = {uint8_t(failed >> 24), uint8_t(failed >> 16), uint8_t(failed >> 8),
                  uint8_t(failed)};
  write_rp_message(f, RpMessageType::kShut, b);
}

void write_rp_pong(QemuFile& f, uint32_t value) {
  uint8_t b[4] = {uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8), uint8_t(value)};
  write_rp_message(f, RpMessageType::kPong, b);
}

bool read_rp_message(QemuFile& f, RpMessage* msg, std::string* error_line) {
  error_line->clear();
  uint16_t type = f.get_be16();
  uint16_t len = f.get_be16();
  if (f.error()) return false;
  char line[200];
  if (type >= kRpMax || type == 0) {
    snprintf(line, sizeof line, "RP: Received invalid message 0x%04x length 0x%04x", type, len);
    *error_line = line;
    return false;
  }
  const RpArgs& a = kRpArgs[type];
  if ((a.len != -1 && len != a.len) || len > 512) {
    // 7.2's text has no space between "with" and "incorrect".
    snprintf(line, sizeof line,
             "RP: Received '%s' message (0x%04x) withincorrect length %d expecting %zu", a.name,
             type, len, static_cast<size_t>(static_cast<ssize_t>(a.len)));
    *error_line = line;
    return false;
  }
  msg->type = type;
  msg->payload.assign(len, 0);
  size_t got = f.get_buffer(msg->payload.data(), len);
  if (got != len) {
    snprintf(line, sizeof line, "RP: Failed reading data for message 0x%04x read %zu expected %d",
             type, got, len);
    *error_line = line;
    return false;
  }
  return true;
}

}  // namespace migemu::migration
