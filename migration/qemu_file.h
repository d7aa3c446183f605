// A buffered, one-direction byte stream for the migration wire format, in
// the manner of QEMU's QEMUFile: big-endian put/get helpers over a blocking
// channel, a sticky first error, and byte counters.
//
// Error model (as QEMU 7.2): the first failure is kept as a negative errno
// (`error()`); after it, puts are dropped and gets return zeros, so decoding
// code can read a whole record and check `error()` once. End of stream and
// every read failure are -EIO, like QEMU's channel reads. `shutdown()` may be
// called from any thread: it sets -EIO (unless an error is already set) and
// wakes a read or write blocked in another thread.
//
// Threading: one thread reads or writes a QemuFile; `bytes_transferred()`,
// `shutdown()` and `shutdown_requested()` are safe from any thread.
//
// Typical use (sender):
//   auto f = QemuFile::writer(fd);        // fd stays owned by the caller
//   f->put_be32(0x5145564d); ... f->flush();
//   if (f->error()) ...                   // -errno, e.g. -EPIPE/-EIO
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace migemu::migration {

// Where a QemuFile's bytes go or come from.
class StreamChannel {
 public:
  virtual ~StreamChannel() = default;
  // Reads up to n (> 0) bytes: returns the count, 0 at end of stream, or -errno.
  virtual ssize_t read(uint8_t* buf, size_t n) = 0;
  // Writes all n bytes: returns 0 or -errno.
  virtual int write_all(const uint8_t* buf, size_t n) = 0;
  // Writes every byte of iov[0..count) in order: returns 0 or -errno; the
  // array may be modified. The default writes piece by piece with write_all
  // (which keeps byte-counting wrappers such as faults exact); fd channels
  // gather a whole batch into one system call.
  virtual int writev_all(iovec* iov, int count);
  // Makes blocked and later I/O fail promptly. Thread-safe, idempotent.
  virtual void shutdown() = 0;
};

// A blocking file descriptor (socket, pipe, file). The descriptor is switched
// to O_NONBLOCK and waited on with poll(), so that shutdown() can wake a
// blocked call even on a pipe; for sockets shutdown() also calls
// shutdown(SHUT_RDWR) so that the peer sees the end, as QEMU's cancel does.
// The fd is not closed (unless `owned` is true).
std::unique_ptr<StreamChannel> make_fd_channel(int fd, bool owned = false);
// Reads from an in-memory copy of `data`.
std::unique_ptr<StreamChannel> make_memory_reader(std::vector<uint8_t> data);
// Appends everything written to `*sink` (which must outlive the channel).
std::unique_ptr<StreamChannel> make_memory_writer(std::vector<uint8_t>* sink);
// Reads `prefix` first, then from `inner` (writes and shutdown go to inner).
std::unique_ptr<StreamChannel> make_prefixed_channel(std::vector<uint8_t> prefix,
                                                     std::unique_ptr<StreamChannel> inner);

class ReadAhead;
class WriteBehind;

class QemuFile {
 public:
  static constexpr size_t kBufferSize = 32768;  // QEMU's IO_BUF_SIZE
  // A reader's buffer is larger: every read() is a system call and a
  // wake-up of the destination, and 32 KiB is only 8 pages.
  static constexpr size_t kReadBufferSize = 256 * 1024;

  enum class Mode { kRead, kWrite };
  QemuFile(std::unique_ptr<StreamChannel> channel, Mode mode);
  ~QemuFile();  // flushes a writer (errors are kept but nobody sees them)
  QemuFile(const QemuFile&) = delete;
  QemuFile& operator=(const QemuFile&) = delete;

  static std::unique_ptr<QemuFile> reader(int fd) {
    return std::make_unique<QemuFile>(make_fd_channel(fd), Mode::kRead);
  }
  static std::unique_ptr<QemuFile> writer(int fd) {
    return std::make_unique<QemuFile>(make_fd_channel(fd), Mode::kWrite);
  }

  bool is_writable() const { return mode_ == Mode::kWrite; }
  // Reader, before anything was read: a thread reads the channel ahead from
  // now on (migration/read_ahead.h), so receiving overlaps with whatever the
  // owner does with the bytes. Bytes count as transferred when the owner
  // reaches them.
  void enable_read_ahead();
  // Writer: a thread writes each full batch while the owner fills the next
  // (migration/write_behind.h). flush() still returns only once everything
  // put is written; errors of a batch in flight show at the next batch.
  void enable_write_behind();

  // ---- errors
  // 0, or the first error as a negative errno.
  int error() const { return last_error_; }
  // The errno of the first failed write on the channel (0 if none): what
  // QEMU's "Unable to write to socket: ..." message names.
  int io_errno() const { return io_errno_; }
  // Keeps the first non-zero error only.
  void set_error(int err);
  // Sets -EIO (if no error yet) and unblocks I/O in any thread.
  void shutdown();
  bool shutdown_requested() const { return shutdown_.load(std::memory_order_acquire); }

  // ---- writing (no-ops once an error is set)
  void put_byte(uint8_t v);
  void put_be16(uint16_t v);
  void put_be32(uint32_t v);
  void put_be64(uint64_t v);
  void put_buffer(const uint8_t* data, size_t len);
  void put_buffer(std::span<const uint8_t> data) { put_buffer(data.data(), data.size()); }
  void put_buffer(std::string_view s) {
    put_buffer(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  // Like put_buffer, without copying: the bytes are read when the batch is
  // written out (the next flush; a full batch flushes), so they must stay
  // mapped and owned until then. For guest pages, which stay mapped for the
  // whole migration: copying each page into the buffer before the kernel
  // copies it again was a third of the source's time (docs/datapath.md). A
  // page that changes before the flush is dirty again and sent again, so
  // what leaves is at least as new as what was checked.
  void put_buffer_ref(const uint8_t* data, size_t len);
  // u8 length + bytes (no NUL); `s` must be at most 255 bytes.
  void put_counted_string(std::string_view s);
  // Writes out what is buffered (blocking). Sets -EIO-style errors on failure.
  void flush();

  // ---- reading (return zeros once an error is set)
  uint8_t get_byte();
  uint16_t get_be16();
  uint32_t get_be32();
  uint64_t get_be64();
  // Reads up to len bytes into buf; returns how many were read (less than
  // len only on error; the rest of buf is left untouched).
  size_t get_buffer(uint8_t* buf, size_t len);
  // Reads and drops len bytes in bounded chunks; returns how many were read.
  uint64_t skip(uint64_t len);
  // Reads a u8 length + that many bytes into *out. Returns the length read
  // (0 for an empty string or on error).
  size_t get_counted_string(std::string* out);
  // Looks at the byte `offset` bytes ahead without consuming it (0 on error).
  uint8_t peek_byte(size_t offset = 0);
  // Copies up to len bytes starting `offset` ahead without consuming them;
  // returns how many are available (len unless the stream ended).
  // offset + len must be at most kBufferSize.
  size_t peek_buffer(uint8_t* buf, size_t len, size_t offset);
  // Drops `len` already-peeked bytes (does nothing if fewer are buffered).
  void consume_peeked(size_t len);

  // ---- counters
  // Bytes that went through the channel (written out or read in). Atomic:
  // other threads may poll it for statistics.
  uint64_t bytes_transferred() const { return transferred_.load(std::memory_order_relaxed); }
  // Writer: bytes_transferred() plus what is still buffered (QEMU's
  // qemu_file_total_transferred_fast). Owner thread only.
  uint64_t bytes_queued() const;

  // ---- rate limiting (QEMU's qemu_file_rate_limit & co): every byte put is
  // charged; the migration thread resets the charge every window.
  void set_rate_limit(int64_t max_bytes_per_window) { rate_limit_max_ = max_bytes_per_window; }
  int64_t rate_limit() const { return rate_limit_max_; }
  void reset_rate_limit() { rate_limit_used_ = 0; }
  // Charges bytes sent elsewhere (e.g. multifd packets) to this window.
  void account_rate_limit(int64_t len) { rate_limit_used_ += len; }
  int64_t rate_limit_used() const { return rate_limit_used_; }
  // True when an error is set, or when the window's budget (> 0) is exceeded.
  bool rate_limit_exceeded() const;

 private:
  // Makes at least `want` bytes available after pos_ (fewer on end/error).
  size_t fill(size_t want);
  size_t fill_ahead(size_t want);  // fill() from a ReadAhead
  // Writer: queues len bytes at p as the next piece of output.
  void push_piece(const uint8_t* p, size_t len);
  // Writer: writes the batch out; with write-behind, hands it over and
  // waits for it only if `wait`.
  void write_out(bool wait);

  // Writer: what the next flush writes, in order: pieces of buf_ (small
  // puts, copied) and referenced bytes (put_buffer_ref).
  static constexpr size_t kMaxPieces = 512;          // below IOV_MAX
  static constexpr size_t kMaxReferenced = 1 << 20;  // bytes per batch
  std::vector<iovec> pieces_;
  size_t pending_ = 0;  // bytes in pieces_

  std::unique_ptr<StreamChannel> channel_;
  // After channel_: destroyed first, it stops its thread's reads.
  std::unique_ptr<ReadAhead> read_ahead_;
  std::unique_ptr<WriteBehind> write_behind_;
  uint64_t submitted_ = 0;      // with write_behind_: bytes handed to it (owner only)
  std::vector<uint8_t> spent_;  // the previous buffer, back to read_ahead_ next
  Mode mode_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;   // reader: next byte; writer: unused
  size_t size_ = 0;  // reader: valid bytes; writer: bytes used in buf_
  int last_error_ = 0;
  int io_errno_ = 0;
  std::atomic<bool> shutdown_{false};
  std::atomic<uint64_t> transferred_{0};
  int64_t rate_limit_max_ = 0;
  int64_t rate_limit_used_ = 0;
};

// ---- return path messages (destination -> source), QEMU's MIG_RP_MSG_*.
enum class RpMessageType : uint16_t {
  kInvalid = 0,
  kShut = 1,
  kPong = 2,
  kReqPages = 3,
  kReqPagesId = 4,
  kRecvBitmap = 5,
  kResumeAck = 6,
};

struct RpMessage {
  uint16_t type = 0;
  std::vector<uint8_t> payload;
};

// Writes be16 type, be16 length, payload, and flushes.
void write_rp_message(QemuFile& f, RpMessageType type, std::span<const uint8_t> payload);
void write_rp_shut(QemuFile& f, uint32_t failed);  // SHUT(0 = success, 1 = error)
void write_rp_pong(QemuFile& f, uint32_t value);

// Reads one message as a 7.2 source's return-path thread does. On failure
// returns false with `*error_line` set to the line 7.2 prints (empty when the
// stream just ended or failed, which 7.2 does not report).
bool read_rp_message(QemuFile& f, RpMessage* msg, std::string* error_line);

}  // namespace migemu::migration
