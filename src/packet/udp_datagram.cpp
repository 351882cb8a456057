#include "packet/udp_datagram.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

using Family = IpAddress::Family;

constexpr std::size_t kMaxUdpLength = 0xffff;
constexpr std::size_t kMaxIpv4TotalLength = 0xffff;
// The TTL / hop limit Linux, the BSDs and Windows start with: what Tandem builds crosses the
// inner network as any host's packets do.
constexpr std::uint8_t kDefaultHopLimit = 64;

std::size_t ip_header_size(Family family) {
  return family == Family::kV4 ? kIpv4HeaderMinSize : kIpv6HeaderSize;
}

void write_ipv4_header(std::byte* p, const IpAddress& source, const IpAddress& destination,
                       std::size_t ip_size, std::optional<std::uint16_t> fragmentable_id) {
  std::fill_n(p, kIpv4HeaderMinSize, std::byte{0});
  p[0] = std::byte{0x45};  // version 4, a 5-word header: no options
  store_be16(p + 2, static_cast<std::uint16_t>(ip_size));
  // Atomic (DF, identification 0: RFC 6864 section 4.1), unless the caller lets it be split.
  if (fragmentable_id)
    store_be16(p + 4, *fragmentable_id);
  else
    store_be16(p + 6, kIpv4DontFragment);
  p[8] = std::byte{kDefaultHopLimit};
  p[9] = std::byte{kProtocolUdp};
  std::memcpy(p + 12, source.data(), 4);
  std::memcpy(p + 16, destination.data(), 4);
  store_be16(p + 10, internet_checksum({p, kIpv4HeaderMinSize}));
}

void write_ipv6_header(std::byte* p, const IpAddress& source, const IpAddress& destination,
                       std::size_t payload_length) {
  std::fill_n(p, kIpv6HeaderSize, std::byte{0});
  p[0] = std::byte{0x60};  // version 6, traffic class and flow label 0
  store_be16(p + 4, static_cast<std::uint16_t>(payload_length));
  p[6] = std::byte{kProtocolUdp};
  p[7] = std::byte{kDefaultHopLimit};
  std::memcpy(p + 8, source.data(), 16);
  std::memcpy(p + 24, destination.data(), 16);
}

// The IPv4 header's length when it carries UDP, is whole and is not a fragment; 0 otherwise.
std::size_t ipv4_udp_header_size(ByteView ip) {
  // parse_ip_header has checked that the header (options too) lies within `ip`.
  const std::size_t header_size = (std::to_integer<std::size_t>(ip[0]) & 0x0f) * 4;
  const std::uint16_t fragment = load_be16(ip.data() + 6);
  if ((fragment & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0) return 0;
  if (std::to_integer<std::uint8_t>(ip[9]) != kProtocolUdp) return 0;
  // A receiving host must verify it (RFC 1122 section 3.2.1.2).
  if (internet_checksum(ip.first(header_size)) != 0) return 0;
  return header_size;
}

}  // namespace

std::size_t udp_headers_size(IpAddress::Family family) {
  return ip_header_size(family) + kUdpHeaderSize;
}

std::size_t write_udp_headers(MutableByteView out, const Endpoint& from, const Endpoint& to,
                              std::size_t payload_size,
                              std::optional<std::uint16_t> fragmentable_id) {
  const Family family = from.address.family();
  if (to.address.family() != family) return 0;
  const std::size_t udp_length = kUdpHeaderSize + payload_size;
  const std::size_t ip_size = ip_header_size(family) + udp_length;
  if (udp_length > kMaxUdpLength || ip_size > out.size()) return 0;
  if (family == Family::kV4 && ip_size > kMaxIpv4TotalLength) return 0;
  std::byte* const ip = out.data();
  std::byte* const udp = ip + ip_header_size(family);
  if (family == Family::kV4)
    write_ipv4_header(ip, from.address, to.address, ip_size, fragmentable_id);
  else
    write_ipv6_header(ip, from.address, to.address, udp_length);
  store_be16(udp, from.port);
  store_be16(udp + 2, to.port);
  store_be16(udp + 4, static_cast<std::uint16_t>(udp_length));
  store_be16(udp + 6, 0);
  store_be16(udp + 6, udp_checksum(from.address, to.address, {udp, udp_length}));
  return ip_size;
}

std::optional<UdpDatagram> parse_udp_datagram(ByteView packet) {
  const auto header = parse_ip_header(packet);
  if (!header) return std::nullopt;
  // Bytes past the IP length (link-layer padding) are not part of the packet.
  const ByteView ip = packet.first(header->total_length);
  std::size_t header_size = 0;
  if (header->family == Family::kV4) {
    header_size = ipv4_udp_header_size(ip);
  } else if (std::to_integer<std::uint8_t>(ip[6]) == kProtocolUdp) {
    // Extension headers are not walked: a datagram behind them is not one Tandem built.
    header_size = kIpv6HeaderSize;
  }
  if (header_size == 0) return std::nullopt;
  const ByteView udp = ip.subspan(header_size);
  if (udp.size() < kUdpHeaderSize || load_be16(udp.data() + 4) != udp.size()) return std::nullopt;
  UdpDatagram d;
  d.source = {IpAddress::from_bytes(header->source, header->family), load_be16(udp.data())};
  d.destination = {IpAddress::from_bytes(header->destination, header->family),
                   load_be16(udp.data() + 2)};
  d.udp = udp;
  d.payload = udp.subspan(kUdpHeaderSize);
  return d;
}

bool udp_checksum_holds(const UdpDatagram& d) {
  const std::uint16_t sent = load_be16(d.udp.data() + 6);
  if (sent == 0) return d.source.address.is_v4();
  // Summed with its checksum in place, an intact datagram comes to all ones (RFC 1071 section
  // 1), whose complement 0 udp_checksum reports as 0xffff. The sum is never 0 (the pseudo-header
  // holds the protocol number), so 0xffff means intact and nothing else.
  return udp_checksum(d.source.address, d.destination.address, d.udp) == 0xffff;
}

}  // namespace tandem::packet
