#include "packet/icmp_echo.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

const std::array<std::byte, 4> kTag{std::byte{0xde}, std::byte{0xad}, std::byte{0xbe},
                                    std::byte{0xef}};

std::vector<std::byte> echo(IcmpEchoKind kind, const char* from, const char* to, std::size_t size) {
  std::vector<std::byte> out(2048, std::byte{0x77});
  out.resize(build_icmp_echo(out, kind, ip(from), ip(to), 0x1234, 0x0102, kTag, size));
  return out;
}

TEST(IcmpEcho, AnIpv4RequestHasExactlyTheSizeAskedWithDfAndChecksumsThatHold) {
  for (const std::size_t size : {std::size_t{38}, std::size_t{1280}, std::size_t{1341}}) {
    const auto packet = echo(IcmpEchoKind::kRequest, "10.0.0.1", "10.0.0.2", size);
    ASSERT_EQ(packet.size(), size);
    EXPECT_EQ(load_be16(packet.data() + 2), size) << "the IP total length";
    EXPECT_EQ(std::to_integer<int>(packet[6]) & 0x40, 0x40) << "DF";
    EXPECT_EQ(std::to_integer<int>(packet[9]), 1) << "ICMP";
    EXPECT_EQ(internet_checksum(ByteView(packet).first(20)), 0) << "the header checksum";
    EXPECT_EQ(internet_checksum(ByteView(packet).subspan(20)), 0) << "the ICMP checksum";
    EXPECT_EQ(std::to_integer<int>(packet[20]), 8) << "echo request";
    EXPECT_EQ(packet.back(), size > 32 ? std::byte{0} : std::byte{0xef}) << "zero filler";
  }
}

TEST(IcmpEcho, AnIpv6RequestHasExactlyTheSizeAskedAndItsPseudoHeaderChecksum) {
  const auto packet = echo(IcmpEchoKind::kRequest, "fd00::1", "fd00::2", 1280);
  ASSERT_EQ(packet.size(), 1280u);
  EXPECT_EQ(load_be16(packet.data() + 4), 1280u - 40) << "the payload length";
  EXPECT_EQ(std::to_integer<int>(packet[6]), 58) << "ICMPv6";
  EXPECT_EQ(std::to_integer<int>(packet[40]), 128) << "echo request";
  EXPECT_EQ(pseudo_header_checksum(ip("fd00::1"), ip("fd00::2"), 58, ByteView(packet).subspan(40)),
            0);
}

TEST(IcmpEcho, ParsesWhatItBuiltBothKindsBothFamilies) {
  for (const auto kind : {IcmpEchoKind::kRequest, IcmpEchoKind::kReply})
    for (const auto& [from, to] : {std::pair{"10.0.0.1", "10.0.0.2"}, {"fd00::1", "fd00::2"}}) {
      const auto packet = echo(kind, from, to, 1300);
      const auto parsed = parse_icmp_echo(packet);
      ASSERT_TRUE(parsed) << from;
      EXPECT_EQ(parsed->kind, kind);
      EXPECT_EQ(parsed->source, ip(from));
      EXPECT_EQ(parsed->destination, ip(to));
      EXPECT_EQ(parsed->identifier, 0x1234);
      EXPECT_EQ(parsed->sequence, 0x0102);
      EXPECT_EQ(parsed->packet_size, 1300u);
      ASSERT_EQ(parsed->data.size(), 1300u - icmp_echo_headers_size(ip(from).family()));
      EXPECT_TRUE(std::equal(kTag.begin(), kTag.end(), parsed->data.begin()));
    }
}

TEST(IcmpEcho, RefusesSizesItCannotMake) {
  std::vector<std::byte> out(2048);
  EXPECT_EQ(
      build_icmp_echo(out, IcmpEchoKind::kRequest, ip("10.0.0.1"), ip("10.0.0.2"), 1, 1, kTag, 31),
      0u)
      << "smaller than the headers and the data";
  EXPECT_EQ(build_icmp_echo(out, IcmpEchoKind::kRequest, ip("10.0.0.1"), ip("10.0.0.2"), 1, 1, kTag,
                            2049),
            0u)
      << "larger than the buffer";
  EXPECT_EQ(
      build_icmp_echo(out, IcmpEchoKind::kRequest, ip("10.0.0.1"), ip("fd00::2"), 1, 1, kTag, 1280),
      0u)
      << "two families";
}

TEST(IcmpEcho, ACorruptedEchoOrAnotherMessageIsNone) {
  auto packet = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  packet[60] ^= std::byte{1};
  EXPECT_FALSE(parse_icmp_echo(packet)) << "the ICMP checksum fails";
  auto v6 = echo(IcmpEchoKind::kReply, "fd00::1", "fd00::2", 100);
  v6[8] ^= std::byte{1};
  EXPECT_FALSE(parse_icmp_echo(v6)) << "another source fails the pseudo-header checksum";
  auto header = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  header[8] = std::byte{1};
  EXPECT_FALSE(parse_icmp_echo(header)) << "the IPv4 header checksum fails";
  auto fragment = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  store_be16(fragment.data() + 6, kIpv4MoreFragments);
  store_be16(fragment.data() + 10, 0);
  store_be16(fragment.data() + 10, internet_checksum(ByteView(fragment).first(20)));
  EXPECT_FALSE(parse_icmp_echo(fragment)) << "a fragment";
  auto unreachable = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  unreachable[20] = std::byte{3};
  store_be16(unreachable.data() + 22, 0);
  store_be16(unreachable.data() + 22, internet_checksum(ByteView(unreachable).subspan(20)));
  EXPECT_FALSE(parse_icmp_echo(unreachable)) << "destination unreachable";
  EXPECT_FALSE(parse_icmp_echo(ByteView(packet).first(27))) << "cut short";
}

TEST(IcmpEcho, TellsAnEchoReplyByItsFirstBytes) {
  EXPECT_TRUE(is_icmp_echo_reply(echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100)));
  EXPECT_TRUE(is_icmp_echo_reply(echo(IcmpEchoKind::kReply, "fd00::1", "fd00::2", 100)));
  EXPECT_FALSE(is_icmp_echo_reply(echo(IcmpEchoKind::kRequest, "10.0.0.1", "10.0.0.2", 100)));
  EXPECT_FALSE(is_icmp_echo_reply(echo(IcmpEchoKind::kRequest, "fd00::1", "fd00::2", 100)));
  auto udp = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  udp[9] = std::byte{17};
  EXPECT_FALSE(is_icmp_echo_reply(udp));
  auto later = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  store_be16(later.data() + 6, 10);  // a later fragment: its first byte is no ICMP type
  EXPECT_FALSE(is_icmp_echo_reply(later));
  EXPECT_FALSE(is_icmp_echo_reply(ByteView(udp).first(20)));
  EXPECT_FALSE(is_icmp_echo_reply({}));
}

TEST(IcmpEcho, TrailingBytesAfterTheStatedLengthAreNotData) {
  auto packet = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 100);
  packet.resize(140, std::byte{0x55});
  const auto parsed = parse_icmp_echo(packet);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->packet_size, 100u);
  EXPECT_EQ(parsed->data.size(), 100u - 28);
}

}  // namespace
}  // namespace tandem::packet
