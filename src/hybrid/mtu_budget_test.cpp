// The MTU budget against figures worked out by hand from the header sizes (each test shows the
// sum), for every stack, both underlay families, each ESP suite, and underlays from 1280 to 9000.
#include "hybrid/mtu_budget.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace tandem::hybrid {
namespace {

std::size_t inner_mtu(StackKind kind, std::size_t underlay,
                      IpAddress::Family family = IpAddress::Family::kV4,
                      EspSuite esp = EspSuite::kAesGcm16) {
  auto b = mtu_budget({kind, family, esp, true}, underlay);
  EXPECT_TRUE(b) << (b ? "" : b.error());
  return b ? b->inner_mtu : 0;
}

TEST(MtuBudget, WireGuardLeavesSixtyBytesOverIpv4AndEightyOverIpv6) {
  // 20 IP + 8 UDP + 16 header + 16 tag; IPv6: 40 IP.
  EXPECT_EQ(inner_mtu(StackKind::kWireguard, 1500), 1440u);
  EXPECT_EQ(inner_mtu(StackKind::kWireguard, 1500, IpAddress::Family::kV6), 1420u);
  EXPECT_EQ(inner_mtu(StackKind::kWireguard, 1280, IpAddress::Family::kV6), 1200u);
  EXPECT_EQ(inner_mtu(StackKind::kWireguard, 9000), 8940u);
}

TEST(MtuBudget, L2tpIpsecDependsOnTheEspSuitesIvIcvAndBlock) {
  // Inner n becomes the ESP payload n + 4 PPP + 6 L2TP + 8 UDP = n + 18, padded with the 2-byte
  // trailer to the block; around it 20 IP + 8 UDP + 8 ESP + IV, and the ICV behind.
  // GCM: 36 + 8 + roundup4(n + 20) + 16 <= 1500  ->  n + 20 <= 1440  ->  1420.
  EXPECT_EQ(inner_mtu(StackKind::kL2tpIpsec, 1500), 1420u);
  // AES-CBC, HMAC-SHA1-96: 36 + 16 + roundup16(n + 20) + 12 <= 1500  ->  roundup16 <= 1436,
  // so at most 1424  ->  1404.
  EXPECT_EQ(inner_mtu(StackKind::kL2tpIpsec, 1500, IpAddress::Family::kV4, EspSuite::kAesCbcSha1),
            1404u);
  // HMAC-SHA-256-128: ICV 16  ->  roundup16 <= 1432  ->  1424  ->  1404 as well.
  EXPECT_EQ(inner_mtu(StackKind::kL2tpIpsec, 1500, IpAddress::Family::kV4, EspSuite::kAesCbcSha256),
            1404u);
  // 3DES, SHA1-96: IV 8, block 8: 36 + 8 + roundup8(n + 20) + 12 <= 1500  ->  1440  ->  1420.
  EXPECT_EQ(
      inner_mtu(StackKind::kL2tpIpsec, 1500, IpAddress::Family::kV4, EspSuite::kTripleDesSha1),
      1420u);
  // Plain L2TP: 20 IP + 8 UDP + 6 L2TP + 4 PPP.
  EXPECT_EQ(inner_mtu(StackKind::kL2tp, 1500), 1462u);
}

TEST(MtuBudget, AnEspTunnelCarriesTheInnerPacketAsItsPayload) {
  // 20 IP + 8 UDP + 8 ESP + 8 IV + roundup4(n + 2) + 16 <= 1500  ->  n + 2 <= 1440  ->  1438.
  EXPECT_EQ(inner_mtu(StackKind::kIpsecTunnel, 1500), 1438u);
  // Without NAT-T framing, 8 bytes more.
  auto raw = mtu_budget(
      {StackKind::kIpsecTunnel, IpAddress::Family::kV4, EspSuite::kAesGcm16, false}, 1500);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->inner_mtu, 1446u);
}

TEST(MtuBudget, NestingAddsTheLayers) {
  // WireGuard inside L2TP/IPsec: L2TP/IPsec carries 1420, WireGuard over that IPv4 needs 60.
  EXPECT_EQ(inner_mtu(StackKind::kWireguardInL2tpIpsec, 1500), 1360u);
  // L2TP/IPsec inside WireGuard: WireGuard carries 1440 (IPv4 underlay), 1420 (IPv6); then
  // L2TP/IPsec with its own IPv4: 36 + 8 + roundup4(n + 20) + 16 <= 1440  ->  1360.
  EXPECT_EQ(inner_mtu(StackKind::kL2tpIpsecInWireguard, 1500), 1360u);
  EXPECT_EQ(inner_mtu(StackKind::kL2tpIpsecInWireguard, 1500, IpAddress::Family::kV6), 1340u);
}

TEST(MtuBudget, TheLayersSumToTheOverheadOutermostFirst) {
  auto b = mtu_budget(
      {StackKind::kWireguardInL2tpIpsec, IpAddress::Family::kV4, EspSuite::kAesCbcSha1, true},
      1500);
  ASSERT_TRUE(b);
  ASSERT_FALSE(b->layers.empty());
  const std::size_t sum =
      std::accumulate(b->layers.begin(), b->layers.end(), std::size_t{0},
                      [](std::size_t s, const LayerCost& l) { return s + l.bytes; });
  EXPECT_EQ(b->inner_mtu + sum, b->outer_size);
  EXPECT_LE(b->outer_size, 1500u);
  EXPECT_EQ(b->layers.front().name, "IPv4 header");
  EXPECT_EQ(b->layers[1].name, "UDP (ESP in UDP, port 4500)");
  EXPECT_EQ(b->layers.back().name, "WireGuard tag");
  // One byte more would not fit.
  EXPECT_GT(outer_size({StackKind::kWireguardInL2tpIpsec, IpAddress::Family::kV4,
                        EspSuite::kAesCbcSha1, true},
                       b->inner_mtu + 1),
            1500u);
}

TEST(MtuBudget, EveryStackFitsEveryUnderlayFrom1280To9000) {
  for (StackKind kind :
       {StackKind::kWireguard, StackKind::kL2tp, StackKind::kL2tpIpsec, StackKind::kIpsecTunnel,
        StackKind::kWireguardInL2tpIpsec, StackKind::kL2tpIpsecInWireguard})
    for (std::size_t underlay = 1280; underlay <= 9000; underlay += 7) {
      const StackSpec spec{kind, IpAddress::Family::kV4, EspSuite::kAesCbcSha1, true};
      auto b = mtu_budget(spec, underlay);
      ASSERT_TRUE(b) << stack_name(kind) << " " << underlay;
      EXPECT_LE(outer_size(spec, b->inner_mtu), underlay);
      EXPECT_GT(outer_size(spec, b->inner_mtu + 1), underlay);
    }
}

TEST(MtuBudget, RefusesWhatCannotBe) {
  EXPECT_FALSE(mtu_budget({StackKind::kWireguard}, 100));
  EXPECT_FALSE(mtu_budget({StackKind::kWireguard}, 70000));
  auto v6 = mtu_budget({StackKind::kL2tpIpsec, IpAddress::Family::kV6}, 1500);
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error(), "l2tp-ipsec runs over IPv4 only (Tandem's L2TP/IPsec and ESP tunnels)");
}

TEST(MtuBudget, NamesParseBack) {
  for (StackKind kind :
       {StackKind::kWireguard, StackKind::kL2tp, StackKind::kL2tpIpsec, StackKind::kIpsecTunnel,
        StackKind::kWireguardInL2tpIpsec, StackKind::kL2tpIpsecInWireguard})
    EXPECT_EQ(parse_stack(stack_name(kind)), kind);
  for (EspSuite s : {EspSuite::kAesGcm16, EspSuite::kAesCbcSha1, EspSuite::kAesCbcSha256,
                     EspSuite::kTripleDesSha1})
    EXPECT_EQ(parse_esp_suite(esp_suite_name(s)), s);
  EXPECT_FALSE(parse_stack("gre"));
}

}  // namespace
}  // namespace tandem::hybrid
