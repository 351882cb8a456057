// IPv4 and IPv6 packets for the tests and fuzz targets of icmp_too_big and ipv4_fragment, and two
// checkers that say, from the RFCs rather than from the code under test, what a right ICMP
// too-big error and a right fragmentation look like. A checker returns what is wrong, or an
// empty string.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"
#include "packet/tcp_test_packets.hpp"

namespace tandem::packet::testing {

// Payload bytes whose pattern does not repeat every 256 bytes (each 256-byte block is shifted by
// its index), so data put at a wrong offset shows.
inline std::byte payload_byte(std::size_t i) {
  return static_cast<std::byte>((i * 7 + (i >> 8)) & 0xff);
}

struct Ipv4Spec {
  IpAddress source = IpAddress::v4({10, 1, 0, 1});
  IpAddress destination = IpAddress::v4({10, 2, 0, 1});
  std::uint8_t protocol = 17;
  std::uint16_t flags_and_offset = 0;      // bytes 6-7: flags and fragment offset
  std::vector<std::uint8_t> options = {};  // padded with End of Option List to 4 bytes
  std::size_t payload = 0;                 // bytes after the header, payload_byte(i)
  std::uint8_t tos = 0x28;
  std::uint16_t id = 0x4d2f;
  std::uint8_t ttl = 61;
};

// An IPv4 packet as `spec` says, header checksum set.
inline std::vector<std::byte> ipv4_packet(Ipv4Spec spec) {
  while (spec.options.size() % 4 != 0) spec.options.push_back(0);
  const std::size_t header = kIpv4HeaderMinSize + spec.options.size();
  std::vector<std::byte> p(header + spec.payload);
  p[0] = static_cast<std::byte>(0x40 | header / 4);
  p[1] = std::byte{spec.tos};
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  store_be16(p.data() + 4, spec.id);
  store_be16(p.data() + 6, spec.flags_and_offset);
  p[8] = std::byte{spec.ttl};
  p[9] = std::byte{spec.protocol};
  std::copy_n(reinterpret_cast<const std::byte*>(spec.source.data()), 4, p.data() + 12);
  std::copy_n(reinterpret_cast<const std::byte*>(spec.destination.data()), 4, p.data() + 16);
  for (std::size_t i = 0; i < spec.options.size(); ++i) p[20 + i] = std::byte{spec.options[i]};
  for (std::size_t i = 0; i < spec.payload; ++i) p[header + i] = payload_byte(i);
  store_be16(p.data() + 10, internet_checksum(ByteView(p.data(), header)));
  return p;
}

// An IPv6 packet with `payload` bytes of payload_byte(i) after the fixed header.
inline std::vector<std::byte> ipv6_packet(const IpAddress& source, const IpAddress& destination,
                                          std::uint8_t next_header, std::size_t payload) {
  std::vector<std::byte> p(kIpv6HeaderSize + payload);
  p[0] = std::byte{0x60};
  store_be16(p.data() + 4, static_cast<std::uint16_t>(payload));
  p[6] = std::byte{next_header};
  p[7] = std::byte{52};
  std::copy_n(reinterpret_cast<const std::byte*>(source.data()), 16, p.data() + 8);
  std::copy_n(reinterpret_cast<const std::byte*>(destination.data()), 16, p.data() + 24);
  for (std::size_t i = 0; i < payload; ++i) p[kIpv6HeaderSize + i] = payload_byte(i);
  return p;
}

inline bool same_bytes(ByteView a, ByteView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

inline std::size_t ipv4_header_size(ByteView p) {
  return (std::to_integer<std::size_t>(p[0]) & 0x0f) * 4;
}

// RFC 792 / RFC 1191 section 4 (IPv4) or RFC 4443 section 3.2 (IPv6): the error `error` that
// build_packet_too_big(out, offending, mtu, from) returned.
inline std::string packet_too_big_problem(ByteView error, ByteView offending, std::size_t mtu,
                                          const IpAddress& from) {
  const auto original = parse_ip_header(offending);
  const auto ip = parse_ip_header(error);
  if (!original) return "answered bytes that are not an IP packet";
  if (!ip || ip->total_length != error.size()) return "the error is not one whole IP packet";
  if (ip->family != from.family() || original->family != from.family()) return "family mixed";
  const bool v4 = from.is_v4();
  const std::size_t header = v4 ? kIpv4HeaderMinSize : kIpv6HeaderSize;
  if (v4 && std::to_integer<unsigned>(error[0]) != 0x45) return "IPv4 header not 20 bytes";
  if (error.size() > (v4 ? 576u : 1280u)) return "error larger than 576 / 1280 bytes";
  if (error.size() < header + 8) return "no room for the ICMP header";
  const ByteView packet = offending.first(original->total_length);
  const std::size_t quoted = error.size() - header - 8;
  if (quoted != std::min<std::size_t>(packet.size(), v4 ? 548 : 1232)) return "quote length";
  if (!same_bytes(error.subspan(header + 8), packet.first(quoted))) return "quote differs";
  const auto* addresses = reinterpret_cast<const std::byte*>(from.data());
  if (!same_bytes(ByteView(ip->source, from.size()), ByteView(addresses, from.size())))
    return "source is not `from`";
  if (!same_bytes(ByteView(ip->destination, from.size()), ByteView(original->source, from.size())))
    return "destination is not the offending packet's source";
  const ByteView icmp = error.subspan(header);
  const auto at = [&](std::size_t i) { return std::to_integer<unsigned>(error[i]); };
  if (v4) {
    if (at(8) != 64 || at(9) != 1) return "TTL or protocol";
    if (internet_checksum(error.first(header)) != 0) return "IPv4 header checksum";
    if (internet_checksum(icmp) != 0) return "ICMP checksum";
    if (at(20) != 3 || at(21) != 4 || load_be16(error.data() + 24) != 0) return "type/code/unused";
    if (load_be16(error.data() + 26) != mtu) return "next-hop MTU";
    return "";
  }
  if (at(6) != 58 || at(7) != 64) return "next header or hop limit";
  std::array<std::uint8_t, 16> destination{};
  std::copy_n(reinterpret_cast<const std::uint8_t*>(ip->destination), 16, destination.data());
  if (transport_checksum(from, IpAddress::v6(destination), 58, icmp) != 0) return "ICMPv6 checksum";
  if (at(40) != 2 || at(41) != 0) return "type/code";
  if (load_be32(error.data() + 44) != mtu) return "MTU";
  return "";
}

// The options of an IPv4 header whose copied flag is set, in order (RFC 791 section 3.1), and
// whether the options were well formed.
inline bool copied_options_of(ByteView options, std::vector<std::byte>& copied) {
  std::size_t i = 0;
  while (i < options.size()) {
    const auto type = std::to_integer<unsigned>(options[i]);
    if (type == 0) break;  // End of Option List
    if (type == 1) {       // No Operation, one byte, not copied
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return false;
    const auto length = std::to_integer<std::size_t>(options[i + 1]);
    if (length < 2 || i + length > options.size()) return false;
    const ByteView option = options.subspan(i, length);
    if ((type & 0x80) != 0) copied.insert(copied.end(), option.begin(), option.end());
    i += length;
  }
  return true;
}

// What every fragment must keep from `whole`, the packet fragmented
// (RFC 791 section 3.2): version, TOS, ID, TTL, protocol, addresses, and the reserved flag; DF
// is clear.
inline std::string fragment_header_problem(ByteView whole, ByteView fragment) {
  for (std::size_t i : {1, 4, 5, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19})
    if (fragment[i] != whole[i]) return "a header field changed";
  if ((std::to_integer<unsigned>(fragment[0]) >> 4) != 4) return "not IPv4";
  if ((load_be16(fragment.data() + 6) & 0xc000) != (load_be16(whole.data() + 6) & 0xc000))
    return "reserved or DF flag changed";
  if (internet_checksum(fragment.first(ipv4_header_size(fragment))) != 0) return "header checksum";
  return "";
}

// `fragments`, as fragment_ipv4(original, mtu, ...) made them: each a whole IPv4 packet of at
// most `mtu` bytes, the first with the original options and later ones with the copied ones,
// offsets following on from the original's own, data a multiple of 8 bytes but in the last, MF
// on all but the last (and on it if the original had MF), the data together the original's.
inline std::string fragmentation_problem(ByteView original, std::size_t mtu,
                                         const std::vector<ByteView>& fragments) {
  const auto ip = parse_ip_header(original);
  if (!ip || ip->family != IpAddress::Family::kV4) return "fragmented what is not IPv4";
  const ByteView whole = original.first(ip->total_length);
  if (fragments.empty()) return "no fragments";
  if (whole.size() <= mtu)
    return fragments.size() == 1 && same_bytes(fragments[0], whole) ? "" : "not copied as it is";
  const std::size_t header = ipv4_header_size(whole);
  std::vector<std::byte> copied;
  if (!copied_options_of(whole.subspan(20, header - 20), copied)) return "malformed options";
  while (copied.size() % 4 != 0) copied.push_back(std::byte{0});
  const std::uint16_t word = load_be16(whole.data() + 6);
  std::size_t offset = (word & kIpv4FragmentOffsetMask) * std::size_t{8};
  std::vector<std::byte> data;
  for (std::size_t k = 0; k < fragments.size(); ++k) {
    const ByteView f = fragments[k];
    const auto fip = parse_ip_header(f);
    if (!fip || fip->family != IpAddress::Family::kV4 || fip->total_length != f.size())
      return "fragment " + std::to_string(k) + " is not a whole IPv4 packet";
    if (f.size() > mtu) return "fragment " + std::to_string(k) + " larger than the MTU";
    const std::string problem = fragment_header_problem(whole, f);
    if (!problem.empty()) return "fragment " + std::to_string(k) + ": " + problem;
    const std::size_t fh = ipv4_header_size(f);
    const ByteView options = f.subspan(20, fh - 20);
    if (k == 0 ? !same_bytes(options, whole.subspan(20, header - 20))
               : !same_bytes(options, copied))
      return "fragment " + std::to_string(k) + " options";
    const bool last = k + 1 == fragments.size();
    const std::uint16_t fw = load_be16(f.data() + 6);
    const bool more = (fw & kIpv4MoreFragments) != 0;
    if (more != (!last || (word & kIpv4MoreFragments) != 0))
      return "fragment " + std::to_string(k) + " MF";
    if ((fw & kIpv4FragmentOffsetMask) * std::size_t{8} != offset)
      return "fragment " + std::to_string(k) + " offset";
    const std::size_t size = f.size() - fh;
    if (size == 0 || (!last && size % 8 != 0))
      return "fragment " + std::to_string(k) + " data size";
    data.insert(data.end(), f.begin() + static_cast<std::ptrdiff_t>(fh), f.end());
    offset += size;
  }
  if (!same_bytes(data, whole.subspan(header))) return "the data do not reassemble";
  return "";
}

}  // namespace tandem::packet::testing
