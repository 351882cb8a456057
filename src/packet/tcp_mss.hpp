// TCP MSS clamping (RFC 879, RFC 6691): a SYN or SYN-ACK entering or leaving a tunnel has the
// Maximum Segment Size option lowered to what the tunnel carries, so that neither end sends
// segments the path would have to fragment or drop. The TCP checksum is updated incrementally
// (RFC 1624), so the rest of the segment need not be present (a first fragment) or read.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::packet {

// The MSS that fits an MTU: the MTU less the IP and TCP headers without options (40 for IPv4,
// 60 for IPv6).
std::uint16_t mss_for_mtu(std::size_t mtu, IpAddress::Family family);

// Lowers the MSS option of a TCP SYN in `packet` (IPv4, or IPv6 whose first next header is TCP)
// to `max_mss` when it is larger, fixing the checksum. True when the packet changed. Anything
// else (not TCP, not a SYN, a later fragment, no MSS option, malformed options) is left as it
// is; never reads or writes past `packet`.
bool clamp_tcp_mss(MutableByteView packet, std::uint16_t max_mss);

// The same with the MSS that fits `mtu` for the packet's own family (mss_for_mtu).
bool clamp_tcp_mss_to_mtu(MutableByteView packet, std::size_t mtu);

}  // namespace tandem::packet
