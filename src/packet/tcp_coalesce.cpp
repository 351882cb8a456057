// TCP segments coalesced into a GSO super-packet (see the header for when).
#include "packet/tcp_coalesce.hpp"

#include <cstring>
#include <optional>

#include "packet/checksum.hpp"
#include "packet/gso_segments.hpp"
#include "packet/ip_packet.hpp"
#include "packet/virtio_net_header.hpp"

namespace tandem::packet {
namespace {

// One TCP segment's layout: what coalescing compares.
struct Segment {
  ByteView bytes;
  bool v4 = true;
  std::size_t ip_header = 0;
  std::size_t headers = 0;  // IP and TCP
  std::uint32_t seq = 0;
  std::uint8_t flags = 0;
  std::size_t payload() const { return bytes.size() - headers; }
};

std::uint8_t at(ByteView b, std::size_t i) {
  return std::to_integer<std::uint8_t>(b[i]);
}

// A whole IPv4 (no options, not a fragment) or IPv6 (no extension headers) TCP segment with
// right checksums and only ACK or ACK|PSH set; nullopt for anything else.
std::optional<Segment> parse_segment(ByteView b) {
  if (b.size() < kIpv4HeaderMinSize) return std::nullopt;
  Segment s;
  s.bytes = b;
  const unsigned version = at(b, 0) >> 4;
  if (version == 4) {
    if (at(b, 0) != 0x45 || load_be16(b.data() + 2) != b.size()) return std::nullopt;
    if ((load_be16(b.data() + 6) & 0x3fff) != 0 || at(b, 9) != kProtocolTcp) return std::nullopt;
    if (checksum_finish(checksum_add(0, b.first(kIpv4HeaderMinSize))) != 0) return std::nullopt;
    s.ip_header = kIpv4HeaderMinSize;
  } else if (version == 6) {
    if (b.size() < kIpv6HeaderSize || at(b, 6) != kProtocolTcp) return std::nullopt;
    if (load_be16(b.data() + 4) != b.size() - kIpv6HeaderSize) return std::nullopt;
    s.v4 = false;
    s.ip_header = kIpv6HeaderSize;
  } else {
    return std::nullopt;
  }
  if (b.size() < s.ip_header + kTcpHeaderMinSize) return std::nullopt;
  const std::size_t tcp_header = (at(b, s.ip_header + 12) >> 4) * 4u;
  s.headers = s.ip_header + tcp_header;
  if (tcp_header < kTcpHeaderMinSize || b.size() <= s.headers)
    return std::nullopt;  // no payload: nothing to add
  s.flags = at(b, s.ip_header + 13);
  if ((s.flags & ~kTcpPsh) != kTcpAck) return std::nullopt;
  s.seq = load_be32(b.data() + s.ip_header + 4);
  const ByteView tcp = b.subspan(s.ip_header);
  if (checksum_finish(checksum_add(pseudo_header_sum(b, kProtocolTcp, tcp.size()), tcp)) != 0)
    return std::nullopt;
  return s;
}

// Whether `next` belongs to the flow of `first` with the same fields: the IP header but its
// length, identification and checksum; the TCP header but its sequence number, flags and checksum.
bool same_flow_and_fields(const Segment& first, const Segment& next) {
  if (first.v4 != next.v4 || first.headers != next.headers) return false;
  const std::byte* a = first.bytes.data();
  const std::byte* b = next.bytes.data();
  if (first.v4) {
    // TOS, flags/fragment (DF), TTL, protocol; then both addresses.
    if (a[1] != b[1] || a[6] != b[6] || std::memcmp(a + 8, b + 8, 2) != 0) return false;
    if (std::memcmp(a + 12, b + 12, 8) != 0) return false;
  } else {
    // Version, traffic class, flow label; next header, hop limit, addresses.
    if (std::memcmp(a, b, 4) != 0 || std::memcmp(a + 6, b + 6, 34) != 0) return false;
  }
  const std::byte* ta = a + first.ip_header;
  const std::byte* tb = b + next.ip_header;
  // Ports; acknowledgment, data offset; window; urgent pointer and options.
  return std::memcmp(ta, tb, 4) == 0 && std::memcmp(ta + 8, tb + 8, 5) == 0 &&
         std::memcmp(ta + 14, tb + 14, 2) == 0 &&
         std::memcmp(ta + 18, tb + 18, first.headers - first.ip_header - 18) == 0;
}

}  // namespace

std::size_t tcp_coalescible_run(std::span<const Packet> packets, std::size_t first) {
  const auto head = parse_segment(packets[first].bytes());
  if (!head || (head->flags & kTcpPsh) != 0) return 1;
  const std::size_t segment_payload = head->payload();
  std::size_t total = head->bytes.size();
  std::uint32_t next_seq = head->seq + static_cast<std::uint32_t>(segment_payload);
  std::size_t count = 1;
  for (std::size_t i = first + 1; i < packets.size() && count < kMaxCoalescedSegments; ++i) {
    const auto s = parse_segment(packets[i].bytes());
    if (!s || !same_flow_and_fields(*head, *s) || s->seq != next_seq) break;
    if (s->payload() > segment_payload || total + s->payload() > kMaxSuperPacket) break;
    total += s->payload();
    next_seq += static_cast<std::uint32_t>(s->payload());
    ++count;
    // A shorter segment or PSH ends the run: only the last may be either.
    if (s->payload() < segment_payload || (s->flags & kTcpPsh) != 0) break;
  }
  return count;
}

std::size_t write_coalesced_tcp(std::span<const Packet> run, MutableByteView out) {
  const auto head = parse_segment(run[0].bytes());
  const ByteView first = run[0].bytes();
  const std::size_t headers = head->headers;
  std::byte* ip = out.data() + kVirtioNetHeaderSize;
  std::memcpy(ip, first.data(), headers);
  std::size_t size = headers;
  for (const Packet& p : run) {
    const ByteView b = p.bytes();
    std::memcpy(ip + size, b.data() + headers, b.size() - headers);
    size += b.size() - headers;
  }
  if (head->v4) {
    store_be16(ip + 2, static_cast<std::uint16_t>(size));
    store_be16(ip + 10, 0);
    store_be16(ip + 10, internet_checksum(ByteView(ip, head->ip_header)));
  } else {
    store_be16(ip + 4, static_cast<std::uint16_t>(size - kIpv6HeaderSize));
  }
  std::byte* tcp = ip + head->ip_header;
  tcp[13] = run.back().bytes()[head->ip_header + 13];  // the last segment's flags: PSH if it had it
  // A partial checksum, as the kernel's own sender would leave it: the pseudo-header sum, folded
  // and not complemented, for the kernel to finish or trust.
  const std::size_t tcp_length = size - head->ip_header;
  const auto pseudo = static_cast<std::uint16_t>(
      ~checksum_finish(pseudo_header_sum(ByteView(ip, size), kProtocolTcp, tcp_length)) & 0xffff);
  store_be16(tcp + kTcpChecksumOffset, pseudo);
  VirtioNetHeader h;
  h.flags = kVirtioNetHdrFNeedsCsum;
  h.gso_type = head->v4 ? kVirtioNetHdrGsoTcpV4 : kVirtioNetHdrGsoTcpV6;
  h.hdr_len = static_cast<std::uint16_t>(headers);
  h.gso_size = static_cast<std::uint16_t>(head->payload());
  h.csum_start = static_cast<std::uint16_t>(head->ip_header);
  h.csum_offset = kTcpChecksumOffset;
  write_virtio_net_header(h, out);
  return kVirtioNetHeaderSize + size;
}

}  // namespace tandem::packet
