// The few IPv4/IPv6 header facts a tunnel needs before it can route a packet: version, the
// length the header claims, and where the source and destination addresses sit (RFC 791 section
// 3.1, RFC 8200 section 3). Everything is bounds-checked against the bytes actually present.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

inline constexpr std::size_t kIpv4HeaderMinSize = 20;
inline constexpr std::size_t kIpv4HeaderMaxSize = 60;
inline constexpr std::size_t kIpv6HeaderSize = 40;

// The IPv4 protocol / IPv6 next header numbers of ICMP and ICMPv6.
inline constexpr std::uint8_t kProtocolIcmp = 1;
inline constexpr std::uint8_t kNextHeaderIcmpv6 = 58;

// TCP (RFC 9293 section 3.1): the protocol number, the fixed header's size, where its checksum
// is, and the flags byte (offset 13) bits the offloads look at.
inline constexpr std::uint8_t kProtocolTcp = 6;
inline constexpr std::size_t kTcpHeaderMinSize = 20;
inline constexpr std::size_t kTcpChecksumOffset = 16;
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpCwr = 0x80;

// The IPv4 flags and fragment offset word (bytes 6-7): DF, MF, and the offset in 8-byte units.
inline constexpr std::uint16_t kIpv4DontFragment = 0x4000;
inline constexpr std::uint16_t kIpv4MoreFragments = 0x2000;
inline constexpr std::uint16_t kIpv4FragmentOffsetMask = 0x1fff;

// The smallest MTU each family must be able to use: every IPv4 module forwards 68 bytes without
// fragmenting them (RFC 791 section 3.2), every IPv6 link carries 1280 (RFC 8200 section 5).
inline constexpr std::size_t kIpv4MinimumMtu = 68;
inline constexpr std::size_t kIpv6MinimumMtu = 1280;

struct IpHeaderView {
  IpAddress::Family family = IpAddress::Family::kV4;
  // Bytes the header says the whole packet has; never more than the buffer holds.
  std::size_t total_length = 0;
  const std::byte* source = nullptr;       // 4 or 16 bytes
  const std::byte* destination = nullptr;  // 4 or 16 bytes

  std::size_t address_size() const { return family == IpAddress::Family::kV4 ? 4 : 16; }
};

// nullopt for anything that is not a whole IPv4/IPv6 packet: wrong version, a header longer than
// the buffer, or a claimed length beyond the buffer (trailing padding after it is allowed).
inline std::optional<IpHeaderView> parse_ip_header(ByteView bytes) {
  if (bytes.empty()) return std::nullopt;
  const unsigned version = std::to_integer<unsigned>(bytes[0]) >> 4;
  IpHeaderView view;
  if (version == 4) {
    if (bytes.size() < kIpv4HeaderMinSize) return std::nullopt;
    const std::size_t header_length = (std::to_integer<std::size_t>(bytes[0]) & 0x0f) * 4;
    const std::size_t total = load_be16(bytes.data() + 2);
    if (header_length < kIpv4HeaderMinSize || total < header_length || total > bytes.size())
      return std::nullopt;
    view.family = IpAddress::Family::kV4;
    view.total_length = total;
    view.source = bytes.data() + 12;
    view.destination = bytes.data() + 16;
    return view;
  }
  if (version == 6) {
    if (bytes.size() < kIpv6HeaderSize) return std::nullopt;
    const std::size_t total = kIpv6HeaderSize + load_be16(bytes.data() + 4);
    if (total > bytes.size()) return std::nullopt;
    view.family = IpAddress::Family::kV6;
    view.total_length = total;
    view.source = bytes.data() + 8;
    view.destination = bytes.data() + 24;
    return view;
  }
  return std::nullopt;
}

}  // namespace tandem::packet
