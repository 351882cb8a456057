// Inner packets for hybrid/ tests: addresses from text and minimal IPv4/IPv6 UDP packets.
#pragma once

#include <cstddef>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::hybrid::testing {

inline IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
inline IpPrefix net(const char* text) {
  return *IpPrefix::parse(text);
}

// A UDP-carrying IPv4 or IPv6 packet: routing reads only the IP header, so the payload is zeros
// (but for `marker`, written into its first byte when there is one) and no checksum is set.
inline std::vector<std::byte> packet(const char* from, const char* to, std::size_t payload = 16,
                                     std::byte marker = std::byte{0}) {
  const IpAddress source = ip(from);
  const IpAddress destination = ip(to);
  const bool v4 = source.is_v4();
  const std::size_t header = v4 ? 20 : 40;
  std::vector<std::byte> out(header + payload);
  if (v4) {
    out[0] = std::byte{0x45};
    store_be16(out.data() + 2, static_cast<std::uint16_t>(out.size()));
    out[8] = std::byte{64};
    out[9] = std::byte{17};
  } else {
    out[0] = std::byte{0x60};
    store_be16(out.data() + 4, static_cast<std::uint16_t>(payload));
    out[6] = std::byte{17};
    out[7] = std::byte{64};
  }
  const std::size_t source_at = v4 ? 12 : 8;
  const std::size_t destination_at = v4 ? 16 : 24;
  for (std::size_t i = 0; i < source.size(); ++i) {
    out[source_at + i] = std::byte{source.data()[i]};
    out[destination_at + i] = std::byte{destination.data()[i]};
  }
  if (payload > 0) out[header] = marker;
  return out;
}

}  // namespace tandem::hybrid::testing
