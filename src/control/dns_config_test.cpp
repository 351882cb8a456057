// [dns]: upstream groups through the tunnel or the underlay, routes by domain, the default, the
// listen addresses taken from the [interface] unless given, and each mistake refused at its
// position with the fix named.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::refusal;
using testing::with;

// A WireGuard client (10 lines) whose peer carries 10.0.0.0/24.
const std::string kClient = R"([interface]
name = "wg0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.0.0.2/24", "fd00::2/64"]

[[peer]]
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
endpoint = "192.0.2.1:51820"
allowed_ips = ["10.0.0.0/24"]

)";

// Starts at line 11.
const std::string kDns = R"([dns]
default = "public"
timeout = 3

[[dns.upstream]]
name = "corp"
through = "tunnel"
servers = ["10.0.0.1", "10.0.0.53:5353"]

[[dns.upstream]]
name = "public"
through = "underlay"
servers = ["192.0.2.53"]

[[dns.route]]
domains = ["corp.example", "0.0.10.in-addr.arpa"]
upstream = "corp"
)";

TEST(DnsConfig, IsOffWithoutTheSection) {
  auto r = parse_node_config(kClient, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->dns);
}

TEST(DnsConfig, ReadsGroupsRoutesAndTheDefault) {
  auto r = parse_node_config(kClient + kDns, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->dns);
  const DnsSettings& d = *r->dns;
  ASSERT_EQ(d.upstreams.size(), 2u);
  EXPECT_EQ(d.upstreams[0].name, "corp");
  EXPECT_EQ(d.upstreams[0].through, DnsThrough::kTunnel);
  EXPECT_EQ(d.upstreams[0].servers, (std::vector<Endpoint>{*Endpoint::parse("10.0.0.1:53"),
                                                           *Endpoint::parse("10.0.0.53:5353")}));
  EXPECT_EQ(d.upstreams[1].through, DnsThrough::kUnderlay);
  EXPECT_EQ(dns_path(d.upstreams[0], "wg0"), "tunnel:wg0");
  EXPECT_EQ(dns_path(d.upstreams[1], "wg0"), "underlay");
  ASSERT_EQ(d.routes.size(), 1u);
  EXPECT_EQ(d.routes[0].domains, (std::vector<std::string>{"corp.example", "0.0.10.in-addr.arpa"}));
  EXPECT_EQ(d.routes[0].upstream, "corp");
  EXPECT_EQ(d.default_upstream, "public");
  EXPECT_EQ(d.timeout, std::chrono::seconds(3));
  EXPECT_FALSE(d.host_resolver);
}

TEST(DnsConfig, ListensOnTheInterfaceAddressesUnlessTold) {
  auto r = parse_node_config(kClient + kDns, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->dns->listen, (std::vector<Endpoint>{*Endpoint::parse("10.0.0.2:53"),
                                                   *Endpoint::parse("[fd00::2]:53")}));
  r = parse_node_config(
      kClient + with(kDns, "[dns]\n", "[dns]\nlisten = [\"127.0.0.53\", \"10.0.0.2:5300\"]\n"),
      "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->dns->listen, (std::vector<Endpoint>{*Endpoint::parse("127.0.0.53:53"),
                                                   *Endpoint::parse("10.0.0.2:5300")}));
}

TEST(DnsConfig, WithoutADefaultRoutesOnlyTheRoutedDomains) {
  auto r = parse_node_config(kClient + with(kDns, "default = \"public\"\n", ""), "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->dns->default_upstream);
}

TEST(DnsConfig, TakesHostResolverUnlessInterfaceDnsIsSet) {
  auto r =
      parse_node_config(kClient + with(kDns, "timeout = 3\n", "host_resolver = true\n"), "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->dns->host_resolver);
  EXPECT_EQ(refusal(with(kClient, "addresses", "dns = [\"10.0.0.1\"]\naddresses") +
                    with(kDns, "timeout = 3\n", "host_resolver = true\n")),
            "n.toml:14:17: host_resolver points this host's resolver at the forwarder, and "
            "[interface] dns hands other servers to resolvconf: keep one of them");
}

TEST(DnsConfig, OffersTheForwarderToAHybridGatewaysPppClientsUnlessL2tpNamesServers) {
  const std::string gateway = testing::kHybridGatewayInterface + R"(
[l2tp]
mode = "lns"
allow_unencrypted = true

[[account]]
name = "alice"
password = "correct horse"
address = "10.77.0.2"
)";
  auto r = parse_node_config(gateway + testing::kGatewayDns, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->l2tp->dns, std::vector{*IpAddress::parse("10.77.0.1")});
  r = parse_node_config(with(gateway, "allow_unencrypted = true\n",
                             "allow_unencrypted = true\ndns = [\"10.77.0.53\"]\n") +
                            testing::kGatewayDns,
                        "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->l2tp->dns, std::vector{*IpAddress::parse("10.77.0.53")});
}

TEST(DnsConfig, RefusesMistakesAtTheirPositionNamingTheFix) {
  const std::string good = kClient + kDns;
  testing::expect_refusals(
      good,
      {{"upstream = \"corp\"", "upstream = \"crop\"",
        "n.toml:27:12: no [[dns.upstream]] is named 'crop'; did you mean 'corp'?"},
       {"default = \"public\"", "default = \"pubic\"",
        "n.toml:12:11: default names no [[dns.upstream]] ('pubic'); did you mean 'public'?"},
       {"\"0.0.10.in-addr.arpa\"", "\"Corp.Example.\"",
        "n.toml:26:28: domain 'Corp.Example.' is routed twice: keep it in one [[dns.route]] "
        "only"},
       {"\"0.0.10.in-addr.arpa\"", "\"corp..example\"",
        "n.toml:26:28: 'corp..example' is not a domain name (labels of letters, digits, '-' and "
        "'_', such as \"corp.example\")"},
       {"\"0.0.10.in-addr.arpa\"", "\".\"",
        "n.toml:26:28: a route for the root takes every name: set default = \"corp\" in [dns] "
        "instead"},
       {"name = \"public\"", "name = \"corp\"",
        "n.toml:21:8: two [[dns.upstream]] are named 'corp': rename one"},
       {"through = \"underlay\"", "through = \"internet\"",
        "n.toml:22:11: upstream 'public' needs through = \"tunnel\" (its servers reached inside "
        "this node's tunnel only) or \"underlay\" (the host's own routing)"},
       {"\"10.0.0.53:5353\"", "\"10.0.1.53\"",
        "n.toml:18:24: server 10.0.1.53 of tunnel upstream 'corp' is in no [[peer]]'s "
        "allowed_ips: the tunnel would drop its queries; add it to the peer's allowed_ips or use "
        "through = \"underlay\""},
       {"\"192.0.2.53\"", "\"dns.example\"",
        "n.toml:23:12: 'dns.example' is not a server: give an IP address, with :PORT when it is "
        "not 53 (\"[fd00::53]:5353\" for IPv6)"},
       {"servers = [\"192.0.2.53\"]", "servers = []",
        "n.toml:23:11: upstream 'public' needs servers = [\"IP\", \"IP:PORT\", ...]"},
       {"timeout = 3", "timeout = 0", "n.toml:13:11: timeout must be between 1 and 30"},
       {"timeout = 3", "retries = 3", "n.toml:13:1: unknown key 'retries' in [dns]"},
       {"default = \"public\"\n", "listen = []\n",
        "n.toml:12:10: listen is empty: leave it out to take queries on the [interface] "
        "addresses"}});
}

TEST(DnsConfig, RefusesASectionThatRoutesNothingOrHasNoTunnel) {
  EXPECT_EQ(refusal(kClient + "[dns]\ndefault = \"x\"\n"),
            "n.toml:11:1: [dns] needs at least one [[dns.upstream]] with name, through, servers");
  const std::string no_routes = kClient +
                                "[dns]\n[[dns.upstream]]\nname = \"a\"\nthrough = \"underlay\"\n"
                                "servers = [\"192.0.2.53\"]\n";
  EXPECT_EQ(refusal(no_routes),
            "n.toml:11:1: [dns] routes nothing: add [[dns.route]] with domains and upstream, or "
            "default = the upstream for every name");
  // The [l2tp] client of kHybridClient alone (9 lines).
  const std::string& client = testing::kHybridClient;
  const auto l2tp = client.find("[l2tp]");
  const std::string l2tp_only = client.substr(l2tp, client.find("[fallback]") - l2tp);
  EXPECT_EQ(refusal(l2tp_only + kDns),
            "n.toml:10:1: [dns] runs beside a WireGuard or hybrid [interface], whose device its "
            "tunnel upstreams are bound to and whose addresses it listens on; this node has none");
}

}  // namespace
}  // namespace tandem::control
