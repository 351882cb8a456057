// The [ipsec] section: a site-to-site gateway file, defaults, and refusals with their position.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

const std::string kSite = R"([ipsec]
interface = "ipsec7"
local_address = "192.0.2.1"
addresses = ["10.1.0.1/24"]
esp_lifetime = 600

[[ipsec.connection]]
name = "branch"
remote_address = "198.51.100.2"
psk = "sixteen chars or more"
local_subnets = ["10.1.0.0/24"]
remote_subnets = ["10.2.0.0/24", "10.3.0.0/24"]

[[ipsec.connection]]
name = "roaming-site"
remote_id = "branch2.example.org"
psk = "another long enough key"
local_subnets = ["10.1.0.0/24"]
remote_subnets = ["10.4.0.0/24"]
)";

using testing::refusal;
using testing::with;

TEST(IpsecConfig, ParsesASiteToSiteGateway) {
  auto r = parse_node_config(kSite, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ipsec);
  const IpsecConfig& c = *r->ipsec;
  EXPECT_EQ(c.interface, "ipsec7");
  EXPECT_EQ(c.ike_version, 2);
  EXPECT_EQ(c.local_id, "ipv4:192.0.2.1");
  EXPECT_EQ(c.esp_lifetime, 600U);
  EXPECT_EQ(c.ike_lifetime, 14400U);
  ASSERT_EQ(c.connections.size(), 2U);
  EXPECT_EQ(c.connections[0].remote_id, "ipv4:198.51.100.2");
  EXPECT_TRUE(c.connections[0].start);  // it has an address to dial
  EXPECT_EQ(c.connections[0].remote_subnets.size(), 2U);
  EXPECT_EQ(c.connections[1].remote_id, "fqdn:branch2.example.org");
  EXPECT_FALSE(c.connections[1].start);
}

TEST(IpsecConfig, RefusesWhatCannotWork) {
  EXPECT_EQ(refusal(with(kSite, "local_address = \"192.0.2.1\"\n", "")),
            "n.toml:1:1: [ipsec] needs local_address (where IKE and ESP leave from)");
  EXPECT_EQ(refusal(with(kSite, "remote_id = \"branch2.example.org\"\n", "")),
            "n.toml:14:1: a connection without remote_address needs remote_id");
  EXPECT_EQ(refusal(with(kSite, "\"sixteen chars or more\"", "\"short\"")),
            "n.toml:10:7: the pre-shared key must be at least 16 characters");
  EXPECT_EQ(refusal(with(kSite, "remote_subnets = [\"10.4.0.0/24\"]\n", "")),
            "n.toml:14:1: a connection needs remote_subnets");
  EXPECT_EQ(refusal(with(kSite, "name = \"roaming-site\"", "name = \"branch\"")),
            "n.toml:15:8: duplicate connection branch");
  EXPECT_EQ(refusal(with(kSite, "esp_lifetime = 600", "esp_lifetime = 90000")),
            "n.toml:5:16: esp_lifetime must be between 30 and 86400");
  // IKEv1 carries one subnet pair per connection; IKEv2 offers its own fixed proposals.
  EXPECT_EQ(refusal(with(kSite, "local_address", "ike_version = 1\nlocal_address")),
            "n.toml:8:1: IKEv1 negotiates one subnet on each side per connection");
  EXPECT_EQ(refusal(with(kSite, "remote_address = \"198.51.100.2\"",
                         "remote_address = \"198.51.100.2\"\nesp_proposals = [\"aes128-sha1\"]"))
                .rfind("n.toml:10:17: esp_proposals is for ike_version = 1", 0),
            0U);
}

// IKEv2 carries IPv6 traffic selectors (and asks for an IPv6 address when a remote subnet is
// IPv6); IKEv1 here does not.
TEST(IpsecConfig, Ipv6SubnetsAreForIkev2) {
  const std::string v6 = with(kSite, "remote_subnets = [\"10.4.0.0/24\"]",
                              "remote_subnets = [\"10.4.0.0/24\", \"fd04::/64\"]");
  auto r = parse_node_config(v6, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->ipsec->connections[1].remote_subnets.size(), 2U);
  EXPECT_FALSE(r->ipsec->connections[1].wants_ipv6_address());  // it asks for no address
  EXPECT_EQ(refusal(with(with(v6, "local_address", "ike_version = 1\nlocal_address"),
                         "remote_subnets = [\"10.2.0.0/24\", \"10.3.0.0/24\"]",
                         "remote_subnets = [\"10.2.0.0/24\"]")),
            "n.toml:20:34: remote_subnets must list IPv4 prefixes (IPv6 needs ike_version = 2)");
  EXPECT_EQ(refusal(with(kSite, "\"10.4.0.0/24\"", "\"10.4.0.0/33\"")),
            "n.toml:19:19: remote_subnets must list prefixes such as 10.1.0.0/16");
}

TEST(IpsecConfig, APskFileThatIsADirectorySaysSo) {
  const std::string dir = ::testing::TempDir() + "ipsec-psk-dir";
  std::filesystem::create_directories(dir);
  auto r = parse_node_config(
      with(kSite, "psk = \"sixteen chars or more\"", "psk_file = \"ipsec-psk-dir\""), "n.toml",
      ::testing::TempDir());
  std::filesystem::remove(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "n.toml:10:12: " + dir + " is a directory");
}

TEST(IpsecConfig, SuggestsTheKnownKeyNearestToAnUnknownOne) {
  EXPECT_EQ(refusal(with(kSite, "esp_lifetime", "esp_lifetim")),
            "n.toml:5:1: unknown key 'esp_lifetim' in [ipsec]; did you mean 'esp_lifetime'?");
  EXPECT_EQ(refusal(with(kSite, "remote_subnets = [\"10.4.0.0/24\"]", "remote_subnet = []")),
            "n.toml:19:1: unknown key 'remote_subnet' in [[ipsec.connection]]; did you mean "
            "'remote_subnets'?");
}

TEST(IpsecConfig, WarnsOfAPskFileOthersCanRead) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/branch.psk") << "sixteen chars or more\n";
  chmod((dir + "/branch.psk").c_str(), 0644);
  auto r = parse_node_config(
      with(kSite, "psk = \"sixteen chars or more\"", "psk_file = \"branch.psk\""), "n.toml", dir);
  std::remove((dir + "/branch.psk").c_str());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"Warning: '" + dir + "branch.psk' is world accessible"});
}

TEST(IpsecConfig, WarnsOfAConfigOthersCanReadWithAnInlinePsk) {
  const std::string path = ::testing::TempDir() + "site-psk.toml";
  std::ofstream(path) << kSite;
  chmod(path.c_str(), 0644);
  auto r = load_node_config(path);
  std::remove(path.c_str());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings, std::vector<std::string>{"Warning: '" + path + "' is world accessible"});
}

TEST(IpsecConfig, PoolsAndRequestedAddressesAreForIkev2) {
  const std::string gateway = with(
      kSite, "addresses = [\"10.1.0.1/24\"]",
      "addresses = [\"10.1.0.1/24\"]\npool = \"10.9.0.10-10.9.0.20\"\npool_dns = [\"10.1.0.1\"]");
  auto r = parse_node_config(gateway, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->ipsec->pool_first, IpAddress::parse("10.9.0.10"));
  EXPECT_EQ(r->ipsec->pool_last, IpAddress::parse("10.9.0.20"));
  ASSERT_EQ(r->ipsec->pool_dns.size(), 1U);
  // A connection that asks for an address needs no local_subnets.
  auto client = parse_node_config(
      with(kSite, "local_subnets = [\"10.1.0.0/24\"]\nremote_subnets = [\"10.2.0.0/24\", ",
           "request_address = true\nremote_subnets = [\"10.2.0.0/24\", "),
      "n.toml");
  ASSERT_TRUE(client) << client.error().to_string();
  EXPECT_TRUE(client->ipsec->connections[0].request_address);
  EXPECT_TRUE(client->ipsec->connections[0].local_subnets.empty());
  EXPECT_EQ(refusal(with(gateway, "local_address", "ike_version = 1\nlocal_address")),
            "n.toml:6:8: pool needs ike_version = 2");
  EXPECT_EQ(refusal(with(gateway, "10.9.0.10-10.9.0.20", "10.9.0.20-10.9.0.10")),
            "n.toml:5:8: pool must be two IPv4 addresses, first to last: \"10.9.0.10-10.9.0.99\"");
}

TEST(IpsecConfig, CannotShareIkePortsWithL2tpIpsec) {
  const std::string l2tp = R"(
[l2tp]
mode = "lac"
interface = "l2tp9"
server = "192.0.2.9"

[[l2tp.session]]
user = "u"
password = "p"

[l2tp.ipsec]
psk = "a long pre-shared key"
)";
  EXPECT_EQ(refusal(kSite + l2tp),
            "n.toml:1:1: [ipsec] and [l2tp.ipsec] cannot share UDP 500/4500 in one process");
}

}  // namespace
}  // namespace tandem::control
