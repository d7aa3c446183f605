// The machine's vCPUs: one object per CPU (-smp, with its topology), each
// backed by a real thread of the process, as QEMU's TCG runs one thread per
// vCPU (named "CPU N/TCG" with -name debug-threads=on). migemu executes no
// guest code, so the threads only wait; management software sees real
// thread ids in query-cpus-fast and `info cpus`.
//
// Created once by main() before the main loop; read on the main thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "system/config.h"
#include "system/x86_cpu.h"

namespace migemu {

struct VcpuSlot {
  int index = 0;
  CpuTopologyIds ids;
  bool has_die = false;  // props carry die-id only with more than one die
};

class Vcpus {
 public:
  ~Vcpus();
  // Builds the CPUs of `cfg` (none for a machine without a CPU model) and
  // starts their threads.
  void create(const Config& cfg);

  size_t count() const { return cpus_.size(); }
  const X86Cpu& cpu(size_t i) const { return *cpus_[i].obj; }
  int thread_id(size_t i) const { return cpus_[i].tid; }
  int index(size_t i) const { return cpus_[i].slot.index; }
  const VcpuSlot& slot(size_t i) const { return cpus_[i].slot; }
  const X86Cpu* find_by_path(std::string_view path) const;
  // For qom-set (main thread; the vCPU threads never read the object).
  X86Cpu* find_by_path(std::string_view path);
  bool valid_index(int index) const;

  // Every CPU the machine could have (maxcpus), present or not; empty for a
  // machine without CPU hotplug (none).
  const std::vector<VcpuSlot>& possible() const { return possible_; }
  bool has_topology() const { return has_topology_; }
  const std::string& qom_type() const { return qom_type_; }

 private:
  struct Cpu {
    VcpuSlot slot;
    std::unique_ptr<X86Cpu> obj;
    std::jthread thread;
    int tid = 0;
  };
  std::vector<Cpu> cpus_;
  std::vector<VcpuSlot> possible_;
  bool has_topology_ = false;
  std::string qom_type_;
};

Vcpus& vcpus();

}  // namespace migemu
