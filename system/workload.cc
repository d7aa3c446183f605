#include "system/workload.h"

#include <pthread.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <string>

#include "system/qemu_opts.h"

namespace migemu {

namespace {

using Clock = std::chrono::steady_clock;

// QEMU's throttle time slice (cpu-throttle.c uses 10 ms too).
constexpr std::chrono::nanoseconds kSlice = std::chrono::milliseconds(10);

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** (public-domain algorithm by Blackman and Vigna).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& v : s_) v = splitmix64(seed);
  }
  uint64_t next() {
    uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) (multiply-shift; the bias is negligible here).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  uint64_t s_[4];
};

void store64(uint8_t* p, uint64_t v) {
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(p)).store(v, std::memory_order_relaxed);
}

Error bad_value(std::string_view name, std::string_view value) {
  return generic_error("Parameter '" + std::string(name) + "' does not accept value '" +
                       std::string(value) + "'");
}

Error threads_range_error() {
  return generic_error("Parameter 'threads' expects a value between 1 and " +
                       std::to_string(kWorkloadMaxThreads));
}

}  // namespace

const char* to_string(WorkloadPattern v) {
  return v == WorkloadPattern::kRandom ? "random" : "sequential";
}

const char* to_string(WorkloadContent v) {
  switch (v) {
    case WorkloadContent::kZero:
      return "zero";
    case WorkloadContent::kCompressible:
      return "compressible";
    case WorkloadContent::kRandom:
      return "random";
  }
  return "random";
}

const char* to_string(WorkloadWindow v) {
  return v == WorkloadWindow::kRandom ? "random" : "start";
}

// One thread's walk over the working set.
class Workload::Writer {
 public:
  Writer(const Plan& plan, unsigned index)
      : plan_(plan), rng_(plan.params.seed ^ (0xd1b54a32d192ed03ULL * (index + 1))) {
    const uint64_t w = plan.wss_pages;
    const uint64_t n = plan.params.threads;
    part_start_ = index * w / n;
    part_len_ = (index + 1) * w / n - part_start_;
    if (part_len_ == 0) {
      part_start_ = index % w;
      part_len_ = 1;
    }
  }

  void write_one() {
    uint64_t g = plan_.params.pattern == WorkloadPattern::kRandom
                     ? rng_.below(plan_.wss_pages)
                     : part_start_ + (cursor_++ % part_len_);
    const Segment* s = &plan_.segments.front();
    if (plan_.segments.size() > 1) {
      auto it = std::upper_bound(plan_.segments.begin(), plan_.segments.end(), g,
                                 [](uint64_t v, const Segment& seg) { return v < seg.start; });
      s = &*(it - 1);
    }
    uint64_t page = s->first_page + (g - s->start);
    uint8_t* p = s->block->page_ptr(page);
    ++seq_;
    // Relaxed 64-bit atomic stores (plain moves on x86): vCPUs may write the
    // same page at once, and a migration may read it meanwhile.
    switch (plan_.params.content) {
      case WorkloadContent::kZero:
        for (size_t off = 0; off < kGuestPageSize; off += 8) store64(p + off, 0);
        break;
      case WorkloadContent::kCompressible: {
        store64(p, plan_.offset_pages + g);
        store64(p + 8, seq_);
        const uint64_t fill = 0x0101010101010101ULL * (0x20 + seq_ % 64);
        for (size_t off = 16; off < kGuestPageSize; off += 8) store64(p + off, fill);
        break;
      }
      case WorkloadContent::kRandom:
        for (size_t off = 0; off < kGuestPageSize; off += 8) store64(p + off, rng_.next());
        break;
    }
    s->block->set_dirty(page);  // after the data: a sync that sees the bit sees the page
  }

 private:
  const Plan& plan_;
  Rng rng_;
  uint64_t part_start_ = 0, part_len_ = 1, cursor_ = 0, seq_ = 0;
};

Workload::Workload(GuestMemory& mem) : mem_(mem) {}

Workload::~Workload() {
  std::lock_guard ctl(ctl_mu_);
  stop_threads();
}

Result<Workload::Plan> Workload::make_plan(const WorkloadParams& p) const {
  if (p.threads < 1 || p.threads > kWorkloadMaxThreads) return threads_range_error();
  Plan plan;
  plan.params = p;
  std::vector<RamBlock*> writable;
  uint64_t total_pages = 0;
  for (RamBlock* b : mem_.blocks()) {
    if (b->readonly()) continue;
    writable.push_back(b);
    total_pages += b->pages();
  }
  if (p.rate > 0 && total_pages == 0) {
    return generic_error("The guest has no writable RAM: 'rate' must be 0");
  }
  if (p.wss > total_pages * kGuestPageSize) {
    return generic_error("Parameter 'wss' expects a size no larger than the guest RAM (" +
                         std::to_string(total_pages * kGuestPageSize) + " bytes)");
  }
  plan.wss_pages = p.wss ? (p.wss + kGuestPageSize - 1) / kGuestPageSize : total_pages;
  if (p.window == WorkloadWindow::kRandom && total_pages > plan.wss_pages) {
    uint64_t x = p.seed ^ 0x5851f42d4c957f2dULL;
    plan.offset_pages = splitmix64(x) % (total_pages - plan.wss_pages + 1);
  }
  const uint64_t lo = plan.offset_pages, hi = plan.offset_pages + plan.wss_pages;
  uint64_t pos = 0;
  for (RamBlock* b : writable) {
    uint64_t b_lo = std::max(lo, pos), b_hi = std::min(hi, pos + b->pages());
    if (b_lo < b_hi) plan.segments.push_back({b, b_lo - pos, b_hi - b_lo, b_lo - lo});
    pos += b->pages();
  }
  return plan;
}

Status Workload::configure(const WorkloadParams& p) {
  std::lock_guard ctl(ctl_mu_);
  auto plan = make_plan(p);
  if (!plan.ok()) return plan.take_error();
  stop_threads();
  plan_ = std::move(*plan);
  params_ = p;
  if (p.rate > 0 && plan_.wss_pages > 0) {
    for (unsigned i = 0; i < p.threads; ++i) {
      threads_.emplace_back([this, i] { thread_main(i); });
    }
  }
  return {};
}

void Workload::stop_threads() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
    may_write_.store(false, std::memory_order_relaxed);
  }
  cv_.notify_all();
  threads_.clear();  // joins
  std::lock_guard lk(mu_);
  stop_ = false;
  may_write_.store(running_, std::memory_order_relaxed);
}

WorkloadParams Workload::params() const {
  std::lock_guard ctl(ctl_mu_);
  return params_;
}

void Workload::set_running(bool running) {
  std::lock_guard ctl(ctl_mu_);
  std::unique_lock lk(mu_);
  running_ = running;
  may_write_.store(running && !stop_, std::memory_order_relaxed);
  cv_.notify_all();
  if (!running) idle_cv_.wait(lk, [this] { return busy_ == 0; });
}

bool Workload::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

void Workload::set_throttle(unsigned percent) {
  throttle_.store(std::min(percent, 99u), std::memory_order_relaxed);
}

WorkloadInfo Workload::info() const {
  std::lock_guard ctl(ctl_mu_);
  WorkloadInfo i;
  i.params = params_;
  i.wss_offset = plan_.offset_pages * kGuestPageSize;
  i.wss_bytes = plan_.wss_pages * kGuestPageSize;
  i.throttle = throttle();
  i.pages_written = pages_written();
  std::lock_guard lk(mu_);
  i.active = !threads_.empty() && running_;
  return i;
}

void Workload::thread_main(unsigned index) {
  std::string name = "workload/" + std::to_string(index);
  pthread_setname_np(pthread_self(), name.c_str());

  Writer writer(plan_, index);
  // Pages per time slice for this thread; the fraction carries over.
  const double per_slice = static_cast<double>(plan_.params.rate) / plan_.params.threads /
                           kGuestPageSize * std::chrono::duration<double>(kSlice).count();
  double credit = 0;
  Clock::time_point next;
  bool fresh = true;

  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || running_; });
    if (stop_) return;
    if (fresh) {
      next = Clock::now();  // (re)started: no catching up for the time paused
      fresh = false;
    }
    ++busy_;
    lk.unlock();

    credit += per_slice;
    auto n = static_cast<uint64_t>(credit);
    credit -= static_cast<double>(n);
    uint64_t done = 0;
    while (done < n && may_write_.load(std::memory_order_relaxed)) {
      writer.write_one();
      ++done;
    }
    pages_written_.fetch_add(done, std::memory_order_relaxed);

    lk.lock();
    if (--busy_ == 0) idle_cv_.notify_all();
    // At P % throttle a slice's work is spread over slice / (1 - P/100).
    const unsigned pct = throttle_.load(std::memory_order_relaxed);
    const auto period = kSlice * 100 / (100 - pct);
    next += period;
    const auto now = Clock::now();
    if (next + period < now) next = now;  // far behind (CPU-bound): drop the debt
    cv_.wait_until(lk, next, [this] { return stop_ || !running_; });
    if (!running_) fresh = true;
  }
}

// ---- Process-wide ------------------------------------------------------------

Workload& workload() {
  // guest_memory() is constructed first, so it is destroyed after the
  // workload's threads are joined.
  static Workload w(guest_memory());
  return w;
}

Status workload_configure(const WorkloadParams& p) {
  return workload().configure(p);
}
WorkloadParams workload_params() {
  return workload().params();
}
WorkloadInfo workload_info() {
  return workload().info();
}

Result<WorkloadParams> parse_workload_option(std::string_view text, const WorkloadParams& base) {
  using qopts::OptType;
  static const qopts::OptsList kList{"x-workload",
                                     "rate",
                                     false,
                                     {{"rate", OptType::kSize},
                                      {"wss", OptType::kSize},
                                      {"window", OptType::kString},
                                      {"pattern", OptType::kString},
                                      {"content", OptType::kString},
                                      {"threads", OptType::kNumber},
                                      {"seed", OptType::kNumber}}};
  // QemuOpts would take "id=" as the set's id; this option has none.
  if (qopts::opts_parse_id(text)) return generic_error("Invalid parameter 'id'");
  qopts::Opts opts(&kList, std::nullopt);
  MIGEMU_TRY(opts.parse(text, kList.implied, false, nullptr, nullptr));

  WorkloadParams p = base;
  p.rate = opts.get_size("rate", p.rate);
  p.wss = opts.get_size("wss", p.wss);
  if (auto v = opts.get("window")) {
    if (*v == "start") {
      p.window = WorkloadWindow::kStart;
    } else if (*v == "random") {
      p.window = WorkloadWindow::kRandom;
    } else {
      return bad_value("window", *v);
    }
  }
  if (auto v = opts.get("pattern")) {
    if (*v == "sequential") {
      p.pattern = WorkloadPattern::kSequential;
    } else if (*v == "random") {
      p.pattern = WorkloadPattern::kRandom;
    } else {
      return bad_value("pattern", *v);
    }
  }
  if (auto v = opts.get("content")) {
    if (*v == "zero") {
      p.content = WorkloadContent::kZero;
    } else if (*v == "compressible") {
      p.content = WorkloadContent::kCompressible;
    } else if (*v == "random") {
      p.content = WorkloadContent::kRandom;
    } else {
      return bad_value("content", *v);
    }
  }
  if (opts.has("threads")) {
    uint64_t t = opts.get_number("threads", 1);
    if (t < 1 || t > kWorkloadMaxThreads) return threads_range_error();
    p.threads = static_cast<uint32_t>(t);
  }
  p.seed = opts.get_number("seed", p.seed);
  return p;
}

void cpu_throttle_set(int new_throttle_pct) {
  workload().set_throttle(static_cast<unsigned>(std::clamp(new_throttle_pct, 1, 99)));
}
void cpu_throttle_stop() {
  workload().set_throttle(0);
}
bool cpu_throttle_active() {
  return workload().throttle() > 0;
}
int cpu_throttle_get_percentage() {
  return static_cast<int>(workload().throttle());
}

}  // namespace migemu
