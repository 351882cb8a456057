// The kernel policy plan of a client's [[policy]] rules: which ip rules, in which order, which
// tables, and which routes come and go with a path.
#include "daemon/kernel_policy.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

using hybrid::PathRole;
using io::TableRoute;

IpPrefix prefix(const char* text) {
  return *IpPrefix::parse(text);
}

hybrid::TrafficRule rule(const char* name, PathRole path, bool fail_closed) {
  hybrid::TrafficRule r;
  r.name = name;
  r.path = path;
  r.fail_closed = fail_closed;
  return r;
}

TEST(KernelPolicy, EachClassLooksUpItsPathThenTheOtherUnlessFailClosed) {
  auto bulk = rule("bulk", PathRole::kSecondary, false);
  bulk.protocol = 6;
  bulk.destination_ports = hybrid::PortRange{5201, 5201};
  bulk.destinations = {prefix("10.86.0.0/24")};
  auto secure = rule("secure", PathRole::kPrimary, true);
  secure.protocol = 17;
  secure.fwmark = 0x10;
  secure.fwmark_mask = 0xff;
  secure.dscp = 46;
  const auto plan = plan_kernel_policy({bulk, secure}, 51820, 20000,
                                       {prefix("10.86.0.0/24"), prefix("fd86::/64")}, {7, 9});
  ASSERT_TRUE(plan) << plan.error();
  const auto& rules = plan->fixed.rules;
  // bulk: IPv4 only (its destination is), its path then the other; secure: both families, its
  // path only.
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].priority, 20000u);
  EXPECT_EQ(rules[0].table, 51822u);  // the secondary's
  EXPECT_EQ(rules[0].destination, prefix("10.86.0.0/24"));
  EXPECT_EQ(rules[0].ip_protocol, 6);
  ASSERT_TRUE(rules[0].destination_ports);
  EXPECT_EQ(rules[0].destination_ports->first, 5201);
  EXPECT_EQ(rules[1].priority, 20001u);
  EXPECT_EQ(rules[1].table, 51820u);  // then the primary's
  EXPECT_EQ(rules[2].priority, 20002u);
  EXPECT_EQ(rules[2].family, IpAddress::Family::kV4);
  EXPECT_EQ(rules[2].table, 51821u);  // the primary's fail-closed table, nothing after it
  ASSERT_TRUE(rules[2].fwmark);
  EXPECT_EQ(rules[2].fwmark->value, 0x10u);
  EXPECT_EQ(rules[2].fwmark->mask, 0xffu);
  EXPECT_EQ(rules[2].dscp, 46);
  EXPECT_EQ(rules[3].family, IpAddress::Family::kV6);
  EXPECT_EQ(rules[3].priority, 20004u);

  // Blackholes under both fail-closed tables, for every routed prefix.
  ASSERT_EQ(plan->fixed.routes.size(), 4u);
  for (const auto& r : plan->fixed.routes) {
    EXPECT_EQ(r.kind, TableRoute::Kind::kBlackhole);
    EXPECT_TRUE(r.table == 51821u || r.table == 51823u);
  }
  // Each path's device routes: both its tables, out of its own device, above the blackholes.
  const auto& secondary = plan->device_routes[1].routes;
  ASSERT_EQ(secondary.size(), 4u);
  for (const auto& r : secondary) {
    EXPECT_EQ(r.kind, TableRoute::Kind::kDevice);
    EXPECT_EQ(r.ifindex, 9);
    EXPECT_TRUE(r.table == 51822u || r.table == 51823u);
    EXPECT_LT(*r.metric, *plan->fixed.routes[0].metric);
  }
  EXPECT_EQ(plan->device_routes[0].routes[0].ifindex, 7);
  EXPECT_EQ(plan->tables.first, 51820u);
  EXPECT_EQ(plan->tables.last, 51823u);
}

TEST(KernelPolicy, IcmpRulesStayInTheirFamilyAndFullPortRangesAreNoSelector) {
  auto ping = rule("ping", PathRole::kSecondary, false);
  ping.protocol = 1;
  ping.source_ports = hybrid::PortRange{0, 65535};
  const auto plan = plan_kernel_policy({ping}, 100, 1000, {prefix("10.0.0.0/8")}, {1, 2});
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->fixed.rules.size(), 2u);
  EXPECT_EQ(plan->fixed.rules[0].family, IpAddress::Family::kV4);
  EXPECT_FALSE(plan->fixed.rules[0].source_ports);
}

TEST(KernelPolicy, RefusesRulesThatWouldPassTheMainTable) {
  std::vector<hybrid::TrafficRule> many(10, rule("r", PathRole::kSecondary, false));
  const auto plan = plan_kernel_policy(many, 100, 32750, {prefix("10.0.0.0/8")}, {1, 2});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().find("32766"), std::string::npos) << plan.error();
}

}  // namespace
}  // namespace tandem::daemon
