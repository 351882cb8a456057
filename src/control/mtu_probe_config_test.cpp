// [interface] mtu_probe_interval and [[peer]] mtu_probe_target, a gateway's [accounts]
// mtu_probing and [[account]] mtu_probe_target: read, rendered back, and refused with the cause
// and the fix when the probes could not work.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::refusal;
using testing::with;

// Line 12 is the peer's last line; a target added there stands on line 13, its value at column 20.
const std::string kNode = R"([interface]
name = "tdm0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.0.0.1/24"]
mtu = 1420

[[peer]]
name = "far"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
endpoint = "192.0.2.1:51820"
allowed_ips = ["10.0.0.2/32", "fd00::/64"]
persistent_keepalive = 25
)";

std::string target(const std::string& address) {
  return with(kNode, "persistent_keepalive = 25\n",
              "persistent_keepalive = 25\nmtu_probe_target = \"" + address + "\"\n");
}

TEST(MtuProbeConfig, NoTargetAndTheDefaultIntervalUnlessGiven) {
  auto cfg = parse_node_config(kNode, "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_FALSE(cfg->peers[0].mtu_probe_target);
  EXPECT_EQ(cfg->interface->mtu_probe_interval_s, 600u);
  EXPECT_EQ(render_node_config_toml(*cfg).find("mtu_probe"), std::string::npos);
}

TEST(MtuProbeConfig, ReadsATargetAndAnIntervalAndRendersThemBack) {
  const std::string text =
      with(target("10.0.0.2"), "mtu = 1420", "mtu = 1420\nmtu_probe_interval = 10");
  auto cfg = parse_node_config(text, "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  ASSERT_TRUE(cfg->peers[0].mtu_probe_target);
  EXPECT_EQ(cfg->peers[0].mtu_probe_target->to_string(), "10.0.0.2");
  EXPECT_EQ(cfg->interface->mtu_probe_interval_s, 10u);
  auto again = parse_node_config(render_node_config_toml(*cfg), "rendered.toml");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->peers, cfg->peers);
  EXPECT_EQ(again->interface->mtu_probe_interval_s, 10u);
}

TEST(MtuProbeConfig, RefusesATargetOutsideThePeersAllowedIps) {
  EXPECT_EQ(refusal(target("10.0.0.9")),
            "n.toml:13:20: mtu_probe_target 10.0.0.9 of peer 'far' is not inside its allowed_ips, "
            "so the probes would not go to it; name an address of the peer that its allowed_ips "
            "cover (such as its own tunnel address)");
}

TEST(MtuProbeConfig, RefusesATargetOfAFamilyTheInterfaceHasNoAddressIn) {
  EXPECT_EQ(refusal(target("fd00::2")),
            "n.toml:13:20: mtu_probe_target fd00::2 of peer 'far' is IPv6, but [interface] "
            "addresses has no IPv6 address to send the probes from; add one, or name an address "
            "of the peer in the other family");
  EXPECT_TRUE(parse_node_config(
      with(target("fd00::2"), "[\"10.0.0.1/24\"]", "[\"10.0.0.1/24\", \"fd00::1/64\"]"), "n.toml"));
}

TEST(MtuProbeConfig, RefusesWhatIsNoAddressAndAnIntervalOutOfBounds) {
  EXPECT_EQ(refusal(target("far.example")),
            "n.toml:13:20: mtu_probe_target must be an IP address of the peer that answers pings "
            "(such as its own tunnel address)");
  EXPECT_EQ(refusal(with(kNode, "mtu = 1420", "mtu = 1420\nmtu_probe_interval = 4")),
            "n.toml:6:22: mtu_probe_interval must be between 5 and 86400");
}

TEST(MtuProbeConfig, RefusesATargetInAHybridNode) {
  EXPECT_EQ(refusal(with(testing::kHybridClient, "allowed_ips = [\"10.77.0.0/24\"]",
                         "allowed_ips = [\"10.77.0.0/24\"]\nmtu_probe_target = \"10.77.0.1\"")),
            "n.toml:11:20: mtu_probe_target works on a plain WireGuard interface only, not in a "
            "hybrid node ([fallback], [[account]] or [nesting]); remove it");
}

// A gateway: alice's address is fixed, bob's leased; the account's last line is line 12.
const std::string kGateway = R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.77.0.1/24"]

[accounts]
pool = "10.77.0.10-10.77.0.200"

[[account]]
name = "alice"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
address = "10.77.0.2"
)";

std::string account_target(const std::string& address) {
  return with(kGateway, "address = \"10.77.0.2\"\n",
              "address = \"10.77.0.2\"\nmtu_probe_target = \"" + address + "\"\n");
}

TEST(MtuProbeConfig, AGatewayProbesNothingUnlessAskedTo) {
  auto cfg = parse_node_config(kGateway, "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_FALSE(cfg->account_pool.mtu_probing);
  EXPECT_EQ(cfg->account_pool.mtu_probe_interval_s, 600u);
  EXPECT_FALSE(cfg->accounts[0].mtu_probe_target);
}

TEST(MtuProbeConfig, ReadsAGatewaysSwitchIntervalAndAnAccountsTarget) {
  const std::string text = with(account_target("10.77.0.2"), "pool = \"10.77.0.10-10.77.0.200\"",
                                "pool = \"10.77.0.10-10.77.0.200\"\nmtu_probing = true\n"
                                "mtu_probe_interval = 30");
  auto cfg = parse_node_config(text, "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_TRUE(cfg->account_pool.mtu_probing);
  EXPECT_EQ(cfg->account_pool.mtu_probe_interval_s, 30u);
  ASSERT_TRUE(cfg->accounts[0].mtu_probe_target);
  EXPECT_EQ(cfg->accounts[0].mtu_probe_target->to_string(), "10.77.0.2");
}

TEST(MtuProbeConfig, RefusesAnAccountTargetWithoutAKeyOrASourceAddress) {
  EXPECT_EQ(refusal(with(account_target("10.77.0.2"),
                         "public_key = \"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"",
                         "password = \"pw\"")),
            "n.toml:13:20: account 'alice' has mtu_probe_target but no public_key: the probes go "
            "through its WireGuard path");
  EXPECT_EQ(refusal(account_target("fd77::2")),
            "n.toml:13:20: mtu_probe_target fd77::2 of account 'alice' needs an [interface] "
            "address of the same family to send the probes from");
  EXPECT_EQ(refusal(account_target("alice")),
            "n.toml:13:20: mtu_probe_target must be an IP address of the client that answers "
            "pings (such as its own tunnel address)");
}

}  // namespace
}  // namespace tandem::control
