// The device MTU of a nested stack, against sums worked out here from the header sizes.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "daemon/nested_interface.hpp"

namespace tandem::daemon {
namespace {

control::NodeConfig stack(hybrid::PathKind outer, bool l2tp, unsigned wireguard_mtu,
                          unsigned inner_mtu) {
  control::NodeConfig c;
  c.interface.emplace();
  c.interface->mtu = wireguard_mtu;
  if (l2tp) {
    c.l2tp.emplace();
    c.l2tp->mtu = inner_mtu;
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

TEST(NestedMtu, L2tpIpsecInsideWireguardTakesTheCostlierSuite) {
  // Inside WireGuard's 1420: IPv4 20, UDP 4500 8, ESP 8, and AES-CBC's 16-byte IV, 12-byte ICV
  // and padding to 16 (with its 2 trailer bytes), then UDP 1701 8, L2TP 6, PPP 4.
  const std::size_t cbc = (1420 - 20 - 8 - 8 - 16 - 12) / 16 * 16 - 2 - 8 - 6 - 4;
  // AES-GCM: an 8-byte IV, a 16-byte ICV, 4-byte alignment.
  const std::size_t gcm = (1420 - 20 - 8 - 8 - 8 - 16) / 4 * 4 - 2 - 8 - 6 - 4;
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kWireguard, true, 1420, 1400), 1420),
            std::min(cbc, gcm));
  // The inner section's own mtu when it is smaller.
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kWireguard, true, 1420, 1280), 1420), 1280u);
}

TEST(NestedMtu, AnEspTunnelInsideWireguard) {
  // ESP tunnel mode: no inner UDP, L2TP or PPP; the same ESP costs.
  const std::size_t cbc = (1420 - 20 - 8 - 8 - 16 - 12) / 16 * 16 - 2;
  const std::size_t gcm = (1420 - 20 - 8 - 8 - 8 - 16) / 4 * 4 - 2;
  EXPECT_EQ(nested_mtu(stack(hybrid::PathKind::kWireguard, false, 1420, 1500), 1420),
            std::min(cbc, gcm));
}

}  // namespace
}  // namespace tandem::daemon
