// A site with [fallback]: WireGuard to the other site as the primary path and an [ipsec] ESP
// tunnel to it as the secondary, on the one [interface] device; and every refusal with its
// position.
#include <gtest/gtest.h>

#include <string>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::expect_refusals;
using testing::refusal;
using testing::with;

const std::string kSite = R"([interface]
name = "site0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.88.0.1/32"]

[[peer]]
name = "other site"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
endpoint = "192.0.2.2:51820"
allowed_ips = ["10.88.0.2/32", "10.88.2.0/24"]

[ipsec]
local_address = "192.0.2.1"

[[ipsec.connection]]
name = "other-site"
remote_address = "192.0.2.2"
psk = "a site-to-site pre-shared key"
local_subnets = ["10.88.0.1/32", "10.88.1.0/24"]
remote_subnets = ["10.88.0.0/24", "10.88.2.0/24"]

[fallback]
gateway = "10.88.0.2"
)";

TEST(HybridSiteConfig, AnIpsecTunnelIsTheSecondaryPathOfTheInterfaceDevice) {
  auto r = parse_node_config(kSite, "site.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->hybrid());
  ASSERT_TRUE(r->fallback);
  ASSERT_TRUE(r->ipsec);
  EXPECT_FALSE(r->l2tp);
  // The tunnel has no device of its own: it is a path of [interface]'s, with its MTU.
  EXPECT_EQ(r->ipsec->interface, "site0");
  EXPECT_EQ(r->ipsec->mtu, r->interface->mtu);
  EXPECT_TRUE(r->ipsec->addresses.empty());
  ASSERT_EQ(r->ipsec->connections.size(), 1u);
  EXPECT_TRUE(r->ipsec->connections[0].start);  // it has a remote address: it dials
  EXPECT_EQ(r->fallback->gateway.to_string(), "10.88.0.2");
}

TEST(HybridSiteConfig, RefusesWhatTheInterfaceGives) {
  expect_refusals(kSite,
                  {
                      {"local_address", "interface = \"ipsec0\"\nlocal_address",
                       "n.toml:14:1: with [fallback], [ipsec] is the secondary path of the "
                       "[interface] device, which gives the device, its addresses and its MTU: "
                       "remove interface from [ipsec]"},
                      {"local_address", "mtu = 1400\nlocal_address",
                       "n.toml:14:1: with [fallback], [ipsec] is the secondary path of the "
                       "[interface] device, which gives the device, its addresses and its MTU: "
                       "remove mtu from [ipsec]"},
                      {"local_address", "addresses = [\"10.88.0.1/24\"]\nlocal_address",
                       "n.toml:14:1: with [fallback], [ipsec] is the secondary path of the "
                       "[interface] device, which gives the device, its addresses and its MTU: "
                       "remove addresses from [ipsec]"},
                  });
}

TEST(HybridSiteConfig, RefusesATunnelThatCannotCarryWhatWireGuardCarries) {
  expect_refusals(
      kSite,
      {
          {"local_subnets = [\"10.88.0.1/32\", ", "local_subnets = [",
           "n.toml:20:17: local_subnets must include this node's inner address 10.88.0.1 "
           "([interface] addresses), which both paths carry"},
          {"remote_subnets = [\"10.88.0.0/24\", \"10.88.2.0/24\"]",
           "remote_subnets = [\"10.88.0.0/24\", \"10.88.2.0/25\"]",
           "n.toml:21:18: remote_subnets must cover the [[peer]]'s allowed_ips: 10.88.2.0/24 would "
           "have no path while traffic is on the secondary"},
          {"remote_subnets", "request_address = true\nremote_subnets",
           "n.toml:16:1: with [fallback], the site's inner address is its [interface] address on "
           "both paths: remove request_address"},
      });
}

TEST(HybridSiteConfig, AnOnDemandTunnelMustBeDialledByThisSite) {
  const std::string on_demand =
      with(kSite, "gateway = \"10.88.0.2\"", "gateway = \"10.88.0.2\"\nsecondary = \"on-demand\"");
  auto r = parse_node_config(on_demand, "site.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->fallback->warm_secondary);
  EXPECT_EQ(refusal(with(on_demand, "remote_subnets", "start = false\nremote_subnets")),
            "n.toml:16:1: secondary = \"on-demand\" dials the tunnel when the primary fails: give "
            "this connection remote_address and start = true (the other site may then wait with "
            "start = false)");
}

TEST(HybridSiteConfig, RefusesMoreThanOneTunnelOrBothSecondaries) {
  const std::string second = R"(
[[ipsec.connection]]
name = "third-site"
remote_address = "192.0.2.3"
psk = "another key of some length"
local_subnets = ["10.88.0.1/32"]
remote_subnets = ["10.88.3.0/24"]

[fallback])";
  EXPECT_EQ(refusal(with(kSite, "\n[fallback]", second)),
            "n.toml:23:1: with [fallback], [ipsec] is the one secondary path to the other site: "
            "give exactly one [[ipsec.connection]]");
  const std::string l2tp =
      "[l2tp]\nmode = \"lac\"\nserver = \"192.0.2.2\"\nallow_unencrypted = true\n[[l2tp.session]]\n"
      "user = \"a\"\npassword = \"b\"\n\n[ipsec]";
  EXPECT_EQ(refusal(with(kSite, "[ipsec]", l2tp)),
            "n.toml:21:1: [fallback] takes one secondary path: [l2tp] (L2TP/IPsec to a gateway) "
            "or [ipsec] (an ESP tunnel to another site), not both");
}

TEST(HybridSiteConfig, AGatewayWithAccountsRefusesSiteToSiteConnections) {
  const std::string gateway = R"([interface]
name = "gw0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.77.0.1/24"]

[[account]]
name = "alice"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

[ipsec]
local_address = "192.0.2.1"

[[ipsec.connection]]
name = "s"
psk = "a site-to-site pre-shared key"
local_subnets = ["10.77.0.0/24"]
remote_subnets = ["10.88.0.0/24"]
)";
  // The accounts are the peers of a gateway's [ipsec] (hybrid_ikev2_config_test.cpp).
  EXPECT_EQ(refusal(gateway),
            "n.toml:13:9: beside [[account]], [ipsec] is the gateway's IKEv2 side for road "
            "warriors: the [interface] device carries it, the accounts give the addresses and are "
            "the peers (ike_id, ike_psk); remove [[ipsec.connection]] from [ipsec]");
}

}  // namespace
}  // namespace tandem::control
