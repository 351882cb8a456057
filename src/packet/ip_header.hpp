// The IPv4 (RFC 791 section 3.1) or IPv6 (RFC 8200 section 3) header of a packet Tandem builds
// itself (an in-tunnel health probe, a nested protocol's UDP datagram, an ICMP echo that probes
// a path's MTU: no options, no extension headers; TTL / hop limit 64), and where the payload of
// an IPv4 packet it takes apart starts. No I/O, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

// The header written for `family`: 20 bytes for IPv4, 40 for IPv6.
std::size_t ip_header_size(IpAddress::Family family);

// Writes the header at `p` for a packet of `ip_size` bytes in all (the header included) carrying
// `protocol` (IPv4 protocol / IPv6 next header) from `source` to `destination`, which must be of
// one family. IPv4 goes with DF set and identification 0, an atomic datagram (RFC 6864 section
// 4.1), and its header checksum filled; with `fragmentable_id` it goes without DF and with that
// identification instead, for a datagram a smaller path may have to split. The caller checks
// that `ip_size` fits the family's length field.
void write_ip_header(std::byte* p, std::uint8_t protocol, const IpAddress& source,
                     const IpAddress& destination, std::size_t ip_size,
                     std::optional<std::uint16_t> fragmentable_id = std::nullopt);

// Where the payload of `ip`, an IPv4 packet that parse_ip_header() accepted (cut to its stated
// length), starts: after its header (options too), when it carries `protocol`, is no fragment
// and its header checksum holds (a receiving host must check it, RFC 1122 section 3.2.1.2); 0
// otherwise.
std::size_t ipv4_payload_offset(ByteView ip, std::uint8_t protocol);

}  // namespace tandem::packet
