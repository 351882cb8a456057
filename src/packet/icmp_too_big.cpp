// ICMPv4 Fragmentation Needed and ICMPv6 Packet Too Big (RFC 792, RFC 1191 section 4, RFC 4443
// section 3.2), and the RFC 1122 / RFC 1812 / RFC 4443 rules on which packets they may answer.
#include "packet/icmp_too_big.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

constexpr std::size_t kIcmpHeaderSize = 8;  // type, code, checksum, 4 bytes the type defines

// RFC 792: Destination Unreachable, code 4 "fragmentation needed and DF set".
constexpr std::uint8_t kDestinationUnreachable = 3;
constexpr std::uint8_t kFragmentationNeeded = 4;
constexpr std::uint8_t kSourceQuench = 4;
constexpr std::uint8_t kRedirect = 5;
constexpr std::uint8_t kTimeExceeded = 11;
constexpr std::uint8_t kParameterProblem = 12;
// RFC 4443 section 3.2; section 2.1: ICMPv6 error messages have types 0 to 127.
constexpr std::uint8_t kPacketTooBig = 2;
constexpr std::uint8_t kIcmpv6FirstInformationalType = 128;
// RFC 1812 section 4.3.2.5: precedence 6 in the top three bits of the TOS byte.
constexpr std::uint8_t kPrecedenceInternetworkControl = 0xc0;

constexpr std::size_t kIpv4QuoteMax = kIcmpv4ErrorMaxSize - kIpv4HeaderMinSize - kIcmpHeaderSize;
constexpr std::size_t kIpv6QuoteMax = kIcmpv6ErrorMaxSize - kIpv6HeaderSize - kIcmpHeaderSize;

std::uint8_t byte_at(ByteView p, std::size_t i) {
  return std::to_integer<std::uint8_t>(p[i]);
}

bool is_icmpv4_error(std::uint8_t type) {
  return type == kDestinationUnreachable || type == kSourceQuench || type == kRedirect ||
         type == kTimeExceeded || type == kParameterProblem;
}

// RFC 1812 section 5.3.7: 0/8, 127/8, class D (multicast) and class E (which holds the limited
// broadcast 255.255.255.255) name no single host.
bool ipv4_names_one_host(const std::uint8_t* address) {
  return address[0] != 0 && address[0] != 127 && address[0] < 224;
}

// RFC 4443 section 2.4 (e.6): not the unspecified address, not loopback, not multicast.
bool ipv6_names_one_host(const std::uint8_t* address) {
  if (address[0] == 0xff) return false;
  for (std::size_t i = 0; i < 15; ++i)
    if (address[i] != 0) return true;
  return address[15] > 1;
}

bool names_one_host(const IpAddress& address) {
  return address.is_v4() ? ipv4_names_one_host(address.data())
                         : ipv6_names_one_host(address.data());
}

IpAddress ipv6_address_at(const std::byte* p) {
  std::array<std::uint8_t, 16> a{};
  std::memcpy(a.data(), p, a.size());
  return IpAddress::v6(a);
}

// True when `packet` is an ICMP error of its family, which must not be answered with another.
// (An oversize packet always holds the type byte: the MTU is at least 68, the IPv4 header at
// most 60 bytes; the size check only keeps the read in bounds.)
bool is_icmp_error(ByteView packet, std::size_t header_size, bool v4) {
  const std::uint8_t protocol = byte_at(packet, v4 ? 9 : 6);
  if (protocol != (v4 ? kProtocolIcmp : kNextHeaderIcmpv6)) return false;
  if (packet.size() <= header_size) return true;
  const std::uint8_t type = byte_at(packet, header_size);
  return v4 ? is_icmpv4_error(type) : type < kIcmpv6FirstInformationalType;
}

// Whether RFC 1122 section 3.2.2 / RFC 1812 section 4.3.2.7 allow answering `packet` (a whole
// IPv4 packet, trailing bytes cut off) with an ICMP error.
bool may_answer_ipv4(ByteView packet) {
  const std::size_t header_size = (byte_at(packet, 0) & 0x0f) * std::size_t{4};
  const auto* source = reinterpret_cast<const std::uint8_t*>(packet.data() + 12);
  const auto* destination = reinterpret_cast<const std::uint8_t*>(packet.data() + 16);
  const bool later_fragment = (load_be16(packet.data() + 6) & kIpv4FragmentOffsetMask) != 0;
  return !later_fragment && ipv4_names_one_host(source) && destination[0] < 224 &&
         !is_icmp_error(packet, header_size, true);
}

// RFC 4443 section 2.4 (e.3): multicast destinations are answered with Packet Too Big.
bool may_answer_ipv6(ByteView packet) {
  const auto* source = reinterpret_cast<const std::uint8_t*>(packet.data() + 8);
  return ipv6_names_one_host(source) && !is_icmp_error(packet, kIpv6HeaderSize, false);
}

std::size_t build_fragmentation_needed(MutableByteView out, ByteView packet, std::size_t mtu,
                                       const IpAddress& from) {
  const std::size_t quoted = std::min(packet.size(), kIpv4QuoteMax);
  const std::size_t total = kIpv4HeaderMinSize + kIcmpHeaderSize + quoted;
  if (out.size() < total) return 0;
  std::byte* ip = out.data();
  std::fill_n(ip, kIpv4HeaderMinSize + kIcmpHeaderSize, std::byte{0});
  ip[0] = std::byte{0x45};
  ip[1] = std::byte{kPrecedenceInternetworkControl};
  store_be16(ip + 2, static_cast<std::uint16_t>(total));
  store_be16(ip + 6, kIpv4DontFragment);
  ip[8] = std::byte{kIcmpErrorHopLimit};
  ip[9] = std::byte{kProtocolIcmp};
  std::memcpy(ip + 12, from.data(), 4);
  std::memcpy(ip + 16, packet.data() + 12, 4);
  store_be16(ip + 10, internet_checksum(ByteView(ip, kIpv4HeaderMinSize)));

  std::byte* icmp = ip + kIpv4HeaderMinSize;
  icmp[0] = std::byte{kDestinationUnreachable};
  icmp[1] = std::byte{kFragmentationNeeded};
  // RFC 1191 section 4: the low 16 bits of the once unused word carry the next-hop MTU.
  store_be16(icmp + 6, static_cast<std::uint16_t>(mtu));
  std::memcpy(icmp + kIcmpHeaderSize, packet.data(), quoted);
  store_be16(icmp + 2, internet_checksum(ByteView(icmp, kIcmpHeaderSize + quoted)));
  return total;
}

std::size_t build_ipv6_packet_too_big(MutableByteView out, ByteView packet, std::size_t mtu,
                                      const IpAddress& from) {
  const std::size_t quoted = std::min(packet.size(), kIpv6QuoteMax);
  const std::size_t total = kIpv6HeaderSize + kIcmpHeaderSize + quoted;
  if (out.size() < total) return 0;
  std::byte* ip = out.data();
  std::fill_n(ip, kIpv6HeaderSize + kIcmpHeaderSize, std::byte{0});
  ip[0] = std::byte{0x60};
  store_be16(ip + 4, static_cast<std::uint16_t>(kIcmpHeaderSize + quoted));
  ip[6] = std::byte{kNextHeaderIcmpv6};
  ip[7] = std::byte{kIcmpErrorHopLimit};
  std::memcpy(ip + 8, from.data(), 16);
  std::memcpy(ip + 24, packet.data() + 8, 16);

  std::byte* icmp = ip + kIpv6HeaderSize;
  icmp[0] = std::byte{kPacketTooBig};
  store_be32(icmp + 4, static_cast<std::uint32_t>(mtu));
  std::memcpy(icmp + kIcmpHeaderSize, packet.data(), quoted);
  const IpAddress destination = ipv6_address_at(packet.data() + 8);
  store_be16(icmp + 2, pseudo_header_checksum(from, destination, kNextHeaderIcmpv6,
                                              ByteView(icmp, kIcmpHeaderSize + quoted)));
  return total;
}

}  // namespace

TooBig classify_for_mtu(ByteView packet, std::size_t mtu) {
  const auto header = parse_ip_header(packet);
  const std::size_t length = header ? header->total_length : packet.size();
  if (length <= mtu) return TooBig::kFits;
  const bool v4 = header && header->family == IpAddress::Family::kV4;
  if (v4 && (load_be16(packet.data() + 6) & kIpv4DontFragment) == 0) return TooBig::kFragment;
  return TooBig::kSendIcmp;
}

std::size_t build_packet_too_big(MutableByteView out, ByteView offending, std::size_t mtu,
                                 const IpAddress& from) {
  const auto header = parse_ip_header(offending);
  if (!header || header->family != from.family() || header->total_length <= mtu ||
      !names_one_host(from))
    return 0;
  const ByteView packet = offending.first(header->total_length);
  if (from.is_v4()) {
    if (mtu < kIpv4MinimumMtu || !may_answer_ipv4(packet)) return 0;
    return build_fragmentation_needed(out, packet, mtu, from);
  }
  if (mtu < kIpv6MinimumMtu || !may_answer_ipv6(packet)) return 0;
  return build_ipv6_packet_too_big(out, packet, mtu, from);
}

}  // namespace tandem::packet
