#include "io/policy_route_messages.hpp"

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <array>

namespace tandem::io {
namespace {

constexpr std::uint8_t kMarker = 0x7a;

IpPrefix prefix(const char* text) {
  return *IpPrefix::parse(text);
}

PolicyRule full_rule(IpAddress::Family family) {
  const bool v4 = family == IpAddress::Family::kV4;
  PolicyRule rule;
  rule.priority = 1234;
  rule.family = family;
  rule.source = prefix(v4 ? "10.1.0.0/16" : "fd00:1::/64");
  rule.destination = prefix(v4 ? "10.2.0.0/24" : "fd00:2::/48");
  rule.ip_protocol = IPPROTO_TCP;
  rule.source_ports = PortRange{1000, 2000};
  rule.destination_ports = PortRange{443, 443};
  rule.dscp = 46;
  rule.fwmark = FirewallMark{0x10, 0xff};
  rule.table = 70000;
  return rule;
}

// A request has the layout of a dump message (header, then attributes), so reading it back
// checks that every field makes the round trip.
TEST(PolicyRouteMessages, RuleRequestReadsBackAsTheSameRule) {
  for (const auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    const PolicyRule rule = full_rule(family);
    std::array<char, kPolicyMessageSize> buf{};
    const nlmsghdr* nlh = put_rule_request(buf.data(), rule, kMarker, true);
    EXPECT_EQ(nlh->nlmsg_type, RTM_NEWRULE);
    EXPECT_EQ(nlh->nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
    EXPECT_EQ(rule_from_message(nlh), rule);
    const auto tag = rule_tag(nlh);
    ASSERT_TRUE(tag);
    EXPECT_EQ(tag->protocol, kMarker);
    EXPECT_EQ(tag->table, 70000u);  // past the header's table byte
  }
}

TEST(PolicyRouteMessages, DeleteRequestsCarryTheMarker) {
  std::array<char, kPolicyMessageSize> buf{};
  const nlmsghdr* rule = put_rule_request(buf.data(), full_rule(IpAddress::Family::kV4), 9, false);
  EXPECT_EQ(rule->nlmsg_type, RTM_DELRULE);
  EXPECT_EQ(rule->nlmsg_flags, 0);
  EXPECT_EQ(rule_tag(rule)->protocol, 9);
  std::array<char, kPolicyMessageSize> buf2{};
  const TableRoute route{prefix("0.0.0.0/0"), 100, TableRoute::Kind::kDevice, 3, {}};
  const nlmsghdr* del = put_route_request(buf2.data(), route, 9, false);
  EXPECT_EQ(del->nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(route_tag(del)->protocol, 9);
}

TEST(PolicyRouteMessages, RouteRequestsReadBackAsTheSameRoutes) {
  const TableRoute routes[] = {
      {prefix("0.0.0.0/0"), 1000, TableRoute::Kind::kDevice, 7, {}},
      {prefix("10.9.0.0/16"), 1000, TableRoute::Kind::kDevice, 7, 20},
      {prefix("0.0.0.0/0"), 300, TableRoute::Kind::kUnreachable, 0, 4000},
      {prefix("::/0"), 70000, TableRoute::Kind::kBlackhole, 0, 9000},
      {prefix("fd00:9::/32"), 70000, TableRoute::Kind::kDevice, 8, 100},
  };
  for (const TableRoute& route : routes) {
    std::array<char, kPolicyMessageSize> buf{};
    const nlmsghdr* nlh = put_route_request(buf.data(), route, kMarker, true);
    EXPECT_EQ(nlh->nlmsg_type, RTM_NEWROUTE);
    EXPECT_EQ(route_from_message(nlh), route) << route.to_string();
    const auto tag = route_tag(nlh);
    ASSERT_TRUE(tag);
    EXPECT_EQ(tag->protocol, kMarker);
    EXPECT_EQ(tag->table, route.table);
  }
}

TEST(PolicyRouteMessages, NormalizedDropsSelectorsThatMatchEverything) {
  PolicyRule rule;
  rule.source = prefix("0.0.0.0/0");
  rule.destination = prefix("10.0.0.0/8");
  rule.ip_protocol = 0;
  rule.fwmark = FirewallMark{0, 0};
  rule.table = 5;
  PolicyRule expected;
  expected.destination = prefix("10.0.0.0/8");
  expected.table = 5;
  EXPECT_EQ(normalized(rule), expected);
}

}  // namespace
}  // namespace tandem::io
