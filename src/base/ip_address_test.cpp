#include "base/ip_address.hpp"

#include <gtest/gtest.h>

#include <array>

namespace tandem {
namespace {

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  EXPECT_EQ(IpAddress::parse("10.1.2.3")->to_string(), "10.1.2.3");
  EXPECT_EQ(IpAddress::parse("fd00::1")->to_string(), "fd00::1");
  EXPECT_TRUE(IpAddress::parse("fd00::1")->is_v6());
  EXPECT_FALSE(IpAddress::parse("10.1.2"));
  EXPECT_FALSE(IpAddress::parse("hello"));
}

TEST(IpPrefix, ClearsHostBitsLikeWg) {
  EXPECT_EQ(IpPrefix::parse("10.1.2.3/8")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(IpPrefix::parse("fd00::1:2/100")->to_string(), "fd00::/100");
  EXPECT_EQ(IpPrefix::parse("10.1.2.3")->to_string(), "10.1.2.3/32");
}

TEST(IpPrefix, LastIsTheHighestAddressInside) {
  EXPECT_EQ(IpPrefix::parse("10.1.0.0/16")->last(), *IpAddress::parse("10.1.255.255"));
  EXPECT_EQ(IpPrefix::parse("10.1.2.3/32")->last(), *IpAddress::parse("10.1.2.3"));
  EXPECT_EQ(IpPrefix::parse("0.0.0.0/0")->last(), *IpAddress::parse("255.255.255.255"));
  EXPECT_EQ(IpPrefix::parse("192.168.0.0/20")->last(), *IpAddress::parse("192.168.15.255"));
  EXPECT_EQ(IpPrefix::parse("fd88::/64")->last(), *IpAddress::parse("fd88::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(IpPrefix::parse("::/0")->last(),
            *IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(IpPrefix::parse("fd00::1/128")->last(), *IpAddress::parse("fd00::1"));
}

TEST(IpPrefix, ContainsAnAddressAsItStandsInAHeader) {
  const auto bytes = [](const char* text) {
    const IpAddress a = *IpAddress::parse(text);
    std::array<std::byte, 16> b{};
    for (std::size_t i = 0; i < a.size(); ++i) b[i] = std::byte{a.data()[i]};
    return b;
  };
  const IpPrefix lab = *IpPrefix::parse("10.0.0.16/28");
  EXPECT_TRUE(lab.contains(IpAddress::Family::kV4, bytes("10.0.0.17").data()));
  EXPECT_FALSE(lab.contains(IpAddress::Family::kV4, bytes("10.0.0.32").data()));
  EXPECT_FALSE(lab.contains(IpAddress::Family::kV6, bytes("::").data()));
  EXPECT_EQ(IpAddress::from_bytes(bytes("10.0.0.17").data(), IpAddress::Family::kV4),
            *IpAddress::parse("10.0.0.17"));
  EXPECT_EQ(IpAddress::from_bytes(bytes("fd00::9").data(), IpAddress::Family::kV6),
            *IpAddress::parse("fd00::9"));
}

TEST(IpPrefix, RejectsBadLengths) {
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/8x"));
  EXPECT_FALSE(IpPrefix::parse("fd00::/129"));
}

TEST(IpPrefix, ContainsRespectsPartialBytes) {
  auto p = *IpPrefix::parse("10.0.0.128/25");
  EXPECT_TRUE(p.contains(*IpAddress::parse("10.0.0.200")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("10.0.0.127")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("::1")));
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("1.2.3.4")));
}

TEST(Endpoint, ParsesBracketedIpv6AndRejectsBareIpv6) {
  auto e = Endpoint::parse("[fd00::2]:51820");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 51820);
  EXPECT_EQ(e->to_string(), "[fd00::2]:51820");
  EXPECT_EQ(Endpoint::parse("192.0.2.1:1")->to_string(), "192.0.2.1:1");
  EXPECT_FALSE(Endpoint::parse("fd00::2:51820"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4:65536"));
  EXPECT_FALSE(Endpoint::parse("1.2.3.4"));
}

TEST(IpAddress, ConvertsIpv4ToAndFromHostOrderIntegers) {
  const auto a = *IpAddress::parse("10.1.2.3");
  EXPECT_EQ(a.v4_u32(), 0x0a010203u);
  EXPECT_EQ(IpAddress::v4_from_u32(0x0a010203u), a);
  EXPECT_EQ(IpAddress::parse("255.255.255.255")->v4_u32(), 0xffffffffu);
  EXPECT_EQ(IpAddress::parse("fd00::1")->v4_u32(), 0u);
}

}  // namespace
}  // namespace tandem
