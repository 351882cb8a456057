#include "packet/icmp_echo.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"
#include "packet/ipv4_fragment.hpp"

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

// A host answers a request larger than its device's MTU in fragments: the first holds the echo
// header and the start of the data (where a probe's tag is), the rest only an identification.
TEST(IcmpEchoFragment, AnIpv4ReplyCutByTheKernelsFragmenterIsKnownByItsPieces) {
  auto reply = echo(IcmpEchoKind::kReply, "10.0.0.1", "10.0.0.2", 1420);
  store_be16(reply.data() + 4, 0x4321);  // identification
  store_be16(reply.data() + 6, 0);       // no DF: the kernel may fragment it
  store_be16(reply.data() + 10, 0);
  store_be16(reply.data() + 10, internet_checksum(ByteView(reply).first(20)));
  EXPECT_FALSE(parse_icmp_echo_fragment(reply)) << "whole: not a fragment";
  std::array<std::array<std::byte, 2048>, 2> slots{};
  const std::array<MutableByteView, 2> out{MutableByteView(slots[0]), MutableByteView(slots[1])};
  std::array<std::size_t, 2> lengths{};
  ASSERT_EQ(fragment_ipv4(reply, 1340, out, lengths), 2u);
  const auto first = parse_icmp_echo_fragment(ByteView(slots[0].data(), lengths[0]));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->first);
  EXPECT_EQ(first->kind, IcmpEchoKind::kReply);
  EXPECT_EQ(first->source, ip("10.0.0.1"));
  EXPECT_EQ(first->destination, ip("10.0.0.2"));
  EXPECT_EQ(first->identification, 0x4321u);
  EXPECT_EQ(first->identifier, 0x1234);
  EXPECT_EQ(first->sequence, 0x0102);
  ASSERT_GE(first->data.size(), kTag.size());
  EXPECT_TRUE(std::equal(kTag.begin(), kTag.end(), first->data.begin()));
  const auto second = parse_icmp_echo_fragment(ByteView(slots[1].data(), lengths[1]));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->first);
  EXPECT_EQ(second->identification, 0x4321u);
  EXPECT_TRUE(second->data.empty());
}

TEST(IcmpEchoFragment, AnIpv6FirstFragmentAndALaterOne) {
  const auto whole = echo(IcmpEchoKind::kReply, "fd00::1", "fd00::2", 200);
  // The first piece: the fixed header, a Fragment header (offset 0, M set, id 0x01020304), and
  // the start of the ICMPv6 message.
  std::vector<std::byte> first(whole.begin(), whole.begin() + 40);
  first[6] = std::byte{44};
  const std::array<std::byte, 8> fragment_header{std::byte{58}, std::byte{0}, std::byte{0},
                                                 std::byte{1},  std::byte{1}, std::byte{2},
                                                 std::byte{3},  std::byte{4}};
  first.insert(first.end(), fragment_header.begin(), fragment_header.end());
  first.insert(first.end(), whole.begin() + 40, whole.begin() + 40 + 64);
  store_be16(first.data() + 4, static_cast<std::uint16_t>(first.size() - 40));
  const auto parsed = parse_icmp_echo_fragment(first);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->first);
  EXPECT_EQ(parsed->identification, 0x01020304u);
  EXPECT_EQ(parsed->kind, IcmpEchoKind::kReply);
  EXPECT_EQ(parsed->identifier, 0x1234);
  EXPECT_EQ(parsed->data.size(), 64u - 8);

  auto later = first;
  store_be16(later.data() + 42, (8 << 3) | 0);  // offset 64, the last piece
  const auto rest = parse_icmp_echo_fragment(later);
  ASSERT_TRUE(rest);
  EXPECT_FALSE(rest->first);
  EXPECT_EQ(rest->identification, 0x01020304u);

  auto atomic = first;
  store_be16(atomic.data() + 42, 0);  // offset 0 and no M: a whole packet in a fragment header
  EXPECT_FALSE(parse_icmp_echo_fragment(atomic));
  auto udp = first;
  udp[40] = std::byte{17};
  EXPECT_FALSE(parse_icmp_echo_fragment(udp)) << "not ICMPv6 behind the fragment header";
  EXPECT_FALSE(parse_icmp_echo_fragment(ByteView(first).first(52))) << "echo header cut";
}

}  // namespace
}  // namespace tandem::packet
