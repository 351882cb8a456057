// ICMP Echo Request and Echo Reply (RFC 792; ICMPv6: RFC 4443 sections 4.1 and 4.2) as whole IP
// packets: built at an exact size and found in a packet. For path MTU probes that any host
// answers (hybrid/icmp_echo_prober.hpp): an echo reply carries the request's data back, so it is
// as large as the request, and one that arrives says the size went both ways. No I/O, no
// allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

// Type, code, checksum, identifier and sequence number, before the data.
inline constexpr std::size_t kIcmpEchoHeaderSize = 8;

enum class IcmpEchoKind : std::uint8_t { kRequest, kReply };

struct IcmpEcho {
  IcmpEchoKind kind = IcmpEchoKind::kRequest;
  IpAddress source;
  IpAddress destination;
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  ByteView data;                // after the echo header, up to the end the IP header states
  std::size_t packet_size = 0;  // the whole IP packet, as its header states
};

// The smallest echo of `family` (IP and echo headers, no data): 28 bytes for IPv4, 48 for IPv6.
std::size_t icmp_echo_headers_size(IpAddress::Family family);

// Writes into `out` an echo of `kind` from `source` to `destination` (one family) that is exactly
// `packet_size` bytes long, IP header included: its data is `data` followed by zeros. IPv4 goes
// with DF set (a probe of a size must not arrive in pieces), IPv6 with no extension headers;
// checksums filled (ICMPv6's over the pseudo-header). Returns `packet_size`, or 0 and writes
// nothing when `out` is too small, the families differ, or `packet_size` is smaller than the
// headers and `data` or larger than the family's length field allows.
std::size_t build_icmp_echo(MutableByteView out, IcmpEchoKind kind, const IpAddress& source,
                            const IpAddress& destination, std::uint16_t identifier,
                            std::uint16_t sequence, ByteView data, std::size_t packet_size);

// Whether `packet`, a whole IP packet, is an ICMP or ICMPv6 echo reply (unfragmented IPv4, or
// IPv6 without extension headers), judged by its protocol and type alone, without the checks
// parse_icmp_echo() makes: a few byte reads, cheap enough for every packet a tunnel sends.
bool is_icmp_echo_reply(ByteView packet);

// The echo request or reply in `packet`: one whole, unfragmented IPv4 packet (options allowed,
// header checksum holding) carrying ICMP, or an IPv6 packet whose next header is ICMPv6 (no
// extension headers walked), of type echo request or reply with code 0 and a checksum that holds.
// nullopt for anything else. Never reads past `packet`; bytes after the stated length are ignored.
std::optional<IcmpEcho> parse_icmp_echo(ByteView packet);

// A piece of an echo that was fragmented on its way (a host answers a request larger than its own
// device's MTU in fragments): an IPv4 fragment carrying ICMP, or an IPv6 packet whose first
// extension header is a Fragment header (RFC 8200 section 4.5) before ICMPv6.
struct IcmpEchoFragment {
  IpAddress source;
  IpAddress destination;
  std::uint32_t identification = 0;  // IPv4's 16 bits or IPv6's 32: the same in every piece
  bool first = false;                // offset 0: the echo header is in this piece
  // With `first`: the echo header's fields, and as much of the data as this piece holds. The
  // checksum covers the whole message, so it cannot be checked here.
  IcmpEchoKind kind = IcmpEchoKind::kRequest;
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  ByteView data;
};

// The fragment of an echo in `packet`; nullopt for anything else (an unfragmented packet, another
// protocol, a first piece too short for the echo header, an IPv4 header checksum that fails).
std::optional<IcmpEchoFragment> parse_icmp_echo_fragment(ByteView packet);

}  // namespace tandem::packet
