// Importing wg-quick files.
#include "control/wg_quick.hpp"

#include <gtest/gtest.h>

namespace tandem::control {
namespace {

const std::string kFile =
    "# laptop\n[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
    "ListenPort = 51820\nAddress = 10.200.100.8/24, fd42:42:42::8/64\nDNS = 10.200.100.1\n"
    "MTU = 1400\nPostUp = echo up\n\n[Peer]\n"
    "PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
    "PresharedKey = /UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=\n"
    "AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = demo.wireguard.com:51820\n"
    "persistentkeepalive = 25\n";

const std::string kInterface =
    "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";

TEST(WgQuick, ImportsAllSupportedKeys) {
  auto r = parse_wg_quick(kFile, "wg0.conf", "wg0");
  ASSERT_TRUE(r) << r.error().to_string();
  const auto& c = r->config;
  EXPECT_EQ(c.interface->name, "wg0");
  EXPECT_EQ(c.interface->listen_port, 51820);
  ASSERT_EQ(c.interface->addresses.size(), 2u);
  EXPECT_EQ(c.interface->addresses[1].to_string(), "fd42:42:42::8/64");
  EXPECT_EQ(c.interface->mtu, 1400u);
  ASSERT_EQ(c.peers.size(), 1u);
  EXPECT_TRUE(c.peers[0].preshared_key);
  EXPECT_EQ(c.peers[0].allowed_ips.size(), 2u);
  EXPECT_EQ(*c.peers[0].endpoint_host, "demo.wireguard.com");
  EXPECT_EQ(c.peers[0].persistent_keepalive, 25);
}

TEST(WgQuick, ConvertsDnsAndPostUpWithoutWarnings) {
  auto r = parse_wg_quick(kFile, "wg0.conf", "wg0");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->warnings.empty());
  ASSERT_EQ(r->config.interface->dns.size(), 1u);
  EXPECT_EQ(r->config.interface->dns[0].to_string(), "10.200.100.1");
  EXPECT_EQ(r->config.interface->hooks.post_up, std::vector<std::string>{"echo up"});
}

TEST(WgQuick, SplitsDnsIntoServersAndSearchDomainsAsWgQuickDoes) {
  auto r = parse_wg_quick(kInterface + "DNS = 10.0.0.53, corp.example,fd00::53 , lab.example\n",
                          "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  const auto& i = *r->config.interface;
  ASSERT_EQ(i.dns.size(), 2u);
  EXPECT_EQ(i.dns[0].to_string(), "10.0.0.53");
  EXPECT_EQ(i.dns[1].to_string(), "fd00::53");
  EXPECT_EQ(i.dns_search, (std::vector<std::string>{"corp.example", "lab.example"}));
  auto bad = parse_wg_quick(kInterface + "DNS = 10.0.0.53, bad\"domain\n", "x.conf", "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().line, 3);
}

TEST(WgQuick, KeepsEveryHookLineInOrderWithPercentIForTandem) {
  auto r = parse_wg_quick(kInterface +
                              "PreUp = echo \"pre %i\"\nPostUp = iptables -A FORWARD -i %i -j "
                              "ACCEPT\nPostUp = echo second\nPreDown = echo pd\nPostDown = "
                              "iptables -D FORWARD -i %i -j ACCEPT\n",
                          "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->warnings.empty());
  const auto& h = r->config.interface->hooks;
  EXPECT_EQ(h.pre_up, std::vector<std::string>{"echo \"pre %i\""});
  EXPECT_EQ(h.post_up,
            (std::vector<std::string>{"iptables -A FORWARD -i %i -j ACCEPT", "echo second"}));
  EXPECT_EQ(h.pre_down, std::vector<std::string>{"echo pd"});
  EXPECT_EQ(h.post_down, std::vector<std::string>{"iptables -D FORWARD -i %i -j ACCEPT"});
  // Quotes and backslashes survive the trip through TOML.
  auto back = parse_node_config(render_node_config_toml(r->config), "x.toml");
  ASSERT_TRUE(back) << back.error().to_string() << "\n" << render_node_config_toml(r->config);
  EXPECT_EQ(back->interface->hooks.pre_up, h.pre_up);
  EXPECT_EQ(back->interface->hooks.post_up, h.post_up);
  EXPECT_EQ(back->interface->hooks.post_down, h.post_down);
}

TEST(WgQuick, SaveConfigTrueIsWarnedAboutAndFalseIsNot) {
  auto on = parse_wg_quick(kInterface + "SaveConfig = true\n", "x.conf", "x");
  ASSERT_TRUE(on);
  ASSERT_EQ(on->warnings.size(), 1u);
  EXPECT_EQ(on->warnings[0].rfind("x.conf:3: SaveConfig = true is not converted", 0), 0u);
  auto off = parse_wg_quick(kInterface + "SaveConfig = false\n", "x.conf", "x");
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->warnings.empty());
}

TEST(WgQuick, ConvertedConfigRendersAsValidToml) {
  auto r = parse_wg_quick(kFile, "wg0.conf", "wg0");
  ASSERT_TRUE(r);
  auto back = parse_node_config(render_node_config_toml(r->config), "wg0.toml");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->peers[0].endpoint_port, 51820);
}

TEST(WgQuick, ErrorsCarryLineAndColumn) {
  std::string bad = kFile;
  bad.replace(bad.find("ListenPort = 51820"), 18, "ListenPort = 99999");
  auto r = parse_wg_quick(bad, "wg0.conf", "wg0");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "wg0.conf:4:14: ListenPort must be 0-65535");
  // A jumbo MTU is more than Tandem's data path carries: refused, naming the limit.
  std::string jumbo = kFile;
  jumbo.replace(jumbo.find("MTU = 1400"), 10, "MTU = 9000");
  auto big = parse_wg_quick(jumbo, "wg0.conf", "wg0");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().to_string().find("MTU must be 1280-1800"), std::string::npos)
      << big.error().to_string();
  auto unknown = parse_wg_quick("[Interface]\nFoo = 1\n", "x.conf", "x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().line, 2);
  EXPECT_FALSE(parse_wg_quick("[Interface]\nListenPort = 1\n", "x.conf", "x"));
  EXPECT_FALSE(parse_wg_quick(
      "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n[Peer]\nAllowedIPs "
      "= 10.0.0.0/8\n",
      "x.conf", "x"));
}

const std::string kPeerKeys =
    "PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nAllowedIPs = 10.0.0.2/32\n";

TEST(WgQuick, ReadsFwMarkInHexAsWgDoes) {
  auto r = parse_wg_quick(kInterface + "FwMark = 0x1234\n", "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->config.interface->fwmark, 0x1234u);
  auto off = parse_wg_quick(kInterface + "FwMark = off\n", "x.conf", "x");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->config.interface->fwmark, 0u);
  EXPECT_FALSE(parse_wg_quick(kInterface + "FwMark = 0x1FFFFFFFF\n", "x.conf", "x"));
  EXPECT_FALSE(parse_wg_quick(kInterface + "FwMark = 0xg\n", "x.conf", "x"));
}

TEST(WgQuick, CommentLineAboveOrBelowPeerHeaderNamesThePeer) {
  auto r = parse_wg_quick(kInterface + "\n# laptop\n[Peer]\n" + kPeerKeys +
                              "\n[Peer]\n# Name = phone\n" + kPeerKeys +
                              "\n[Peer]\n#  name=office router \n" + kPeerKeys,
                          "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->config.peers.size(), 3u);
  EXPECT_EQ(r->config.peers[0].name, "laptop");
  EXPECT_EQ(r->config.peers[1].name, "phone");
  EXPECT_EQ(r->config.peers[2].name, "office router");
  EXPECT_NE(render_node_config_toml(r->config).find("name = \"laptop\"\n"), std::string::npos);
}

TEST(WgQuick, CommentsAwayFromPeerHeaderOrCommentedOutKeysNameNothing) {
  auto r = parse_wg_quick(kInterface + "# laptop\n\n[Peer]\n\n# phone\n" + kPeerKeys +
                              "# PersistentKeepalive = 25\n[Peer]\n" + kPeerKeys,
                          "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->config.peers[0].name, "");
  EXPECT_EQ(r->config.peers[1].name, "");
}

TEST(WgQuick, NameThatWouldBreakTheTomlIsIgnoredWithAWarning) {
  auto r = parse_wg_quick(kInterface + "# say \"hi\"\n[Peer]\n" + kPeerKeys, "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->config.peers[0].name, "");
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].rfind("x.conf:4: comment not used", 0), 0u);
}

TEST(WgQuick, TableOffBecomesTomlTableOffWithoutAWarning) {
  auto r = parse_wg_quick(kInterface + "Table = off\n[Peer]\n" + kPeerKeys, "x.conf", "x");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->warnings.empty());
  const std::string toml = render_node_config_toml(r->config);
  const auto table = toml.find("\ntable = \"off\"\n");
  ASSERT_NE(table, std::string::npos) << toml;
  EXPECT_LT(table, toml.find("[[peer]]")) << "table must sit in [interface]";
}

TEST(WgQuick, TableAutoIsTheDefaultAndNumericTablesConvert) {
  auto automatic = parse_wg_quick(kInterface + "Table = auto\n", "x.conf", "x");
  ASSERT_TRUE(automatic);
  EXPECT_TRUE(automatic->warnings.empty());
  EXPECT_EQ(render_node_config_toml(automatic->config).find("table"), std::string::npos);
  auto numeric = parse_wg_quick(kInterface + "Table = 1234\n", "x.conf", "x");
  ASSERT_TRUE(numeric);
  EXPECT_TRUE(numeric->warnings.empty());
  EXPECT_EQ(numeric->config.interface->route_table, 1234u);
  EXPECT_NE(render_node_config_toml(numeric->config).find("table = 1234\n"), std::string::npos);
  auto main = parse_wg_quick(kInterface + "Table = main\n", "x.conf", "x");
  ASSERT_TRUE(main);
  EXPECT_EQ(main->config.interface->route_table, 254u);
  auto named = parse_wg_quick(kInterface + "Table = vpn\n", "x.conf", "x");
  ASSERT_TRUE(named);
  ASSERT_EQ(named->warnings.size(), 1u);
  EXPECT_EQ(named->warnings[0].rfind("x.conf:3: Table = vpn is not converted", 0), 0u);
  EXPECT_FALSE(named->config.interface->route_table);
}

}  // namespace
}  // namespace tandem::control
