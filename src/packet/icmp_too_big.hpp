// What a tunnel does with an inner packet larger than its path's MTU, and the ICMP error that
// tells the sender to send smaller ones: ICMPv4 Destination Unreachable "fragmentation needed
// and DF set" carrying the next-hop MTU (RFC 792, RFC 1191 section 4) and ICMPv6 Packet Too Big
// (RFC 4443 section 3.2). The rules on when no error may be sent are those of RFC 1122 section
// 3.2.2, RFC 1812 sections 4.3.2.3 and 4.3.2.7, and RFC 4443 section 2.4. Pure functions: no I/O,
// no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

// The largest ICMPv4 error, IP header included (RFC 1812 section 4.3.2.3).
inline constexpr std::size_t kIcmpv4ErrorMaxSize = 576;
// The largest ICMPv6 error: the IPv6 minimum MTU (RFC 4443 section 2.4 (c)).
inline constexpr std::size_t kIcmpv6ErrorMaxSize = 1280;
// Hop limit / TTL of the errors built here.
inline constexpr std::uint8_t kIcmpErrorHopLimit = 64;

enum class TooBig : std::uint8_t {
  kFits,      // the packet's total length is at most the MTU: send it
  kSendIcmp,  // IPv6, or IPv4 with DF set: drop it and answer with build_packet_too_big()
  kFragment,  // IPv4 without DF: split it with fragment_ipv4()
};

// What to do with `packet` on a path of `mtu` bytes. The length compared is the total length
// the IP header states (trailing bytes after it do not count). Bytes that are not a whole IP
// packet are compared by their size and, when larger than `mtu`, are kSendIcmp, for which
// build_packet_too_big() sends nothing: the caller drops them.
TooBig classify_for_mtu(ByteView packet, std::size_t mtu);

// Writes into `out` the ICMP error answering `offending`, an IP packet that does not fit a path
// of `mtu` bytes, and returns its size; `out` must not overlap `offending`. The error goes from
// `from` (the tunnel's own inner address, same family as the packet) to the packet's source,
// with TTL / hop limit 64, and quotes the start of the packet (never bytes after its stated
// total length): up to 548 bytes of an IPv4 packet (the error is then at most 576 bytes, the
// quote at least its header and 8 bytes) and up to 1232 bytes of an IPv6 one (at most 1280).
// The IPv4 error is an atomic datagram (DF set, ID 0, RFC 6864 section 4) with precedence 6,
// internetwork control (RFC 1812 section 4.3.2.5).
//
// Returns 0 and writes nothing when no error may or need be sent:
// - `offending` is not a whole IPv4/IPv6 packet (parse_ip_header), or `from` is of the other
//   family, or `from` or the packet's source does not name a single host (unspecified,
//   loopback, multicast, IPv4 0/8 and 240/4 including the limited broadcast);
// - an IPv4 packet's destination is multicast or broadcast (224/4, 240/4); IPv6 answers
//   multicast destinations, as RFC 4443 section 2.4 (e.3) allows for Packet Too Big;
// - the packet is itself an ICMP error (ICMPv4 types 3, 4, 5, 11, 12; ICMPv6 types below 128,
//   IPv6 extension headers not walked);
// - it is an IPv4 fragment other than the first;
// - its total length is not larger than `mtu`, or `mtu` is below the family's minimum MTU (68,
//   1280), which no sender would believe (RFC 1191 section 3, RFC 8201 section 4);
// - `out` is smaller than the whole error.
std::size_t build_packet_too_big(MutableByteView out, ByteView offending, std::size_t mtu,
                                 const IpAddress& from);

}  // namespace tandem::packet
