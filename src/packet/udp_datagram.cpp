#include "packet/udp_datagram.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_header.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

using Family = IpAddress::Family;

constexpr std::size_t kMaxUdpLength = 0xffff;
constexpr std::size_t kMaxIpv4TotalLength = 0xffff;

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
  write_ip_header(ip, kProtocolUdp, from.address, to.address, ip_size, fragmentable_id);
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
    header_size = ipv4_payload_offset(ip, kProtocolUdp);
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
