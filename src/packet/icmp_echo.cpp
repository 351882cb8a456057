// ICMP and ICMPv6 echo messages as whole IP packets (icmp_echo.hpp).
#include "packet/icmp_echo.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_header.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

// RFC 792 and RFC 4443 sections 4.1-4.2.
constexpr std::uint8_t kIcmpv4EchoReply = 0;
constexpr std::uint8_t kIcmpv4EchoRequest = 8;
constexpr std::uint8_t kIcmpv6EchoRequest = 128;
constexpr std::uint8_t kIcmpv6EchoReply = 129;

// What the length fields allow: IPv4's total length, IPv6's payload length after its header.
std::size_t max_packet_size(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? 0xffff : kIpv6HeaderSize + 0xffff;
}

std::uint8_t type_of(IcmpEchoKind kind, bool v4) {
  if (v4) return kind == IcmpEchoKind::kRequest ? kIcmpv4EchoRequest : kIcmpv4EchoReply;
  return kind == IcmpEchoKind::kRequest ? kIcmpv6EchoRequest : kIcmpv6EchoReply;
}

std::optional<IcmpEchoKind> kind_of(std::uint8_t type, bool v4) {
  if (type == (v4 ? kIcmpv4EchoRequest : kIcmpv6EchoRequest)) return IcmpEchoKind::kRequest;
  if (type == (v4 ? kIcmpv4EchoReply : kIcmpv6EchoReply)) return IcmpEchoKind::kReply;
  return std::nullopt;
}

// ICMPv4's checksum covers the message alone; ICMPv6's the pseudo-header too (RFC 4443 2.3).
std::uint16_t icmp_checksum(const IpAddress& source, const IpAddress& destination,
                            ByteView message) {
  if (source.is_v4()) return internet_checksum(message);
  return pseudo_header_checksum(source, destination, kNextHeaderIcmpv6, message);
}

}  // namespace

std::size_t icmp_echo_headers_size(IpAddress::Family family) {
  return ip_header_size(family) + kIcmpEchoHeaderSize;
}

std::size_t build_icmp_echo(MutableByteView out, IcmpEchoKind kind, const IpAddress& source,
                            const IpAddress& destination, std::uint16_t identifier,
                            std::uint16_t sequence, ByteView data, std::size_t packet_size) {
  const IpAddress::Family family = source.family();
  const std::size_t headers = icmp_echo_headers_size(family);
  if (destination.family() != family || packet_size < headers + data.size() ||
      packet_size > max_packet_size(family) || packet_size > out.size())
    return 0;
  std::byte* const ip = out.data();
  write_ip_header(ip, family == IpAddress::Family::kV4 ? kProtocolIcmp : kNextHeaderIcmpv6, source,
                  destination, packet_size);
  std::byte* const icmp = ip + ip_header_size(family);
  const std::size_t message_size = packet_size - ip_header_size(family);
  icmp[0] = std::byte{type_of(kind, source.is_v4())};
  icmp[1] = std::byte{0};
  store_be16(icmp + 2, 0);
  store_be16(icmp + 4, identifier);
  store_be16(icmp + 6, sequence);
  std::byte* const payload = icmp + kIcmpEchoHeaderSize;
  if (!data.empty()) std::memcpy(payload, data.data(), data.size());
  std::fill(payload + data.size(), ip + packet_size, std::byte{0});
  store_be16(icmp + 2, icmp_checksum(source, destination, ByteView(icmp, message_size)));
  return packet_size;
}

bool is_icmp_echo_reply(ByteView packet) {
  if (packet.empty()) return false;
  const unsigned version = std::to_integer<unsigned>(packet[0]) >> 4;
  if (version == 6)
    return packet.size() > kIpv6HeaderSize &&
           std::to_integer<std::uint8_t>(packet[6]) == kNextHeaderIcmpv6 &&
           std::to_integer<std::uint8_t>(packet[kIpv6HeaderSize]) == kIcmpv6EchoReply;
  if (version != 4 || packet.size() < kIpv4HeaderMinSize) return false;
  const std::size_t header_size = (std::to_integer<std::size_t>(packet[0]) & 0x0f) * 4;
  const std::uint16_t fragment = load_be16(packet.data() + 6);
  return packet.size() > header_size && std::to_integer<std::uint8_t>(packet[9]) == kProtocolIcmp &&
         (fragment & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) == 0 &&
         std::to_integer<std::uint8_t>(packet[header_size]) == kIcmpv4EchoReply;
}

std::optional<IcmpEcho> parse_icmp_echo(ByteView packet) {
  const auto header = parse_ip_header(packet);
  if (!header) return std::nullopt;
  const bool v4 = header->family == IpAddress::Family::kV4;
  const ByteView ip = packet.first(header->total_length);
  std::size_t offset = 0;
  if (v4)
    offset = ipv4_payload_offset(ip, kProtocolIcmp);
  else if (std::to_integer<std::uint8_t>(ip[6]) == kNextHeaderIcmpv6)
    offset = kIpv6HeaderSize;
  if (offset == 0 || ip.size() < offset + kIcmpEchoHeaderSize) return std::nullopt;
  const ByteView message = ip.subspan(offset);
  const auto kind = kind_of(std::to_integer<std::uint8_t>(message[0]), v4);
  if (!kind || message[1] != std::byte{0}) return std::nullopt;
  IcmpEcho echo;
  echo.kind = *kind;
  echo.source = IpAddress::from_bytes(header->source, header->family);
  echo.destination = IpAddress::from_bytes(header->destination, header->family);
  // Summed with its checksum in place, an intact message comes to 0 (RFC 1071 section 1).
  if (icmp_checksum(echo.source, echo.destination, message) != 0) return std::nullopt;
  echo.identifier = load_be16(message.data() + 4);
  echo.sequence = load_be16(message.data() + 6);
  echo.data = message.subspan(kIcmpEchoHeaderSize);
  echo.packet_size = header->total_length;
  return echo;
}

std::optional<IcmpEchoFragment> parse_icmp_echo_fragment(ByteView packet) {
  const auto header = parse_ip_header(packet);
  if (!header) return std::nullopt;
  const bool v4 = header->family == IpAddress::Family::kV4;
  const ByteView ip = packet.first(header->total_length);
  IcmpEchoFragment fragment;
  std::size_t offset = 0;  // where this piece's ICMP bytes start
  std::size_t fragment_offset = 0;
  if (v4) {
    const std::size_t header_size = (std::to_integer<std::size_t>(ip[0]) & 0x0f) * 4;
    const std::uint16_t flags = load_be16(ip.data() + 6);
    if ((flags & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) == 0) return std::nullopt;
    if (std::to_integer<std::uint8_t>(ip[9]) != kProtocolIcmp) return std::nullopt;
    if (internet_checksum(ip.first(header_size)) != 0) return std::nullopt;
    fragment.identification = load_be16(ip.data() + 4);
    fragment_offset = flags & kIpv4FragmentOffsetMask;
    offset = header_size;
  } else {
    constexpr std::uint8_t kNextHeaderFragment = 44;
    constexpr std::size_t kFragmentHeaderSize = 8;
    if (std::to_integer<std::uint8_t>(ip[6]) != kNextHeaderFragment ||
        ip.size() < kIpv6HeaderSize + kFragmentHeaderSize)
      return std::nullopt;
    const std::byte* f = ip.data() + kIpv6HeaderSize;
    if (std::to_integer<std::uint8_t>(f[0]) != kNextHeaderIcmpv6) return std::nullopt;
    const std::uint16_t offset_and_flags = load_be16(f + 2);
    fragment_offset = offset_and_flags >> 3;
    if (fragment_offset == 0 && (offset_and_flags & 1) == 0) return std::nullopt;  // atomic
    fragment.identification = load_be32(f + 4);
    offset = kIpv6HeaderSize + kFragmentHeaderSize;
  }
  fragment.source = IpAddress::from_bytes(header->source, header->family);
  fragment.destination = IpAddress::from_bytes(header->destination, header->family);
  fragment.first = fragment_offset == 0;
  if (!fragment.first) return fragment;
  if (ip.size() < offset + kIcmpEchoHeaderSize) return std::nullopt;
  const ByteView message = ip.subspan(offset);
  const auto kind = kind_of(std::to_integer<std::uint8_t>(message[0]), v4);
  if (!kind || message[1] != std::byte{0}) return std::nullopt;
  fragment.kind = *kind;
  fragment.identifier = load_be16(message.data() + 4);
  fragment.sequence = load_be16(message.data() + 6);
  fragment.data = message.subspan(kIcmpEchoHeaderSize);
  return fragment;
}

}  // namespace tandem::packet
