// Writing the IP header of a packet Tandem builds itself, finding an IPv4 packet's payload
// (ip_header.hpp).
#include "packet/ip_header.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

// The TTL / hop limit Linux, the BSDs and Windows start with: what Tandem builds crosses the
// inner network as any host's packets do.
constexpr std::uint8_t kDefaultHopLimit = 64;

void write_ipv4_header(std::byte* p, std::uint8_t protocol, const IpAddress& source,
                       const IpAddress& destination, std::size_t ip_size,
                       std::optional<std::uint16_t> fragmentable_id) {
  std::fill_n(p, kIpv4HeaderMinSize, std::byte{0});
  p[0] = std::byte{0x45};  // version 4, a 5-word header: no options
  store_be16(p + 2, static_cast<std::uint16_t>(ip_size));
  // Atomic (DF, identification 0: RFC 6864 section 4.1), unless the caller lets it be split.
  if (fragmentable_id)
    store_be16(p + 4, *fragmentable_id);
  else
    store_be16(p + 6, kIpv4DontFragment);
  p[8] = std::byte{kDefaultHopLimit};
  p[9] = std::byte{protocol};
  std::memcpy(p + 12, source.data(), 4);
  std::memcpy(p + 16, destination.data(), 4);
  store_be16(p + 10, internet_checksum({p, kIpv4HeaderMinSize}));
}

void write_ipv6_header(std::byte* p, std::uint8_t next_header, const IpAddress& source,
                       const IpAddress& destination, std::size_t ip_size) {
  std::fill_n(p, kIpv6HeaderSize, std::byte{0});
  p[0] = std::byte{0x60};  // version 6, traffic class and flow label 0
  store_be16(p + 4, static_cast<std::uint16_t>(ip_size - kIpv6HeaderSize));
  p[6] = std::byte{next_header};
  p[7] = std::byte{kDefaultHopLimit};
  std::memcpy(p + 8, source.data(), 16);
  std::memcpy(p + 24, destination.data(), 16);
}

}  // namespace

std::size_t ip_header_size(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? kIpv4HeaderMinSize : kIpv6HeaderSize;
}

void write_ip_header(std::byte* p, std::uint8_t protocol, const IpAddress& source,
                     const IpAddress& destination, std::size_t ip_size,
                     std::optional<std::uint16_t> fragmentable_id) {
  if (source.is_v4())
    write_ipv4_header(p, protocol, source, destination, ip_size, fragmentable_id);
  else
    write_ipv6_header(p, protocol, source, destination, ip_size);
}

std::size_t ipv4_payload_offset(ByteView ip, std::uint8_t protocol) {
  const std::size_t header_size = (std::to_integer<std::size_t>(ip[0]) & 0x0f) * 4;
  const std::uint16_t fragment = load_be16(ip.data() + 6);
  if ((fragment & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0) return 0;
  if (std::to_integer<std::uint8_t>(ip[9]) != protocol) return 0;
  if (internet_checksum(ip.first(header_size)) != 0) return 0;
  return header_size;
}

}  // namespace tandem::packet
