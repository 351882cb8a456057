#include "profile/gateway_profile.hpp"

#include <gtest/gtest.h>

#include "control/config_test_support.hpp"
#include "crypto/key_encoding.hpp"
#include "profile/test_profile_input.hpp"

namespace tandem::profile {
namespace {

using testing::key32;

// A hybrid gateway with WireGuard, L2TP/IPsec and IKEv2 accounts. Its private key is the
// sample's client key, so the client below has a key of its own.
constexpr std::string_view kClientKey = "uDEO3dxBHD3GWwv+xrMi9BhiWC10fKzIg8oYdI2yV1M=";

std::string gateway_toml(const std::string& client_public) {
  return R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.77.0.1/24", "fd77::1/64"]

[l2tp]
mode = "lns"
dns = ["10.77.0.53"]

[l2tp.ipsec]
psk = "the l2tp pre-shared key"

[ipsec]
local_address = "192.0.2.1"
local_id = "vpn.example.org"

[accounts]
pool = "10.77.0.100-10.77.0.200"
pool6 = "fd77::/112"

[[account]]
name = "alice"
public_key = ")" +
         client_public + R"("
preshared_key = "/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak="
password = "correct horse"
address = "10.77.0.2"
address6 = "fd77::2"
ike_psk = "alice's ike key, long"
ike_id = "alice@example.org"

[[account]]
name = "bob"
nt_hash = "8846f7eaee8fb117ad06bdd830b7586c"
address = "10.77.0.3"

[[account]]
name = "carol"
password = "carol's password"

[[account]]
name = "dave"
password = "dave's password"
address = "10.77.0.5"
disabled = true
)";
}

class GatewayProfileTest : public ::testing::Test {
 protected:
  GatewayProfileTest() : client_key_(key32(kClientKey)) {
    const std::string client_public = crypto::base64_encode(crypto::x25519_public_key(client_key_));
    auto node = control::parse_node_config(gateway_toml(client_public), "gw.toml");
    EXPECT_TRUE(node) << node.error().to_string();
    if (node) gateway_ = std::move(*node);
  }
  Result<GatewayProfile, std::string> make(ProfileRequest request) const {
    return profile_from_gateway(gateway_, request);
  }
  ProfileRequest alice() const {
    ProfileRequest r;
    r.account = "alice";
    r.endpoint = "vpn.example.org";
    r.private_key = client_key_;
    return r;
  }
  static std::string refusal(const Result<GatewayProfile, std::string>& r) {
    EXPECT_FALSE(r);
    return r ? "" : r.error();
  }

  crypto::PrivateKey client_key_;
  control::NodeConfig gateway_;
};

TEST_F(GatewayProfileTest, TakesTheGatewaysPublicSettingsAndTheAccountsLogins) {
  auto p = make(alice());
  ASSERT_TRUE(p) << p.error();
  EXPECT_TRUE(p->warnings.empty());
  const ProfileInput& in = p->input;
  EXPECT_EQ(in.account, "alice");
  EXPECT_EQ(crypto::base64_encode(in.gateway_public_key),
            crypto::base64_encode(crypto::x25519_public_key(gateway_.interface->private_key)));
  EXPECT_TRUE(in.private_key == client_key_);
  EXPECT_TRUE(in.preshared_key == key32(testing::kPresharedKey));
  EXPECT_EQ(in.addresses,
            (std::vector{*IpAddress::parse("10.77.0.2"), *IpAddress::parse("fd77::2")}));
  EXPECT_EQ(in.endpoint_host, "vpn.example.org");
  EXPECT_EQ(in.wireguard_port, 51820);  // the gateway's listen_port
  EXPECT_EQ(in.gateway_address, IpAddress::parse("10.77.0.1"));
  EXPECT_EQ(in.routes,
            (std::vector{*IpPrefix::parse("10.77.0.0/24"), *IpPrefix::parse("fd77::/64")}));
  EXPECT_EQ(in.dns, std::vector{*IpAddress::parse("10.77.0.53")});
  EXPECT_FALSE(in.mtu);
  ASSERT_TRUE(in.l2tp);
  EXPECT_EQ(in.l2tp->user, "alice");
  EXPECT_EQ(in.l2tp->password, "correct horse");
  EXPECT_EQ(in.l2tp->ipsec_psk, "the l2tp pre-shared key");
  ASSERT_TRUE(in.ike);
  EXPECT_EQ(in.ike->local_id, "rfc822:alice@example.org");
  EXPECT_EQ(in.ike->remote_id, "fqdn:vpn.example.org");
  EXPECT_EQ(in.ike->psk, "alice's ike key, long");
}

TEST_F(GatewayProfileTest, EndpointPortFullTunnelAndDnsFromTheRequest) {
  ProfileRequest r = alice();
  r.endpoint = "[2001:db8::1]:4443";
  r.full_tunnel = true;
  r.dns = {*IpAddress::parse("9.9.9.9")};
  r.dns_search = {"corp.example"};
  auto p = make(r);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->input.endpoint_host, "2001:db8::1");
  EXPECT_EQ(p->input.wireguard_port, 4443);
  EXPECT_TRUE(p->input.full_tunnel());
  EXPECT_EQ(p->input.dns, r.dns);
  EXPECT_EQ(p->input.dns_search, r.dns_search);
}

TEST_F(GatewayProfileTest, PointsDnsAtTheGatewaysForwarderWithItsRoutedDomains) {
  const std::string client_public = crypto::base64_encode(crypto::x25519_public_key(client_key_));
  auto node = control::parse_node_config(
      gateway_toml(client_public) + control::testing::kGatewayDns, "gw.toml");
  ASSERT_TRUE(node) << node.error().to_string();
  auto p = profile_from_gateway(*node, alice());
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->input.dns,
            (std::vector{*IpAddress::parse("10.77.0.1"), *IpAddress::parse("fd77::1")}));
  EXPECT_EQ(p->input.dns_search, (std::vector<std::string>{"corp.example", "77.10.in-addr.arpa"}));
  // Servers the request names keep their own search domains.
  ProfileRequest r = alice();
  r.dns = {*IpAddress::parse("9.9.9.9")};
  p = profile_from_gateway(*node, r);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->input.dns, r.dns);
  EXPECT_TRUE(p->input.dns_search.empty());
}

TEST_F(GatewayProfileTest, NamesTheAccountsWhenOneIsUnknown) {
  ProfileRequest r = alice();
  r.account = "alcie";
  EXPECT_EQ(refusal(make(r)),
            "no account 'alcie' in the gateway's config (it has alice, bob, carol, dave)");
}

TEST_F(GatewayProfileTest, RefusesADisabledAccount) {
  ProfileRequest r;
  r.account = "dave";
  r.endpoint = "vpn.example.org";
  EXPECT_NE(refusal(make(r)).find("disabled"), std::string::npos);
}

TEST_F(GatewayProfileTest, SaysALeasedAddressNeedsTheRunningGatewaysStore) {
  ProfileRequest r;
  r.account = "carol";
  r.endpoint = "vpn.example.org";
  const std::string why = refusal(make(r));
  EXPECT_NE(why.find("no fixed address"), std::string::npos) << why;
  EXPECT_NE(why.find("state store"), std::string::npos) << why;
  EXPECT_NE(why.find("address = \"...\""), std::string::npos) << why;
}

TEST_F(GatewayProfileTest, WarnsOfALeasedIpv6Address) {
  ProfileRequest r;
  r.account = "bob";
  r.endpoint = "vpn.example.org";
  auto p = make(r);
  ASSERT_TRUE(p) << p.error();
  ASSERT_EQ(p->warnings.size(), 2u);
  EXPECT_NE(p->warnings[0].find("IPv6 address is leased"), std::string::npos);
  EXPECT_NE(p->warnings[1].find("NT hash only"), std::string::npos);
  EXPECT_FALSE(p->input.l2tp);
}

TEST_F(GatewayProfileTest, TakesAPasswordThatMatchesTheNtHash) {
  ProfileRequest r;
  r.account = "bob";
  r.endpoint = "vpn.example.org";
  r.l2tp_password = "password";  // MD4 of its UTF-16LE is 8846f7ea...
  auto p = make(r);
  ASSERT_TRUE(p) << p.error();
  ASSERT_TRUE(p->input.l2tp);
  EXPECT_EQ(p->input.l2tp->password, "password");
  r.l2tp_password = "Password";
  EXPECT_NE(refusal(make(r)).find("is not account 'bob''s"), std::string::npos);
}

TEST_F(GatewayProfileTest, RefusesAPrivateKeyThatIsNotTheAccounts) {
  ProfileRequest r = alice();
  r.private_key = key32(testing::kClientPrivateKey);
  const std::string why = refusal(make(r));
  EXPECT_NE(why.find("is not one of account 'alice''s public keys"), std::string::npos) << why;
  r.account = "bob";
  EXPECT_NE(refusal(make(r)).find("account 'bob' has no WireGuard public_key: add public_key"),
            std::string::npos);
}

TEST_F(GatewayProfileTest, NeedsAPortWhenTheGatewayHasNoListenPort) {
  gateway_.interface->listen_port = 0;
  EXPECT_NE(refusal(make(alice())).find("give the endpoint as HOST:PORT"), std::string::npos);
  ProfileRequest r = alice();
  r.endpoint = "vpn.example.org:1234";
  EXPECT_TRUE(make(r));
  r.endpoint = "vpn.example.org:x";
  EXPECT_NE(refusal(make(r)).find("must be HOST, HOST:PORT or [IPv6]:PORT"), std::string::npos);
}

TEST_F(GatewayProfileTest, RefusesAConfigWithoutAccounts) {
  gateway_.accounts.clear();
  EXPECT_NE(refusal(make(alice())).find("no [[account]] sections"), std::string::npos);
}

}  // namespace
}  // namespace tandem::profile
