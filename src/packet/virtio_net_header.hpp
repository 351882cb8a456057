// The virtio-net header (struct virtio_net_hdr, include/uapi/linux/virtio_net.h; virtio 1.x
// section 5.1.6) that a TUN device opened with IFF_VNET_HDR puts in front of every packet: it
// says whether the packet is a GSO super-packet to be cut into `gso_size` pieces, and whether its
// transport checksum is still to be finished (only the pseudo-header sum is in place). Tandem asks
// the device for little-endian headers (TUNSETVNETLE), as virtio 1.x lays them out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"

namespace tandem::packet {

inline constexpr std::size_t kVirtioNetHeaderSize = 10;

// Flags.
inline constexpr std::uint8_t kVirtioNetHdrFNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
// GSO types; kVirtioNetHdrGsoEcn may be or-ed into any of them (the flow uses ECN: CWR was set).
inline constexpr std::uint8_t kVirtioNetHdrGsoNone = 0;
inline constexpr std::uint8_t kVirtioNetHdrGsoTcpV4 = 1;
inline constexpr std::uint8_t kVirtioNetHdrGsoUdp = 3;  // UFO: IP fragments, long gone
inline constexpr std::uint8_t kVirtioNetHdrGsoTcpV6 = 4;
inline constexpr std::uint8_t kVirtioNetHdrGsoUdpL4 = 5;  // USO: UDP datagrams of gso_size
inline constexpr std::uint8_t kVirtioNetHdrGsoEcn = 0x80;

struct VirtioNetHeader {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = kVirtioNetHdrGsoNone;
  std::uint16_t hdr_len = 0;      // bytes of headers (IP and transport) before the payload
  std::uint16_t gso_size = 0;     // payload bytes per segment
  std::uint16_t csum_start = 0;   // where the checksummed transport header starts
  std::uint16_t csum_offset = 0;  // where its checksum field is, from csum_start

  bool needs_csum() const { return (flags & kVirtioNetHdrFNeedsCsum) != 0; }
  // The GSO type without the ECN bit.
  std::uint8_t gso() const { return static_cast<std::uint8_t>(gso_type & ~kVirtioNetHdrGsoEcn); }
};

// The header at the front of `bytes`; nullopt if there are fewer than kVirtioNetHeaderSize.
std::optional<VirtioNetHeader> parse_virtio_net_header(ByteView bytes);
// Writes `header` into the first kVirtioNetHeaderSize bytes of `out` (which must hold them).
void write_virtio_net_header(const VirtioNetHeader& header, MutableByteView out);

}  // namespace tandem::packet
