// What a packet's IP header says about the transport above it: the protocol, the DSCP, and the
// ports where there are any (TCP, UDP and SCTP, in an unfragmented packet or the first fragment).
// IPv6 extension headers are not walked: the fixed header's Next Header is the protocol. For the
// hybrid router's flows and the traffic rules; bounds-checked like parse_ip_header().
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {

struct TransportFacts {
  std::uint8_t protocol = 0;
  std::uint8_t dscp = 0;  // the top six bits of IPv4's TOS or IPv6's traffic class
  bool has_ports = false;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

// `header` is parse_ip_header(bytes).
inline TransportFacts transport_facts(ByteView bytes, const IpHeaderView& header) {
  constexpr std::uint8_t kTcp = 6, kUdp = 17, kSctp = 132;
  const auto byte = [&](std::size_t i) { return std::to_integer<unsigned>(bytes[i]); };
  TransportFacts f;
  std::size_t transport = 0;
  bool later_fragment = false;
  if (header.family == IpAddress::Family::kV4) {
    f.protocol = static_cast<std::uint8_t>(byte(9));
    f.dscp = static_cast<std::uint8_t>(byte(1) >> 2);
    transport = (byte(0) & 0x0f) * 4;
    later_fragment = (load_be16(bytes.data() + 6) & 0x1fff) != 0;
  } else {
    f.protocol = static_cast<std::uint8_t>(byte(6));
    f.dscp = static_cast<std::uint8_t>((((byte(0) & 0x0f) << 4) | (byte(1) >> 4)) >> 2);
    transport = kIpv6HeaderSize;
  }
  const bool ported = f.protocol == kTcp || f.protocol == kUdp || f.protocol == kSctp;
  if (ported && !later_fragment && header.total_length >= transport + 4) {
    f.has_ports = true;
    f.source_port = load_be16(bytes.data() + transport);
    f.destination_port = load_be16(bytes.data() + transport + 2);
  }
  return f;
}

}  // namespace tandem::packet
