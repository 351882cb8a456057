// Tandem's TOML config: a good file and every kind of refusal, with positions.
#include "control/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::refusal;
using testing::with;

const std::string kPriv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const std::string kPub = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const std::string kPub2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";

std::string good() {
  return "[interface]\nname = \"tdm0\"\nprivate_key = \"" + kPriv +
         "\"\nlisten_port = 51820\naddresses = [\"10.0.0.1/24\", \"fd00::1/64\"]\nmtu = 1400\n\n"
         "[[peer]]\nname = \"laptop\"\npublic_key = \"" +
         kPub +
         "\"\nendpoint = \"[fd00::2]:51821\"\nallowed_ips = [\"10.0.0.2/32\"]\n"
         "persistent_keepalive = 25\n\n[[peer]]\npublic_key = \"" +
         kPub2 + "\"\nendpoint = \"vpn.example.org:51820\"\nallowed_ips = [\"10.0.0.3/32\"]\n";
}

TEST(NodeConfig, ParsesAGoodFile) {
  auto r = parse_node_config(good(), "node.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->interface->name, "tdm0");
  EXPECT_EQ(r->interface->listen_port, 51820);
  EXPECT_EQ(r->interface->mtu, 1400u);
  ASSERT_EQ(r->interface->addresses.size(), 2u);
  EXPECT_EQ(r->interface->addresses[0].to_string(), "10.0.0.1/24");
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_EQ(r->peers[0].name, "laptop");
  EXPECT_EQ(*r->peers[0].endpoint_host, "fd00::2");
  EXPECT_EQ(r->peers[0].endpoint_port, 51821);
  EXPECT_EQ(*r->peers[1].endpoint_host, "vpn.example.org");
  EXPECT_EQ(r->peers[0].persistent_keepalive, 25);
}

TEST(NodeConfig, RenderedTomlParsesBackToTheSameConfig) {
  auto r = parse_node_config(good(), "node.toml");
  ASSERT_TRUE(r);
  const std::string rendered = render_node_config_toml(*r);
  auto again = parse_node_config(rendered, "rendered.toml");
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << rendered;
  EXPECT_EQ(render_node_config_toml(*again), rendered);
}

struct BadCase {
  std::string from, to;
  int line, column;
  std::string message_part;
};

TEST(NodeConfig, RefusesBadFilesWithPositions) {
  const BadCase cases[] = {
      {"listen_port = 51820", "listn_port = 51820", 4, 1, "unknown key 'listn_port'"},
      {"listen_port = 51820", "listen_port = 70000", 4, 15, "between 0 and 65535"},
      {"mtu = 1400", "mtu = \"big\"", 6, 7, "mtu must be an integer"},
      // More than the data path carries (kMaxTunnelMtu), even over a jumbo underlay.
      {"mtu = 1400", "mtu = 9000", 6, 7, "mtu must be between 1280 and 1800"},
      {"\"10.0.0.1/24\"", "\"10.0.0.1/40\"", 5, 14, "not an address"},
      {"\"10.0.0.2/32\"", "\"10.0.0.300/32\"", 12, 16, "not an IP prefix"},
      {"[fd00::2]:51821", "fd00::2:51821", 11, 12, "endpoint must be"},
      {kPub2, kPub, 16, 14, "duplicate peer public_key"},
      {kPriv, "short", 3, 15, "not a base64 WireGuard key"},
      {"name = \"tdm0\"", "name = \"much-too-long-name0\"", 2, 8, "1-15 characters"},
      {"mtu = 1400", "mtu = 1400\nmtu = 1500", 7, 7, "redefine"},
  };
  for (const auto& c : cases) {
    std::string text = good();
    text.replace(text.find(c.from), c.from.size(), c.to);
    auto r = parse_node_config(text, "node.toml");
    ASSERT_FALSE(r) << c.to;
    EXPECT_EQ(r.error().line, c.line) << c.to << ": " << r.error().to_string();
    EXPECT_EQ(r.error().column, c.column) << c.to << ": " << r.error().to_string();
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().to_string();
    EXPECT_EQ(r.error().to_string().rfind("node.toml:" + std::to_string(c.line) + ":", 0), 0u);
  }
}

TEST(NodeConfig, RefusesAPrefixAlreadyGivenToAnotherPeer) {
  const std::string text = with(good(), "\"10.0.0.3/32\"", "\"10.0.0.9/32\", \"10.0.0.2/32\"");
  EXPECT_EQ(refusal(text),
            "n.toml:18:31: allowed IP 10.0.0.2/32 of peer #2 is already allowed for peer 'laptop' "
            "(line 12); "
            "each prefix routes to one peer");
}

TEST(NodeConfig, RefusesTheSamePrefixWrittenWithHostBits) {
  const std::string text = with(good(), "\"10.0.0.3/32\"", "\"10.0.0.0/24\"");
  const std::string first = with(text, "\"10.0.0.2/32\"", "\"10.0.0.7/24\"");
  EXPECT_NE(refusal(first).find("n.toml:18:16: allowed IP 10.0.0.0/24 of peer #2"),
            std::string::npos)
      << refusal(first);
}

TEST(NodeConfig, NamesBothPeersByNameWhenTheyHaveOne) {
  const std::string text =
      with(with(good(), "\"10.0.0.3/32\"", "\"fd00::/64\""), "\"10.0.0.2/32\"", "\"fd00::/64\"");
  const std::string named =
      with(text, "[[peer]]\npublic_key", "[[peer]]\nname = \"phone\"\npublic_key");
  EXPECT_EQ(refusal(named),
            "n.toml:19:16: allowed IP fd00::/64 of peer 'phone' is already allowed for peer "
            "'laptop' (line "
            "12); each prefix routes to one peer");
}

TEST(NodeConfig, AcceptsOverlappingPrefixesOfDifferentLengths) {
  const std::string text = with(with(good(), "\"10.0.0.3/32\"", "\"10.0.0.0/24\""),
                                "\"10.0.0.2/32\"", "\"10.0.0.5/32\"");
  auto r = parse_node_config(text, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->peers[1].allowed_ips[0].to_string(), "10.0.0.0/24");
}

TEST(NodeConfig, AcceptsTheSamePrefixTwiceInOnePeer) {
  EXPECT_TRUE(parse_node_config(with(good(), "\"10.0.0.3/32\"", "\"10.0.0.3/32\", \"10.0.0.3\""),
                                "n.toml"));
}

TEST(NodeConfig, RefusesAPeerWithTheInterfacesOwnPublicKey) {
  const std::string own = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";  // of kPriv
  EXPECT_EQ(refusal(with(good(), kPub2, own)),
            "n.toml:16:14: peer #2 has this interface's own public key (derived from its "
            "private_key); a node is not its own peer");
  EXPECT_EQ(refusal(with(good(), kPub, own)),
            "n.toml:10:14: peer 'laptop' has this interface's own public key (derived from its "
            "private_key); a node is not its own peer");
}

TEST(NodeConfig, SuggestsTheKnownKeyNearestToAnUnknownOne) {
  EXPECT_EQ(refusal(with(good(), "listen_port", "listn_port")),
            "n.toml:4:1: unknown key 'listn_port' in [interface]; did you mean 'listen_port'?");
  EXPECT_EQ(refusal(with(good(), "listen_port", "ListenPort")),
            "n.toml:4:1: unknown key 'ListenPort' in [interface]; did you mean 'listen_port'?");
  EXPECT_EQ(refusal(with(good(), "mtu", "MTU")),
            "n.toml:6:1: unknown key 'MTU' in [interface]; did you mean 'mtu'?");
  EXPECT_EQ(refusal(with(good(), "allowed_ips = [\"10.0.0.2/32\"]", "allowed_ip = []")),
            "n.toml:12:1: unknown key 'allowed_ip' in [[peer]]; did you mean 'allowed_ips'?");
  EXPECT_EQ(refusal(with(good(), "[[peer]]", "[[peers]]")),
            "n.toml:8:3: unknown key 'peers' in the top level; did you mean 'peer'?");
}

TEST(NodeConfig, SuggestsNothingWhenNoKnownKeyIsNear) {
  EXPECT_EQ(refusal(with(good(), "mtu = 1400", "colour = 1400")),
            "n.toml:6:1: unknown key 'colour' in [interface]");
}

TEST(NodeConfig, AddsRoutesUnlessTableIsOff) {
  auto by_default = parse_node_config(good(), "n.toml");
  ASSERT_TRUE(by_default) << by_default.error().to_string();
  EXPECT_TRUE(by_default->interface->add_routes);
  auto on = parse_node_config(with(good(), "mtu = 1400", "mtu = 1400\ntable = \"auto\""), "n.toml");
  ASSERT_TRUE(on) << on.error().to_string();
  EXPECT_TRUE(on->interface->add_routes);
  auto off = parse_node_config(with(good(), "mtu = 1400", "mtu = 1400\ntable = \"off\""), "n.toml");
  ASSERT_TRUE(off) << off.error().to_string();
  EXPECT_FALSE(off->interface->add_routes);
}

TEST(NodeConfig, RefusesARoutingTableOtherThanAutoOffOrANumber) {
  EXPECT_EQ(refusal(with(good(), "mtu = 1400", "mtu = 1400\ntable = \"main\"")),
            "n.toml:7:9: table must be \"auto\" (routes for the peers' allowed IPs), \"off\" "
            "(none) or a routing table number");
  EXPECT_EQ(refusal(with(good(), "mtu = 1400", "mtu = 1400\ntable = 0")),
            "n.toml:7:9: table must be a routing table number from 1 to 4294967295");
}

TEST(NodeConfig, ReadsANumberedRoutingTable) {
  auto cfg = parse_node_config(with(good(), "mtu = 1400", "mtu = 1400\ntable = 1234"), "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->interface->route_table, 1234u);
  EXPECT_TRUE(cfg->interface->add_routes);
}

TEST(NodeConfig, ReadsDnsServersAndSearchDomains) {
  auto cfg = parse_node_config(
      with(good(), "mtu = 1400",
           "mtu = 1400\ndns = [\"10.0.0.53\", \"fd00::53\"]\ndns_search = [\"corp.example\"]"),
      "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  ASSERT_EQ(cfg->interface->dns.size(), 2u);
  EXPECT_EQ(cfg->interface->dns[1].to_string(), "fd00::53");
  EXPECT_EQ(cfg->interface->dns_search, std::vector<std::string>{"corp.example"});
}

TEST(NodeConfig, RefusesANameInDnsAndAnOddSearchDomain) {
  EXPECT_EQ(refusal(with(good(), "mtu = 1400", "mtu = 1400\ndns = [\"corp.example\"]")),
            "n.toml:7:8: dns holds IP addresses of name servers ('corp.example' is not one; "
            "search domains go in dns_search)");
  EXPECT_EQ(refusal(with(good(), "mtu = 1400",
                         "mtu = 1400\ndns = [\"10.0.0.53\"]\ndns_search = [\"a b\"]")),
            "n.toml:8:15: not a search domain: 'a b'");
}

TEST(NodeConfig, ReadsHookListsInOrder) {
  auto cfg = parse_node_config(with(good(), "mtu = 1400",
                                    "mtu = 1400\npre_up = [\"echo a\", \"echo b\"]\n"
                                    "post_down = [\"ip rule del table 7 || true\"]"),
                               "n.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->interface->hooks.pre_up, (std::vector<std::string>{"echo a", "echo b"}));
  EXPECT_EQ(cfg->interface->hooks.post_down,
            std::vector<std::string>{"ip rule del table 7 || true"});
  EXPECT_TRUE(cfg->interface->hooks.post_up.empty());
  EXPECT_EQ(refusal(with(good(), "mtu = 1400", "mtu = 1400\npost_up = \"echo\"")),
            "n.toml:7:11: post_up must be an array of strings");
}

TEST(NodeConfig, RendersTableOffAndReadsItBack) {
  auto off = parse_node_config(with(good(), "mtu = 1400", "mtu = 1400\ntable = \"off\""), "n.toml");
  ASSERT_TRUE(off) << off.error().to_string();
  const std::string rendered = render_node_config_toml(*off);
  EXPECT_NE(rendered.find("table = \"off\"\n"), std::string::npos) << rendered;
  auto again = parse_node_config(rendered, "rendered.toml");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_FALSE(again->interface->add_routes);
  EXPECT_EQ(render_node_config_toml(*parse_node_config(good(), "n.toml")).find("table"),
            std::string::npos);
}

TEST(NodeConfig, RefusesMissingInterfaceAndBothKeyForms) {
  EXPECT_FALSE(parse_node_config("[[peer]]\npublic_key = \"" + kPub + "\"\n", "x.toml"));
  std::string text = good();
  text.replace(text.find("listen_port"), 0, "private_key_file = \"k\"\n");
  auto r = parse_node_config(text, "x.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not both"), std::string::npos);
}

class ConfigFiles : public testing::ScratchDir {};

TEST_F(ConfigFiles, AMissingFileSaysWhyWithoutAPosition) {
  auto r = load_node_config(dir_ + "/nope.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), dir_ + "/nope.toml: cannot open: No such file or directory");
}

TEST_F(ConfigFiles, AConfigPathThatIsADirectorySaysSo) {
  auto r = load_node_config(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), dir_ + ": cannot open: Is a directory");
}

TEST_F(ConfigFiles, AKeyFileThatIsADirectorySaysSo) {
  std::filesystem::create_directory(dir_ + "/keys");
  const std::string path = write(
      "node.toml", with(good(), "private_key = \"" + kPriv + "\"", "private_key_file = \"keys\""));
  auto r = load_node_config(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), path + ":3:20: " + dir_ + "/keys is a directory");
}

TEST_F(ConfigFiles, AMissingKeyFileSaysWhy) {
  const std::string path = write(
      "node.toml", with(good(), "private_key = \"" + kPriv + "\"", "private_key_file = \"gone\""));
  auto r = load_node_config(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(),
            path + ":3:20: cannot read key file " + dir_ + "/gone: No such file or directory");
}

TEST_F(ConfigFiles, ReadsAKeyFileBesideTheConfig) {
  write("private.key", kPriv + "\n");
  const std::string path = write("node.toml", with(good(), "private_key = \"" + kPriv + "\"",
                                                   "private_key_file = \"private.key\""));
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
}

TEST_F(ConfigFiles, WarnsOfAKeyFileOthersCanRead) {
  write("private.key", kPriv + "\n", 0644);
  const std::string path = write("node.toml", with(good(), "private_key = \"" + kPriv + "\"",
                                                   "private_key_file = \"private.key\""));
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"Warning: '" + dir_ + "/private.key' is world accessible"});
}

TEST_F(ConfigFiles, WarnsOfAPresharedKeyFileItsGroupCanRead) {
  write("peer.psk", kPub + "\n", 0640);
  const std::string path =
      write("node.toml", with(good(), "public_key = \"" + kPub + "\"",
                              "public_key = \"" + kPub + "\"\npreshared_key_file = \"peer.psk\""));
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"Warning: '" + dir_ + "/peer.psk' is group accessible"});
}

TEST_F(ConfigFiles, WarnsOfAConfigOthersCanReadWithAnInlineKey) {
  const std::string path = write("node.toml", good(), 0644);
  auto r = load_node_config(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->warnings, std::vector<std::string>{"Warning: '" + path + "' is world accessible"});
}

TEST_F(ConfigFiles, KeepsQuietAboutPrivateFiles) {
  write("private.key", kPriv + "\n", 0600);
  auto inline_key = load_node_config(write("inline.toml", good(), 0600));
  ASSERT_TRUE(inline_key) << inline_key.error().to_string();
  EXPECT_TRUE(inline_key->warnings.empty());
  // A config without a secret in it may be readable by all.
  auto key_file = load_node_config(write(
      "file.toml",
      with(good(), "private_key = \"" + kPriv + "\"", "private_key_file = \"private.key\""), 0644));
  ASSERT_TRUE(key_file) << key_file.error().to_string();
  EXPECT_TRUE(key_file->warnings.empty()) << key_file->warnings[0];
}

TEST(NodeConfig, SplitsHostAndPort) {
  EXPECT_EQ(split_host_port("1.2.3.4:5")->second, 5);
  EXPECT_EQ(split_host_port("[::1]:5")->first, "::1");
  EXPECT_FALSE(split_host_port("::1:5"));
  EXPECT_FALSE(split_host_port("host:0"));
  EXPECT_FALSE(split_host_port("host:65536"));
  EXPECT_FALSE(split_host_port("host"));
}

}  // namespace
}  // namespace tandem::control
