// A hybrid gateway's [dns] reaches its IKEv2 road warriors: the forwarder's IPv4 listen addresses
// as INTERNAL_IP4_DNS and its routed domains as INTERNAL_DNS_DOMAIN (RFC 8598), in the IKEv2
// engine's configuration, with no address pool (the accounts give the addresses).
#include <gtest/gtest.h>

#include "control/config_test_support.hpp"
#include "daemon/hybrid_interface.hpp"
#include "daemon/ipsec_tunnel_interface.hpp"

namespace tandem::daemon {
namespace {

const std::string kGateway = R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.77.0.1/24", "fd77::1/64"]

[ipsec]
local_address = "192.0.2.1"
local_id = "vpn.example.org"

[[account]]
name = "carol"
address = "10.77.0.3"
ike_psk = "carol's ike key, long"
ike_id = "carol@example.org"
)";

ipsec::ike::v2::Config engine_config(const std::string& text) {
  auto config = control::parse_node_config(text, "gw.toml");
  EXPECT_TRUE(config) << config.error().to_string();
  auto table = account_table(*config);
  EXPECT_TRUE(table) << table.error();
  return ipsec_ikev2_config(road_warrior_config(*config, *table));
}

TEST(RoadWarriorDns, GivesTheForwarderAndItsDomainsToRoadWarriors) {
  const auto ike = engine_config(kGateway + control::testing::kGatewayDns);
  ASSERT_TRUE(ike.pool);
  EXPECT_EQ(ike.pool->size, 0u);  // addresses are the accounts'
  EXPECT_EQ(ike.pool->dns, std::vector{*IpAddress::parse("10.77.0.1")});
  EXPECT_EQ(ike.pool->dns_domains,
            (std::vector<std::string>{"corp.example", "77.10.in-addr.arpa"}));
  ASSERT_EQ(ike.peers.size(), 1u);
  EXPECT_EQ(ike.peers[0].virtual_address, IpAddress::parse("10.77.0.3"));
}

TEST(RoadWarriorDns, GivesNoDnsWithoutTheSection) {
  EXPECT_FALSE(engine_config(kGateway).pool);
}

}  // namespace
}  // namespace tandem::daemon
