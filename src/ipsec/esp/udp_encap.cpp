#include "ipsec/esp/udp_encap.hpp"

#include <algorithm>

namespace tandem::ipsec::esp {

UdpPayload classify_udp_payload(ByteView d) {
  if (d.size() == 1 && d[0] == kKeepaliveByte) return UdpPayload::kKeepalive;
  if (d.size() < 4) return UdpPayload::kInvalid;
  if (std::equal(kNonEspMarker.begin(), kNonEspMarker.end(), d.begin()))
    // An IKE header is 28 bytes long.
    return d.size() >= kNonEspMarker.size() + 28 ? UdpPayload::kIke : UdpPayload::kInvalid;
  // SPI and sequence number at least (RFC 3948 2.2: a non-zero SPI is how ESP is told apart).
  return d.size() >= 8 ? UdpPayload::kEsp : UdpPayload::kInvalid;
}

}  // namespace tandem::ipsec::esp
