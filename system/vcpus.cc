#include "system/vcpus.h"

#include <utility>

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>

namespace migemu {

namespace {

// x86_topo_ids_from_idx: the CPU index counts threads, then cores, dies,
// sockets. APIC ids pack each level into a power-of-two field.
unsigned bits_for(unsigned count) {
  unsigned b = 0;
  while ((1u << b) < count) b++;
  return b;
}

VcpuSlot slot_for(int index, const Config& cfg) {
  unsigned threads = cfg.smp_threads, cores = cfg.smp_cores, dies = cfg.smp_dies;
  VcpuSlot s;
  s.index = index;
  unsigned i = static_cast<unsigned>(index);
  s.ids.thread = static_cast<int>(i % threads);
  s.ids.core = static_cast<int>(i / threads % cores);
  s.ids.die = static_cast<int>(i / (threads * cores) % dies);
  s.ids.socket = static_cast<int>(i / (threads * cores * dies));
  unsigned tb = bits_for(threads), cb = bits_for(cores), db = bits_for(dies);
  s.ids.apic_id = static_cast<uint32_t>(s.ids.socket) << (tb + cb + db) |
                  static_cast<uint32_t>(s.ids.die) << (tb + cb) |
                  static_cast<uint32_t>(s.ids.core) << tb | static_cast<uint32_t>(s.ids.thread);
  s.has_die = dies > 1;
  return s;
}

}  // namespace

Vcpus::~Vcpus() {
  for (Cpu& c : cpus_) c.thread.request_stop();
}

void Vcpus::create(const Config& cfg) {
  if (cfg.cpu_model.empty()) return;
  qom_type_ = cfg.cpu_model + "-x86_64-cpu";
  has_topology_ = cfg.machine.type != "none";
  unsigned max = has_topology_ ? std::max(cfg.max_cpus, cfg.smp_cpus) : 1;
  unsigned present = has_topology_ ? cfg.smp_cpus : 1;
  if (has_topology_) {
    for (unsigned i = 0; i < max; i++) possible_.push_back(slot_for(static_cast<int>(i), cfg));
  }
  cpus_.resize(present);
  for (unsigned i = 0; i < present; i++) {
    Cpu& c = cpus_[i];
    c.slot = has_topology_ ? possible_[i] : VcpuSlot{};
    // The CPUs are the first devices the board creates without a parent,
    // numbered device[N] under /machine/unattached; the first CPU's local
    // APIC adds one more (the "kvmvapic" device) right after it, so CPU 1
    // is device[2] on a board whose CPUs have an APIC.
    unsigned n = i;
    if (i > 0 && has_topology_) n = i + 1;  // more than one CPU: always an APIC
    c.obj = std::make_unique<X86Cpu>(
        cfg.cpu_model, "/machine/unattached/device[" + std::to_string(n) + "]", c.slot.ids);
    if (present > 1) c.obj->set_smp();
    std::promise<int> tid;
    auto tid_ready = tid.get_future();
    std::string name = "CPU " + std::to_string(i) + "/TCG";
    bool named = cfg.debug_threads;
    c.thread = std::jthread([name, named, p = std::move(tid)](std::stop_token stop) mutable {
      if (named) pthread_setname_np(pthread_self(), name.c_str());
      p.set_value(static_cast<int>(syscall(SYS_gettid)));
      // Nothing to execute: wait until the process ends.
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      cv.wait(lock, stop, [] { return false; });
    });
    c.tid = tid_ready.get();
  }
}

const X86Cpu* Vcpus::find_by_path(std::string_view path) const {
  for (const Cpu& c : cpus_)
    if (c.obj->qom_path() == path) return c.obj.get();
  return nullptr;
}

X86Cpu* Vcpus::find_by_path(std::string_view path) {
  return const_cast<X86Cpu*>(std::as_const(*this).find_by_path(path));
}

bool Vcpus::valid_index(int index) const {
  for (const Cpu& c : cpus_)
    if (c.slot.index == index) return true;
  return false;
}

Vcpus& vcpus() {
  static Vcpus v;
  return v;
}

}  // namespace migemu
