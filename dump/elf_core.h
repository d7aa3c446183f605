// The ELF core file QEMU 7.2 writes for `dump-guest-memory` (format elf,
// paging off) of an x86 guest: the bytes before the memory (ELF header,
// section headers, program headers, per-CPU notes) and the section string
// table after it. docs/dump.md describes the layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dump/layout.h"

namespace migemu {

struct ElfCoreCpu {
  uint32_t cpuid_version = 0;  // EDX after reset
};

struct ElfCoreLayout {
  std::string head;      // written first
  uint64_t data_offset;  // == head.size(): the first PT_LOAD's bytes
  std::string tail;      // written after the memory
};

// `all`: every guest-physical range (decides the ELF class); `dumped`: the
// ranges written, one PT_LOAD each, in order.
ElfCoreLayout elf_core_layout(const std::vector<GuestPhysRange>& all,
                              const std::vector<GuestPhysRange>& dumped,
                              const std::vector<ElfCoreCpu>& cpus);

}  // namespace migemu
