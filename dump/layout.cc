#include "dump/layout.h"

#include <algorithm>

namespace migemu {

namespace {

constexpr uint64_t k4G = 1ull << 32;
constexpr uint64_t kPamStart = 0xc0000;  // option ROM window, then the BIOS's
constexpr uint64_t kPamSplit = 0xe0000;  // shadowed copy (PAM, routed to ROM)
constexpr uint64_t kPamEnd = 0x100000;
constexpr uint64_t kBiosSize = 0x40000;  // the BIOS image under 4 GiB

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

std::vector<GuestPhysRange> guest_phys_ranges(const std::string& machine_type, uint64_t ram_size) {
  std::vector<GuestPhysRange> out;
  if (ram_size == 0) return out;
  const bool i440fx = starts_with(machine_type, "pc-i440fx-");
  const bool q35 = starts_with(machine_type, "pc-q35-");
  if (!i440fx && !q35) {
    out.push_back({0, ram_size, 0});
    return out;
  }
  // RAM below 4 GiB: all of it unless it reaches the PCI hole.
  uint64_t lowmem = ram_size;
  if (i440fx && ram_size >= 0xe0000000) lowmem = 0xc0000000;
  if (q35 && ram_size >= 0xb0000000) lowmem = 0x80000000;
  out.push_back({0, std::min(lowmem, kPamStart), 0});
  if (lowmem > kPamStart) {
    out.push_back({kPamStart, kPamSplit - kPamStart, std::nullopt});
    out.push_back({kPamSplit, kPamEnd - kPamSplit, std::nullopt});
  }
  if (lowmem > kPamEnd) out.push_back({kPamEnd, lowmem - kPamEnd, kPamEnd});
  out.push_back({k4G - kBiosSize, kBiosSize, std::nullopt});
  if (ram_size > lowmem) out.push_back({k4G, ram_size - lowmem, lowmem});
  return out;
}

std::vector<GuestPhysRange> filter_ranges(const std::vector<GuestPhysRange>& ranges, uint64_t begin,
                                          uint64_t length) {
  std::vector<GuestPhysRange> out;
  const uint64_t end = begin + length < begin ? UINT64_MAX : begin + length;
  for (const GuestPhysRange& r : ranges) {
    if (r.gpa >= end || r.end() <= begin) continue;
    uint64_t lo = std::max(r.gpa, begin), hi = std::min(r.end(), end);
    std::optional<uint64_t> off;
    if (r.ram_offset) off = *r.ram_offset + (lo - r.gpa);
    out.push_back({lo, hi - lo, off});
  }
  return out;
}

}  // namespace migemu
