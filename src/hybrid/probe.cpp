// In-tunnel health probes (probe.hpp): building requests and replies as whole IPv4 (RFC 791) or
// IPv6 (RFC 8200) UDP packets, and recognising them among the inner packets a path delivers.
#include "hybrid/probe.hpp"

#include <algorithm>
#include <cstring>

#include "packet/udp_datagram.hpp"

namespace tandem::hybrid {
namespace {

using Family = IpAddress::Family;
// Offsets of the payload fields (the layout in probe.hpp).
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kTypeAt = 8;
constexpr std::size_t kFlagsAt = 9;
constexpr std::size_t kHeldMtuAt = 10;
constexpr std::size_t kPathTagAt = 12;
constexpr std::size_t kSequenceAt = 16;
constexpr std::size_t kSentNsAt = 24;
constexpr std::size_t kRequestSizeAt = 32;
static_assert(kRequestSizeAt + 2 == kProbePayloadSize);

void write_payload(std::byte* p, const ProbeMessage& message) {
  std::memcpy(p + kMagicAt, kProbeMagic.data(), kProbeMagic.size());
  p[kTypeAt] = std::byte{static_cast<std::uint8_t>(message.type)};
  p[kFlagsAt] = std::byte{message.flags};
  store_be16(p + kHeldMtuAt, message.held_mtu);
  store_be32(p + kPathTagAt, message.path_tag);
  store_be64(p + kSequenceAt, message.sequence);
  store_be64(p + kSentNsAt, message.sent_ns);
  store_be16(p + kRequestSizeAt, message.request_size);
}

// Writes `probe` as one IP packet of exactly `ip_size` bytes, zeros after the payload.
std::size_t build_probe(MutableByteView out, const ProbePacket& probe, std::size_t ip_size) {
  const Family family = probe.source.family();
  const std::size_t headers = packet::udp_headers_size(family);
  if (ip_size < probe_min_size(family) || ip_size > out.size()) return 0;
  std::byte* const payload = out.data() + headers;
  write_payload(payload, probe.message);
  std::fill(payload + kProbePayloadSize, out.data() + ip_size, std::byte{0});
  // DF (write_udp_headers) is what makes padded probes measure the path instead of being
  // fragmented on it; the checksum, that a probe is not counted as answered when a layer of the
  // path corrupted it.
  return packet::write_udp_headers(out, {probe.source, probe.source_port},
                                   {probe.destination, probe.destination_port}, ip_size - headers);
}

std::optional<ProbeMessage> parse_payload(ByteView payload) {
  if (payload.size() < kProbePayloadSize) return std::nullopt;
  if (std::memcmp(payload.data() + kMagicAt, kProbeMagic.data(), kProbeMagic.size()) != 0)
    return std::nullopt;
  const auto type = std::to_integer<std::uint8_t>(payload[kTypeAt]);
  if (type != static_cast<std::uint8_t>(ProbeType::kRequest) &&
      type != static_cast<std::uint8_t>(ProbeType::kReply))
    return std::nullopt;
  // Unknown flags are not checked, so that a later version can use them and still be answered
  // by this one.
  ProbeMessage message;
  message.type = static_cast<ProbeType>(type);
  message.flags = std::to_integer<std::uint8_t>(payload[kFlagsAt]);
  message.held_mtu = load_be16(payload.data() + kHeldMtuAt);
  message.path_tag = load_be32(payload.data() + kPathTagAt);
  message.sequence = load_be64(payload.data() + kSequenceAt);
  message.sent_ns = load_be64(payload.data() + kSentNsAt);
  message.request_size = load_be16(payload.data() + kRequestSizeAt);
  return message;
}

}  // namespace

std::size_t probe_min_size(IpAddress::Family family) {
  return packet::udp_headers_size(family) + kProbePayloadSize;
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
  reply.message.held_mtu = 0;  // a request's word about its own path
  // Only an IPv6 request could be too big for the field (its payload length may be 65535, and
  // its 40-byte header comes on top); saturate rather than wrap to a small, misleading size.
  reply.message.request_size =
      static_cast<std::uint16_t>(std::min<std::size_t>(request_ip_size, 0xffff));
  // Only the flag this version knows goes back: an unknown one might ask for what it does not do.
  reply.message.flags = request.message.flags & kProbeFlagMtu;
  const std::size_t size = (reply.message.flags & kProbeFlagMtu) != 0
                               ? std::max(request_ip_size, probe_min_size(reply.source.family()))
                               : probe_min_size(reply.source.family());
  return build_probe(out, reply, size);
}

std::optional<ProbePacket> parse_probe(ByteView packet) {
  const auto datagram = packet::parse_udp_datagram(packet);
  if (!datagram) return std::nullopt;
  const auto message = parse_payload(datagram->payload);
  if (!message) return std::nullopt;
  ProbePacket probe{*message, datagram->source.address, datagram->destination.address,
                    datagram->source.port, datagram->destination.port};
  const std::uint16_t probe_side_port =
      message->type == ProbeType::kRequest ? probe.destination_port : probe.source_port;
  if (probe_side_port != kProbePort) return std::nullopt;
  // Last, as the only check that reads the whole packet.
  if (!packet::udp_checksum_holds(*datagram)) return std::nullopt;
  return probe;
}

}  // namespace tandem::hybrid
