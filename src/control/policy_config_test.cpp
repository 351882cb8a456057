// [[policy]]: a client's traffic rules, read in file order with every field, and each mistake
// refused at its position.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::refusal;
using testing::with;

const std::string kClient = testing::kHybridClient + R"(
[[policy]]
name = "voice"
path = "l2tp"
protocol = "udp"
destination_ports = "5060-5061"
dscp = 46

[[policy]]
name = "payroll"
path = "wireguard"
destinations = ["10.77.9.0/24", "fd77::/64"]
sources = ["10.77.0.2"]
source_ports = 443
protocol = 6
on_down = "drop"
)";

TEST(PolicyConfig, ReadsRulesInFileOrder) {
  auto r = parse_node_config(kClient, "c.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->policies.size(), 2U);
  const hybrid::TrafficRule& voice = r->policies[0];
  EXPECT_EQ(voice.name, "voice");
  EXPECT_EQ(voice.path, hybrid::PathRole::kSecondary);
  EXPECT_EQ(voice.protocol, 17);
  EXPECT_EQ(voice.destination_ports, (hybrid::PortRange{5060, 5061}));
  EXPECT_FALSE(voice.source_ports);
  EXPECT_EQ(voice.dscp, 46);
  EXPECT_FALSE(voice.fail_closed);
  const hybrid::TrafficRule& payroll = r->policies[1];
  EXPECT_EQ(payroll.path, hybrid::PathRole::kPrimary);
  EXPECT_EQ(payroll.destinations.size(), 2U);
  EXPECT_EQ(payroll.sources, std::vector{*IpPrefix::parse("10.77.0.2/32")});
  EXPECT_EQ(payroll.source_ports, (hybrid::PortRange{443, 443}));
  EXPECT_EQ(payroll.protocol, 6);
  EXPECT_TRUE(payroll.fail_closed);
}

TEST(PolicyConfig, RefusesWhatCannotWork) {
  testing::expect_refusals(
      kClient,
      {
          {"path = \"l2tp\"", "path = \"ipsec\"",
           "n.toml:26:8: this node's secondary path is l2tp, not ipsec: path must be "
           "\"wireguard\" or \"l2tp\""},
          {"path = \"l2tp\"", "path = \"tunnel\"",
           "n.toml:26:8: path must be \"wireguard\" or \"l2tp\""},
          {"name = \"voice\"\n", "",
           "n.toml:24:1: [[policy]] needs a name, for logs and tandem status"},
          {"name = \"payroll\"", "name = \"voice\"",
           "n.toml:32:8: duplicate [[policy]] name voice"},
          {"\"5060-5061\"", "\"5061-5060\"",
           "n.toml:28:21: destination_ports must be a port (443) or a range (\"5060-5061\") from 0 "
           "to 65535"},
          {"\"5060-5061\"", "70000",
           "n.toml:28:21: destination_ports must be a port (443) or a range (\"5060-5061\") from 0 "
           "to 65535"},
          {"protocol = \"udp\"", "protocol = \"icmp\"",
           "n.toml:28:21: destination_ports needs a protocol with ports (tcp, udp or sctp), or no "
           "protocol"},
          {"protocol = \"udp\"", "protocol = \"quic\"",
           "n.toml:27:12: protocol must be tcp, udp, icmp, icmpv6, sctp, gre or a number from 0 "
           "to 255"},
          {"dscp = 46", "dscp = 64", "n.toml:29:8: dscp must be between 0 and 63"},
          {"on_down = \"drop\"", "on_down = \"block\"",
           "n.toml:38:11: on_down must be \"other\" (use the other path while this one is down) "
           "or \"drop\" (never let this traffic take the other path)"},
          {"dscp = 46", "fwmark = 7",
           "n.toml:29:10: fwmark marks sockets, and packets read from the tunnel device do not "
           "carry it: match the traffic by sources, destinations, protocol, ports or dscp, or set "
           "[policy_routing] mode = \"kernel\""},
          {"sources = [\"10.77.0.2\"]", "sources = [\"10.77.0.300\"]",
           "n.toml:35:12: not an IP prefix: '10.77.0.300'"},
          {"gateway = \"10.77.0.1\"\n", "gateway = \"10.77.0.1\"\nsecondary = \"on-demand\"\n",
           "n.toml:27:8: policy voice sends traffic on the secondary while WireGuard is up, so "
           "the secondary must be kept warm: remove secondary = \"on-demand\" from [fallback]"},
      });
}

const std::string kKernel = kClient + R"(
[[policy]]
name = "marked"
path = "l2tp"
fwmark = "0x10/0xff"

[policy_routing]
mode = "kernel"
table = 51900
priority = 21000
)";

TEST(PolicyConfig, KernelModeTakesFwmarksAndItsTables) {
  auto r = parse_node_config(kKernel, "c.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->policy_routing.kernel);
  EXPECT_EQ(r->policy_routing.table, 51900u);
  EXPECT_EQ(r->policy_routing.priority, 21000u);
  EXPECT_EQ(r->policy_routing.secondary_interface, "hyb0s");
  ASSERT_EQ(r->policies.size(), 3u);
  EXPECT_EQ(r->policies[2].fwmark, 0x10u);
  EXPECT_EQ(r->policies[2].fwmark_mask, 0xffu);
  auto daemon = parse_node_config(kClient + "\n[policy_routing]\nmode = \"daemon\"\n", "c.toml");
  ASSERT_TRUE(daemon) << daemon.error().to_string();
  EXPECT_FALSE(daemon->policy_routing.kernel);
}

TEST(PolicyConfig, KernelModeRefusals) {
  testing::expect_refusals(
      kKernel,
      {
          {"table = 51900", "table = 252",
           "n.toml:47:9: table takes four tables from 252, which would include the kernel's "
           "default, main or local table (253-255); pick another"},
          {"mode = \"kernel\"", "mode = \"iptables\"",
           "n.toml:46:8: mode must be \"daemon\" (rules applied by Tandem on one device) or "
           "\"kernel\" (ip rules and a device per path)"},
          {"mode = \"kernel\"", "mode = \"daemon\"", "n.toml:47:9: table is for mode = \"kernel\""},
          {"\"0x10/0xff\"", "\"0x110/0xff\"",
           "n.toml:43:10: fwmark must be a mark (16 or \"0x10\") or a mark and mask "
           "(\"0x10/0xff\"), not 0"},
          {"priority = 21000", "secondary_interface = \"hyb0\"",
           "n.toml:48:23: secondary_interface must differ from the [interface] name"},
          {"priority = 21000", "priority = 40000",
           "n.toml:48:12: priority must be between 1 and 32000"},
      });
  const std::string no_rules = testing::kHybridClient + "\n[policy_routing]\nmode = \"kernel\"\n";
  EXPECT_EQ(refusal(no_rules),
            "n.toml:24:1: [policy_routing] says how [[policy]] rules are applied; add rules or "
            "remove it");
}

TEST(PolicyConfig, NeedsAClientOrSite) {
  const std::string plain = R"([interface]
name = "wg0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="

[[policy]]
name = "x"
path = "wireguard"
)";
  EXPECT_EQ(refusal(plain),
            "n.toml:5:1: [[policy]] picks between a client's or site's two paths: it needs "
            "[fallback] (and its secondary path)");
}

}  // namespace
}  // namespace tandem::control
