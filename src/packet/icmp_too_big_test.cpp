// ICMPv4 Fragmentation Needed and ICMPv6 Packet Too Big: every field of the error, its
// checksums recomputed in full, the 576 / 1280 byte limits on the quote, each case where no
// error may be sent, and what classify_for_mtu tells the data path to do.
#include "packet/icmp_too_big.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "packet/checksum.hpp"
#include "packet/mtu_test_packets.hpp"
#include "packet/tcp_test_packets.hpp"

namespace tandem::packet {
namespace {

using testing::ipv4_packet;
using testing::ipv6_packet;
using testing::packet_too_big_problem;
using testing::transport_checksum;

const IpAddress kTunnelV4 = *IpAddress::parse("10.99.0.1");
const IpAddress kSenderV4 = *IpAddress::parse("10.1.0.1");
const IpAddress kTunnelV6 = *IpAddress::parse("fd00:99::1");
const IpAddress kSenderV6 = *IpAddress::parse("fd00:1::1");
const IpAddress kReceiverV6 = *IpAddress::parse("fd00:2::1");
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kIcmpv6 = 58;

std::vector<std::byte> v4_df(std::size_t payload, std::uint8_t protocol = kTcp) {
  return ipv4_packet(
      {.protocol = protocol, .flags_and_offset = kIpv4DontFragment, .payload = payload});
}

std::vector<std::byte> v6(std::size_t payload, std::uint8_t next_header = kTcp) {
  return ipv6_packet(kSenderV6, kReceiverV6, next_header, payload);
}

// build_packet_too_big into a buffer of `room` bytes, cut to what it wrote.
std::vector<std::byte> too_big(const std::vector<std::byte>& offending, std::size_t mtu,
                               const IpAddress& from, std::size_t room = 2048) {
  std::vector<std::byte> out(room);
  out.resize(build_packet_too_big(out, offending, mtu, from));
  return out;
}

unsigned at(const std::vector<std::byte>& p, std::size_t i) {
  return std::to_integer<unsigned>(p[i]);
}

TEST(ClassifyForMtu, PacketsUpToTheMtuFit) {
  EXPECT_EQ(classify_for_mtu(v4_df(1480), 1500), TooBig::kFits);
  EXPECT_EQ(classify_for_mtu(v6(1460), 1500), TooBig::kFits);
  // Bytes after the stated total length do not count.
  auto padded = v4_df(1380);
  padded.resize(1500);
  EXPECT_EQ(classify_for_mtu(padded, 1400), TooBig::kFits);
}

TEST(ClassifyForMtu, Ipv6AndIpv4WithDontFragmentGetAnError) {
  EXPECT_EQ(classify_for_mtu(v4_df(1481), 1500), TooBig::kSendIcmp);
  EXPECT_EQ(classify_for_mtu(v6(1461), 1500), TooBig::kSendIcmp);
}

TEST(ClassifyForMtu, Ipv4WithoutDontFragmentIsFragmented) {
  EXPECT_EQ(classify_for_mtu(ipv4_packet({.payload = 1481}), 1500), TooBig::kFragment);
  // A fragment is fragmented again.
  EXPECT_EQ(classify_for_mtu(
                ipv4_packet({.flags_and_offset = kIpv4MoreFragments | 100, .payload = 1481}), 1500),
            TooBig::kFragment);
}

TEST(ClassifyForMtu, OversizeBytesThatAreNoPacketGetNoFragmentation) {
  std::vector<std::byte> junk(1600, std::byte{0x45});
  EXPECT_EQ(classify_for_mtu(junk, 1500), TooBig::kSendIcmp);
  EXPECT_EQ(build_packet_too_big(junk, junk, 1500, kTunnelV4), 0u);
  EXPECT_EQ(classify_for_mtu(std::vector<std::byte>(100), 1500), TooBig::kFits);
}

TEST(PacketTooBig, Ipv4FragmentationNeededHasEveryFieldRight) {
  const auto offending = v4_df(1480);  // 1500 bytes
  const auto e = too_big(offending, 1420, kTunnelV4);
  ASSERT_EQ(e.size(), 576u);
  EXPECT_EQ(at(e, 0), 0x45u);
  EXPECT_EQ(at(e, 1), 0xc0u);  // precedence 6, internetwork control
  EXPECT_EQ(load_be16(e.data() + 2), 576);
  EXPECT_EQ(load_be16(e.data() + 4), 0);       // ID of an atomic datagram
  EXPECT_EQ(load_be16(e.data() + 6), 0x4000);  // DF, offset 0
  EXPECT_EQ(at(e, 8), 64u);
  EXPECT_EQ(at(e, 9), 1u);
  EXPECT_EQ(internet_checksum(ByteView(e).first(20)), 0);
  EXPECT_TRUE(std::equal(e.begin() + 12, e.begin() + 16, kTunnelV4.data(), kTunnelV4.data() + 4,
                         [](std::byte a, std::uint8_t b) { return a == std::byte{b}; }));
  EXPECT_TRUE(std::equal(e.begin() + 16, e.begin() + 20, offending.begin() + 12));
  EXPECT_EQ(at(e, 20), 3u);  // Destination Unreachable
  EXPECT_EQ(at(e, 21), 4u);  // fragmentation needed and DF set
  EXPECT_EQ(internet_checksum(ByteView(e).subspan(20)), 0);
  EXPECT_EQ(load_be16(e.data() + 24), 0);     // unused
  EXPECT_EQ(load_be16(e.data() + 26), 1420);  // next-hop MTU
  EXPECT_TRUE(std::equal(e.begin() + 28, e.end(), offending.begin()));
  EXPECT_EQ(packet_too_big_problem(e, offending, 1420, kTunnelV4), "");
}

TEST(PacketTooBig, Ipv4QuoteKeepsTheErrorWithin576Bytes) {
  // Packets of 547, 548, 549 and 8020 bytes on a 68-byte path: 548 bytes is the most quoted.
  for (std::size_t payload : {527u, 528u, 529u, 8000u}) {
    const auto offending = v4_df(payload);
    const auto e = too_big(offending, 68, kTunnelV4);
    EXPECT_EQ(e.size(), std::min<std::size_t>(28 + 20 + payload, 576)) << payload;
    EXPECT_EQ(packet_too_big_problem(e, offending, 68, kTunnelV4), "") << payload;
  }
}

TEST(PacketTooBig, Ipv4QuoteHoldsTheWholeHeaderWithOptionsAndMore) {
  const auto offending = ipv4_packet({.flags_and_offset = kIpv4DontFragment,
                                      .options = std::vector<std::uint8_t>(40, 1),
                                      .payload = 1440});
  const auto e = too_big(offending, 1280, kTunnelV4);
  ASSERT_EQ(e.size(), 576u);
  EXPECT_GE(e.size() - 28, 60u + 8u);
  EXPECT_EQ(packet_too_big_problem(e, offending, 1280, kTunnelV4), "");
}

TEST(PacketTooBig, SmallIpv4PacketIsQuotedWholeWithoutTrailingBytes) {
  auto offending = v4_df(80);  // 100 bytes on a 68-byte path
  offending.resize(130, std::byte{0xee});
  const auto e = too_big(offending, 68, kTunnelV4);
  ASSERT_EQ(e.size(), 28u + 100u);
  EXPECT_EQ(load_be16(e.data() + 26), 68);
  EXPECT_EQ(packet_too_big_problem(e, offending, 68, kTunnelV4), "");
}

TEST(PacketTooBig, Ipv6PacketTooBigHasEveryFieldRight) {
  const auto offending = v6(1400);  // 1440 bytes
  const auto e = too_big(offending, 1380, kTunnelV6);
  ASSERT_EQ(e.size(), 1280u);
  EXPECT_EQ(load_be32(e.data()), 0x60000000u);  // version, traffic class 0, flow label 0
  EXPECT_EQ(load_be16(e.data() + 4), 1240);
  EXPECT_EQ(at(e, 6), 58u);
  EXPECT_EQ(at(e, 7), 64u);
  EXPECT_TRUE(std::equal(e.begin() + 8, e.begin() + 24, kTunnelV6.data(), kTunnelV6.data() + 16,
                         [](std::byte a, std::uint8_t b) { return a == std::byte{b}; }));
  EXPECT_TRUE(std::equal(e.begin() + 24, e.begin() + 40, offending.begin() + 8));
  EXPECT_EQ(at(e, 40), 2u);
  EXPECT_EQ(at(e, 41), 0u);
  EXPECT_EQ(transport_checksum(kTunnelV6, kSenderV6, 58, ByteView(e).subspan(40)), 0);
  EXPECT_EQ(load_be32(e.data() + 44), 1380u);
  EXPECT_TRUE(std::equal(e.begin() + 48, e.end(), offending.begin()));
  EXPECT_EQ(packet_too_big_problem(e, offending, 1380, kTunnelV6), "");
}

TEST(PacketTooBig, Ipv6QuoteKeepsTheErrorWithin1280Bytes) {
  // Anything too big for an MTU of at least 1280 is longer than the 1232 bytes quoted.
  for (std::size_t payload : {1241u, 1300u, 9000u}) {
    const auto offending = v6(payload);
    const auto e = too_big(offending, 1280, kTunnelV6, 16384);
    EXPECT_EQ(e.size(), 1280u) << payload;
    EXPECT_EQ(packet_too_big_problem(e, offending, 1280, kTunnelV6), "") << payload;
  }
}

TEST(PacketTooBig, AnswersAFirstFragmentAndIcmpQueries) {
  EXPECT_FALSE(too_big(ipv4_packet({.flags_and_offset = kIpv4DontFragment | kIpv4MoreFragments,
                                    .payload = 1480}),
                       1400, kTunnelV4)
                   .empty());
  auto echo = v4_df(1480, kIcmp);
  echo[20] = std::byte{8};  // Echo Request
  EXPECT_FALSE(too_big(echo, 1400, kTunnelV4).empty());
  auto echo6 = v6(1460, kIcmpv6);
  echo6[40] = std::byte{128};  // Echo Request
  EXPECT_FALSE(too_big(echo6, 1400, kTunnelV6).empty());
}

TEST(PacketTooBig, AnswersIpv6MulticastDestinations) {
  const auto offending = ipv6_packet(kSenderV6, *IpAddress::parse("ff0e::1"), kUdp, 1460);
  EXPECT_FALSE(too_big(offending, 1400, kTunnelV6).empty());
}

TEST(PacketTooBig, RefusesWhatIsNotAWholePacket) {
  auto truncated = v4_df(1480);
  truncated.resize(1000);
  EXPECT_TRUE(too_big(truncated, 576, kTunnelV4).empty());
  auto truncated6 = v6(1460);
  truncated6.resize(1300);
  EXPECT_TRUE(too_big(truncated6, 1280, kTunnelV6).empty());
  EXPECT_TRUE(too_big({}, 576, kTunnelV4).empty());
  std::vector<std::byte> other_version(1500);
  other_version[0] = std::byte{0x55};
  EXPECT_TRUE(too_big(other_version, 576, kTunnelV4).empty());
}

TEST(PacketTooBig, RefusesAFromOfTheOtherFamilyOrNoSingleHost) {
  EXPECT_TRUE(too_big(v4_df(1480), 1400, kTunnelV6).empty());
  EXPECT_TRUE(too_big(v6(1460), 1400, kTunnelV4).empty());
  EXPECT_TRUE(too_big(v4_df(1480), 1400, *IpAddress::parse("224.0.0.1")).empty());
  EXPECT_TRUE(too_big(v6(1460), 1400, *IpAddress::parse("::")).empty());
}

TEST(PacketTooBig, RefusesSourcesThatNameNoSingleHost) {
  for (const char* source : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5", "239.255.255.250",
                             "240.0.0.1", "255.255.255.255"}) {
    const auto offending = ipv4_packet({.source = *IpAddress::parse(source),
                                        .flags_and_offset = kIpv4DontFragment,
                                        .payload = 1480});
    EXPECT_TRUE(too_big(offending, 1400, kTunnelV4).empty()) << source;
  }
  for (const char* source : {"::", "::1", "ff02::1", "ff0e::1"}) {
    const auto offending = ipv6_packet(*IpAddress::parse(source), kReceiverV6, kTcp, 1460);
    EXPECT_TRUE(too_big(offending, 1400, kTunnelV6).empty()) << source;
  }
  // ::2 is an ordinary (if odd) unicast address.
  EXPECT_FALSE(
      too_big(ipv6_packet(*IpAddress::parse("::2"), kReceiverV6, kTcp, 1460), 1400, kTunnelV6)
          .empty());
}

TEST(PacketTooBig, RefusesIpv4MulticastAndBroadcastDestinations) {
  for (const char* destination : {"224.0.0.251", "239.1.2.3", "255.255.255.255"}) {
    const auto offending = ipv4_packet({.destination = *IpAddress::parse(destination),
                                        .flags_and_offset = kIpv4DontFragment,
                                        .payload = 1480});
    EXPECT_TRUE(too_big(offending, 1400, kTunnelV4).empty()) << destination;
  }
}

TEST(PacketTooBig, DoesNotAnswerIcmpv4Errors) {
  for (int type : {3, 4, 5, 11, 12}) {
    auto offending = v4_df(1480, kIcmp);
    offending[20] = static_cast<std::byte>(type);
    EXPECT_TRUE(too_big(offending, 1400, kTunnelV4).empty()) << type;
  }
}

TEST(PacketTooBig, DoesNotAnswerIcmpv6Errors) {
  for (int type : {1, 2, 3, 4, 100, 127}) {
    auto offending = v6(1460, kIcmpv6);
    offending[40] = static_cast<std::byte>(type);
    EXPECT_TRUE(too_big(offending, 1400, kTunnelV6).empty()) << type;
  }
}

TEST(PacketTooBig, DoesNotAnswerLaterIpv4Fragments) {
  for (int word : {1, 185, kIpv4MoreFragments | 185}) {
    const auto offending =
        ipv4_packet({.flags_and_offset = static_cast<std::uint16_t>(kIpv4DontFragment | word),
                     .payload = 1480});
    EXPECT_TRUE(too_big(offending, 1400, kTunnelV4).empty()) << word;
  }
}

TEST(PacketTooBig, RefusesPacketsThatFitAndMtusBelowTheFamilyMinimum) {
  EXPECT_TRUE(too_big(v4_df(1480), 1500, kTunnelV4).empty());
  EXPECT_TRUE(too_big(v6(1460), 1500, kTunnelV6).empty());
  EXPECT_TRUE(too_big(v4_df(1480), 67, kTunnelV4).empty());
  EXPECT_FALSE(too_big(v4_df(1480), 68, kTunnelV4).empty());
  EXPECT_TRUE(too_big(v6(1460), 1279, kTunnelV6).empty());
  EXPECT_FALSE(too_big(v6(1460), 1280, kTunnelV6).empty());
}

TEST(PacketTooBig, RefusesAnOutputBufferTooSmallAndWritesNothing) {
  const auto offending = v4_df(1480);
  std::vector<std::byte> out(575, std::byte{0xaa});
  EXPECT_EQ(build_packet_too_big(out, offending, 1400, kTunnelV4), 0u);
  EXPECT_EQ(std::count(out.begin(), out.end(), std::byte{0xaa}), 575);
  out.resize(576);
  EXPECT_EQ(build_packet_too_big(out, offending, 1400, kTunnelV4), 576u);
  const auto offending6 = v6(1460);
  out.resize(1279);
  EXPECT_EQ(build_packet_too_big(out, offending6, 1400, kTunnelV6), 0u);
  out.resize(1280);
  EXPECT_EQ(build_packet_too_big(out, offending6, 1400, kTunnelV6), 1280u);
}

}  // namespace
}  // namespace tandem::packet
