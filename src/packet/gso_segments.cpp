// GSO super-packets cut into their segments (see the header for the rules each follows).
#include "packet/gso_segments.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"
#include "packet/udp_datagram.hpp"

namespace tandem::packet {
namespace {

std::uint8_t byte_at(ByteView p, std::size_t i) {
  return std::to_integer<std::uint8_t>(p[i]);
}

// The transport header's offset in `packet` if it is an unfragmented IPv4 packet or an IPv6
// packet without extension headers carrying `protocol`.
Result<std::size_t, GsoError> transport_offset(ByteView packet, std::uint8_t protocol) {
  if (packet.empty()) return Err{GsoError::kMalformed};
  const unsigned version = byte_at(packet, 0) >> 4;
  if (version == 4) {
    const std::size_t ihl = (byte_at(packet, 0) & 0x0fu) * 4u;
    if (ihl < 20 || packet.size() < ihl) return Err{GsoError::kMalformed};
    if ((load_be16(packet.data() + 6) & 0x3fff) != 0) return Err{GsoError::kUnsupported};
    if (byte_at(packet, 9) != protocol) return Err{GsoError::kMalformed};
    return ihl;
  }
  if (version == 6) {
    if (packet.size() < kIpv6HeaderSize) return Err{GsoError::kMalformed};
    if (byte_at(packet, 6) != protocol) return Err{GsoError::kUnsupported};
    return kIpv6HeaderSize;
  }
  return Err{GsoError::kMalformed};
}

}  // namespace

Result<GsoSegments, GsoError> GsoSegments::plan(const VirtioNetHeader& header, ByteView packet) {
  if (packet.empty() || packet.size() > kMaxSuperPacket) return Err{GsoError::kMalformed};
  GsoSegments s;
  s.headers_ = packet.size();
  const std::uint8_t gso = header.gso();
  if (gso == kVirtioNetHdrGsoNone) {
    if (header.needs_csum()) {
      const std::size_t field = std::size_t{header.csum_start} + header.csum_offset;
      if (field + 2 > packet.size()) return Err{GsoError::kMalformed};
      s.partial_ = true;
      s.csum_field_ = field;
      s.transport_ = header.csum_start;
    }
    return s;
  }
  if (header.gso_size == 0) return Err{GsoError::kMalformed};
  const bool tcp = gso == kVirtioNetHdrGsoTcpV4 || gso == kVirtioNetHdrGsoTcpV6;
  if (!tcp && gso != kVirtioNetHdrGsoUdpL4) return Err{GsoError::kUnsupported};
  auto transport = transport_offset(packet, tcp ? kProtocolTcp : kProtocolUdp);
  if (!transport) return Err{transport.error()};
  s.v4_ = (byte_at(packet, 0) >> 4) == 4;
  if ((gso == kVirtioNetHdrGsoTcpV4 && !s.v4_) || (gso == kVirtioNetHdrGsoTcpV6 && s.v4_))
    return Err{GsoError::kMalformed};
  s.kind_ = tcp ? Kind::kTcp : Kind::kUdp;
  s.transport_ = *transport;
  std::size_t transport_header = kUdpHeaderSize;
  if (tcp) {
    if (packet.size() < s.transport_ + kTcpHeaderMinSize) return Err{GsoError::kMalformed};
    transport_header = (byte_at(packet, s.transport_ + 12) >> 4) * 4u;
    if (transport_header < kTcpHeaderMinSize) return Err{GsoError::kMalformed};
  }
  s.headers_ = s.transport_ + transport_header;
  if (packet.size() < s.headers_) return Err{GsoError::kMalformed};
  s.payload_ = packet.size() - s.headers_;
  s.count_ = s.payload_ == 0 ? 1 : (s.payload_ + header.gso_size - 1) / header.gso_size;
  s.segment_payload_ = s.payload_ == 0 ? 0 : std::min<std::size_t>(header.gso_size, s.payload_);
  return s;
}

std::size_t GsoSegments::write(ByteView packet, std::size_t i, MutableByteView out) const {
  if (kind_ == Kind::kWhole) {
    std::memcpy(out.data(), packet.data(), packet.size());
    if (partial_) {
      VirtioNetHeader h;
      h.flags = kVirtioNetHdrFNeedsCsum;
      h.csum_start = static_cast<std::uint16_t>(transport_);
      h.csum_offset = static_cast<std::uint16_t>(csum_field_ - transport_);
      complete_checksum(h, out.first(packet.size()));
    }
    return packet.size();
  }
  const std::size_t offset = i * segment_payload_;
  const std::size_t payload = std::min(segment_payload_, payload_ - offset);
  const std::size_t size = headers_ + payload;
  std::memcpy(out.data(), packet.data(), headers_);
  std::memcpy(out.data() + headers_, packet.data() + headers_ + offset, payload);
  std::byte* ip = out.data();
  if (v4_) {
    store_be16(ip + 2, static_cast<std::uint16_t>(size));
    store_be16(ip + 4, static_cast<std::uint16_t>(load_be16(ip + 4) + i));
    store_be16(ip + 10, 0);
    store_be16(ip + 10, internet_checksum(ByteView(ip, transport_)));
  } else {
    store_be16(ip + 4, static_cast<std::uint16_t>(size - kIpv6HeaderSize));
  }
  std::byte* l4 = ip + transport_;
  const std::size_t l4_size = size - transport_;
  std::size_t checksum_at = 6;
  std::uint8_t protocol = kProtocolUdp;
  if (kind_ == Kind::kTcp) {
    checksum_at = kTcpChecksumOffset;
    protocol = kProtocolTcp;
    store_be32(l4 + 4, static_cast<std::uint32_t>(load_be32(l4 + 4) + offset));
    auto flags = std::to_integer<std::uint8_t>(l4[13]);
    if (i != 0) flags = static_cast<std::uint8_t>(flags & ~kTcpCwr);
    if (i + 1 != count_) flags = static_cast<std::uint8_t>(flags & ~(kTcpFin | kTcpPsh));
    l4[13] = std::byte{flags};
  } else {
    store_be16(l4 + 4, static_cast<std::uint16_t>(l4_size));
  }
  store_be16(l4 + checksum_at, 0);
  const ByteView segment(ip, size);
  std::uint16_t sum = checksum_finish(
      checksum_add(pseudo_header_sum(segment, protocol, l4_size), segment.subspan(transport_)));
  if (sum == 0 && kind_ == Kind::kUdp) sum = 0xffff;  // 0 would mean "no checksum" (RFC 768)
  store_be16(l4 + checksum_at, sum);
  return size;
}

bool complete_checksum(const VirtioNetHeader& header, MutableByteView packet) {
  if (!header.needs_csum()) return true;
  const std::size_t field = std::size_t{header.csum_start} + header.csum_offset;
  if (field + 2 > packet.size()) return false;
  // The field holds the pseudo-header sum already; summing over it from csum_start gives the rest.
  const std::uint16_t sum =
      checksum_finish(checksum_add(0, ByteView(packet).subspan(header.csum_start)));
  store_be16(packet.data() + field, sum == 0 ? 0xffff : sum);
  return true;
}

}  // namespace tandem::packet
