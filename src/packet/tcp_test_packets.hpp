// TCP segments in IPv4 and IPv6 packets for the packet/ tests and fuzz targets, with the checksum
// computed in full (pseudo-header and all), independently of the incremental update under test;
// the same pseudo-header sum serves the ICMPv6 tests.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "packet/checksum.hpp"

namespace tandem::packet::testing {

// The checksum of `segment` carried as `protocol` over the pseudo-header, summed from bytes
// laid out as RFC 768 and RFC 8200 section 8.1 draw them (the segment's checksum field is
// counted as it is: 0 for computing it, the stored value for checking it, which then gives 0).
inline std::uint16_t transport_checksum(const IpAddress& source, const IpAddress& destination,
                                        std::uint8_t protocol, ByteView segment) {
  std::vector<std::byte> sum;
  const auto put = [&](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) sum.push_back(std::byte{p[i]});
  };
  put(source.data(), source.is_v4() ? 4 : 16);
  put(destination.data(), destination.is_v4() ? 4 : 16);
  const auto length = static_cast<std::uint32_t>(segment.size());
  const std::uint8_t tail_v4[] = {0, protocol, static_cast<std::uint8_t>(length >> 8),
                                  static_cast<std::uint8_t>(length)};
  const std::uint8_t tail_v6[] = {static_cast<std::uint8_t>(length >> 24),
                                  static_cast<std::uint8_t>(length >> 16),
                                  static_cast<std::uint8_t>(length >> 8),
                                  static_cast<std::uint8_t>(length),
                                  0,
                                  0,
                                  0,
                                  protocol};
  if (source.is_v4())
    put(tail_v4, sizeof tail_v4);
  else
    put(tail_v6, sizeof tail_v6);
  sum.insert(sum.end(), segment.begin(), segment.end());
  return internet_checksum(sum);
}

// The TCP checksum over the pseudo-header and `segment`.
inline std::uint16_t tcp_checksum(const IpAddress& source, const IpAddress& destination,
                                  ByteView segment) {
  return transport_checksum(source, destination, 6, segment);
}

// An IP packet with a TCP header carrying `options` (padded with End to 4 bytes), `flags` and
// `payload` zero bytes, checksum set.
inline std::vector<std::byte> tcp_packet(const IpAddress& source, const IpAddress& destination,
                                         std::uint8_t flags, std::vector<std::uint8_t> options,
                                         std::size_t payload = 0) {
  while (options.size() % 4) options.push_back(0);
  const bool v4 = source.is_v4();
  const std::size_t ip = v4 ? 20 : 40;
  const std::size_t tcp = 20 + options.size();
  std::vector<std::byte> p(ip + tcp + payload);
  auto* raw = reinterpret_cast<std::uint8_t*>(p.data());
  if (v4) {
    raw[0] = 0x45;
    store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    raw[8] = 64;
    raw[9] = 6;
    std::copy(source.data(), source.data() + 4, raw + 12);
    std::copy(destination.data(), destination.data() + 4, raw + 16);
    store_be16(p.data() + 10, internet_checksum(ByteView(p.data(), 20)));
  } else {
    raw[0] = 0x60;
    store_be16(p.data() + 4, static_cast<std::uint16_t>(tcp + payload));
    raw[6] = 6;
    raw[7] = 64;
    std::copy(source.data(), source.data() + 16, raw + 8);
    std::copy(destination.data(), destination.data() + 16, raw + 24);
  }
  std::uint8_t* t = raw + ip;
  store_be16(p.data() + ip, 40000);
  store_be16(p.data() + ip + 2, 443);
  t[12] = static_cast<std::uint8_t>((tcp / 4) << 4);
  t[13] = flags;
  store_be16(p.data() + ip + 14, 64240);
  std::copy(options.begin(), options.end(), t + 20);
  for (std::size_t i = 0; i < payload; ++i) t[tcp + i] = static_cast<std::uint8_t>(i * 7);
  store_be16(p.data() + ip + 16,
             tcp_checksum(source, destination, ByteView(p.data() + ip, tcp + payload)));
  return p;
}

}  // namespace tandem::packet::testing
