// Cutting a GSO super-packet into the packets it stands for, as the kernel's TCP and UDP
// segmentation offload would (net/ipv4/tcp_offload.c, udp_offload.c): what a TUN device with
// TSO/USO offloads hands us is one IP packet of up to 64 KB whose payload is to leave as
// `gso_size` pieces, each with its own copy of the headers. Also finishes a checksum the kernel
// left partial (only the pseudo-header sum in the field: VIRTIO_NET_HDR_F_NEEDS_CSUM).
//
// Per TCP segment: the sequence number advances by the payload before it; PSH and FIN stay on
// the last segment only and CWR on the first only (RFC 3168 section 6.1.2: one CWR per window
// reduction); the IPv4 identification counts up and the header checksum is redone; the transport
// checksum is computed in full over the pseudo-header (RFC 793, RFC 8200 section 8.1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "packet/virtio_net_header.hpp"

namespace tandem::packet {

enum class GsoError : std::uint8_t {
  kMalformed,    // the header and the packet disagree, or the packet is cut short
  kUnsupported,  // UFO, IPv6 extension headers, an IPv4 fragment: nothing a TUN read gives
};

// The largest super-packet: an IPv4 total length or IPv6 payload length must still hold it.
inline constexpr std::size_t kMaxSuperPacket = 65535;

class GsoSegments {
 public:
  // Checks `packet` (an IP packet without its virtio-net header) against `header`; an empty one
  // is malformed.
  static Result<GsoSegments, GsoError> plan(const VirtioNetHeader& header, ByteView packet);

  std::size_t count() const { return count_; }
  // The largest segment, so a caller can size its buffers.
  std::size_t max_size() const { return headers_ + segment_payload_; }
  // The IP and transport headers each segment repeats (a whole packet: all of it).
  std::size_t headers() const { return headers_; }
  // Writes segment `i` (< count()) of `packet` (the one given to plan()) to the front of `out`,
  // which holds at least max_size() bytes. Returns its length.
  std::size_t write(ByteView packet, std::size_t i, MutableByteView out) const;

 private:
  enum class Kind : std::uint8_t { kWhole, kTcp, kUdp };
  GsoSegments() = default;

  Kind kind_ = Kind::kWhole;
  bool v4_ = true;
  std::size_t transport_ = 0;  // offset of the TCP or UDP header
  std::size_t headers_ = 0;    // IP and transport headers: copied into every segment
  std::size_t segment_payload_ = 0;
  std::size_t payload_ = 0;  // all of it
  std::size_t count_ = 1;
  bool partial_ = false;        // kWhole: its checksum is to be finished
  std::size_t csum_field_ = 0;  // ... at this offset
};

// Finishes the partial checksum `header` describes in `packet` in place (nothing to do without
// NEEDS_CSUM). False, leaving the packet alone, when the offsets lie outside it.
bool complete_checksum(const VirtioNetHeader& header, MutableByteView packet);

}  // namespace tandem::packet
