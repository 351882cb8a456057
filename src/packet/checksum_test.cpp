// Known answers for the Internet checksum and the UDP checksum over IPv4 and IPv6. Every expected
// value was computed independently with a few lines of Python 3 (struct.unpack of the bytes as
// big-endian 16-bit words, summed, carries folded, complemented; the pseudo-header packed as
// RFC 768 and RFC 8200 section 8.1 draw it), not with the code under test.
#include "packet/checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "base/test_bytes.hpp"

namespace tandem::packet {
namespace {

using testing::bytes;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

std::vector<std::byte> udp_segment(std::uint16_t source_port, std::uint16_t destination_port,
                                   std::string_view payload) {
  std::vector<std::byte> udp(8 + payload.size());
  store_be16(udp.data(), source_port);
  store_be16(udp.data() + 2, destination_port);
  store_be16(udp.data() + 4, static_cast<std::uint16_t>(udp.size()));
  const ByteView p = as_bytes(payload);
  std::copy(p.begin(), p.end(), udp.begin() + 8);
  return udp;
}

TEST(Checksum, MatchesTheRfc1071Example) {
  // RFC 1071 section 3: these bytes sum to 0xddf2, whose complement is the checksum.
  EXPECT_EQ(internet_checksum(bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7})), 0x220d);
}

TEST(Checksum, MatchesARealIpv4Header) {
  // 192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64, total length 115; it carried 0xb861.
  auto header = bytes({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                       0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
  EXPECT_EQ(internet_checksum(header), 0xb861);
  store_be16(header.data() + 10, 0xb861);
  EXPECT_EQ(internet_checksum(header), 0) << "a header with its checksum in place sums to zero";
}

TEST(Checksum, PadsAnOddTrailingByteWithZero) {
  EXPECT_EQ(internet_checksum(bytes({0x01})), 0xfeff);
  EXPECT_EQ(internet_checksum(bytes({0x00, 0x01, 0xf2})), 0x0dfe);
}

TEST(Checksum, OfNothingIsAllOnes) {
  EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(Checksum, UdpOverIpv4IncludesThePseudoHeader) {
  const auto even = udp_segment(12345, 7, "hello!");
  EXPECT_EQ(udp_checksum(ip("192.0.2.1"), ip("198.51.100.2"), even), 0x9f67);
  const auto odd = udp_segment(12345, 7, "hello");
  EXPECT_EQ(udp_checksum(ip("192.0.2.1"), ip("198.51.100.2"), odd), 0x9f8a);
}

TEST(Checksum, UdpOverIpv6IncludesThePseudoHeader) {
  const auto even = udp_segment(5353, 7, "hello!");
  EXPECT_EQ(udp_checksum(ip("2001:db8::1"), ip("2001:db8::2"), even), 0x4b7a);
  const auto odd = udp_segment(5353, 7, "hello");
  EXPECT_EQ(udp_checksum(ip("2001:db8::1"), ip("2001:db8::2"), odd), 0x4b9d);
}

TEST(Checksum, UdpChecksumDependsOnTheAddresses) {
  const auto udp = udp_segment(12345, 7, "hello");
  EXPECT_NE(udp_checksum(ip("192.0.2.1"), ip("198.51.100.3"), udp), 0x9f8a);
}

TEST(Checksum, AComputedZeroUdpChecksumIsSentAsAllOnes) {
  // The two payload bytes 0xe7e8 make this datagram's one's-complement sum 0xffff.
  auto udp = udp_segment(1000, 7, "..");
  udp[8] = std::byte{0xe7};
  udp[9] = std::byte{0xe8};
  EXPECT_EQ(udp_checksum(ip("10.0.0.1"), ip("10.0.0.2"), udp), 0xffff);
}

TEST(Checksum, AUdpDatagramCarryingItsChecksumSumsToAllOnes) {
  // How receivers verify (RFC 1071 section 1): summing with the checksum in place gives 0xffff,
  // whose complement 0 udp_checksum reports as 0xffff.
  auto udp = udp_segment(5353, 7, "hello");
  store_be16(udp.data() + 6, udp_checksum(ip("2001:db8::1"), ip("2001:db8::2"), udp));
  EXPECT_EQ(udp_checksum(ip("2001:db8::1"), ip("2001:db8::2"), udp), 0xffff);
  udp[8] ^= std::byte{0x01};
  EXPECT_NE(udp_checksum(ip("2001:db8::1"), ip("2001:db8::2"), udp), 0xffff);
}

}  // namespace
}  // namespace tandem::packet
