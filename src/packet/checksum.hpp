// The Internet checksum (RFC 1071) for IPv4 headers and, with the pseudo-header of RFC 768 /
// RFC 8200 section 8.1, for UDP over IPv4 and IPv6 and for ICMPv6 (RFC 4443 section 2.3). Used
// where Tandem builds IP packets itself (in-tunnel probes, ICMP errors).
#pragma once

#include <cstdint>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

// The one's-complement sum of `bytes` added to `sum`, not yet folded: for a checksum built from
// pieces (a pseudo-header, then a header, then a payload). Every piece but the last must have an
// even length, so each starts on a 16-bit word boundary of the whole.
std::uint64_t checksum_add(std::uint64_t sum, ByteView bytes);
// The pseudo-header (RFC 793 / RFC 8200 section 8.1) of a transport message of `length` bytes
// carried as `protocol` in the IPv4 or IPv6 packet `ip`, whose addresses it reads, as an
// unfolded sum for checksum_add to continue.
std::uint64_t pseudo_header_sum(ByteView ip, std::uint8_t protocol, std::size_t length);
// Folds a sum from checksum_add to 16 bits and complements it: the checksum to store, host order.
std::uint16_t checksum_finish(std::uint64_t sum);

// The one's-complement sum of `bytes` folded to 16 bits and complemented, in host order; store
// it big-endian. An odd trailing byte is padded with zero.
std::uint16_t internet_checksum(ByteView bytes);

// The UDP checksum of `udp` (header with its checksum field zero, and payload) between `source`
// and `destination` (same family). A result of 0 is returned as 0xffff (RFC 768).
std::uint16_t udp_checksum(const IpAddress& source, const IpAddress& destination, ByteView udp);

// The checksum of an upper-layer message `data` (its checksum field zero) carried as `protocol`
// (the IPv4 protocol or IPv6 next header: 58 for ICMPv6) between `source` and `destination`
// (same family), pseudo-header included. A result of 0 is returned as it is.
std::uint16_t pseudo_header_checksum(const IpAddress& source, const IpAddress& destination,
                                     std::uint8_t protocol, ByteView data);

}  // namespace tandem::packet
