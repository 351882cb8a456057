#include "packet/gso_segments.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "packet/gso_test_support.hpp"
#include "packet/tcp_test_packets.hpp"
#include "packet/virtio_net_header.hpp"

namespace tandem::packet {
namespace {

// RFC 1071 done the slow way, 16 bits at a time, so the checks do not lean on the code under test.
std::uint16_t naive_sum(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 2)
    sum += (std::uint32_t{bytes[i]} << 8) | (i + 1 < bytes.size() ? bytes[i + 1] : 0u);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint8_t u8(const std::vector<std::byte>& p, std::size_t i) {
  return std::to_integer<std::uint8_t>(p[i]);
}

// 0 when the IPv4 header checksum is right.
std::uint16_t ipv4_header_check(const std::vector<std::byte>& p) {
  std::vector<std::uint8_t> h;
  for (std::size_t i = 0; i < 20; ++i) h.push_back(u8(p, i));
  return naive_sum(h);
}

// 0 when the transport checksum (over the pseudo-header) is right.
std::uint16_t transport_check(const std::vector<std::byte>& p, std::uint8_t protocol) {
  const bool v4 = (u8(p, 0) >> 4) == 4;
  const std::size_t ip = v4 ? 20 : 40;
  const std::size_t length = p.size() - ip;
  std::vector<std::uint8_t> b;
  for (std::size_t i = v4 ? 12 : 8; i < ip; ++i) b.push_back(u8(p, i));  // both addresses
  for (std::uint8_t x : {std::uint8_t{0}, protocol, static_cast<std::uint8_t>(length >> 8),
                         static_cast<std::uint8_t>(length & 0xff)})
    b.push_back(x);
  for (std::size_t i = ip; i < p.size(); ++i) b.push_back(u8(p, i));
  return naive_sum(b);
}

const IpAddress kV4Src = IpAddress::v4({10, 0, 0, 1});
const IpAddress kV4Dst = IpAddress::v4({10, 0, 0, 2});
const IpAddress kV6Src = *IpAddress::parse("fd00::1");
const IpAddress kV6Dst = *IpAddress::parse("fd00::2");
constexpr std::uint8_t kAck = 0x10, kPsh = 0x08, kFin = 0x01, kCwr = 0x80;

// A TCP super-packet as a TSO TUN read gives it: sequence number near the wrap, IPv4 id 0x1234.
std::vector<std::byte> tcp_super(const IpAddress& src, const IpAddress& dst, std::size_t payload,
                                 std::uint8_t flags) {
  auto p = testing::tcp_packet(src, dst, flags, {}, payload);
  const std::size_t ip = src.is_v4() ? 20 : 40;
  store_be32(p.data() + ip + 4, 0xfffffc00);
  if (src.is_v4()) store_be16(p.data() + 4, 0x1234);
  return p;
}

std::vector<std::vector<std::byte>> cut(const VirtioNetHeader& h, const std::vector<std::byte>& p) {
  return testing::cut_super_packet(h, p);
}

VirtioNetHeader gso_header(std::uint8_t type, std::uint16_t gso_size, std::uint16_t start,
                           std::uint16_t offset) {
  VirtioNetHeader h;
  h.flags = kVirtioNetHdrFNeedsCsum;
  h.gso_type = type;
  h.gso_size = gso_size;
  h.csum_start = start;
  h.csum_offset = offset;
  h.hdr_len = static_cast<std::uint16_t>(start + 20);
  return h;
}

TEST(VirtioNetHeader, ParsesLittleEndianFields) {
  const std::vector<std::byte> raw = {
      std::byte{0x01}, std::byte{0x81}, std::byte{0x36}, std::byte{0x00}, std::byte{0x74},
      std::byte{0x05}, std::byte{0x14}, std::byte{0x00}, std::byte{0x10}, std::byte{0x00}};
  const auto h = parse_virtio_net_header(raw);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->needs_csum());
  EXPECT_EQ(h->gso(), kVirtioNetHdrGsoTcpV4);
  EXPECT_EQ(h->hdr_len, 54);
  EXPECT_EQ(h->gso_size, 1396);
  EXPECT_EQ(h->csum_start, 20);
  EXPECT_EQ(h->csum_offset, 16);
  std::vector<std::byte> back(kVirtioNetHeaderSize);
  write_virtio_net_header(*h, back);
  EXPECT_EQ(back, raw);
  EXPECT_FALSE(parse_virtio_net_header(ByteView(raw).first(9)));
}

TEST(GsoSegments, CutsTcpV4IntoMssSizedSegments) {
  const auto super = tcp_super(kV4Src, kV4Dst, 2500, kAck | kPsh | kFin | kCwr);
  const auto segs = cut(gso_header(kVirtioNetHdrGsoTcpV4, 1000, 20, 16), super);
  ASSERT_EQ(segs.size(), 3u);
  const std::size_t sizes[] = {1040, 1040, 540};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& s = segs[i];
    ASSERT_EQ(s.size(), sizes[i]);
    EXPECT_EQ(load_be16(s.data() + 2), sizes[i]) << "total length";
    EXPECT_EQ(load_be16(s.data() + 4), 0x1234 + i) << "identification";
    EXPECT_EQ(ipv4_header_check(s), 0);
    EXPECT_EQ(transport_check(s, 6), 0);
    EXPECT_EQ(load_be32(s.data() + 24), static_cast<std::uint32_t>(0xfffffc00 + i * 1000));
    const std::uint8_t flags = u8(s, 33);
    EXPECT_EQ((flags & kCwr) != 0, i == 0);
    EXPECT_EQ((flags & (kPsh | kFin)) != 0, i == 2);
    EXPECT_TRUE(flags & kAck);
    for (std::size_t b = 40; b < s.size(); ++b)
      ASSERT_EQ(s[b], super[40 + i * 1000 + (b - 40)]) << "payload byte " << b;
  }
}

TEST(GsoSegments, CutsTcpV6AndSetsPayloadLength) {
  const auto super = tcp_super(kV6Src, kV6Dst, 3000, kAck | kPsh);
  const auto segs = cut(gso_header(kVirtioNetHdrGsoTcpV6, 1220, 40, 16), super);
  ASSERT_EQ(segs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& s = segs[i];
    EXPECT_EQ(load_be16(s.data() + 4), s.size() - 40);
    EXPECT_EQ(transport_check(s, 6), 0);
    EXPECT_EQ((u8(s, 53) & kPsh) != 0, i == 2);
  }
  EXPECT_EQ(segs[2].size(), 40 + 20 + 3000 - 2 * 1220u);
}

TEST(GsoSegments, CutsUdpV4AndV6Datagrams) {
  for (const auto& [src, dst] : {std::pair(kV4Src, kV4Dst), std::pair(kV6Src, kV6Dst)}) {
    const std::size_t ip = src.is_v4() ? 20 : 40;
    auto p = testing::tcp_packet(src, dst, 0, {}, 2000);  // becomes UDP below
    p[src.is_v4() ? 9 : 6] = std::byte{17};
    if (src.is_v4()) {
      store_be16(p.data() + 10, 0);
      store_be16(p.data() + 10, internet_checksum(ByteView(p.data(), 20)));
    }
    const auto segs =
        cut(gso_header(kVirtioNetHdrGsoUdpL4, 1200, static_cast<std::uint16_t>(ip), 6), p);
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].size(), ip + 8 + 1200);
    EXPECT_EQ(segs[1].size(), ip + 8 + (2000 + 20 - 8 - 1200));
    for (const auto& s : segs) {
      EXPECT_EQ(load_be16(s.data() + ip + 4), s.size() - ip) << "UDP length";
      EXPECT_EQ(transport_check(s, 17), 0);
      if (src.is_v4()) {
        EXPECT_EQ(ipv4_header_check(s), 0);
      }
    }
  }
}

TEST(GsoSegments, KeepsAPacketWithinOneSegmentWhole) {
  const auto p = tcp_super(kV4Src, kV4Dst, 500, kAck | kPsh);
  const auto segs = cut(gso_header(kVirtioNetHdrGsoTcpV4, 1000, 20, 16), p);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].size(), p.size());
  EXPECT_TRUE(u8(segs[0], 33) & kPsh);
  EXPECT_EQ(transport_check(segs[0], 6), 0);
}

TEST(GsoSegments, FinishesAPartialChecksum) {
  auto p = tcp_super(kV6Src, kV6Dst, 333, kAck);
  store_be16(p.data() + 56, 0);
  const std::uint16_t full = testing::tcp_checksum(kV6Src, kV6Dst, ByteView(p).subspan(40));
  // What the kernel leaves in the field: the pseudo-header sum, folded but not complemented.
  const auto length = static_cast<std::uint32_t>(p.size() - 40);
  std::vector<std::uint8_t> pseudo;
  for (std::size_t i = 8; i < 40; ++i) pseudo.push_back(u8(p, i));
  for (std::uint8_t x : {std::uint8_t{0}, std::uint8_t{0}, static_cast<std::uint8_t>(length >> 8),
                         static_cast<std::uint8_t>(length & 0xff), std::uint8_t{0}, std::uint8_t{0},
                         std::uint8_t{0}, std::uint8_t{6}})
    pseudo.push_back(x);
  store_be16(p.data() + 56, static_cast<std::uint16_t>(~naive_sum(pseudo) & 0xffff));
  VirtioNetHeader h;
  h.flags = kVirtioNetHdrFNeedsCsum;
  h.csum_start = 40;
  h.csum_offset = 16;
  const auto segs = cut(h, p);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(load_be16(segs[0].data() + 56), full);
  ASSERT_TRUE(complete_checksum(h, p));
  EXPECT_EQ(load_be16(p.data() + 56), full);
}

TEST(GsoSegments, RefusesWhatDoesNotAddUp) {
  const auto v4 = tcp_super(kV4Src, kV4Dst, 2000, kAck);
  const auto v6 = tcp_super(kV6Src, kV6Dst, 2000, kAck);
  auto zero = gso_header(kVirtioNetHdrGsoTcpV4, 0, 20, 16);
  EXPECT_EQ(GsoSegments::plan(zero, v4).error(), GsoError::kMalformed);
  EXPECT_EQ(GsoSegments::plan(gso_header(kVirtioNetHdrGsoTcpV4, 1000, 40, 16), v6).error(),
            GsoError::kMalformed);
  EXPECT_EQ(GsoSegments::plan(gso_header(kVirtioNetHdrGsoUdp, 1000, 20, 6), v4).error(),
            GsoError::kUnsupported);
  EXPECT_EQ(
      GsoSegments::plan(gso_header(kVirtioNetHdrGsoTcpV4, 1000, 20, 16), ByteView(v4).first(30))
          .error(),
      GsoError::kMalformed);
  auto fragment = v4;
  store_be16(fragment.data() + 6, 0x2000);  // more fragments
  EXPECT_EQ(GsoSegments::plan(gso_header(kVirtioNetHdrGsoTcpV4, 1000, 20, 16), fragment).error(),
            GsoError::kUnsupported);
  VirtioNetHeader outside;
  outside.flags = kVirtioNetHdrFNeedsCsum;
  outside.csum_start = static_cast<std::uint16_t>(v4.size() - 1);
  outside.csum_offset = 0;
  EXPECT_EQ(GsoSegments::plan(outside, v4).error(), GsoError::kMalformed);
  EXPECT_EQ(GsoSegments::plan(VirtioNetHeader{}, ByteView()).error(), GsoError::kMalformed);
}

}  // namespace
}  // namespace tandem::packet
