// [nesting]: one tunnel inside the other, each way, and every refusal with its position.
#include <gtest/gtest.h>

#include <string>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::expect_refusals;
using testing::refusal;
using testing::with;

// WireGuard inside L2TP/IPsec: the peer is the gateway's address inside the L2TP session.
const std::string kWireguardInside = R"([interface]
name = "nest0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.96.0.2/24"]

[[peer]]
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
endpoint = "10.86.0.1:51820"
allowed_ips = ["10.96.0.0/24"]

[l2tp]
mode = "lac"
server = "192.0.2.1"

[[l2tp.session]]
user = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "a pre-shared key"

[nesting]
outer = "l2tp"
)";

// L2TP/IPsec inside WireGuard: the L2TP server is the gateway's address inside WireGuard.
const std::string kL2tpInside = R"([interface]
name = "nest0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.96.0.2/24"]

[[peer]]
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
endpoint = "192.0.2.1:51820"
allowed_ips = ["10.96.0.0/24"]

[l2tp]
mode = "lac"
server = "10.96.0.1"
routes = ["10.86.0.0/24"]

[[l2tp.session]]
user = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "a pre-shared key"

[nesting]
outer = "wireguard"
)";

TEST(NestingConfig, WireguardInsideL2tp) {
  auto cfg = parse_node_config(kWireguardInside, "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  ASSERT_TRUE(cfg->nesting);
  EXPECT_EQ(cfg->nesting->outer, hybrid::PathKind::kL2tpIpsec);
  EXPECT_TRUE(cfg->hybrid());
  EXPECT_EQ(cfg->l2tp->interface, "nest0");  // one device
  EXPECT_EQ(cfg->l2tp->mtu, 1400u);
}

TEST(NestingConfig, L2tpInsideWireguard) {
  auto cfg = parse_node_config(kL2tpInside, "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  ASSERT_TRUE(cfg->nesting);
  EXPECT_EQ(cfg->nesting->outer, hybrid::PathKind::kWireguard);
  ASSERT_EQ(cfg->l2tp->routes.size(), 1u);
}

TEST(NestingConfig, RefusesStacksTheInnerProtocolCouldNotLeave) {
  expect_refusals(
      kWireguardInside,
      {{"endpoint = \"10.86.0.1:51820\"", "endpoint = \"gw.example.org:51820\"",
        "n.toml:6:1: with [nesting] outer = \"l2tp\", the [[peer]] needs endpoint = "
        "\"ADDRESS:PORT\" with the peer's IPv4 address inside the outer tunnel (WireGuard's "
        "datagrams have no other way out)"},
       {"outer = \"l2tp\"", "outer = \"ipsec\"",
        "n.toml:23:9: outer = \"ipsec\" needs an [ipsec] section"},
       {"outer = \"l2tp\"", "outer = \"gre\"",
        "n.toml:23:9: [nesting] needs outer = \"l2tp\" or \"ipsec\" (WireGuard rides inside that "
        "tunnel) or \"wireguard\" (the [l2tp] or [ipsec] tunnel rides inside WireGuard)"},
       {"outer = \"l2tp\"", "outer = \"l2tp\"\nmtu = 1300",
        "n.toml:24:1: unknown key 'mtu' in [nesting]"},
       {"[l2tp]\nmode = \"lac\"", "[l2tp]\nmode = \"lac\"\ninterface = \"l2tp9\"",
        "n.toml:13:1: with [nesting], the device comes from [interface]: remove interface from "
        "[l2tp]"},
       {"[nesting]", "[fallback]\ngateway = \"10.96.0.1\"\n\n[nesting]",
        "n.toml:25:1: [nesting] stacks this client's tunnels one inside the other; [fallback] "
        "runs them side by side: a node is one or the other"}});
  expect_refusals(
      kL2tpInside,
      {{"server = \"10.96.0.1\"", "server = \"10.97.0.1\"",
        "n.toml:11:1: [l2tp] server 10.97.0.1 is outside the [[peer]]'s allowed_ips, so "
        "WireGuard could not carry L2TP/IPsec to it; add it to allowed_ips"},
       {"routes = [\"10.86.0.0/24\"]\n", "",
        "n.toml:11:1: with [nesting] outer = \"wireguard\", [l2tp] needs routes = [...]: the "
        "prefixes the device sends into the L2TP session"},
       {"addresses = [\"10.96.0.2/24\"]", "addresses = [\"fd96::2/64\"]",
        "n.toml:1:1: with [nesting] outer = \"wireguard\", [interface] needs an IPv4 address: the "
        "inner tunnel's IKE and ESP leave from it"},
       {"[l2tp.ipsec]\npsk = \"a pre-shared key\"", "",
        "n.toml:11:1: plain L2TP sends everything, passwords included, unencrypted; add "
        "[l2tp.ipsec] with a pre-shared key, or set allow_unencrypted = true to run it without "
        "IPsec"}});
}

TEST(NestingConfig, RefusesPlainL2tpInsideWireguard) {
  const std::string plain =
      with(with(kL2tpInside, "[l2tp.ipsec]\npsk = \"a pre-shared key\"\n", ""),
           "routes = [\"10.86.0.0/24\"]", "routes = [\"10.86.0.0/24\"]\nallow_unencrypted = true");
  EXPECT_EQ(refusal(plain),
            "n.toml:11:1: with [nesting], L2TP runs inside WireGuard as L2TP/IPsec: add "
            "[l2tp.ipsec]");
}

}  // namespace
}  // namespace tandem::control
