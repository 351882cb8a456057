// A UDP datagram as one whole IPv4 (RFC 791) or IPv6 (RFC 8200) packet: building the headers in
// front of a payload, and finding the datagram in a packet. For the inner packets Tandem makes
// itself: health probes, and a nested protocol's datagrams carried in its outer tunnel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

inline constexpr std::size_t kUdpHeaderSize = 8;
inline constexpr std::uint8_t kProtocolUdp = 17;

// The IP and UDP headers Tandem writes for `family` (no IPv4 options, no IPv6 extension headers).
std::size_t udp_headers_size(IpAddress::Family family);

// With the payload already at out[udp_headers_size(family)...], writes the IP and UDP headers in
// front of it, checksums filled (IPv6 requires the UDP one; IPv4 gets it too, so that a layer
// that corrupted the datagram is caught). IPv4 goes with DF set: Tandem sizes what it builds to
// fit its path, and a datagram that does not fit must show up as a drop or an ICMP error, not be
// fragmented on the way. With `fragmentable_id`, IPv4 goes without DF and with that
// identification instead (unique per source, destination and protocol while such datagrams may
// live, RFC 6864 section 4.2): for a datagram another layer sized, which a smaller path may have
// to split. `from` and `to` must be of one family. Returns the packet's size, or 0 when `out` is
// too small or the payload too large for one datagram.
std::size_t write_udp_headers(MutableByteView out, const Endpoint& from, const Endpoint& to,
                              std::size_t payload_size,
                              std::optional<std::uint16_t> fragmentable_id = std::nullopt);

struct UdpDatagram {
  Endpoint source;
  Endpoint destination;
  ByteView udp;      // header and payload, exactly as long as the IP header says
  ByteView payload;  // after the UDP header
};

// The UDP datagram of one whole, unfragmented IP packet whose IPv4 header checksum holds;
// nullopt for anything else (another protocol, a fragment, IPv6 extension headers, lengths that
// disagree). The UDP checksum is not checked: see udp_checksum_holds(). Never reads past `packet`.
std::optional<UdpDatagram> parse_udp_datagram(ByteView packet);

// Whether the datagram's UDP checksum holds; 0 ("not computed") passes for IPv4 only (RFC 768,
// RFC 8200 section 8.1).
bool udp_checksum_holds(const UdpDatagram& datagram);

}  // namespace tandem::packet
