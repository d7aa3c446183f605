// The bytes on a multifd channel of QEMU 7.2 (docs/multifd.md): the 64-byte
// initial packet each channel starts with, and the fixed 1344-byte header in
// front of every data or SYNC packet. Encoding, and decoding with 7.2's checks
// and error texts. Nothing here sizes anything from an unchecked wire value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "migration/savevm.h"
#include "qapi/error.h"

namespace migemu::migration::multifd {

inline constexpr uint32_t kMagic = 0x11223344;
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kInitPacketSize = 64;
// 512 KiB of 4 KiB pages per packet: the header always has room for 128
// offsets, however many are used.
inline constexpr uint32_t kPagesPerPacket = 128;
inline constexpr size_t kHeaderFixedSize = 64 + 256;
inline constexpr size_t kHeaderSize = kHeaderFixedSize + 8 * kPagesPerPacket;  // 1344
inline constexpr size_t kRamblockNameSize = 256;

inline constexpr uint32_t kFlagSync = 0x1;
inline constexpr uint32_t kFlagZlib = 0x2;
inline constexpr uint32_t kFlagZstd = 0x4;
inline constexpr uint32_t kCompressionMask = 0xe;

using migration::Uuid;

struct InitPacket {
  Uuid uuid{};
  uint8_t id = 0;
};

std::array<uint8_t, kInitPacketSize> encode_init(const InitPacket& p);

// multifd_recv_initial_packet's checks in 7.2's order (magic, version, UUID
// against the destination's own, id). `channels` is multifd-channels. 7.2
// only refuses id > channels (and then with a copy of the version text); an
// id equal to `channels` would index past its table, so it is refused too,
// with the same text. Returns the channel id.
Result<uint8_t> decode_init(std::span<const uint8_t, kInitPacketSize> b, const Uuid& local_uuid,
                            unsigned channels);

// One packet header. `offsets` holds normal_pages valid entries.
struct PacketHeader {
  uint32_t flags = 0;
  uint32_t pages_alloc = kPagesPerPacket;
  uint32_t normal_pages = 0;
  uint32_t next_packet_size = 0;
  uint64_t packet_num = 0;
  std::string ramblock;  // at most 255 bytes are kept (NUL-terminated on the wire)
  std::array<uint64_t, kPagesPerPacket> offsets{};
};

void encode_header(const PacketHeader& h, std::span<uint8_t, kHeaderSize> out);

// multifd_recv_unfill_packet's checks on the fixed part: magic, version,
// pages_alloc <= 128, normal_pages <= pages_alloc. The block name and the
// offsets are decoded only when normal_pages > 0 (a SYNC packet repeats stale
// ones); checking them against guest RAM is the receiver's job.
Result<PacketHeader> decode_header(std::span<const uint8_t, kHeaderSize> b);

}  // namespace migemu::migration::multifd
