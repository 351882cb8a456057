// MSS clamping on SYNs of both families: the option lowered, the checksum still right when
// recomputed in full (at even and odd option offsets), and everything else left alone.
#include "packet/tcp_mss.hpp"

#include <gtest/gtest.h>

#include "packet/tcp_test_packets.hpp"

namespace tandem::packet {
namespace {

using testing::tcp_checksum;
using testing::tcp_packet;

const IpAddress kV4a = *IpAddress::parse("10.1.0.1");
const IpAddress kV4b = *IpAddress::parse("10.2.0.1");
const IpAddress kV6a = *IpAddress::parse("fd00::1");
const IpAddress kV6b = *IpAddress::parse("fd00::2");
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kSynAck = 0x12;
constexpr std::uint8_t kAck = 0x10;

// Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
std::vector<std::uint8_t> linux_options(std::uint16_t mss = 1460) {
  return {2,
          4,
          static_cast<std::uint8_t>(mss >> 8),
          static_cast<std::uint8_t>(mss),
          4,
          2,
          8,
          10,
          0,
          0,
          0,
          1,
          0,
          0,
          0,
          0,
          1,
          3,
          3,
          7};
}

std::uint16_t mss_in(const std::vector<std::byte>& p, std::size_t mss_at) {
  return load_be16(p.data() + mss_at);
}

bool checksum_ok(const std::vector<std::byte>& p) {
  const bool v4 = (std::to_integer<unsigned>(p[0]) >> 4) == 4;
  const std::size_t ip = v4 ? 20 : 40;
  return tcp_checksum(v4 ? kV4a : kV6a, v4 ? kV4b : kV6b, ByteView(p.data() + ip, p.size() - ip)) ==
         0;
}

TEST(TcpMss, MssForMtu) {
  EXPECT_EQ(mss_for_mtu(1420, IpAddress::Family::kV4), 1380);
  EXPECT_EQ(mss_for_mtu(1420, IpAddress::Family::kV6), 1360);
  EXPECT_EQ(mss_for_mtu(30, IpAddress::Family::kV4), 0);
}

TEST(TcpMss, LowersTheMssOfAnIpv4SynAndKeepsTheChecksumRight) {
  auto p = tcp_packet(kV4a, kV4b, kSyn, linux_options());
  ASSERT_TRUE(checksum_ok(p));
  EXPECT_TRUE(clamp_tcp_mss(p, 1380));
  EXPECT_EQ(mss_in(p, 20 + 22), 1380);
  EXPECT_TRUE(checksum_ok(p));
  // Already small enough: nothing to do.
  EXPECT_FALSE(clamp_tcp_mss(p, 1400));
  EXPECT_EQ(mss_in(p, 20 + 22), 1380);
}

TEST(TcpMss, LowersTheMssOfAnIpv6SynAckWithPayload) {
  auto p = tcp_packet(kV6a, kV6b, kSynAck, linux_options(1440), 33);
  ASSERT_TRUE(checksum_ok(p));
  EXPECT_TRUE(clamp_tcp_mss(p, 1360));
  EXPECT_EQ(mss_in(p, 40 + 22), 1360);
  EXPECT_TRUE(checksum_ok(p));
}

TEST(TcpMss, AnMssAtAnOddOffsetKeepsTheChecksumRight) {
  // NOP first: the MSS value sits at TCP offset 23.
  for (const unsigned mss : {1460u, 0xffffu, 0x0101u, 0xff00u}) {
    auto p =
        tcp_packet(kV4a, kV4b, kSyn,
                   {1, 2, 4, static_cast<std::uint8_t>(mss >> 8), static_cast<std::uint8_t>(mss)});
    ASSERT_TRUE(checksum_ok(p));
    EXPECT_TRUE(clamp_tcp_mss(p, 0x00ff));
    EXPECT_EQ(mss_in(p, 20 + 23), 0x00ff);
    EXPECT_TRUE(checksum_ok(p)) << mss;
  }
}

TEST(TcpMss, ToAnMtuTakesThePacketsFamily) {
  auto v4 = tcp_packet(kV4a, kV4b, kSyn, linux_options());
  auto v6 = tcp_packet(kV6a, kV6b, kSyn, linux_options());
  EXPECT_TRUE(clamp_tcp_mss_to_mtu(v4, 1420));
  EXPECT_TRUE(clamp_tcp_mss_to_mtu(v6, 1420));
  EXPECT_EQ(mss_in(v4, 20 + 22), 1380);
  EXPECT_EQ(mss_in(v6, 40 + 22), 1360);
  EXPECT_TRUE(checksum_ok(v4) && checksum_ok(v6));
}

TEST(TcpMss, LeavesEverythingElseAlone) {
  const auto untouched = [](std::vector<std::byte> p) {
    const auto before = p;
    EXPECT_FALSE(clamp_tcp_mss(p, 500));
    EXPECT_EQ(p, before);
  };
  untouched(tcp_packet(kV4a, kV4b, kAck, linux_options()));       // not a SYN
  untouched(tcp_packet(kV4a, kV4b, kSyn, {1, 1, 3, 3, 7}));       // no MSS option
  untouched(tcp_packet(kV4a, kV4b, kSyn, {0, 2, 4, 5, 180}));     // after End
  untouched(tcp_packet(kV4a, kV4b, kSyn, {3, 9, 2, 4, 5, 180}));  // option runs past the header
  untouched(tcp_packet(kV4a, kV4b, kSyn, {2, 1, 5, 180}));        // length below 2
  auto fragment = tcp_packet(kV4a, kV4b, kSyn, linux_options());
  store_be16(fragment.data() + 6, 0x0010);  // offset 128: not the segment's start
  untouched(fragment);
  auto udp = tcp_packet(kV4a, kV4b, kSyn, linux_options());
  udp[9] = std::byte{17};
  untouched(udp);
  auto truncated = tcp_packet(kV4a, kV4b, kSyn, linux_options());
  truncated.resize(30);  // shorter than its total length
  untouched(truncated);
  untouched({});
}

}  // namespace
}  // namespace tandem::packet
