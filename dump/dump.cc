#include "dump/dump.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "dump/elf_core.h"
#include "dump/layout.h"
#include "qapi/qapi-events.h"
#include "system/guest_memory.h"
#include "system/runstate.h"
#include "system/vcpus.h"
#include "system/vm.h"
#include "util/main_thread.h"

namespace migemu {

// What the writer needs, built on the main thread, owned by the writer.
struct DumpJob::Plan {
  Fd fd;
  ElfCoreLayout elf;
  std::vector<GuestPhysRange> ranges;
  const RamBlock* ram = nullptr;
  std::vector<uint64_t> known_zero;  // pages of `ram` that read as zero
};

namespace {

constexpr size_t kChunk = 1 << 20;

// Sequential output; runs of zeros become a seek on a regular file.
class Sink {
 public:
  Sink(int fd, bool seekable) : fd_(fd), seekable_(seekable) {}

  bool write(const void* data, size_t len) {
    if (!flush_zeros()) return false;
    return write_all(data, len);
  }
  void zeros(uint64_t len) { pending_zeros_ += len; }
  bool flush_zeros() {
    if (pending_zeros_ == 0) return true;
    if (seekable_) {
      if (lseek(fd_, static_cast<off_t>(pending_zeros_), SEEK_CUR) < 0) return false;
      pending_zeros_ = 0;
      return true;
    }
    static const std::vector<char> zero_buf(kChunk, 0);
    while (pending_zeros_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(pending_zeros_, kChunk));
      if (!write_all(zero_buf.data(), n)) return false;
      pending_zeros_ -= n;
    }
    return true;
  }

 private:
  bool write_all(const void* data, size_t len) {
    const char* p = static_cast<const char*>(data);
    while (len > 0) {
      ssize_t n = ::write(fd_, p, len);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      p += n;
      len -= static_cast<size_t>(n);
    }
    return true;
  }

  int fd_;
  bool seekable_;
  uint64_t pending_zeros_ = 0;
};

bool page_is_zero(const uint8_t* p) {
  static const uint8_t zero[kGuestPageSize] = {};
  return memcmp(p, zero, kGuestPageSize) == 0;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

}  // namespace

DumpJob::~DumpJob() {
  shutdown_for_exit();
}

Status DumpJob::start(DumpRequest req) {
  const Config& cfg = vm().config();
  const std::vector<RamBlock*>& blocks = guest_memory().blocks();
  const RamBlock* ram = blocks.empty() ? nullptr : blocks.front();
  auto all = guest_phys_ranges(cfg.machine.type, ram ? ram->used_length() : 0);
  auto plan = std::make_unique<Plan>();
  plan->ranges = all;
  if (req.begin) {
    if (*req.length == 0) return generic_error("Invalid parameter 'length'");
    plan->ranges = filter_ranges(all, *req.begin, *req.length);
  }
  if (plan->ranges.empty()) return generic_error("dump: no guest memory to dump");

  std::vector<ElfCoreCpu> cpus;
  for (size_t i = 0; i < vcpus().count(); ++i) cpus.push_back({vcpus().cpu(i).cpuid_version()});
  plan->elf = elf_core_layout(all, plan->ranges, cpus);
  plan->ram = ram;
  plan->fd = std::move(req.fd);

  if (thread_.joinable()) thread_.join();
  total_ = 0;
  for (const GuestPhysRange& r : plan->ranges) total_ += r.size;
  completed_ = 0;
  stop_ = false;
  status_ = qapi::DumpStatus::kActive;
  resume_ = runstate().is_running();
  if (resume_) runstate().vm_stop(RunState::kSaveVm);
  // The guest no longer writes its memory: what never was written reads as
  // zero and is not looked at.
  if (ram) plan->known_zero = ram->known_zero_bitmap();

  auto run = [this](Plan& p) -> std::optional<std::string> {
    struct stat st;
    const bool seekable =
        fstat(p.fd.get(), &st) == 0 && S_ISREG(st.st_mode) && lseek(p.fd.get(), 0, SEEK_CUR) >= 0;
    Sink out(p.fd.get(), seekable);
    if (!out.write(p.elf.head.data(), p.elf.head.size()))
      return errno_text("dump: failed to write elf header");
    for (const GuestPhysRange& r : p.ranges) {
      for (uint64_t done = 0; done < r.size;) {
        if (stop_.load(std::memory_order_relaxed)) return std::string("dump: cancelled");
        const uint64_t n = std::min<uint64_t>(r.size - done, kChunk);
        if (!r.ram_offset || !p.ram) {
          out.zeros(n);
        } else if (((*r.ram_offset + done) | n) & (kGuestPageSize - 1)) {
          // A filter that cuts pages: plain bytes.
          if (!out.write(p.ram->host() + *r.ram_offset + done, n))
            return errno_text("dump: failed to save memory");
        } else {
          // Pages in [first, first + n/4096) of the RAM block; gather the
          // non-zero ones into writes.
          const uint64_t first = (*r.ram_offset + done) >> kGuestPageBits;
          uint64_t run_start = 0, run_len = 0;
          for (uint64_t i = 0; i < (n >> kGuestPageBits); ++i) {
            const uint64_t pg = first + i;
            const bool zero =
                ((p.known_zero[pg >> 6] >> (pg & 63)) & 1) || page_is_zero(p.ram->page_ptr(pg));
            if (!zero && run_len == 0) run_start = pg;
            if (!zero) {
              ++run_len;
              continue;
            }
            if (run_len && !out.write(p.ram->page_ptr(run_start), run_len << kGuestPageBits))
              return errno_text("dump: failed to save memory");
            run_len = 0;
            out.zeros(kGuestPageSize);
          }
          if (run_len && !out.write(p.ram->page_ptr(run_start), run_len << kGuestPageBits))
            return errno_text("dump: failed to save memory");
        }
        done += n;
        completed_.fetch_add(n, std::memory_order_relaxed);
      }
    }
    if (!out.write(p.elf.tail.data(), p.elf.tail.size()))
      return errno_text("dump: failed to save memory");
    return std::nullopt;
  };

  if (!req.detach) {
    auto err = run(*plan);
    plan.reset();  // closes the fd
    finish(err);
    if (err) return generic_error(*err);
    return {};
  }
  thread_ = std::thread([this, run, p = std::move(plan)]() mutable {
    auto err = run(*p);
    p.reset();
    if (stop_.load()) return;  // exiting: the main loop is gone
    post_to_main([this, err] { finish(err); });
  });
  return {};
}

void DumpJob::finish(std::optional<std::string> error) {
  if (thread_.joinable()) thread_.join();
  status_ = error ? qapi::DumpStatus::kFailed : qapi::DumpStatus::kCompleted;
  qapi::qapi_event_send_dump_completed(query(), error);
  if (resume_) runstate().vm_start();
  resume_ = false;
}

qapi::DumpQueryResult DumpJob::query() const {
  qapi::DumpQueryResult r;
  r.status = status_;
  r.completed = static_cast<int64_t>(completed_.load());
  r.total = static_cast<int64_t>(total_);
  return r;
}

void DumpJob::shutdown_for_exit() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

DumpJob& dump_job() {
  static DumpJob job;
  return job;
}

void dump_shutdown_for_exit() {
  dump_job().shutdown_for_exit();
}

}  // namespace migemu
