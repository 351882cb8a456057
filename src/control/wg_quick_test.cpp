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

TEST(WgQuick, WarnsAboutKeysItDoesNotApply) {
  auto r = parse_wg_quick(kFile, "wg0.conf", "wg0");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_EQ(r->warnings[0].rfind("wg0.conf:6: DNS", 0), 0u);
  EXPECT_EQ(r->warnings[1].rfind("wg0.conf:8: PostUp", 0), 0u);
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
  auto unknown = parse_wg_quick("[Interface]\nFoo = 1\n", "x.conf", "x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().line, 2);
  EXPECT_FALSE(parse_wg_quick("[Interface]\nListenPort = 1\n", "x.conf", "x"));
  EXPECT_FALSE(parse_wg_quick(
      "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n[Peer]\nAllowedIPs "
      "= 10.0.0.0/8\n",
      "x.conf", "x"));
}

}  // namespace
}  // namespace tandem::control
