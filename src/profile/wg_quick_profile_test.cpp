#include "profile/wg_quick_profile.hpp"

#include <gtest/gtest.h>

#include "control/wg_quick.hpp"
#include "profile/test_profile_input.hpp"

namespace tandem::profile {
namespace {

using testing::has_line;
using testing::made;
using testing::refusal;
using testing::sample_input;

TEST(WgQuickProfile, WritesEveryFieldOfAFullProfile) {
  auto conf = render_wg_quick(sample_input());
  ASSERT_TRUE(conf) << conf.error();
  EXPECT_EQ(*conf,
            "[Interface]\n"
            "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
            "Address = 10.77.0.2/32, fd77::2/128\n"
            "DNS = 10.77.0.53, corp.example\n"
            "MTU = 1380\n"
            "\n"
            "[Peer]\n"
            "PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
            "PresharedKey = /UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=\n"
            "Endpoint = vpn.example.org:51820\n"
            "AllowedIPs = 10.77.0.0/24, fd77::/64, 192.168.50.0/24\n"
            "PersistentKeepalive = 25\n");
}

TEST(WgQuickProfile, LeavesOutWhatTheGatewayDoesNotSet) {
  ProfileInput in = sample_input();
  in.dns.clear();
  in.dns_search.clear();
  in.mtu.reset();
  in.preshared_key.reset();
  in.persistent_keepalive = 0;
  auto conf = render_wg_quick(in);
  ASSERT_TRUE(conf) << conf.error();
  for (const char* absent : {"DNS", "MTU", "PresharedKey", "PersistentKeepalive"})
    EXPECT_EQ(conf->find(absent), std::string::npos) << absent;
}

TEST(WgQuickProfile, FullTunnelCarriesBothDefaultRoutes) {
  ProfileInput in = sample_input();
  in.routes = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  EXPECT_TRUE(has_line(made(render_wg_quick(in)), "AllowedIPs = 0.0.0.0/0, ::/0"));
}

TEST(WgQuickProfile, BracketsAnIpv6Endpoint) {
  ProfileInput in = sample_input();
  in.endpoint_host = "2001:db8::1";
  in.wireguard_port = 4500;
  EXPECT_TRUE(has_line(made(render_wg_quick(in)), "Endpoint = [2001:db8::1]:4500"));
}

TEST(WgQuickProfile, ReadsBackThroughTheWgQuickReader) {
  ProfileInput in = sample_input();
  in.endpoint_host = "2001:db8::1";
  auto conf = render_wg_quick(in);
  ASSERT_TRUE(conf) << conf.error();
  auto parsed = control::parse_wg_quick(*conf, "alice.conf", "alice");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  const control::NodeConfig& node = parsed->config;
  EXPECT_TRUE(node.interface->private_key == *in.private_key);
  ASSERT_EQ(node.interface->addresses.size(), 2u);
  EXPECT_EQ(node.interface->addresses[1].to_string(), "fd77::2/128");
  EXPECT_EQ(node.interface->dns, in.dns);
  EXPECT_EQ(node.interface->dns_search, in.dns_search);
  ASSERT_EQ(node.peers.size(), 1u);
  EXPECT_EQ(node.peers[0].endpoint_host, "2001:db8::1");
  EXPECT_EQ(node.peers[0].endpoint_port, 51820);
  EXPECT_EQ(node.peers[0].allowed_ips, in.routes);
  EXPECT_TRUE(node.peers[0].preshared_key == in.preshared_key);
  EXPECT_EQ(node.peers[0].persistent_keepalive, 25);
}

TEST(WgQuickProfile, RefusesAnEndpointThatWouldAddALine) {
  ProfileInput in = sample_input();
  in.endpoint_host = "vpn.example.org:1\nPostUp = rm -rf /";
  auto conf = render_wg_quick(in);
  ASSERT_FALSE(conf);
  EXPECT_NE(conf.error().find("neither an IP address nor a DNS name"), std::string::npos);
  in = sample_input();
  in.dns_search = {"corp.example\nPostUp = touch /x"};
  EXPECT_FALSE(render_wg_quick(in));
}

TEST(WgQuickProfile, RefusesSearchDomainsWithoutANameServer) {
  ProfileInput in = sample_input();
  in.dns.clear();
  EXPECT_NE(refusal(render_wg_quick(in)).find("need a name server"), std::string::npos);
}

TEST(WgQuickProfile, RefusesWithoutThePrivateKey) {
  ProfileInput in = sample_input();
  in.private_key.reset();
  EXPECT_EQ(refusal(render_wg_quick(in)), "a WireGuard profile needs the client's private key");
}

}  // namespace
}  // namespace tandem::profile
