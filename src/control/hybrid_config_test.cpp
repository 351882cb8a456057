// The hybrid sections: a gateway with accounts, a client with a fallback, and every refusal with
// its position.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "control/config_test_support.hpp"
#include "crypto/key_encoding.hpp"

namespace tandem::control {
namespace {

using testing::expect_refusals;
using testing::refusal;
using testing::with;

// The gateway's [interface] private_key is yAnz5TF+..., whose public key is HIgo9xNz....
const std::string kGateway = R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.77.0.1/24", "fd77::1/64"]

[accounts]
pool = "10.77.0.10-10.77.0.200"
pool6 = "fd77::/112"

[[account]]
name = "alice"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
password = "correct horse"
address = "10.77.0.2"
address6 = "fd77::2"

[[account]]
name = "bob"
public_keys = ["TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="]
nt_hash = "8846F7EAEE8FB117AD06BDD830B7586C"
subnets = ["192.168.50.0/24"]
disabled = true

[[account]]
name = "carol"
password = "battery staple"

[l2tp]
mode = "lns"
allow_unencrypted = true
dns = ["10.77.0.1"]
)";

const std::string kClient = testing::kHybridClient;

const std::string kAlicePublicKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const std::string kGatewayPublicKey = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

TEST(HybridConfig, ParsesAGatewayWithAccounts) {
  auto r = parse_node_config(kGateway, "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->hybrid());
  EXPECT_FALSE(r->fallback);
  EXPECT_TRUE(r->peers.empty());
  EXPECT_EQ(r->account_pool.v4_first->to_string(), "10.77.0.10");
  EXPECT_EQ(r->account_pool.v4_last->to_string(), "10.77.0.200");
  EXPECT_EQ(r->account_pool.v6->to_string(), "fd77::/112");
  ASSERT_EQ(r->accounts.size(), 3u);

  const AccountConfig& alice = r->accounts[0];
  EXPECT_EQ(alice.name, "alice");
  ASSERT_EQ(alice.public_keys.size(), 1u);
  EXPECT_EQ(crypto::base64_encode(alice.public_keys[0]), kAlicePublicKey);
  EXPECT_EQ(alice.password, "correct horse");
  EXPECT_FALSE(alice.nt_hash);
  EXPECT_EQ(alice.ipv4->to_string(), "10.77.0.2");
  EXPECT_EQ(alice.ipv6->to_string(), "fd77::2");
  EXPECT_TRUE(alice.subnets.empty());
  EXPECT_FALSE(alice.disabled);

  const AccountConfig& bob = r->accounts[1];
  ASSERT_EQ(bob.public_keys.size(), 2u);
  EXPECT_EQ(crypto::base64_encode(bob.public_keys[1]),
            "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
  EXPECT_FALSE(bob.password);
  ASSERT_TRUE(bob.nt_hash);
  EXPECT_EQ(std::to_integer<int>(bob.nt_hash->bytes()[0]), 0x88);
  EXPECT_EQ(std::to_integer<int>(bob.nt_hash->bytes()[15]), 0x6c);
  EXPECT_FALSE(bob.ipv4);
  ASSERT_EQ(bob.subnets.size(), 1u);
  EXPECT_EQ(bob.subnets[0].to_string(), "192.168.50.0/24");
  EXPECT_TRUE(bob.disabled);

  const AccountConfig& carol = r->accounts[2];
  EXPECT_TRUE(carol.public_keys.empty());
  EXPECT_EQ(carol.password, "battery staple");
  EXPECT_FALSE(carol.ipv4);
  EXPECT_FALSE(carol.ipv6);
}

TEST(HybridConfig, AGatewaysL2tpRunsOnItsInterfaceWithItsAddress) {
  auto r = parse_node_config(kGateway, "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->l2tp);
  EXPECT_EQ(r->l2tp->role, L2tpRole::kLns);
  EXPECT_EQ(r->l2tp->interface, "hyb0");
  EXPECT_EQ(r->l2tp->address->to_string(), "10.77.0.1/24");
  EXPECT_FALSE(r->l2tp->pool_first);
  EXPECT_TRUE(r->l2tp->users.empty()) << "the accounts are the users";
  ASSERT_EQ(r->l2tp->dns.size(), 1u);
}

TEST(HybridConfig, AGatewayMayServeWireGuardOnly) {
  const std::string text = kGateway.substr(0, kGateway.find("\n[l2tp]"));
  auto r = parse_node_config(text, "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->l2tp);
  EXPECT_EQ(r->accounts.size(), 3u);
}

TEST(HybridConfig, TheGatewaysAddressIsItsFirstIpv4One) {
  auto r = parse_node_config(
      with(kGateway, "[\"10.77.0.1/24\", \"fd77::1/64\"]", "[\"fd77::1/64\", \"10.77.0.1/24\"]"),
      "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->l2tp->address->to_string(), "10.77.0.1/24");
}

TEST(HybridConfig, AnIpv6PoolAloneGivesEveryAccountAnAddress) {
  auto r = parse_node_config(with(kGateway, "pool = \"10.77.0.10-10.77.0.200\"\n", ""), "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->account_pool.v4_first);
  EXPECT_TRUE(r->account_pool.v6);
}

// probe_interval, down_after, down_loss, failback_hold and failback_hold_max, in that order.
using Timings = std::array<unsigned, 5>;
Timings timings(const FallbackSettings& f) {
  return {f.probe_interval_ms, f.down_after_ms, f.down_loss_percent, f.failback_hold_s,
          f.failback_hold_max_s};
}

TEST(HybridConfig, ParsesAClientFallbackWithTheDefaults) {
  auto r = parse_node_config(kClient, "cl.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->hybrid());
  EXPECT_TRUE(r->accounts.empty());
  ASSERT_TRUE(r->fallback);
  const FallbackSettings& f = *r->fallback;
  EXPECT_EQ(f.gateway.to_string(), "10.77.0.1");
  EXPECT_EQ(timings(f), (Timings{200, 700, 30, 5, 60}));
  EXPECT_TRUE(f.warm_secondary);
  EXPECT_TRUE(f.mtu_probing);
  EXPECT_EQ(f.mtu_probe_interval_s, 600u);
  ASSERT_EQ(r->peers.size(), 1u);
  ASSERT_TRUE(r->l2tp);
  EXPECT_EQ(r->l2tp->role, L2tpRole::kLac);
  EXPECT_EQ(r->l2tp->interface, "hyb0");
  EXPECT_TRUE(r->l2tp->routes.empty());
  ASSERT_EQ(r->l2tp->calls.size(), 1u);
}

TEST(HybridConfig, ParsesAClientFallbackWithEveryKey) {
  auto r = parse_node_config(with(kClient, "gateway = \"10.77.0.1\"\n",
                                  "gateway = \"10.77.0.1\"\nprobe_interval = 100\n"
                                  "down_after = 500\ndown_loss = 20\nfailback_hold = 10\n"
                                  "failback_hold_max = 120\nstable_after = 45\n"
                                  "secondary = \"on-demand\"\nmtu_probing = false\n"
                                  "mtu_probe_interval = 30\n"),
                             "cl.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const FallbackSettings& f = *r->fallback;
  EXPECT_EQ(timings(f), (Timings{100, 500, 20, 10, 120}));
  EXPECT_EQ(f.stable_after_s, 45u);
  EXPECT_FALSE(f.warm_secondary);
  EXPECT_FALSE(f.mtu_probing);
  EXPECT_EQ(f.mtu_probe_interval_s, 30u);
}

TEST(HybridConfig, AFallbackGatewayMayBeIpv6) {
  const std::string text =
      with(with(kClient, "[\"10.77.0.2/24\"]", "[\"10.77.0.2/24\", \"fd77::2/64\"]"),
           "gateway = \"10.77.0.1\"", "gateway = \"fd77::1\"");
  auto r = parse_node_config(with(text, "[\"10.77.0.0/24\"]", "[\"10.77.0.0/24\", \"fd77::/64\"]"),
                             "cl.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->fallback->gateway.to_string(), "fd77::1");
}

TEST(HybridConfig, NodesWithoutHybridSectionsAreNotHybrid) {
  const std::string wireguard_only = kClient.substr(0, kClient.find("\n[l2tp]"));
  auto r = parse_node_config(wireguard_only, "wg.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->hybrid());
}

TEST(HybridConfig, RefusesBadAccounts) {
  expect_refusals(
      kGateway,
      {
          {"password = \"correct", "pasword = \"correct",
           "n.toml:14:1: unknown key 'pasword' in [[account]]; did you mean 'password'?"},
          {"name = \"carol\"\n", "", "n.toml:25:1: [[account]] needs name = \"...\""},
          {"name = \"carol\"", "name = \"\"", "n.toml:26:8: name must not be empty"},
          {"name = \"carol\"", "name = \"alice\"",
           "n.toml:26:8: two accounts are named 'alice' (the first at line 11)"},
          {"address = \"10.77.0.2\"", "public_keys = []",
           "n.toml:15:15: give either public_key or public_keys, not both"},
          {"public_key = \"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"",
           "public_key = \"short\"",
           "n.toml:13:14: not a base64 WireGuard key (44 characters ending in '=')"},
          {"\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"", "\"short\"",
           "n.toml:20:64: not a base64 WireGuard key (44 characters ending in '=')"},
          {"password = \"correct horse\"", "password = \"correct horse\"\nnt_hash = \"00\"",
           "n.toml:15:11: give one of password, password_file and nt_hash, not two"},
          {"password = \"correct horse\"", "password = \"correct horse\"\npassword_file = \"p\"",
           "n.toml:15:17: give either password or password_file, not both"},
          {"nt_hash = \"8846F7EAEE8FB117AD06BDD830B7586C\"", "nt_hash = \"8846\"",
           "n.toml:21:11: nt_hash must be 32 hex digits (MD4 of the UTF-16LE password)"},
          {"password = \"battery staple\"", "address = \"10.77.0.3\"",
           "n.toml:25:1: account 'carol' has no way in: give it public_key (WireGuard), "
           "password, password_file or nt_hash (L2TP) or ike_psk (IKEv2)"},
          {"address = \"10.77.0.2\"", "address = \"fd77::2\"",
           "n.toml:15:11: address must be an IPv4 address such as \"10.77.0.2\" (IPv6 goes in "
           "address6)"},
          {"address6 = \"fd77::2\"", "address6 = \"10.77.0.2\"",
           "n.toml:16:12: address6 must be an IPv6 address such as \"fd77::2\""},
          {"[\"192.168.50.0/24\"]", "[\"192.168.50.0/33\"]",
           "n.toml:22:12: not an IP prefix: '192.168.50.0/33'"},
          {"disabled = true", "disabled = 1", "n.toml:23:12: disabled must be true or false"},
          {"password = \"battery staple\"",
           "password = \"battery staple\"\npreshared_key = \"" + kAlicePublicKey + "\"",
           "n.toml:28:17: account 'carol' has a WireGuard pre-shared key but no public_key"},
      });
}

TEST(HybridConfig, AnAccountMayHaveAWireGuardPresharedKey) {
  auto r =
      parse_node_config(with(kGateway, "address6 = \"fd77::2\"",
                             "address6 = \"fd77::2\"\npreshared_key = \"" + kAlicePublicKey + "\""),
                        "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->accounts[0].preshared_key);
  EXPECT_EQ(crypto::base64_encode(r->accounts[0].preshared_key->bytes()), kAlicePublicKey);
  EXPECT_FALSE(r->accounts[2].preshared_key);
}

TEST(HybridConfig, RefusesAccountsWrittenOtherThanAsTables) {
  EXPECT_EQ(refusal("account = \"alice\"\n" + kGateway.substr(0, kGateway.find("[[account]]"))),
            "n.toml:1:11: account must be written as [[account]] tables");
}

TEST(HybridConfig, RefusesAPublicKeyOnTwoAccountsNamingBoth) {
  EXPECT_EQ(refusal(with(kGateway, "\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"",
                         "\"" + kAlicePublicKey + "\"")),
            "n.toml:20:16: public key " + kAlicePublicKey +
                " of account 'bob' is already account 'alice''s (line 13); a key belongs to one "
                "account");
  EXPECT_EQ(refusal(with(kGateway, "\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"",
                         "\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"")),
            "n.toml:20:64: account 'bob' lists public key "
            "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA= twice");
}

TEST(HybridConfig, RefusesTheGatewaysOwnPublicKeyOnAnAccount) {
  EXPECT_EQ(refusal(with(kGateway, kAlicePublicKey, kGatewayPublicKey)),
            "n.toml:13:14: account 'alice' has the gateway's own public key (derived from "
            "[interface] private_key); give it the key of the account's device");
}

TEST(HybridConfig, RefusesAnAddressOnTwoAccountsOrTheGatewaysOwn) {
  expect_refusals(
      kGateway,
      {
          {"name = \"carol\"", "name = \"carol\"\naddress = \"10.77.0.2\"",
           "n.toml:27:11: address 10.77.0.2 of account 'carol' is already account 'alice''s "
           "(line 15)"},
          {"name = \"carol\"", "name = \"carol\"\naddress6 = \"fd77::2\"",
           "n.toml:27:12: address fd77::2 of account 'carol' is already account 'alice''s "
           "(line 16)"},
          {"address = \"10.77.0.2\"", "address = \"10.77.0.1\"",
           "n.toml:15:11: address 10.77.0.1 of account 'alice' is the gateway's own ([interface] "
           "addresses)"},
          {"address6 = \"fd77::2\"", "address6 = \"fd77::1\"",
           "n.toml:16:12: address fd77::1 of account 'alice' is the gateway's own ([interface] "
           "addresses)"},
      });
}

TEST(HybridConfig, RefusesAnIpv4AddressOutsideTheGatewaysSubnets) {
  EXPECT_EQ(refusal(with(kGateway, "address = \"10.77.0.2\"", "address = \"10.78.0.2\"")),
            "n.toml:15:11: address 10.78.0.2 of account 'alice' is outside the gateway's subnet "
            "10.77.0.0/24, so the kernel would not route it to hyb0; pick one inside it");
  const std::string two_subnets =
      with(kGateway, "\"fd77::1/64\"]", "\"fd77::1/64\", \"10.88.0.1/16\"]");
  auto inside_second = parse_node_config(
      with(two_subnets, "address = \"10.77.0.2\"", "address = \"10.88.3.4\""), "gw.toml");
  ASSERT_TRUE(inside_second) << inside_second.error().to_string();
  EXPECT_EQ(refusal(with(two_subnets, "address = \"10.77.0.2\"", "address = \"10.78.0.2\"")),
            "n.toml:15:11: address 10.78.0.2 of account 'alice' is outside the gateway's subnet "
            "10.77.0.0/24 or 10.88.0.0/16, so the kernel would not route it to hyb0; pick one "
            "inside it");
}

TEST(HybridConfig, RefusesAnAccountLeftWithoutAnAddress) {
  const std::string no_pools =
      with(kGateway, "pool = \"10.77.0.10-10.77.0.200\"\npool6 = \"fd77::/112\"\n", "");
  EXPECT_EQ(refusal(no_pools),
            "n.toml:16:1: account 'bob' has no address: give it address = \"...\" (inside "
            "10.77.0.0/24) or add [accounts] pool = \"FIRST-LAST\"");
}

TEST(HybridConfig, RefusesBadPools) {
  expect_refusals(kGateway,
                  {
                      {"\"10.77.0.10-10.77.0.200\"", "\"10.77.0.10-10.78.0.200\"",
                       "n.toml:8:8: pool must lie inside the gateway's subnet 10.77.0.0/24"},
                      {"\"10.77.0.10-10.77.0.200\"", "\"10.77.0.1-10.77.0.200\"",
                       "n.toml:8:8: pool must not contain the gateway's own address"},
                      {"\"10.77.0.10-10.77.0.200\"", "\"10.77.0.200-10.77.0.10\"",
                       "n.toml:8:8: pool starts after it ends"},
                      {"\"10.77.0.10-10.77.0.200\"", "\"10.77.0.10\"",
                       "n.toml:8:8: pool must be two IPv4 addresses: \"10.77.0.10-10.77.0.200\""},
                      {"\"fd77::/112\"", "\"10.77.0.0/24\"",
                       "n.toml:9:9: pool6 must be an IPv6 prefix such as \"fd77::/112\""},
                      {"\"fd77::/112\"", "\"fd77::/124\"",
                       "n.toml:9:9: pool6 must be a /123 or shorter: leases start at its ::10"},
                      {"pool6 =", "pool4 =",
                       "n.toml:9:1: unknown key 'pool4' in [accounts]; did you mean 'pool'?"},
                  });
}

TEST(HybridConfig, RefusesWhatAGatewayWithAccountsCannotHave) {
  expect_refusals(
      kGateway,
      {
          {"addresses = [\"10.77.0.1/24\", \"fd77::1/64\"]", "addresses = [\"fd77::1/64\"]",
           "n.toml:1:1: [[account]] needs an IPv4 address in [interface] addresses: the gateway's "
           "inner address and subnet, such as \"10.77.0.1/24\""},
          {"[l2tp]", "[[peer]]\npublic_key = \"" + kAlicePublicKey + "\"\n\n[l2tp]",
           "n.toml:29:1: a gateway with accounts takes its WireGuard peers from [[account]] "
           "public_key; move each [[peer]] into an account"},
          {"mode = \"lns\"", "mode = \"lac\"",
           "n.toml:30:8: with [[account]], [l2tp] is the gateway's L2TP side: mode = \"lns\""},
          {"dns =", "interface = \"l2tp0\"\ndns =",
           "n.toml:32:1: with [[account]], the device comes from [interface]: remove interface "
           "from [l2tp]"},
          {"dns =", "address = \"10.77.0.1/24\"\ndns =",
           "n.toml:32:1: with [[account]], the gateway's address comes from [interface] (its "
           "first IPv4 address): remove address from [l2tp]"},
          {"dns =", "pool = \"10.77.0.10-10.77.0.200\"\ndns =",
           "n.toml:32:1: with [[account]], the pool comes from [accounts] pool: move it there"},
          {"dns = [\"10.77.0.1\"]\n", "dns = [\"10.77.0.1\"]\n[[l2tp.user]]\nname = \"dave\"\n",
           "n.toml:33:8: with [[account]], the logins come from the accounts: move each "
           "[[l2tp.user]] into an [[account]] (name with password, password_file or nt_hash)"},
          {"dns =", "auth = [\"chap-md5\"]\ndns =",
           "n.toml:21:11: CHAP-MD5 needs a clear password; account 'bob' has only nt_hash"},
          {"[l2tp]", "[fallback]\ngateway = \"10.77.0.1\"\n\n[l2tp]",
           "n.toml:29:1: [fallback] is for a client of a gateway and [[account]] for the gateway "
           "itself; a node is one or the other"},
      });
}

TEST(HybridConfig, RefusesAccountsWithoutAnInterface) {
  const std::string no_interface = kGateway.substr(kGateway.find("[accounts]"));
  EXPECT_EQ(refusal(no_interface),
            "n.toml:5:1: [[account]] needs an [interface] section: the one device every path of "
            "the hybrid interface runs on");
}

TEST(HybridConfig, RefusesPoolsWithoutAccounts) {
  const std::string pools_only = kGateway.substr(0, kGateway.find("[[account]]"));
  EXPECT_EQ(refusal(pools_only),
            "n.toml:7:1: [accounts] holds the pools of a gateway's [[account]]s; add [[account]] "
            "sections (or store = \"/var/lib/tandem/NAME.db\") or remove it");
}

TEST(HybridConfig, AStoreHoldsTheAccountsInsteadOfTheFile) {
  std::string pools_only = kGateway.substr(0, kGateway.find("[[account]]"));
  const std::string with_store =
      with(pools_only, "[accounts]\n", "[accounts]\nstore = \"/var/lib/tandem/n.db\"\n");
  auto cfg = parse_node_config(with_store, "n.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().to_string();
  EXPECT_TRUE(cfg->gateway());
  EXPECT_TRUE(cfg->hybrid());
  EXPECT_TRUE(cfg->accounts.empty());
  EXPECT_EQ(cfg->account_pool.store, "/var/lib/tandem/n.db");
  EXPECT_NE(
      refusal(with(kGateway, "[accounts]\n", "[accounts]\nstore = \"/var/lib/tandem/n.db\"\n"))
          .find("[accounts] store holds this gateway's accounts, so [[account]] sections are "
                "not read"),
      std::string::npos);
  EXPECT_NE(refusal(with(pools_only, "[accounts]\n", "[accounts]\nstore = \"n.db\"\n"))
                .find("store must be the absolute path"),
            std::string::npos);
}

TEST(HybridConfig, SuggestsTheHybridSectionsForMisspelledOnes) {
  EXPECT_EQ(refusal(with(kGateway, "[[account]]", "[[acount]]")),
            "n.toml:11:3: unknown key 'acount' in the top level; did you mean 'account'?");
  EXPECT_EQ(refusal(with(kClient, "[fallback]", "[falback]")),
            "n.toml:21:2: unknown key 'falback' in the top level; did you mean 'fallback'?");
}

TEST(HybridConfig, RefusesBadFallbackSettings) {
  expect_refusals(
      kClient,
      {
          {"gateway = \"10.77.0.1\"", "gateway = \"vpn.example.org\"",
           "n.toml:22:11: gateway must be an IP address such as \"10.77.0.1\""},
          {"gateway = \"10.77.0.1\"", "probe_interval = 200",
           "n.toml:21:1: [fallback] needs gateway = \"10.77.0.1\": the gateway's inner address, "
           "which answers health probes"},
          {"gateway =", "gatway =",
           "n.toml:22:1: unknown key 'gatway' in [fallback]; did you mean 'gateway'?"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nprobe_interval = 40\n",
           "n.toml:23:18: probe_interval must be between 50 and 5000"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\ndown_after = 50\n",
           "n.toml:23:14: down_after must be between 100 and 60000"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\ndown_loss = 99\n",
           "n.toml:23:13: down_loss must be between 5 and 95"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nfailback_hold = 4000\n",
           "n.toml:23:17: failback_hold must be between 0 and 3600"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nfailback_hold_max = 90000\n",
           "n.toml:23:21: failback_hold_max must be between 0 and 86400"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nprobe_interval = 500\ndown_after = 500\n",
           "n.toml:24:14: down_after (500 ms) must be longer than probe_interval (500 ms)"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nprobe_interval = 1000\n",
           "n.toml:23:18: down_after (700 ms) must be longer than probe_interval (1000 ms)"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nfailback_hold = 10\nfailback_hold_max = 5\n",
           "n.toml:24:21: failback_hold_max (5 s) must be at least failback_hold (10 s)"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nfailback_hold = 100\n",
           "n.toml:23:17: failback_hold_max (60 s) must be at least failback_hold (100 s)"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nsecondary = \"cold\"\n",
           "n.toml:23:13: secondary must be \"warm\" (kept up in advance) or \"on-demand\" "
           "(dialled when the primary fails)"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nstable_after = 0\n",
           "n.toml:23:16: stable_after must be between 1 and 86400"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nmtu_probe_interval = 1\n",
           "n.toml:23:22: mtu_probe_interval must be between 5 and 86400"},
          {"\"10.77.0.1\"\n", "\"10.77.0.1\"\nmtu_probing = \"yes\"\n",
           "n.toml:23:15: mtu_probing must be true or false"},
      });
}

TEST(HybridConfig, RefusesAFallbackThatIsNotATable) {
  EXPECT_EQ(refusal("fallback = 1\n" + kClient.substr(0, kClient.find("[fallback]"))),
            "n.toml:1:12: fallback must be a table: [fallback]");
}

TEST(HybridConfig, RefusesWhatAFallbackClientCannotHave) {
  const std::string second_peer =
      "[[peer]]\npublic_key = \"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"\n\n[l2tp]";
  expect_refusals(
      kClient,
      {
          {"addresses = [\"10.77.0.2/24\"]\n", "",
           "n.toml:1:1: [fallback] needs an address in [interface] addresses: the inner address "
           "both paths carry"},
          {"[l2tp]", second_peer,
           "n.toml:12:1: [fallback] needs exactly one [[peer]] (the gateway over WireGuard); this "
           "file has 2"},
          {"mode = \"lac\"", "mode = \"lns\"",
           "n.toml:13:8: with [fallback], [l2tp] is the secondary path to the gateway: mode = "
           "\"lac\""},
          {"server =", "interface = \"l2tp0\"\nserver =",
           "n.toml:15:1: with [fallback], the device comes from [interface]: remove interface "
           "from [l2tp]"},
          {"server =", "routes = [\"10.77.0.0/24\"]\nserver =",
           "n.toml:15:1: with [fallback], the routes are the [[peer]]'s allowed_ips: remove routes "
           "from [l2tp]"},
          {"gateway = \"10.77.0.1\"", "gateway = \"10.78.0.1\"",
           "n.toml:22:11: gateway 10.78.0.1 is outside the [[peer]]'s allowed_ips, so probes "
           "could never reach it; add it to allowed_ips"},
          {"gateway = \"10.77.0.1\"", "gateway = \"fd77::1\"",
           "n.toml:22:11: gateway fd77::1 needs an [interface] address of the same family to "
           "probe it from"},
          {"gateway = \"10.77.0.1\"", "gateway = \"10.77.0.2\"",
           "n.toml:22:11: gateway 10.77.0.2 is this node's own address ([interface] addresses); "
           "give the gateway's inner address"},
      });
}

TEST(HybridConfig, RefusesAFallbackWithoutItsTwoPaths) {
  const std::string no_l2tp =
      kClient.substr(0, kClient.find("[l2tp]")) + kClient.substr(kClient.find("[fallback]"));
  EXPECT_EQ(refusal(no_l2tp),
            "n.toml:12:1: [fallback] needs a secondary path: an [l2tp] section with mode = \"lac\" "
            "(L2TP/IPsec to a gateway) or an [ipsec] section (an ESP tunnel to another site)");
  const std::string no_peer =
      kClient.substr(0, kClient.find("[[peer]]")) + kClient.substr(kClient.find("[l2tp]"));
  EXPECT_EQ(refusal(no_peer),
            "n.toml:15:1: [fallback] needs exactly one [[peer]] (the gateway over WireGuard); this "
            "file has none");
  const std::string no_interface = kClient.substr(kClient.find("[[peer]]"));
  EXPECT_EQ(refusal(no_interface),
            "n.toml:16:1: [fallback] needs an [interface] section: the one device every path of "
            "the hybrid interface runs on");
}

class HybridConfigFiles : public testing::ScratchDir {};

TEST_F(HybridConfigFiles, ReadsAnAccountsPasswordFileBesideTheConfig) {
  write("carol.password", "battery staple\n", 0640);
  const std::string path = write("gw.toml", with(kGateway, "password = \"battery staple\"",
                                                 "password_file = \"carol.password\""));
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->accounts[2].password, "battery staple");
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"Warning: '" + dir_ + "/carol.password' is group accessible"});
}

TEST_F(HybridConfigFiles, AnNtHashIsASecretInTheConfig) {
  // No inline password or key left: only bob's nt_hash.
  const std::string text = with(
      with(with(kGateway, "password = \"correct horse\"\n", ""), "password = \"battery staple\"",
           "public_key = \"ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=\""),
      "private_key = \"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\"",
      "private_key_file = \"gw.key\"");
  write("gw.key", "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n");
  const std::string path = write("gw.toml", text, 0644);
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings, std::vector<std::string>{"Warning: '" + path + "' is world accessible"});
  const std::string no_hash = with(text, "nt_hash = \"8846F7EAEE8FB117AD06BDD830B7586C\"\n", "");
  auto quiet = load_node_config(write("quiet.toml", no_hash, 0644));
  ASSERT_TRUE(quiet) << quiet.error().to_string();
  EXPECT_TRUE(quiet->warnings.empty()) << quiet->warnings[0];
}

}  // namespace
}  // namespace tandem::control
