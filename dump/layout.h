// The guest-physical RAM ranges of a machine as QEMU 7.2's dump sees them
// (its list of guest physical blocks): where each range's bytes come from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace migemu {

struct GuestPhysRange {
  uint64_t gpa = 0;
  uint64_t size = 0;
  // Offset in the machine's RAM block; nullopt for firmware memory migemu
  // does not model (dumped as zeros).
  std::optional<uint64_t> ram_offset;
  uint64_t end() const { return gpa + size; }
};

// `machine_type`: the canonical name ("pc-i440fx-7.2", "pc-q35-7.2", "none").
std::vector<GuestPhysRange> guest_phys_ranges(const std::string& machine_type, uint64_t ram_size);

// The part of `ranges` inside [begin, begin + length) (QEMU's dump filter).
std::vector<GuestPhysRange> filter_ranges(const std::vector<GuestPhysRange>& ranges, uint64_t begin,
                                          uint64_t length);

}  // namespace migemu
