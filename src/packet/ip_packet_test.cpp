#include "packet/ip_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::packet {
namespace {

std::vector<std::byte> ipv4_packet(std::size_t total, std::size_t buffer) {
  std::vector<std::byte> p(buffer);
  p[0] = std::byte{0x45};
  store_be16(p.data() + 2, static_cast<std::uint16_t>(total));
  p[12] = std::byte{10};
  p[15] = std::byte{1};
  p[16] = std::byte{10};
  p[19] = std::byte{2};
  return p;
}

TEST(IpPacket, ParsesIpv4AddressesAndLength) {
  auto p = ipv4_packet(28, 32);  // 4 bytes of padding after the packet
  auto h = parse_ip_header(p);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->family, IpAddress::Family::kV4);
  EXPECT_EQ(h->total_length, 28u);
  EXPECT_EQ(h->source, p.data() + 12);
  EXPECT_EQ(h->destination, p.data() + 16);
}

TEST(IpPacket, RejectsIpv4LengthBeyondBuffer) {
  auto p = ipv4_packet(60, 40);
  EXPECT_FALSE(parse_ip_header(p));
}

TEST(IpPacket, RejectsIpv4HeaderLengthBelowMinimum) {
  auto p = ipv4_packet(28, 28);
  p[0] = std::byte{0x44};
  EXPECT_FALSE(parse_ip_header(p));
}

TEST(IpPacket, ParsesIpv6PayloadLength) {
  std::vector<std::byte> p(48 + 8);
  p[0] = std::byte{0x60};
  store_be16(p.data() + 4, 8);
  auto h = parse_ip_header(p);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->family, IpAddress::Family::kV6);
  EXPECT_EQ(h->total_length, 48u);
  EXPECT_EQ(h->destination, p.data() + 24);
}

TEST(IpPacket, RejectsOtherVersionsAndTruncatedHeaders) {
  std::vector<std::byte> p(40);
  p[0] = std::byte{0x50};
  EXPECT_FALSE(parse_ip_header(p));
  p[0] = std::byte{0x60};
  EXPECT_FALSE(parse_ip_header(std::span(p).first(39)));
  EXPECT_FALSE(parse_ip_header({}));
}

}  // namespace
}  // namespace tandem::packet
