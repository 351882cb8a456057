// The device MTU of a nested stack, against sums worked out here from the header sizes.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "daemon/nested_interface.hpp"
#include "ipsec/ike/v1/proposal.hpp"

namespace tandem::daemon {
namespace {

control::NodeConfig stack(hybrid::PathKind outer, bool l2tp, unsigned wireguard_mtu,
                          unsigned inner_mtu) {
  control::NodeConfig c;
  c.interface.emplace();
  c.interface->mtu = wireguard_mtu;
  if (l2tp) {
    c.l2tp.emplace();
    c.l2tp->ipsec.emplace();  // the default ESP proposals
    c.l2tp->mtu = inner_mtu;
    c.l2tp->mtu_given = true;
  } else {
    c.ipsec.emplace();
    c.ipsec->mtu = inner_mtu;
  }
  c.nesting = control::NestingSettings{outer};
  return c;
}

TEST(NestedMtu, WireguardInsideTakesItsLayersFromTheOuterPath) {
  // IPv4 20 + UDP 8 + WireGuard's data header 16 and tag 16.
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kL2tpIpsec, true, 1420, 1400), 1420), 1400u - 60u);
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kIpsecTunnel, false, 1420, 1438), 1420),
            1438u - 60u);
  // Never more than WireGuard's own [interface] mtu.
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kL2tpIpsec, true, 1280, 1400), 1280), 1280u);
}

TEST(NestedMtu, L2tpIpsecInsideWireguardTakesTheCostliestSuite) {
  // Inside WireGuard's 1440: IPv4 20, UDP 4500 8, ESP 8, then the suite's IV and ICV, padding to
  // its block (with the 2 trailer bytes), then UDP 1701 8, L2TP 6, PPP 4.
  const auto inner = [](std::size_t iv, std::size_t icv, std::size_t block) {
    return (1440 - 20 - 8 - 8 - iv - icv) / block * block - 2 - 8 - 6 - 4;
  };
  const std::size_t gcm = inner(8, 16, 4);
  const std::size_t cbc_sha1 = inner(16, 12, 16);
  const std::size_t cbc_sha256 = inner(16, 16, 16);
  // The default proposals include AES-CBC with HMAC-SHA-256-128, whose 16-byte ICV costs a
  // whole block more than SHA-1's here.
  EXPECT_LT(cbc_sha256, cbc_sha1);
  EXPECT_LT(cbc_sha256, gcm);
  control::NodeConfig c = stack(hybrid::PathKind::kWireguard, true, 1440, 1400);
  c.l2tp->mtu_given = false;
  EXPECT_EQ(nested_mtu(c, 1440), cbc_sha256);
  // Only what esp_proposals allows.
  c.l2tp->ipsec->esp_proposals = {{ipsec::ike::v1::kEspAesGcm16, 256, 0, 0}};
  EXPECT_EQ(nested_mtu(c, 1440), gcm);
  // The inner section's own mtu when the file gives a smaller one.
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kWireguard, true, 1440, 1280), 1440), 1280u);
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kWireguard, true, 1440, 1400), 1440), cbc_sha256);
}

TEST(NestedMtu, AnEspTunnelInsideWireguard) {
  // ESP tunnel mode: no inner UDP, L2TP or PPP; the costliest suite Tandem offers: AES-CBC with
  // HMAC-SHA-256-128 (IKEv2's default besides AES-GCM).
  const std::size_t cbc_sha256 = (1440 - 20 - 8 - 8 - 16 - 16) / 16 * 16 - 2;
  const std::size_t gcm = (1440 - 20 - 8 - 8 - 8 - 16) / 4 * 4 - 2;
  EXPECT_LT(cbc_sha256, gcm);
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kWireguard, false, 1440, 1440), 1440), cbc_sha256);
}

TEST(NestedMtu, AnOuterL2tpSessionIsSizedFromThePathWhenTheFileGivesNoMtu) {
  control::NodeConfig c = stack(hybrid::PathKind::kL2tpIpsec, true, 1420, 1400);
  EXPECT_EQ(with_outer_l2tp_mtu(c, std::nullopt).l2tp->mtu, 1400u);  // given: kept
  c.l2tp->mtu_given = false;
  c.l2tp->role = control::L2tpRole::kLac;
  c.l2tp->ipsec->esp_proposals = {{ipsec::ike::v1::kEspAesGcm16, 256, 0, 0}};
  std::string why;
  // A server not resolved: an Ethernet underlay, AES-GCM: 1420 (L2tpMtu's tests); WireGuard
  // inside it adds IPv4 20, UDP 8 and its 32.
  const control::NodeConfig sized = with_outer_l2tp_mtu(c, std::nullopt, &why);
  EXPECT_EQ(sized.l2tp->mtu, 1420u);
  EXPECT_TRUE(sized.l2tp->mtu_given);
  EXPECT_NE(why.find("not resolved"), std::string::npos) << why;
  EXPECT_EQ(nested_mtu(sized, 9000), 1420u - 60u);
}

}  // namespace
}  // namespace tandem::daemon
