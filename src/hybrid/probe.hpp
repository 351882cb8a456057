// In-tunnel health probes: how a client (or a site) learns that a path really carries packets
// end to end, not just that its protocol believes it is up. A probe is an ordinary inner
// UDP datagram (IPv4 or IPv6) from the prober's inner address to the gateway's inner address,
// port kProbePort (7, the echo service of RFC 862), whose payload starts with kProbeMagic. The
// gateway's router recognises it, and the gateway answers with a reply to the prober's port on
// the path the request came by. Because probes are inner packets, they take exactly the way data
// takes, through every layer of the path (and, padded, they can measure its MTU).
//
// Payload (big-endian): magic(8) type(1) flags(1) held_mtu(2) path_tag(4) sequence(8)
// sent_ns(8) request_size(2) padding... A reply echoes path_tag, sequence, sent_ns and flags and
// carries the IP size of the request it answers in request_size. Health probes are small and so
// are their replies. A path MTU probe (flag kProbeFlagMtu) is padded to the size being tested,
// and its reply is padded to the same size, so that an answer says the size went both ways
// (an answer from a version that does not pad says at least that it went there). A request's
// held_mtu is what the prober holds the path to from its own probing (0: nothing probed), so that
// the far end can hold what it sends back on that path to the same size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::hybrid {

inline constexpr std::uint16_t kProbePort = 7;
inline constexpr std::array<char, 8> kProbeMagic = {'T', 'N', 'D', 'M', 'P', 'R', 'B', '1'};
inline constexpr std::size_t kProbePayloadSize = 34;
// Flags: a path MTU probe, answered at its own size; `sequence` is the prober's probe id.
inline constexpr std::uint8_t kProbeFlagMtu = 0x01;

enum class ProbeType : std::uint8_t { kRequest = 1, kReply = 2 };

struct ProbeMessage {
  ProbeType type = ProbeType::kRequest;
  std::uint8_t flags = 0;
  std::uint16_t held_mtu = 0;  // request: what the prober holds the path to; 0: nothing probed
  std::uint32_t path_tag = 0;  // which of the prober's paths sent it
  std::uint64_t sequence = 0;
  std::uint64_t sent_ns = 0;       // the prober's clock, echoed back for the round-trip time
  std::uint16_t request_size = 0;  // reply: the IP size of the request as it arrived
};

// A whole probe as it sits in an IP packet.
struct ProbePacket {
  ProbeMessage message;
  IpAddress source;
  IpAddress destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

// The smallest IP packet a probe can be for `family` (headers and payload, no padding).
std::size_t probe_min_size(IpAddress::Family family);

// Builds a probe request of exactly `ip_size` bytes (>= probe_min_size; padded with zeros) from
// `source`:`source_port` to `destination`:kProbePort, IPv4 with DF set, checksums filled. Returns
// the size written, or 0 when `out` is too small or the sizes are impossible.
std::size_t build_probe_request(MutableByteView out, const IpAddress& source,
                                std::uint16_t source_port, const IpAddress& destination,
                                const ProbeMessage& message, std::size_t ip_size);

// The reply to `request` (as parsed), addresses and ports swapped: unpadded, or for a path MTU
// probe padded to `request_ip_size`. Returns the size written, or 0 when `out` is too small.
std::size_t build_probe_reply(MutableByteView out, const ProbePacket& request,
                              std::size_t request_ip_size);

// Recognises a probe of either type in an inner IP packet: UDP, a port of kProbePort on the
// side the type says (destination for requests, source for replies), the magic, a known type,
// and a valid UDP checksum where one is set. nullopt for anything else (ordinary traffic).
// Never reads past `packet`.
std::optional<ProbePacket> parse_probe(ByteView packet);

}  // namespace tandem::hybrid
