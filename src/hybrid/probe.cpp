// In-tunnel health probes (probe.hpp): building requests and replies as whole IPv4 (RFC 791) or
// IPv6 (RFC 8200) UDP packets, and recognising them among the inner packets a path delivers.
#include "hybrid/probe.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::hybrid {
namespace {

using Family = IpAddress::Family;
using packet::kIpv4HeaderMinSize;
using packet::kIpv6HeaderSize;

constexpr std::size_t kUdpHeaderSize = 8;
constexpr std::size_t kMaxUdpLength = 0xffff;
constexpr std::size_t kMaxIpv4TotalLength = 0xffff;
constexpr std::uint8_t kProtocolUdp = 17;
// The TTL / hop limit Linux, the BSDs and Windows start with: a probe crosses the inner network
// as the data it stands for does.
constexpr std::uint8_t kDefaultHopLimit = 64;
constexpr std::uint16_t kIpv4DontFragment = 0x4000;
constexpr std::uint16_t kIpv4MoreFragments = 0x2000;
constexpr std::uint16_t kIpv4FragmentOffsetMask = 0x1fff;

// Offsets of the payload fields (the layout in probe.hpp).
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kTypeAt = 8;
constexpr std::size_t kFlagsAt = 9;
constexpr std::size_t kReservedAt = 10;
constexpr std::size_t kPathTagAt = 12;
constexpr std::size_t kSequenceAt = 16;
constexpr std::size_t kSentNsAt = 24;
constexpr std::size_t kRequestSizeAt = 32;
static_assert(kRequestSizeAt + 2 == kProbePayloadSize);

std::size_t ip_header_size(Family family) {
  return family == Family::kV4 ? kIpv4HeaderMinSize : kIpv6HeaderSize;
}

void write_ipv4_header(std::byte* p, const ProbePacket& probe, std::size_t ip_size) {
  std::fill_n(p, kIpv4HeaderMinSize, std::byte{0});
  p[0] = std::byte{0x45};  // version 4, a 5-word header: no options
  store_be16(p + 2, static_cast<std::uint16_t>(ip_size));
  // Identification stays 0: with DF set the datagram is atomic and never reassembled, so the
  // field has no use (RFC 6864 section 4.1). DF itself is what makes padded probes measure the
  // path instead of being fragmented on it.
  store_be16(p + 6, kIpv4DontFragment);
  p[8] = std::byte{kDefaultHopLimit};
  p[9] = std::byte{kProtocolUdp};
  std::memcpy(p + 12, probe.source.data(), 4);
  std::memcpy(p + 16, probe.destination.data(), 4);
  store_be16(p + 10, packet::internet_checksum({p, kIpv4HeaderMinSize}));
}

void write_ipv6_header(std::byte* p, const ProbePacket& probe, std::size_t payload_length) {
  std::fill_n(p, kIpv6HeaderSize, std::byte{0});
  p[0] = std::byte{0x60};  // version 6, traffic class and flow label 0
  store_be16(p + 4, static_cast<std::uint16_t>(payload_length));
  p[6] = std::byte{kProtocolUdp};
  p[7] = std::byte{kDefaultHopLimit};
  std::memcpy(p + 8, probe.source.data(), 16);
  std::memcpy(p + 24, probe.destination.data(), 16);
}

void write_payload(std::byte* p, const ProbeMessage& message) {
  std::memcpy(p + kMagicAt, kProbeMagic.data(), kProbeMagic.size());
  p[kTypeAt] = std::byte{static_cast<std::uint8_t>(message.type)};
  p[kFlagsAt] = std::byte{0};
  store_be16(p + kReservedAt, 0);
  store_be32(p + kPathTagAt, message.path_tag);
  store_be64(p + kSequenceAt, message.sequence);
  store_be64(p + kSentNsAt, message.sent_ns);
  store_be16(p + kRequestSizeAt, message.request_size);
}

// Writes `probe` as one IP packet of exactly `ip_size` bytes, zeros after the payload.
std::size_t build_probe(MutableByteView out, const ProbePacket& probe, std::size_t ip_size) {
  const Family family = probe.source.family();
  if (probe.destination.family() != family) return 0;
  if (ip_size < probe_min_size(family) || ip_size > out.size()) return 0;
  const std::size_t udp_length = ip_size - ip_header_size(family);
  if (udp_length > kMaxUdpLength) return 0;
  if (family == Family::kV4 && ip_size > kMaxIpv4TotalLength) return 0;

  std::byte* const ip = out.data();
  std::byte* const udp = ip + ip_header_size(family);
  std::byte* const payload = udp + kUdpHeaderSize;
  if (family == Family::kV4) {
    write_ipv4_header(ip, probe, ip_size);
  } else {
    write_ipv6_header(ip, probe, udp_length);
  }
  store_be16(udp, probe.source_port);
  store_be16(udp + 2, probe.destination_port);
  store_be16(udp + 4, static_cast<std::uint16_t>(udp_length));
  store_be16(udp + 6, 0);
  write_payload(payload, probe.message);
  std::fill(payload + kProbePayloadSize, ip + ip_size, std::byte{0});
  // Always set, though IPv4 would allow 0: IPv6 requires it (RFC 8200 section 8.1), and a probe
  // must not be counted as answered when a layer of the path corrupted it.
  store_be16(udp + 6, packet::udp_checksum(probe.source, probe.destination, {udp, udp_length}));
  return ip_size;
}

// The UDP datagram of one whole, unfragmented IP packet, with the addresses it travelled between.
struct UdpDatagram {
  ByteView udp;  // header and payload, exactly as long as the IP header says
  IpAddress source;
  IpAddress destination;
};

IpAddress address_at(const std::byte* p, Family family) {
  if (family == Family::kV4) {
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), p, b.size());
    return IpAddress::v4(b);
  }
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), p, b.size());
  return IpAddress::v6(b);
}

// The IPv4 header's length when it carries UDP, is whole and is not a fragment; 0 otherwise.
std::size_t ipv4_udp_header_size(ByteView ip) {
  // parse_ip_header has checked that the header (options too) lies within `ip`.
  const std::size_t header_size = (std::to_integer<std::size_t>(ip[0]) & 0x0f) * 4;
  const std::uint16_t fragment = load_be16(ip.data() + 6);
  if ((fragment & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0) return 0;
  if (std::to_integer<std::uint8_t>(ip[9]) != kProtocolUdp) return 0;
  // A receiving host must verify it (RFC 1122 section 3.2.1.2), and a probe never reaches one:
  // the gateway consumes it itself.
  if (packet::internet_checksum(ip.first(header_size)) != 0) return 0;
  return header_size;
}

std::optional<UdpDatagram> udp_in(ByteView packet) {
  const auto header = packet::parse_ip_header(packet);
  if (!header) return std::nullopt;
  // Bytes past the IP length (link-layer padding) are not part of the packet.
  const ByteView ip = packet.first(header->total_length);
  std::size_t header_size = 0;
  if (header->family == Family::kV4) {
    header_size = ipv4_udp_header_size(ip);
  } else if (std::to_integer<std::uint8_t>(ip[6]) == kProtocolUdp) {
    // Probes are built without extension headers; a packet with them is someone else's.
    header_size = kIpv6HeaderSize;
  }
  if (header_size == 0) return std::nullopt;
  const ByteView udp = ip.subspan(header_size);
  if (udp.size() < kUdpHeaderSize || load_be16(udp.data() + 4) != udp.size()) return std::nullopt;
  return UdpDatagram{udp, address_at(header->source, header->family),
                     address_at(header->destination, header->family)};
}

std::optional<ProbeMessage> parse_payload(ByteView payload) {
  if (payload.size() < kProbePayloadSize) return std::nullopt;
  if (std::memcmp(payload.data() + kMagicAt, kProbeMagic.data(), kProbeMagic.size()) != 0)
    return std::nullopt;
  const auto type = std::to_integer<std::uint8_t>(payload[kTypeAt]);
  if (type != static_cast<std::uint8_t>(ProbeType::kRequest) &&
      type != static_cast<std::uint8_t>(ProbeType::kReply))
    return std::nullopt;
  // Flags and reserved are not checked, so that a later version can use them and still be
  // answered by this one.
  ProbeMessage message;
  message.type = static_cast<ProbeType>(type);
  message.path_tag = load_be32(payload.data() + kPathTagAt);
  message.sequence = load_be64(payload.data() + kSequenceAt);
  message.sent_ns = load_be64(payload.data() + kSentNsAt);
  message.request_size = load_be16(payload.data() + kRequestSizeAt);
  return message;
}

bool udp_checksum_verifies(const UdpDatagram& d) {
  const std::uint16_t sent = load_be16(d.udp.data() + 6);
  // 0 means "not computed", which IPv4 allows (RFC 768) and IPv6 does not (RFC 8200 8.1).
  if (sent == 0) return d.source.is_v4();
  // Summed with its checksum in place, an intact datagram comes to all ones (RFC 1071 section
  // 1), whose complement 0 udp_checksum reports as 0xffff. The sum is never 0 (the pseudo-header
  // holds the protocol number), so 0xffff means intact and nothing else.
  return packet::udp_checksum(d.source, d.destination, d.udp) == 0xffff;
}

}  // namespace

std::size_t probe_min_size(IpAddress::Family family) {
  return ip_header_size(family) + kUdpHeaderSize + kProbePayloadSize;
}

std::size_t build_probe_request(MutableByteView out, const IpAddress& source,
                                std::uint16_t source_port, const IpAddress& destination,
                                const ProbeMessage& message, std::size_t ip_size) {
  ProbePacket request{message, source, destination, source_port, kProbePort};
  // request_size goes out as given (normally 0): only a reply's has a meaning.
  request.message.type = ProbeType::kRequest;
  return build_probe(out, request, ip_size);
}

std::size_t build_probe_reply(MutableByteView out, const ProbePacket& request,
                              std::size_t request_ip_size) {
  ProbePacket reply{request.message, request.destination, request.source, request.destination_port,
                    request.source_port};
  reply.message.type = ProbeType::kReply;
  // Only an IPv6 request could be too big for the field (its payload length may be 65535, and
  // its 40-byte header comes on top); saturate rather than wrap to a small, misleading size.
  reply.message.request_size =
      static_cast<std::uint16_t>(std::min<std::size_t>(request_ip_size, 0xffff));
  return build_probe(out, reply, probe_min_size(reply.source.family()));
}

std::optional<ProbePacket> parse_probe(ByteView packet) {
  const auto datagram = udp_in(packet);
  if (!datagram) return std::nullopt;
  const auto message = parse_payload(datagram->udp.subspan(kUdpHeaderSize));
  if (!message) return std::nullopt;
  ProbePacket probe{*message, datagram->source, datagram->destination,
                    load_be16(datagram->udp.data()), load_be16(datagram->udp.data() + 2)};
  const std::uint16_t probe_side_port =
      message->type == ProbeType::kRequest ? probe.destination_port : probe.source_port;
  if (probe_side_port != kProbePort) return std::nullopt;
  // Last, as the only check that reads the whole packet.
  if (!udp_checksum_verifies(*datagram)) return std::nullopt;
  return probe;
}

}  // namespace tandem::hybrid
