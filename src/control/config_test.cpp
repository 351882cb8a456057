// Tandem's TOML config: a good file and every kind of refusal, with positions.
#include "control/config.hpp"

#include <gtest/gtest.h>

namespace tandem::control {
namespace {

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

TEST(NodeConfig, RefusesMissingInterfaceAndBothKeyForms) {
  EXPECT_FALSE(parse_node_config("[[peer]]\npublic_key = \"" + kPub + "\"\n", "x.toml"));
  std::string text = good();
  text.replace(text.find("listen_port"), 0, "private_key_file = \"k\"\n");
  auto r = parse_node_config(text, "x.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not both"), std::string::npos);
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
