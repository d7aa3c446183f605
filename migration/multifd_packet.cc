// Multifd initial packet and packet header; see multifd_packet.h.
#include "migration/multifd_packet.h"

#include <cstdio>
#include <cstring>

namespace migemu::migration::multifd {

namespace {

void put_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put_be64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint32_t get_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint64_t get_be64(const uint8_t* p) {
  return uint64_t(get_be32(p)) << 32 | get_be32(p + 4);
}

std::string format(const char* fmt, auto... args) {
  char buf[512];
  snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace

std::array<uint8_t, kInitPacketSize> encode_init(const InitPacket& p) {
  std::array<uint8_t, kInitPacketSize> b{};
  put_be32(b.data(), kMagic);
  put_be32(b.data() + 4, kVersion);
  std::memcpy(b.data() + 8, p.uuid.data(), p.uuid.size());
  b[24] = p.id;
  return b;
}

Result<uint8_t> decode_init(std::span<const uint8_t, kInitPacketSize> b, const Uuid& local_uuid,
                            unsigned channels) {
  uint32_t magic = get_be32(b.data());
  uint32_t version = get_be32(b.data() + 4);
  if (magic != kMagic) {
    return generic_error(format("multifd: received packet magic %x expected %x", magic, kMagic));
  }
  if (version != kVersion) {
    return generic_error(
        format("multifd: received packet version %u expected %u", version, kVersion));
  }
  Uuid uuid;
  std::memcpy(uuid.data(), b.data() + 8, uuid.size());
  uint8_t id = b[24];
  if (uuid != local_uuid) {
    // %hhd: 7.2 prints the id as a signed char.
    return generic_error(format(
        "multifd: received uuid '%s' and expected uuid '%s' for channel %hhd",
        uuid_text(uuid).c_str(), uuid_text(local_uuid).c_str(), static_cast<signed char>(id)));
  }
  if (id >= channels) {
    // (sic) 7.2's text for a bad id names the version.
    return generic_error(
        format("multifd: received channel version %u expected %u", version, kVersion));
  }
  return id;
}

void encode_header(const PacketHeader& h, std::span<uint8_t, kHeaderSize> out) {
  std::memset(out.data(), 0, out.size());
  uint8_t* p = out.data();
  put_be32(p, kMagic);
  put_be32(p + 4, kVersion);
  put_be32(p + 8, h.flags);
  put_be32(p + 12, h.pages_alloc);
  put_be32(p + 16, h.normal_pages);
  put_be32(p + 20, h.next_packet_size);
  put_be64(p + 24, h.packet_num);
  // 32..63 reserved (zero). The name is NUL-padded and always terminated.
  std::memcpy(p + 64, h.ramblock.data(), std::min(h.ramblock.size(), kRamblockNameSize - 1));
  uint32_t n = std::min(h.normal_pages, kPagesPerPacket);
  for (uint32_t i = 0; i < n; i++) put_be64(p + kHeaderFixedSize + 8 * i, h.offsets[i]);
}

Result<PacketHeader> decode_header(std::span<const uint8_t, kHeaderSize> b) {
  const uint8_t* p = b.data();
  PacketHeader h;
  uint32_t magic = get_be32(p);
  if (magic != kMagic) {
    return generic_error(
        format("multifd: received packet magic %x and expected magic %x", magic, kMagic));
  }
  uint32_t version = get_be32(p + 4);
  if (version != kVersion) {
    return generic_error(
        format("multifd: received packet version %u and expected version %u", version, kVersion));
  }
  h.flags = get_be32(p + 8);
  h.pages_alloc = get_be32(p + 12);
  if (h.pages_alloc > kPagesPerPacket) {
    return generic_error(format("multifd: received packet with size %u and expected a size of %u",
                                h.pages_alloc, kPagesPerPacket));
  }
  h.normal_pages = get_be32(p + 16);
  if (h.normal_pages > h.pages_alloc) {
    return generic_error(
        format("multifd: received packet with %u pages and expected maximum pages are %u",
               h.normal_pages, h.pages_alloc));
  }
  h.next_packet_size = get_be32(p + 20);
  h.packet_num = get_be64(p + 24);
  if (h.normal_pages == 0) return h;
  const char* name = reinterpret_cast<const char*>(p + 64);
  h.ramblock.assign(name, strnlen(name, kRamblockNameSize - 1));
  for (uint32_t i = 0; i < h.normal_pages; i++)
    h.offsets[i] = get_be64(p + kHeaderFixedSize + 8 * i);
  return h;
}

}  // namespace migemu::migration::multifd
