// [metrics]: off by default, a loopback listen address and path, and a remote address refused
// unless allow_remote says so.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::refusal;

const std::string kNode = testing::kHybridGatewayInterface;

TEST(MetricsConfig, IsOffWithoutTheSection) {
  auto r = parse_node_config(kNode, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->metrics);
}

TEST(MetricsConfig, ReadsListenAndPath) {
  auto r = parse_node_config(kNode + "[metrics]\nlisten = \"127.0.0.1:9586\"\n", "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->metrics);
  EXPECT_EQ(r->metrics->listen, *Endpoint::parse("127.0.0.1:9586"));
  EXPECT_EQ(r->metrics->path, "/metrics");
  EXPECT_FALSE(r->metrics->allow_remote);
  r = parse_node_config(kNode + "[metrics]\nlisten = \"[::1]:9100\"\npath = \"/m\"\n", "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->metrics->listen, *Endpoint::parse("[::1]:9100"));
  EXPECT_EQ(r->metrics->path, "/m");
}

TEST(MetricsConfig, RefusesARemoteAddressUnlessAllowedAndNamesTheFix) {
  const std::string remote = kNode + "[metrics]\nlisten = \"0.0.0.0:9586\"\n";
  EXPECT_EQ(refusal(remote),
            "n.toml:7:10: listen 0.0.0.0:9586 is not a loopback address: the metrics show every "
            "peer's public key and endpoint; set allow_remote = true in [metrics] to serve them "
            "there anyway");
  auto r = parse_node_config(remote + "allow_remote = true\n", "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->metrics->allow_remote);
}

TEST(MetricsConfig, RefusesMistakesAtTheirPosition) {
  EXPECT_EQ(refusal(kNode + "[metrics]\npath = \"/metrics\"\n"),
            "n.toml:6:1: [metrics] needs listen = \"127.0.0.1:9586\"");
  EXPECT_EQ(refusal(kNode + "[metrics]\nlisten = \"localhost:9586\"\n"),
            "n.toml:7:10: listen must be an IP address and port, such as \"127.0.0.1:9586\" or "
            "\"[::1]:9586\"");
  EXPECT_EQ(refusal(kNode + "[metrics]\nlisten = \"127.0.0.1:9586\"\npath = \"metrics\"\n"),
            "n.toml:8:8: path must start with / and hold only letters, digits, '/', '-', '_' and "
            "'.'");
  EXPECT_EQ(refusal(kNode + "[metrics]\nlisten = \"127.0.0.1:9586\"\npath = \"/m?x\"\n"),
            "n.toml:8:8: path must start with / and hold only letters, digits, '/', '-', '_' and "
            "'.'");
  EXPECT_NE(refusal(kNode + "[metrics]\nlisten = \"127.0.0.1:9586\"\nport = 1\n")
                .find("unknown key 'port' in [metrics]"),
            std::string::npos);
}

TEST(MetricsConfig, KnowsLoopbackAddresses) {
  EXPECT_TRUE(is_loopback(*IpAddress::parse("127.0.0.1")));
  EXPECT_TRUE(is_loopback(*IpAddress::parse("127.3.2.1")));
  EXPECT_TRUE(is_loopback(*IpAddress::parse("::1")));
  EXPECT_FALSE(is_loopback(*IpAddress::parse("::")));
  EXPECT_FALSE(is_loopback(*IpAddress::parse("10.0.0.1")));
  EXPECT_FALSE(is_loopback(*IpAddress::parse("fe80::1")));
}

}  // namespace
}  // namespace tandem::control
