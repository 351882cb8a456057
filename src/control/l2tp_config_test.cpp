// The [l2tp] section: good gateway and client files, and every refusal with its position.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

const std::string kGateway = R"([l2tp]
mode = "lns"
allow_unencrypted = true
interface = "l2tp7"
address = "10.77.0.1/24"
pool = "10.77.0.10-10.77.0.200"
dns = ["10.77.0.1", "10.77.0.2"]
auth = ["mschapv2", "pap"]
tunnel_secret = "s3cret"
hide_avps = true

[[l2tp.user]]
name = "alice"
password = "correct horse"

[[l2tp.user]]
name = "bob"
nt_hash = "8846F7EAEE8FB117AD06BDD830B7586C"
)";

const std::string kClient = R"([l2tp]
mode = "lac"
allow_unencrypted = true
server = "vpn.example.org"
routes = ["10.77.0.0/24"]
redial = false

[[l2tp.session]]
user = "alice"
password = "correct horse"

[[l2tp.session]]
user = "bob"
password = "battery staple"
)";

using testing::refusal;
using testing::with;

TEST(L2tpConfig, ParsesAGateway) {
  auto r = parse_node_config(kGateway, "gw.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->interface) << "an L2TP-only node has no WireGuard interface";
  ASSERT_TRUE(r->l2tp);
  const L2tpConfig& c = *r->l2tp;
  EXPECT_EQ(c.role, L2tpRole::kLns);
  EXPECT_EQ(c.interface, "l2tp7");
  EXPECT_EQ(c.listen_port, 1701);
  EXPECT_EQ(c.address->to_string(), "10.77.0.1/24");
  EXPECT_EQ(c.pool_first->to_string(), "10.77.0.10");
  EXPECT_EQ(c.pool_last->to_string(), "10.77.0.200");
  ASSERT_EQ(c.dns.size(), 2u);
  EXPECT_EQ(c.auth, (std::vector{ppp::AuthMethod::kMsChapV2, ppp::AuthMethod::kPap}));
  EXPECT_EQ(c.tunnel_secret, "s3cret");
  EXPECT_TRUE(c.hide_avps);
  ASSERT_EQ(c.users.size(), 2u);
  EXPECT_EQ(*c.users[0].password, "correct horse");
  ASSERT_TRUE(c.users[1].nt_hash);
  EXPECT_EQ(std::to_integer<int>(c.users[1].nt_hash->bytes()[0]), 0x88);
  EXPECT_EQ(std::to_integer<int>(c.users[1].nt_hash->bytes()[15]), 0x6c);
}

TEST(L2tpConfig, ParsesAClientWithDefaults) {
  auto r = parse_node_config(kClient, "cl.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const L2tpConfig& c = *r->l2tp;
  EXPECT_EQ(c.role, L2tpRole::kLac);
  EXPECT_EQ(c.interface, "l2tp0");
  EXPECT_FALSE(c.mtu_given);  // sized from the path to the server when it starts
  EXPECT_EQ(c.server_host, "vpn.example.org");
  EXPECT_EQ(c.server_port, 1701);
  EXPECT_FALSE(c.redial);
  EXPECT_EQ(c.hello_interval, 60u);
  EXPECT_TRUE(c.mtu_probing);
  EXPECT_EQ(c.mtu_probe_interval, 600u);
  EXPECT_EQ(c.auth, (std::vector{ppp::AuthMethod::kMsChapV2, ppp::AuthMethod::kChapMd5,
                                 ppp::AuthMethod::kPap}));
  ASSERT_EQ(c.calls.size(), 2u);
  EXPECT_EQ(c.calls[1].user, "bob");
  EXPECT_EQ(c.calls[1].password, "battery staple");
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].to_string(), "10.77.0.0/24");
}

TEST(L2tpConfig, MtuProbingCanBeTurnedOffOrPacedInBothModes) {
  auto r = parse_node_config(with(kClient, "mode = \"lac\"",
                                  "mode = \"lac\"\nmtu_probing = false\nmtu_probe_interval = 10"),
                             "cl.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->l2tp->mtu_probing);
  EXPECT_EQ(r->l2tp->mtu_probe_interval, 10u);
  EXPECT_FALSE(parse_node_config(
      with(kClient, "mode = \"lac\"", "mode = \"lac\"\nmtu_probe_interval = 4"), "cl.toml"));
  auto gw = parse_node_config(with(kGateway, "mode = \"lns\"",
                                   "mode = \"lns\"\nmtu_probing = false\nmtu_probe_interval = 30"),
                              "gw.toml");
  ASSERT_TRUE(gw) << gw.error().to_string();
  EXPECT_FALSE(gw->l2tp->mtu_probing);
  EXPECT_EQ(gw->l2tp->mtu_probe_interval, 30u);
  auto gw_default = parse_node_config(kGateway, "gw.toml");
  ASSERT_TRUE(gw_default);
  EXPECT_TRUE(gw_default->l2tp->mtu_probing);
}

TEST(L2tpConfig, AnMtuInTheFileIsMarkedGiven) {
  auto r =
      parse_node_config(with(kClient, "mode = \"lac\"", "mode = \"lac\"\nmtu = 1300"), "cl.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->l2tp->mtu, 1300u);
  EXPECT_TRUE(r->l2tp->mtu_given);
}

TEST(L2tpConfig, ReadsTheServerPortAndAPasswordFile) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/alice.pw") << "from a file \t \r\nsecond line\n";
  auto text = with(kClient, "\"vpn.example.org\"", "\"192.0.2.1:1702\"");
  text = with(text, "password = \"correct horse\"", "password_file = \"alice.pw\"");
  auto r = parse_node_config(text, "cl.toml", dir);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->l2tp->server_host, "192.0.2.1");
  EXPECT_EQ(r->l2tp->server_port, 1702);
  EXPECT_EQ(r->l2tp->calls[0].password, "from a file");
}

TEST(L2tpConfig, WarnsOfAPasswordFileOthersCanRead) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/bob.pw") << "battery staple\n";
  chmod((dir + "/bob.pw").c_str(), 0604);
  auto text = with(kClient, "password = \"battery staple\"", "password_file = \"bob.pw\"");
  auto r = parse_node_config(text, "cl.toml", dir);
  std::remove((dir + "/bob.pw").c_str());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"Warning: '" + dir + "bob.pw' is world accessible"});
}

TEST(L2tpConfig, WarnsOfAGatewayConfigOthersCanReadWithPasswords) {
  const std::string path = ::testing::TempDir() + "gateway-passwords.toml";
  std::ofstream(path) << kGateway;
  chmod(path.c_str(), 0640);
  auto r = load_node_config(path);
  std::remove(path.c_str());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings, std::vector<std::string>{"Warning: '" + path + "' is group accessible"});
}

TEST(L2tpConfig, WireguardAndL2tpInOneFile) {
  const std::string wg =
      "[interface]\nname = \"wg7\"\nprivate_key = "
      "\"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\"\n"
      "addresses = [\"10.0.0.1/24\"]\n\n";
  auto r = parse_node_config(wg + kGateway, "both.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->interface->name, "wg7");
  EXPECT_EQ(r->l2tp->interface, "l2tp7");
  EXPECT_NE(refusal(wg + with(kGateway, "\"l2tp7\"", "\"wg7\"")).find("name of its own"),
            std::string::npos);
}

TEST(L2tpConfig, PlainL2tpMustBeAllowedExplicitly) {
  EXPECT_EQ(refusal(with(kClient, "allow_unencrypted = true\n", "")),
            "n.toml:1:1: plain L2TP sends everything, passwords included, unencrypted; add "
            "[l2tp.ipsec] with a pre-shared key, or set allow_unencrypted = true to run it "
            "without IPsec");
  EXPECT_EQ(
      refusal(with(kClient, "allow_unencrypted = true", "allow_unencrypted = false")).substr(0, 12),
      "n.toml:3:21:");
}

TEST(L2tpConfig, RefusesUnknownAndMisplacedKeys) {
  EXPECT_EQ(refusal(with(kClient, "redial", "redail")),
            "n.toml:6:1: unknown key 'redail' in [l2tp]; did you mean 'redial'?");
  EXPECT_EQ(refusal(with(kClient, "redial = false", "pool = \"10.0.0.2-10.0.0.3\"")),
            "n.toml:6:1: 'pool' is for mode = \"lns\", not this one");
  EXPECT_EQ(refusal(with(kGateway, "hide_avps = true", "server = \"x\"")),
            "n.toml:10:1: 'server' is for mode = \"lac\", not this one");
  EXPECT_EQ(refusal(with(kClient, "password = \"battery staple\"", "pasword = \"x\"")),
            "n.toml:14:1: unknown key 'pasword' in [[l2tp.session]]; did you mean 'password'?");
  EXPECT_EQ(refusal(with(kClient, "mode = \"lac\"", "mode = \"client\"")),
            "n.toml:2:8: mode must be \"lns\" (gateway) or \"lac\" (client)");
}

TEST(L2tpConfig, RefusesABadPool) {
  EXPECT_NE(refusal(with(kGateway, "10.77.0.10-10.77.0.200", "10.78.0.10-10.78.0.20"))
                .find("n.toml:6:8: pool must lie inside the gateway's subnet 10.77.0.0/24"),
            std::string::npos);
  EXPECT_EQ(refusal(with(kGateway, "10.77.0.10-10.77.0.200", "10.77.0.20-10.77.0.10")),
            "n.toml:6:8: pool starts after it ends");
  EXPECT_EQ(refusal(with(kGateway, "10.77.0.10-10.77.0.200", "10.77.0.1-10.77.0.10")),
            "n.toml:6:8: pool must not contain the gateway's own address");
  EXPECT_NE(refusal(with(kGateway, "10.77.0.10-10.77.0.200", "10.77.0.10")).find("two IPv4"),
            std::string::npos);
  EXPECT_NE(refusal(with(kGateway, "pool = \"10.77.0.10-10.77.0.200\"\n", "")).find("needs pool"),
            std::string::npos);
}

TEST(L2tpConfig, RefusesBadUsers) {
  EXPECT_EQ(refusal(with(kGateway, "8846F7EAEE8FB117AD06BDD830B7586C", "8846F7EAEE8FB117")),
            "n.toml:18:11: nt_hash must be 32 hex digits (MD4 of the UTF-16LE password)");
  EXPECT_EQ(refusal(with(kGateway, "name = \"bob\"", "name = \"alice\"")),
            "n.toml:17:8: duplicate user alice");
  EXPECT_EQ(refusal(with(kGateway, "auth = [\"mschapv2\", \"pap\"]", "auth = [\"chap-md5\"]")),
            "n.toml:16:1: CHAP-MD5 needs a clear password; user bob has only nt_hash");
  EXPECT_NE(refusal(with(kGateway, "password = \"correct horse\"", "")).find("needs password"),
            std::string::npos);
  EXPECT_EQ(refusal(with(kGateway, "[\"mschapv2\", \"pap\"]", "[\"pap\", \"pap\"]")),
            "n.toml:8:16: auth lists pap twice");
}

TEST(L2tpConfig, RefusesAnOverlongHostName) {
  EXPECT_EQ(
      refusal(with(kClient, "redial = false", "host_name = \"" + std::string(65, 'h') + "\"")),
      "n.toml:6:13: host_name must be at most 64 characters");
  EXPECT_TRUE(parse_node_config(
      with(kClient, "redial = false", "host_name = \"" + std::string(64, 'h') + "\""), "n.toml"));
}

TEST(L2tpConfig, RefusesHiddenAvpsWithoutASecret) {
  EXPECT_EQ(refusal(with(kGateway, "tunnel_secret = \"s3cret\"\n", "")),
            "n.toml:9:13: hide_avps needs a tunnel_secret to hide them with");
}

TEST(L2tpConfig, AFileNeedsSomethingToRun) {
  EXPECT_EQ(refusal("# nothing\n"),
            "n.toml:1:1: needs an [interface] (WireGuard), an [l2tp] or an [ipsec] section");
  EXPECT_EQ(refusal(kClient +
                    "\n[[peer]]\npublic_key = \"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"\n")
                .substr(0, 40),
            "n.toml:16:1: [[peer]] needs an [interfac");
}

const std::string kIpsecGateway = with(kGateway, "allow_unencrypted = true\n", "") + R"(
[l2tp.ipsec]
psk = "a long pre-shared key"
ike_proposals = ["aes256-sha256-modp2048", "aes128-sha1-ecp256", "aes256-sha1-modp1024"]
esp_proposals = ["aes256gcm16", "aes128-sha1", "aes256-sha256-modp2048"]
allow_modp1024 = true
dpd_interval = 10
)";

TEST(L2tpConfig, ParsesAnIpsecGatewayWithoutPlainL2tp) {
  auto r = parse_node_config(kIpsecGateway, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const L2tpConfig& c = *r->l2tp;
  EXPECT_FALSE(c.allow_unencrypted);
  ASSERT_TRUE(c.ipsec);
  EXPECT_EQ(c.ipsec->psk, "a long pre-shared key");
  using namespace ipsec::ike::v1;
  ASSERT_EQ(c.ipsec->ike_proposals.size(), 3U);
  EXPECT_EQ(c.ipsec->ike_proposals[0], (Phase1Suite{kEncryptionAesCbc, 256, Hash::kSha256, 14}));
  EXPECT_EQ(c.ipsec->ike_proposals[1], (Phase1Suite{kEncryptionAesCbc, 128, Hash::kSha1, 19}));
  EXPECT_EQ(c.ipsec->ike_proposals[2].group, 2);
  ASSERT_EQ(c.ipsec->esp_proposals.size(), 3U);
  EXPECT_EQ(c.ipsec->esp_proposals[0], (Phase2Suite{kEspAesGcm16, 256, 0, 0}));
  EXPECT_EQ(c.ipsec->esp_proposals[1], (Phase2Suite{kEspAesCbc, 128, kAuthHmacSha1, 0}));
  EXPECT_EQ(c.ipsec->esp_proposals[2], (Phase2Suite{kEspAesCbc, 256, kAuthHmacSha256, 14}));
  EXPECT_TRUE(c.ipsec->allow_modp1024);
  EXPECT_EQ(c.ipsec->dpd_interval, 10U);
  EXPECT_EQ(c.ipsec->dpd_timeout, 120U);
  EXPECT_EQ(c.ipsec->esp_lifetime, 3600U);
}

TEST(L2tpConfig, RefusesBadIpsecSettingsWithTheirPosition) {
  EXPECT_EQ(refusal(with(kIpsecGateway, "aes128-sha1-ecp256", "aes128-md5-ecp256")),
            "n.toml:21:44: IKE hash 'md5': use sha1, sha256, sha384 or sha512");
  EXPECT_EQ(refusal(with(kIpsecGateway, "\"aes256gcm16\"", "\"des-md5\"")),
            "n.toml:22:18: ESP proposal 'des-md5' must be aes128gcm16, aes256gcm16, "
            "aesNNN-sha1/-sha256 or 3des-sha1, optionally followed by a PFS group");
  EXPECT_EQ(refusal(with(kIpsecGateway, "\"a long pre-shared key\"", "\"short\"")),
            "n.toml:20:7: the pre-shared key must be at least 16 characters");
  EXPECT_EQ(refusal(with(kIpsecGateway, "psk = \"a long pre-shared key\"\n", "")),
            "n.toml:19:1: [l2tp.ipsec] needs psk or psk_file (the pre-shared key)");
  EXPECT_EQ(
      refusal(with(kIpsecGateway, "dpd_interval", "dpd_intervall")),
      "n.toml:24:1: unknown key 'dpd_intervall' in [l2tp.ipsec]; did you mean 'dpd_interval'?");
  EXPECT_EQ(refusal(with(kIpsecGateway, "dpd_interval = 10", "esp_lifetime = 90000")),
            "n.toml:24:16: esp_lifetime must be between 30 and 86400");
}

TEST(L2tpConfig, TripleDesOnlyWhenAllowed) {
  EXPECT_EQ(refusal(with(kIpsecGateway, "\"aes256gcm16\"", "\"3des-sha1\"")),
            "n.toml:22:18: 3DES is weak; only [l2tp.ipsec] with allow_3des = true offers it, for "
            "old clients that have nothing better");
  auto r = parse_node_config(
      with(kIpsecGateway, "\"aes256gcm16\"", "\"3des-sha1\"") + "allow_3des = true\n", "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(
      r->l2tp->ipsec->esp_proposals[0],
      (ipsec::ike::v1::Phase2Suite{ipsec::ike::v1::kEsp3des, 0, ipsec::ike::v1::kAuthHmacSha1, 0}));
}

TEST(L2tpConfig, AClientDialsThroughIpsecOrWithoutIt) {
  const std::string both = kClient + "\n[l2tp.ipsec]\npsk = \"a long pre-shared key\"\n";
  EXPECT_EQ(refusal(both).substr(0, 50), "n.toml:3:21: a client dials either through IPsec o");
  auto r = parse_node_config(with(both, "allow_unencrypted = true\n", ""), "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->l2tp->ipsec);
  EXPECT_FALSE(r->l2tp->ipsec->force_udp_encapsulation);  // the role decides
  auto plain_esp = parse_node_config(
      with(both, "allow_unencrypted = true\n", "") + "force_udp_encapsulation = false\n", "n.toml");
  ASSERT_TRUE(plain_esp) << plain_esp.error().to_string();
  EXPECT_EQ(plain_esp->l2tp->ipsec->force_udp_encapsulation, false);
}

}  // namespace
}  // namespace tandem::control
