// A login backend's address (RADIUS Framed-IP-Address) in a gateway's account table: it holds an
// account whose address is leased, as a fixed one would, and gives way to an address fixed in
// the config or the store.
#include <gtest/gtest.h>

#include "daemon/hybrid_interface.hpp"

namespace tandem::daemon {
namespace {

const char* const kGateway = R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.77.0.1/24"]

[accounts]
pool = "10.77.0.100-10.77.0.110"

[[account]]
name = "alice"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

[[account]]
name = "bob"
password = "bob's password"
address = "10.77.0.3"
)";

control::NodeConfig gateway() {
  auto config = control::parse_node_config(kGateway, "gw.toml");
  EXPECT_TRUE(config) << config.error().to_string();
  return *config;
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(AssignedAddress, HoldsALeasedAccountOnEveryProtocol) {
  const auto config = gateway();
  const std::map<std::string, IpAddress, std::less<>> assigned{{"alice", ip("10.77.0.2")}};
  auto table = account_table(config, {}, assigned);
  ASSERT_TRUE(table) << table.error();
  const hybrid::Account* alice = table->by_name("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->ipv4, ip("10.77.0.2"));
  EXPECT_FALSE(alice->ipv4_leased);
  // Her WireGuard key's allowed IPs and the router's owner follow.
  EXPECT_EQ(alice->prefixes(), std::vector{IpPrefix(ip("10.77.0.2"), 32)});
  EXPECT_EQ(table->owner_of(ip("10.77.0.2")), alice->id);
  EXPECT_FALSE(table->owner_of(ip("10.77.0.100")));
}

TEST(AssignedAddress, GivesWayToAFixedAddress) {
  const auto config = gateway();
  const std::map<std::string, IpAddress, std::less<>> assigned{{"bob", ip("10.77.0.9")}};
  auto table = account_table(config, {}, assigned);
  ASSERT_TRUE(table) << table.error();
  EXPECT_EQ(table->by_name("bob")->ipv4, ip("10.77.0.3"));
}

TEST(AssignedAddress, TakesThePlaceOfAStoreLease) {
  auto config = gateway();
  // As the store hands its accounts over: the leased address set, and marked leased.
  config.accounts[0].ipv4 = ip("10.77.0.104");
  config.accounts[0].ipv4_leased = true;
  const std::map<std::string, IpAddress, std::less<>> assigned{{"alice", ip("10.77.0.2")}};
  auto table = account_table(config, {}, assigned);
  ASSERT_TRUE(table) << table.error();
  EXPECT_EQ(table->by_name("alice")->ipv4, ip("10.77.0.2"));
}

TEST(AssignedAddress, ClashingWithAnotherAccountIsRefusedNamingBoth) {
  const auto config = gateway();
  const std::map<std::string, IpAddress, std::less<>> assigned{{"alice", ip("10.77.0.3")}};
  auto table = account_table(config, {}, assigned);
  ASSERT_FALSE(table);
  EXPECT_NE(table.error().find("alice"), std::string::npos) << table.error();
  EXPECT_NE(table.error().find("bob"), std::string::npos) << table.error();
}

}  // namespace
}  // namespace tandem::daemon
