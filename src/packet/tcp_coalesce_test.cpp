#include "packet/tcp_coalesce.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "packet/gso_test_support.hpp"
#include "packet/tcp_test_packets.hpp"
#include "packet/virtio_net_header.hpp"

namespace tandem::packet {
namespace {

const IpAddress kV4Src = IpAddress::v4({10, 0, 0, 1});
const IpAddress kV4Dst = IpAddress::v4({10, 0, 0, 2});
const IpAddress kV6Src = *IpAddress::parse("fd00::1");
const IpAddress kV6Dst = *IpAddress::parse("fd00::2");
constexpr std::uint8_t kAck = 0x10, kPsh = 0x08;

// Segments as a peer's TSO would have cut them: a super-packet with `payload` bytes cut at
// `mss`, each with full checksums (GsoSegments, tested on its own against hand-checked packets).
std::vector<std::vector<std::byte>> segments_of(const IpAddress& src, const IpAddress& dst,
                                                std::size_t payload, std::size_t mss,
                                                std::uint8_t flags) {
  auto super = testing::tcp_packet(src, dst, flags, {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 9},
                                   payload);  // NOP NOP timestamps
  const std::size_t ip = src.is_v4() ? 20 : 40;
  store_be32(super.data() + ip + 4, 0x7ffffff0);
  store_be32(super.data() + ip + 8, 4242);
  VirtioNetHeader h;
  h.gso_type = src.is_v4() ? kVirtioNetHdrGsoTcpV4 : kVirtioNetHdrGsoTcpV6;
  h.gso_size = static_cast<std::uint16_t>(mss);
  return testing::cut_super_packet(h, super);
}

std::vector<Packet> packets_of(std::vector<std::vector<std::byte>>& segments) {
  std::vector<Packet> out;
  for (auto& s : segments) {
    Packet p;
    p.slot = s.data();
    p.slot_size = s.size();
    p.length = s.size();
    out.push_back(p);
  }
  return out;
}

// Coalesces the run at `first`, then cuts the super-packet up again as the kernel's GSO would.
std::vector<std::vector<std::byte>> round_trip(const std::vector<Packet>& packets,
                                               std::size_t first, std::size_t count) {
  std::vector<std::byte> out(kVirtioNetHeaderSize + 65535);
  const std::size_t n = write_coalesced_tcp(std::span(packets).subspan(first, count), out);
  const auto header = parse_virtio_net_header(out);
  EXPECT_TRUE(header && header->needs_csum());
  const ByteView super = ByteView(out).subspan(kVirtioNetHeaderSize, n - kVirtioNetHeaderSize);
  return testing::cut_super_packet(*header, super);
}

TEST(TcpCoalesce, CoalescesInOrderSegmentsAndCutsBackToThemExactly) {
  for (const auto& [src, dst] : {std::pair(kV4Src, kV4Dst), std::pair(kV6Src, kV6Dst)}) {
    auto segments = segments_of(src, dst, 10 * 1200 + 345, 1200, kAck | kPsh);
    ASSERT_EQ(segments.size(), 11u);
    const auto packets = packets_of(segments);
    ASSERT_EQ(tcp_coalescible_run(packets, 0), 11u);
    EXPECT_EQ(round_trip(packets, 0, 11), segments);
  }
}

TEST(TcpCoalesce, WritesAGsoHeaderWithAPartialChecksum) {
  auto segments = segments_of(kV4Src, kV4Dst, 3000, 1000, kAck);
  const auto packets = packets_of(segments);
  ASSERT_EQ(tcp_coalescible_run(packets, 0), 3u);
  std::vector<std::byte> out(kVirtioNetHeaderSize + 65535);
  const std::size_t n = write_coalesced_tcp(packets, out);
  const auto h = parse_virtio_net_header(out);
  EXPECT_EQ(h->gso_type, kVirtioNetHdrGsoTcpV4);
  EXPECT_EQ(h->gso_size, 1000);
  EXPECT_EQ(h->csum_start, 20);
  EXPECT_EQ(h->csum_offset, 16);
  EXPECT_EQ(h->hdr_len, 20 + 32);
  EXPECT_EQ(n, kVirtioNetHeaderSize + 52 + 3000);
  const ByteView ip = ByteView(out).subspan(kVirtioNetHeaderSize);
  EXPECT_EQ(load_be16(ip.data() + 2), 52 + 3000);
  EXPECT_EQ(internet_checksum(ip.first(20)), 0);
  // The field holds the pseudo-header sum: complemented, it is the checksum of zero payload.
  const std::uint16_t pseudo = load_be16(ip.data() + 36);
  std::vector<std::byte> tcp(ip.begin() + 20, ip.begin() + 20 + 52 + 3000 - 20);
  store_be16(tcp.data() + 16, 0);
  const std::uint16_t full = testing::tcp_checksum(kV4Src, kV4Dst, tcp);
  std::vector<std::byte> with_pseudo = tcp;
  store_be16(with_pseudo.data() + 16, pseudo);
  // Summing the segment with the pseudo-header sum in its field, and nothing else, gives the
  // checksum the kernel would store: the same as the full one.
  EXPECT_EQ(internet_checksum(with_pseudo), full);
}

TEST(TcpCoalesce, StopsAtAGapAReorderAndAnotherFlow) {
  auto segments = segments_of(kV4Src, kV4Dst, 6000, 1000, kAck);
  auto other = segments_of(kV6Src, kV6Dst, 2000, 1000, kAck);
  std::vector<std::vector<std::byte>> mixed = {segments[0], segments[1], segments[3], segments[4],
                                               other[0],    segments[5], segments[2]};
  const auto packets = packets_of(mixed);
  EXPECT_EQ(tcp_coalescible_run(packets, 0), 2u) << "segment 2 is missing";
  EXPECT_EQ(tcp_coalescible_run(packets, 2), 2u) << "another flow follows";
  EXPECT_EQ(tcp_coalescible_run(packets, 5), 1u) << "segment 2 comes after 5";
}

TEST(TcpCoalesce, OnlyTheLastSegmentMayBeShorterOrPushed) {
  auto a = segments_of(kV4Src, kV4Dst, 2500, 1000, kAck | kPsh);  // 1000, 1000, 500 + PSH
  auto b = segments_of(kV4Src, kV4Dst, 2000, 1000, kAck);
  // b continues a's sequence numbers where a's short, pushed last segment ended.
  for (auto& s : b) store_be32(s.data() + 24, load_be32(s.data() + 24) + 2500);
  for (auto& s : b) {
    store_be16(s.data() + 36, 0);
    store_be16(s.data() + 36, testing::tcp_checksum(kV4Src, kV4Dst, ByteView(s).subspan(20)));
  }
  std::vector<std::vector<std::byte>> all = {a[0], a[1], a[2], b[0], b[1]};
  const auto packets = packets_of(all);
  EXPECT_EQ(tcp_coalescible_run(packets, 0), 3u);
  EXPECT_EQ(tcp_coalescible_run(packets, 2), 1u) << "a pushed segment is always last";
  EXPECT_EQ(tcp_coalescible_run(packets, 3), 2u);
}

TEST(TcpCoalesce, LeavesAloneSegmentsWithBadChecksumsOrOtherFlagsOrFields) {
  auto segments = segments_of(kV4Src, kV4Dst, 3000, 1000, kAck);
  auto bad = segments;
  bad[1][100] ^= std::byte{1};
  EXPECT_EQ(tcp_coalescible_run(packets_of(bad), 0), 1u);
  auto ttl = segments;
  ttl[1][8] = std::byte{63};
  store_be16(ttl[1].data() + 10, 0);
  store_be16(ttl[1].data() + 10, internet_checksum(ByteView(ttl[1]).first(20)));
  EXPECT_EQ(tcp_coalescible_run(packets_of(ttl), 0), 1u);
  auto window = segments;
  store_be16(window[1].data() + 34, 1);
  store_be16(window[1].data() + 36, 0);
  store_be16(window[1].data() + 36,
             testing::tcp_checksum(kV4Src, kV4Dst, ByteView(window[1]).subspan(20)));
  EXPECT_EQ(tcp_coalescible_run(packets_of(window), 0), 1u);
  auto syn = segments_of(kV4Src, kV4Dst, 3000, 1000, kAck | 0x02);
  EXPECT_EQ(tcp_coalescible_run(packets_of(syn), 0), 1u);
}

}  // namespace
}  // namespace tandem::packet
