// Fuzzes probe parsing and building. What parse_probe accepts must rebuild into probes that
// parse back to the same fields (the request at its arrived size, the reply to it, a reply
// mirrored), and it must never read past its input. The first byte picks how the rest is used:
//   bit 2 set:   the rest describes a request (family, addresses, ports, fields, size) that is
//                built and must parse back exactly; it, or the reply to it, is then damaged at
//                one byte and parsed again;
//   bit 2 clear: the rest is a raw packet; bit 1 writes the magic where its UDP payload would
//                start and bit 0 repairs its checksums, so that the fuzzer gets past an 8-byte
//                constant and checksums it cannot guess.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "hybrid/probe.hpp"
#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

using namespace tandem;
using namespace tandem::hybrid;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

IpAddress address_at(const std::byte* p, IpAddress::Family family) {
  std::array<std::uint8_t, 16> b{};
  if (family == IpAddress::Family::kV4) {
    std::memcpy(b.data(), p, 4);
    return IpAddress::v4({b[0], b[1], b[2], b[3]});
  }
  std::memcpy(b.data(), p, 16);
  return IpAddress::v6(b);
}

bool same_echoed_fields(const ProbeMessage& a, const ProbeMessage& b) {
  return a.path_tag == b.path_tag && a.sequence == b.sequence && a.sent_ns == b.sent_ns;
}

// Room for the largest probe: an IPv6 header and a 65535-byte UDP datagram.
std::array<std::byte, 40 + 65535> rebuilt;

void check_request(const ProbePacket& request, std::size_t ip_size) {
  require(request.destination_port == kProbePort);
  const std::size_t n = build_probe_request(rebuilt, request.source, request.source_port,
                                            request.destination, request.message, ip_size);
  require(n == ip_size);
  const auto again = parse_probe(ByteView(rebuilt).first(n));
  require(again && again->message.type == ProbeType::kRequest);
  require(same_echoed_fields(again->message, request.message));
  require(again->message.request_size == request.message.request_size);
  require(again->source == request.source && again->destination == request.destination);
  require(again->source_port == request.source_port);

  const std::size_t r = build_probe_reply(rebuilt, request, ip_size);
  require(r == probe_min_size(request.source.family()));
  const auto reply = parse_probe(ByteView(rebuilt).first(r));
  require(reply && reply->message.type == ProbeType::kReply);
  require(same_echoed_fields(reply->message, request.message));
  require(reply->message.request_size == (ip_size > 0xffff ? 0xffff : ip_size));
  require(reply->source == request.destination && reply->destination == request.source);
  require(reply->source_port == kProbePort && reply->destination_port == request.source_port);
}

// A reply is rebuilt as the reply to the request it mirrors.
void check_reply(const ProbePacket& reply) {
  require(reply.source_port == kProbePort);
  const ProbePacket mirrored{reply.message, reply.destination, reply.source, reply.destination_port,
                             reply.source_port};
  const std::size_t r = build_probe_reply(rebuilt, mirrored, reply.message.request_size);
  require(r == probe_min_size(reply.source.family()));
  const auto again = parse_probe(ByteView(rebuilt).first(r));
  require(again && again->message.type == ProbeType::kReply);
  require(same_echoed_fields(again->message, reply.message));
  require(again->message.request_size == reply.message.request_size);
  require(again->source == reply.source && again->destination == reply.destination);
  require(again->source_port == reply.source_port);
  require(again->destination_port == reply.destination_port);
}

void parse_and_check(ByteView packet) {
  const auto probe = parse_probe(packet);
  if (!probe) return;
  require(probe->source.family() == probe->destination.family());
  const auto ip = packet::parse_ip_header(packet);
  require(ip.has_value());
  if (probe->message.type == ProbeType::kRequest) {
    check_request(*probe, ip->total_length);
  } else {
    check_reply(*probe);
  }
}

// kind(1: bit 0 IPv6, bit 1 reply) source(16) destination(16) path_tag(4) sequence(8) sent_ns(8)
// request_size(2) source_port(2) padding_size(2) damage_at(2) damage(1)
constexpr std::size_t kDescriptionSize = 62;

void fuzz_built_probe(ByteView in) {
  if (in.size() < kDescriptionSize) return;
  const unsigned kind = std::to_integer<unsigned>(in[0]);
  const auto family = (kind & 1) != 0 ? IpAddress::Family::kV6 : IpAddress::Family::kV4;
  const IpAddress source = address_at(in.data() + 1, family);
  const IpAddress destination = address_at(in.data() + 17, family);
  ProbeMessage message;
  message.path_tag = load_be32(in.data() + 33);
  message.sequence = load_be64(in.data() + 37);
  message.sent_ns = load_be64(in.data() + 45);
  message.request_size = load_be16(in.data() + 53);
  const std::uint16_t source_port = load_be16(in.data() + 55);
  const std::size_t ip_size = probe_min_size(family) + load_be16(in.data() + 57) % 9001;
  const std::uint16_t damage_at = load_be16(in.data() + 59);
  const std::byte damage = in[61];

  std::vector<std::byte> packet(ip_size);
  require(build_probe_request(packet, source, source_port, destination, message, ip_size) ==
          ip_size);
  const auto parsed = parse_probe(packet);
  require(parsed && parsed->message.type == ProbeType::kRequest);
  require(same_echoed_fields(parsed->message, message));
  require(parsed->message.request_size == message.request_size);
  require(parsed->source == source && parsed->destination == destination);
  require(parsed->source_port == source_port && parsed->destination_port == kProbePort);
  if ((kind & 2) != 0) packet.resize(build_probe_reply(packet, *parsed, ip_size));
  require(!packet.empty());
  packet[damage_at % packet.size()] ^= damage;
  parse_and_check(packet);
}

// Where the UDP datagram would sit, when the IP header leaves room for a UDP header.
std::optional<MutableByteView> udp_place(std::vector<std::byte>& bytes) {
  const auto ip = packet::parse_ip_header(bytes);
  if (!ip) return std::nullopt;
  const std::size_t header = ip->family == IpAddress::Family::kV4
                                 ? (std::to_integer<std::size_t>(bytes[0]) & 0x0f) * 4
                                 : packet::kIpv6HeaderSize;
  if (ip->total_length < header + 8) return std::nullopt;
  return MutableByteView(bytes).subspan(header, ip->total_length - header);
}

void stamp_magic(std::vector<std::byte>& bytes) {
  const auto udp = udp_place(bytes);
  if (!udp || udp->size() < 8 + kProbeMagic.size()) return;
  std::memcpy(udp->data() + 8, kProbeMagic.data(), kProbeMagic.size());
}

// Rewrites the IPv4 header checksum, and the UDP checksum where there is room for a UDP header.
void repair_checksums(std::vector<std::byte>& bytes) {
  const auto ip = packet::parse_ip_header(bytes);
  if (!ip) return;
  if (ip->family == IpAddress::Family::kV4) {
    const std::size_t header = (std::to_integer<std::size_t>(bytes[0]) & 0x0f) * 4;
    store_be16(bytes.data() + 10, 0);
    store_be16(bytes.data() + 10, packet::internet_checksum(ByteView(bytes).first(header)));
  }
  const auto udp = udp_place(bytes);
  if (!udp) return;
  store_be16(udp->data() + 6, 0);
  store_be16(udp->data() + 6, packet::udp_checksum(address_at(ip->source, ip->family),
                                                   address_at(ip->destination, ip->family), *udp));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > rebuilt.size()) return 0;
  const std::uint8_t mode = data[0];
  // An exact-size copy, so that AddressSanitizer catches any read past the packet.
  std::vector<std::byte> rest(reinterpret_cast<const std::byte*>(data + 1),
                              reinterpret_cast<const std::byte*>(data + size));
  if ((mode & 4) != 0) {
    fuzz_built_probe(rest);
    return 0;
  }
  if ((mode & 2) != 0) stamp_magic(rest);
  if ((mode & 1) != 0) repair_checksums(rest);
  parse_and_check(rest);
  return 0;
}
