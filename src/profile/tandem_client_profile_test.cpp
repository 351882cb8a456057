#include "profile/tandem_client_profile.hpp"

#include <gtest/gtest.h>

#include "control/config.hpp"
#include "profile/test_profile_input.hpp"

namespace tandem::profile {
namespace {

using testing::sample_input;

// The generated file as the daemon reads it (`tandem up`): parse_node_config, every check of a
// hybrid client included.
control::NodeConfig parsed(const ProfileInput& in) {
  auto text = render_tandem_client(in);
  EXPECT_TRUE(text) << text.error();
  if (!text) return {};
  auto node = control::parse_node_config(*text, "alice.toml");
  EXPECT_TRUE(node) << node.error().to_string() << "\n" << *text;
  return node ? std::move(*node) : control::NodeConfig{};
}

TEST(TandemClientProfile, IsAHybridClientTheConfigParserAccepts) {
  const ProfileInput in = sample_input();
  const control::NodeConfig node = parsed(in);
  ASSERT_TRUE(node.interface);
  EXPECT_EQ(node.interface->name, "tandem0");
  EXPECT_TRUE(node.interface->private_key == *in.private_key);
  ASSERT_EQ(node.interface->addresses.size(), 2u);
  EXPECT_EQ(node.interface->addresses[0].to_string(), "10.77.0.2/32");
  EXPECT_EQ(node.interface->addresses[1].to_string(), "fd77::2/128");
  EXPECT_EQ(node.interface->dns, in.dns);
  EXPECT_EQ(node.interface->dns_search, in.dns_search);
  EXPECT_EQ(node.interface->mtu, 1380u);
  ASSERT_EQ(node.peers.size(), 1u);
  const control::PeerConfig& gateway = node.peers[0];
  EXPECT_EQ(gateway.public_key, in.gateway_public_key);
  EXPECT_TRUE(gateway.preshared_key == in.preshared_key);
  EXPECT_EQ(gateway.endpoint_host, "vpn.example.org");
  EXPECT_EQ(gateway.endpoint_port, 51820);
  EXPECT_EQ(gateway.allowed_ips, in.routes);
  EXPECT_EQ(gateway.persistent_keepalive, 25);
  ASSERT_TRUE(node.l2tp);
  EXPECT_EQ(node.l2tp->role, control::L2tpRole::kLac);
  EXPECT_EQ(node.l2tp->server_host, "vpn.example.org");
  ASSERT_EQ(node.l2tp->calls.size(), 1u);
  EXPECT_EQ(node.l2tp->calls[0].user, "alice");
  EXPECT_EQ(node.l2tp->calls[0].password, "correct horse");
  ASSERT_TRUE(node.l2tp->ipsec);
  EXPECT_EQ(node.l2tp->ipsec->psk, "l2tp ipsec pre-shared key");
  ASSERT_TRUE(node.fallback);
  EXPECT_EQ(node.fallback->gateway.to_string(), "10.77.0.1");
}

TEST(TandemClientProfile, SecretsWithQuotesAndBackslashesComeBackExactly) {
  ProfileInput in = sample_input();
  in.l2tp->user = "o'brien \"the\" \\user";
  in.l2tp->password = "p\"w\\\n\t'x";
  in.l2tp->ipsec_psk = "k\"e\\y]\n[interface]";
  const control::NodeConfig node = parsed(in);
  ASSERT_TRUE(node.l2tp && node.l2tp->ipsec);
  EXPECT_EQ(node.l2tp->calls[0].user, in.l2tp->user);
  EXPECT_EQ(node.l2tp->calls[0].password, in.l2tp->password);
  EXPECT_EQ(node.l2tp->ipsec->psk, in.l2tp->ipsec_psk);
}

TEST(TandemClientProfile, RoutesTheGatewayAddressForItsProbes) {
  ProfileInput in = sample_input();
  in.routes = {*IpPrefix::parse("192.168.50.0/24")};
  const control::NodeConfig node = parsed(in);
  ASSERT_EQ(node.peers.size(), 1u);
  EXPECT_EQ(node.peers[0].allowed_ips,
            (std::vector{*IpPrefix::parse("192.168.50.0/24"), *IpPrefix::parse("10.77.0.1/32")}));
}

TEST(TandemClientProfile, FullTunnelWithAnIpv6Endpoint) {
  ProfileInput in = sample_input();
  in.routes = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  in.endpoint_host = "2001:db8::1";
  const control::NodeConfig node = parsed(in);
  ASSERT_EQ(node.peers.size(), 1u);
  EXPECT_EQ(node.peers[0].endpoint_host, "2001:db8::1");
  EXPECT_EQ(node.peers[0].allowed_ips, in.routes);
  ASSERT_TRUE(node.l2tp);
  EXPECT_EQ(node.l2tp->server_host, "2001:db8::1");
}

TEST(TandemClientProfile, PlainL2tpGatewayIsDialledUnencryptedOnItsWord) {
  ProfileInput in = sample_input();
  in.l2tp->ipsec_psk.clear();
  const control::NodeConfig node = parsed(in);
  ASSERT_TRUE(node.l2tp);
  EXPECT_FALSE(node.l2tp->ipsec);
  EXPECT_TRUE(node.l2tp->allow_unencrypted);
  EXPECT_TRUE(node.fallback);
}

TEST(TandemClientProfile, WithoutAnL2tpLoginIsAPlainWireguardClient) {
  ProfileInput in = sample_input();
  in.l2tp.reset();
  const control::NodeConfig node = parsed(in);
  EXPECT_FALSE(node.l2tp);
  EXPECT_FALSE(node.fallback);
  EXPECT_FALSE(node.hybrid());
  EXPECT_EQ(node.peers.size(), 1u);
}

TEST(TandemClientProfile, AnIpv6OnlyAccountHasNoIpv4FallbackProbe) {
  ProfileInput in = sample_input();
  in.addresses = {*IpAddress::parse("fd77::2")};
  const control::NodeConfig node = parsed(in);
  EXPECT_FALSE(node.fallback);
}

}  // namespace
}  // namespace tandem::profile
