// UDP encapsulation of ESP for NAT traversal (RFC 3948): on port 4500 a datagram is a NAT
// keepalive (the single byte 0xFF), an IKE message behind the four-zero-byte non-ESP marker, or
// an ESP packet (whose SPI is never zero).
#pragma once

#include <array>
#include <cstddef>

#include "base/bytes.hpp"

namespace tandem::ipsec::esp {

enum class UdpPayload : std::uint8_t { kKeepalive, kIke, kEsp, kInvalid };

inline constexpr std::array<std::byte, 4> kNonEspMarker{};
inline constexpr std::byte kKeepaliveByte{0xff};

UdpPayload classify_udp_payload(ByteView datagram);

// The IKE message inside a port-4500 datagram classified kIke (after the marker).
inline ByteView ike_message(ByteView datagram) {
  return datagram.subspan(kNonEspMarker.size());
}

}  // namespace tandem::ipsec::esp
