// A hybrid gateway's IKEv2 side: [ipsec] beside [[account]]s whose ike_id and ike_psk log road
// warriors in, and every refusal with its position.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::expect_refusals;
using testing::refusal;
using testing::with;

const std::string kGateway = testing::kHybridGatewayInterface + R"(
[accounts]
pool = "10.77.0.10-10.77.0.200"

[[account]]
name = "alice"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
address = "10.77.0.2"

[[account]]
name = "carol"
ike_id = "carol@example.org"
ike_psk = "carol's long pre-shared key"
address = "10.77.0.3"

[[account]]
name = "dave"
ike_psk = "dave's long pre-shared key"

[ipsec]
local_address = "192.0.2.1"
local_id = "vpn.example.org"
ike_lifetime = 7200
)";

TEST(HybridIkev2Config, ParsesAGatewaysRoadWarriors) {
  auto r = parse_node_config(kGateway, "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ipsec);
  EXPECT_EQ(r->ipsec->interface, "hyb0");
  EXPECT_EQ(r->ipsec->ike_version, 2);
  EXPECT_EQ(r->ipsec->local_id, "fqdn:vpn.example.org");
  EXPECT_EQ(r->ipsec->ike_lifetime, 7200u);
  EXPECT_TRUE(r->ipsec->connections.empty());
  ASSERT_EQ(r->accounts.size(), 3u);
  EXPECT_FALSE(r->accounts[0].ike_id);
  EXPECT_FALSE(r->accounts[0].ike_psk);
  EXPECT_EQ(r->accounts[1].ike_id, "rfc822:carol@example.org");
  EXPECT_EQ(r->accounts[1].ike_psk, "carol's long pre-shared key");
  // Without ike_id the account's name is its identity.
  EXPECT_EQ(r->accounts[2].ike_id, "fqdn:dave");
  EXPECT_FALSE(r->accounts[2].ipv4);  // leased from the pool
}

TEST(HybridIkev2Config, IdentitiesMayBeNamesAddressesOrMailboxes) {
  for (const auto& [given, normal] : std::vector<std::pair<std::string, std::string>>{
           {"carol.example.org", "fqdn:carol.example.org"},
           {"198.51.100.7", "ipv4:198.51.100.7"},
           {"fqdn:c@x", "fqdn:c@x"},
           {"rfc822:carol@x", "rfc822:carol@x"}}) {
    auto r = parse_node_config(with(kGateway, "\"carol@example.org\"", "\"" + given + "\""), "g");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->accounts[1].ike_id, normal);
  }
}

TEST(HybridIkev2Config, RefusesBadRoadWarriorAccounts) {
  expect_refusals(
      kGateway,
      {
          {"ike_psk = \"carol's long pre-shared key\"", "ike_psk = \"short\"",
           "n.toml:18:11: the pre-shared key must be at least 16 characters"},
          {"ike_psk = \"carol's long pre-shared key\"", "",
           "n.toml:17:10: account 'carol' has ike_id but no ike_psk or ike_psk_file to log in "
           "with"},
          {"\"carol@example.org\"", "\"ipv6:fd00::1\"",
           "n.toml:17:10: ike_id must be an IPv4 address, a name or user@domain (\"ipv4:...\", "
           "\"fqdn:...\", \"rfc822:...\")"},
          {"ike_psk = \"dave's long pre-shared key\"",
           "ike_psk = \"dave's long pre-shared key\"\nike_id = \"carol@example.org\"",
           "n.toml:24:10: IKE identity rfc822:carol@example.org of account 'dave' is already "
           "account 'carol''s (line 17)"},
          {"ike_psk = \"dave's long pre-shared key\"",
           "ike_psk = \"dave's long pre-shared key\"\nike_psk_file = \"dave.psk\"",
           "n.toml:24:16: give either ike_psk or ike_psk_file, not both"},
          {"pool = \"10.77.0.10-10.77.0.200\"", "pool6 = \"fd77::/112\"",
           "n.toml:21:1: account 'dave' logs in over IKEv2, which hands out an IPv4 address: give "
           "it address = \"...\" or add [accounts] pool = \"FIRST-LAST\""},
          {"ike_psk = \"dave's long pre-shared key\"", "ike_key = \"x\"",
           "n.toml:23:1: unknown key 'ike_key' in [[account]]"},
      });
}

TEST(HybridIkev2Config, RefusesWhatTheGatewaysIpsecCannotHave) {
  const std::string role =
      "beside [[account]], [ipsec] is the gateway's IKEv2 side for road warriors: the "
      "[interface] device carries it, the accounts give the addresses and are the peers "
      "(ike_id, ike_psk); remove ";
  expect_refusals(
      kGateway,
      {
          {"ike_lifetime = 7200", "interface = \"ipsec0\"",
           "n.toml:28:1: " + role + "interface from [ipsec]"},
          {"ike_lifetime = 7200", "mtu = 1400", "n.toml:28:1: " + role + "mtu from [ipsec]"},
          {"ike_lifetime = 7200", "addresses = [\"10.9.0.1/24\"]",
           "n.toml:28:1: " + role + "addresses from [ipsec]"},
          {"ike_lifetime = 7200", "pool = \"10.9.0.10-10.9.0.20\"",
           "n.toml:28:1: " + role + "pool from [ipsec]"},
          {"ike_lifetime = 7200",
           "\n[[ipsec.connection]]\nname = \"s\"\npsk = \"a site-to-site pre-shared key\"\n"
           "local_subnets = [\"10.77.0.0/24\"]\nremote_subnets = [\"10.88.0.0/24\"]",
           "n.toml:29:9: " + role + "[[ipsec.connection]] from [ipsec]"},
          {"ike_lifetime = 7200", "ike_version = 1",
           "n.toml:28:15: a gateway's road warriors use IKEv2 (their inner address comes in a "
           "configuration payload): ike_version must be 2"},
          {"local_address = \"192.0.2.1\"\n", "",
           "n.toml:25:1: [ipsec] needs local_address (where IKE and ESP leave from)"},
      });
}

TEST(HybridIkev2Config, RefusesRoadWarriorsWithoutIpsecAndIpsecWithoutThem) {
  const std::string no_ipsec = kGateway.substr(0, kGateway.find("[ipsec]"));
  EXPECT_EQ(refusal(no_ipsec),
            "n.toml:17:10: account 'carol' logs in over IKEv2, which needs an [ipsec] section: "
            "the gateway's local_address (and optionally local_id)");
  const std::string no_warriors =
      with(with(with(kGateway, "ike_id = \"carol@example.org\"\n", ""),
                "ike_psk = \"carol's long pre-shared key\"", "password = \"battery staple\""),
           "ike_psk = \"dave's long pre-shared key\"", "password = \"correct horse\"");
  EXPECT_EQ(refusal(no_warriors),
            "n.toml:24:1: [ipsec] beside [[account]] serves the accounts' IKEv2 logins, but no "
            "account has ike_psk or ike_psk_file");
}

// One gateway serves L2TP/IPsec (IKEv1) and IKEv2 road warriors on the same UDP 500 and 4500,
// so both must speak from one address.
TEST(HybridIkev2Config, ServesL2tpIpsecAndIkev2RoadWarriorsTogether) {
  const std::string l2tp_ipsec =
      "[l2tp]\nmode = \"lns\"\n[l2tp.ipsec]\npsk = \"an L2TP pre-shared key\"\n\n[ipsec]";
  auto r = parse_node_config(with(kGateway, "[ipsec]", l2tp_ipsec), "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->l2tp && r->l2tp->ipsec && r->ipsec);
  EXPECT_EQ(r->l2tp->interface, "hyb0");
  EXPECT_EQ(r->ipsec->interface, "hyb0");
  const std::string same_address =
      "[l2tp]\nmode = \"lns\"\n[l2tp.ipsec]\npsk = \"an L2TP pre-shared key\"\n"
      "local_address = \"192.0.2.1\"\n\n[ipsec]";
  EXPECT_TRUE(parse_node_config(with(kGateway, "[ipsec]", same_address), "gw.toml"));
  const std::string other_address = with(same_address, "\"192.0.2.1\"", "\"192.0.2.9\"");
  EXPECT_EQ(refusal(with(kGateway, "[ipsec]", other_address)),
            "n.toml:29:17: [l2tp.ipsec] local_address 192.0.2.9 differs from [ipsec] "
            "local_address 192.0.2.1: L2TP/IPsec and IKEv2 share UDP 500 and 4500, so they speak "
            "from one address (remove it from [l2tp.ipsec])");
  const std::string plain_l2tp = "[l2tp]\nmode = \"lns\"\nallow_unencrypted = true\n\n[ipsec]";
  EXPECT_TRUE(parse_node_config(with(kGateway, "[ipsec]", plain_l2tp), "gw.toml"));
}

class HybridIkev2ConfigFiles : public testing::ScratchDir {};

TEST_F(HybridIkev2ConfigFiles, ReadsAnIkeKeyFileWithThePermissionWarning) {
  write("carol.ike", "carol's long pre-shared key\n", 0644);
  const std::string path = write(
      "gw.toml",
      with(kGateway, "ike_psk = \"carol's long pre-shared key\"", "ike_psk_file = \"carol.ike\""));
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->accounts[1].ike_psk, "carol's long pre-shared key");
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"Warning: '" + dir_ + "/carol.ike' is world accessible"});
}

}  // namespace
}  // namespace tandem::control
