#include "io/policy_routes.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>

#include "io/netns_fixture.hpp"

namespace tandem::io {
namespace {

using Json = nlohmann::json;
using Family = IpAddress::Family;

IpPrefix prefix(const char* text) {
  return *IpPrefix::parse(text);
}

void run(const std::string& command) {
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class PolicyRoutesTest : public testing::NetnsTunTest {
 protected:
  void SetUp() override {
    NetnsTunTest::SetUp();
    if (HasFatalFailure()) return;
    // Local addresses, so that `ip route get ... from` can ask which table a flow would use.
    run("ip link set tdm0 up && ip addr add 10.1.0.1/24 dev tdm0 && "
        "ip -6 addr add fd00:1::1/64 dev tdm0 nodad");
    auto routes = PolicyRoutes::open();
    ASSERT_TRUE(routes.ok()) << routes.error();
    routes_.emplace(std::move(routes).value());
  }
  void TearDown() override {
    routes_.reset();
    NetnsTunTest::TearDown();
  }

  // The rules `ip` shows with Tandem's protocol number.
  static std::vector<Json> marked_rules(const std::string& family_flag) {
    std::vector<Json> out;
    for (const Json& r : ip_json(family_flag + " rule show"))
      if (r.value("protocol", "") == "122") out.push_back(r);
    return out;
  }
  static Json rule_with_priority(const std::string& family_flag, int priority) {
    for (const Json& r : ip_json(family_flag + " rule show"))
      if (r.value("priority", -1) == priority) return r;
    return nullptr;
  }
  // The routes of one table. Listed from all tables, because `ip route show table N` fails
  // for a table the kernel has not created (or has dropped with its last route).
  static Json table(const std::string& family_flag, std::uint32_t id) {
    Json out = Json::array();
    for (const Json& r : ip_json(family_flag + " route show table all"))
      if (r.value("table", "") == std::to_string(id)) out.push_back(r);
    return out;
  }
  // The table in which the kernel's lookup for `ip route get <args>` ends; empty when it finds
  // no route at all.
  static std::string table_of_flow(const std::string& args, const std::string& family_flag = "") {
    const Json r = ip_json(family_flag + " route get " + args + " 2>/dev/null");
    if (!r.is_array() || r.empty()) return "";
    return r[0].value("table", "main");
  }
  static std::vector<std::string> destinations(const Json& routes) {
    std::vector<std::string> out;
    for (const Json& r : routes) out.push_back(r.value("dst", ""));
    return out;
  }

  TableRoute device_route(const char* destination, std::uint32_t id) const {
    return TableRoute{prefix(destination), id, TableRoute::Kind::kDevice, tun_->index(), {}};
  }
  static TableRoute drop_route(const char* destination, std::uint32_t id, TableRoute::Kind kind,
                               std::uint32_t metric) {
    return TableRoute{prefix(destination), id, kind, 0, metric};
  }

  // IPv4 rules with every selector, and the table routes they need, over two tables.
  PolicyPlan v4_plan() const {
    PolicyRule web;
    web.priority = 100;
    web.source = prefix("10.1.0.0/16");
    web.destination = prefix("10.2.0.0/24");
    web.ip_protocol = IPPROTO_TCP;
    web.source_ports = PortRange{1000, 2000};
    web.destination_ports = PortRange{443, 443};
    web.fwmark = FirewallMark{0x10, 0xff};
    web.table = 1000;
    PolicyRule voice;
    voice.priority = 101;
    voice.destination = prefix("10.3.0.0/16");
    voice.dscp = 46;
    voice.table = 70000;  // past the header's table byte
    return PolicyPlan{{web, voice},
                      {device_route("0.0.0.0/0", 1000),
                       drop_route("0.0.0.0/0", 1000, TableRoute::Kind::kUnreachable, 4000),
                       device_route("0.0.0.0/0", 70000)}};
  }

  PolicyPlan v6_plan() const {
    PolicyRule dns;
    dns.priority = 200;
    dns.family = Family::kV6;
    dns.source = prefix("fd00:1::/64");
    dns.destination = prefix("fd00:2::/48");
    dns.ip_protocol = IPPROTO_UDP;
    dns.destination_ports = PortRange{53, 53};
    dns.dscp = 10;
    dns.table = 2000;
    TableRoute out = device_route("::/0", 2000);
    out.metric = 100;
    return PolicyPlan{{dns}, {out, drop_route("::/0", 2000, TableRoute::Kind::kBlackhole, 9000)}};
  }

  static PolicyPlan joined(PolicyPlan a, const PolicyPlan& b) {
    a.rules.insert(a.rules.end(), b.rules.begin(), b.rules.end());
    a.routes.insert(a.routes.end(), b.routes.begin(), b.routes.end());
    return a;
  }

  void expect_nothing_marked() {
    EXPECT_TRUE(marked_rules("").empty()) << ip_json("rule show");
    EXPECT_TRUE(marked_rules("-6").empty()) << ip_json("-6 rule show");
    for (std::uint32_t id : {1000u, 70000u, 2000u}) {
      EXPECT_TRUE(table("-4", id).empty()) << id << ": " << table("-4", id);
      EXPECT_TRUE(table("-6", id).empty()) << id << ": " << table("-6", id);
    }
  }

  std::optional<PolicyRoutes> routes_;
};

TEST_F(PolicyRoutesTest, InstallsIpv4RulesWithEverySelectorAndTheirTables) {
  auto installed = routes_->install(v4_plan());
  ASSERT_TRUE(installed.ok()) << installed.error();

  ASSERT_EQ(marked_rules("").size(), 2u) << ip_json("rule show");
  const Json web = rule_with_priority("", 100);
  EXPECT_EQ(web["src"], "10.1.0.0");
  EXPECT_EQ(web["srclen"], 16);
  EXPECT_EQ(web["dst"], "10.2.0.0");
  EXPECT_EQ(web["dstlen"], 24);
  EXPECT_EQ(web["ipproto"], "tcp");
  EXPECT_EQ(web["sport_start"], 1000);
  EXPECT_EQ(web["sport_end"], 2000);
  EXPECT_EQ(web["dport"], 443);
  EXPECT_EQ(web["fwmark"], "0x10");
  EXPECT_EQ(web["fwmask"], "0xff");
  EXPECT_EQ(web["table"], "1000");
  EXPECT_EQ(web["protocol"], "122");
  const Json voice = rule_with_priority("", 101);
  EXPECT_EQ(voice["src"], "all");
  EXPECT_EQ(voice["dst"], "10.3.0.0");
  EXPECT_EQ(voice["dstlen"], 16);
  EXPECT_EQ(voice["table"], "70000");
  EXPECT_FALSE(voice.contains("ipproto"));
  EXPECT_FALSE(voice.contains("fwmark"));
  EXPECT_TRUE(marked_rules("-6").empty());

  const Json t1000 = table("-4", 1000);
  ASSERT_EQ(t1000.size(), 2u) << t1000;
  EXPECT_EQ(t1000[0]["dst"], "default");
  EXPECT_EQ(t1000[0]["dev"], "tdm0");
  EXPECT_EQ(t1000[0]["protocol"], "122");
  EXPECT_FALSE(t1000[0].contains("type"));  // unicast
  EXPECT_EQ(t1000[1]["type"], "unreachable");
  EXPECT_EQ(t1000[1]["dst"], "default");
  EXPECT_EQ(t1000[1]["metric"], 4000);
  EXPECT_EQ(t1000[1]["protocol"], "122");
  const Json t70000 = table("-4", 70000);
  ASSERT_EQ(t70000.size(), 1u) << t70000;
  EXPECT_EQ(t70000[0]["dev"], "tdm0");
}

// The kernel's own lookup, one selector at a time: a flow is steered only when all of them match.
TEST_F(PolicyRoutesTest, Ipv4RulesSteerOnlyTheFlowsTheyDescribe) {
  ASSERT_TRUE(routes_->install(v4_plan()).ok());
  const std::string web = "10.2.0.5 from 10.1.0.1 ipproto tcp sport 1500 ";
  EXPECT_EQ(table_of_flow(web + "dport 443 mark 0x10"), "1000");
  EXPECT_EQ(table_of_flow(web + "dport 443 mark 0x310"), "1000");  // outside the mask
  EXPECT_EQ(table_of_flow(web + "dport 444 mark 0x10"), "");
  EXPECT_EQ(table_of_flow(web + "dport 443 mark 0x11"), "");
  EXPECT_EQ(table_of_flow("10.2.0.5 from 10.1.0.1 ipproto udp sport 1500 dport 443 mark 0x10"), "");
  EXPECT_EQ(table_of_flow("10.2.0.5 from 10.1.0.1 ipproto tcp sport 999 dport 443 mark 0x10"), "");
  // DSCP 46 (EF) is past what the legacy tos byte can select on IPv4.
  EXPECT_EQ(table_of_flow("10.3.0.5 tos 0xb8"), "70000");
  EXPECT_EQ(table_of_flow("10.3.0.5 tos 0xb9"), "70000");  // ECN bits do not count
  EXPECT_EQ(table_of_flow("10.3.0.5 tos 0x28"), "");
  EXPECT_EQ(table_of_flow("10.3.0.5"), "");
}

TEST_F(PolicyRoutesTest, DscpZeroSelectsOnlyUnmarkedTraffic) {
  PolicyRule best_effort;
  best_effort.priority = 50;
  best_effort.destination = prefix("10.4.0.0/16");
  best_effort.dscp = 0;
  best_effort.table = 1000;
  ASSERT_TRUE(routes_->install(PolicyPlan{{best_effort}, {device_route("0.0.0.0/0", 1000)}}).ok());
  EXPECT_EQ(table_of_flow("10.4.0.5"), "1000");
  EXPECT_EQ(table_of_flow("10.4.0.5 tos 0xb8"), "");
}

TEST_F(PolicyRoutesTest, InstallsIpv6RulesAndRoutes) {
  auto installed = routes_->install(v6_plan());
  ASSERT_TRUE(installed.ok()) << installed.error();

  const auto rules = marked_rules("-6");
  ASSERT_EQ(rules.size(), 1u) << ip_json("-6 rule show");
  EXPECT_EQ(rules[0]["priority"], 200);
  EXPECT_EQ(rules[0]["src"], "fd00:1::");
  EXPECT_EQ(rules[0]["srclen"], 64);
  EXPECT_EQ(rules[0]["dst"], "fd00:2::");
  EXPECT_EQ(rules[0]["dstlen"], 48);
  EXPECT_EQ(rules[0]["ipproto"], "udp");
  EXPECT_EQ(rules[0]["dport"], 53);
  EXPECT_EQ(rules[0]["table"], "2000");
  EXPECT_TRUE(marked_rules("").empty());

  const Json t2000 = table("-6", 2000);
  ASSERT_EQ(t2000.size(), 2u) << t2000;
  EXPECT_EQ(t2000[0]["dst"], "default");
  EXPECT_EQ(t2000[0]["dev"], "tdm0");
  EXPECT_EQ(t2000[0]["metric"], 100);
  EXPECT_EQ(t2000[0]["protocol"], "122");
  EXPECT_EQ(t2000[1]["type"], "blackhole");
  EXPECT_EQ(t2000[1]["metric"], 9000);
  EXPECT_EQ(t2000[1]["protocol"], "122");
  EXPECT_TRUE(table("-4", 2000).empty());

  const std::string dns = "fd00:2::1 from fd00:1::1 ipproto udp dport ";
  EXPECT_EQ(table_of_flow(dns + "53 tos 0x28", "-6"), "2000");
  EXPECT_EQ(table_of_flow(dns + "53 tos 0xb8", "-6"), "");
  EXPECT_EQ(table_of_flow(dns + "54 tos 0x28", "-6"), "");
  EXPECT_EQ(table_of_flow("fd00:2::1 from fd00:1::1 ipproto tcp dport 53 tos 0x28", "-6"), "");
}

// install() compares what the kernel kept with the plan; selectors the kernel stores as "none"
// (a /0 prefix, protocol 0) must not read as dropped ones.
TEST_F(PolicyRoutesTest, AcceptsSelectorsThatMeanAnything) {
  PolicyRule rule;
  rule.priority = 60;
  rule.source = prefix("0.0.0.0/0");
  rule.destination = prefix("10.5.0.0/16");
  rule.ip_protocol = 0;
  rule.fwmark = FirewallMark{0x11, 0x1};  // the kernel keeps mark bits outside the mask
  rule.table = 1000;
  auto installed = routes_->install(PolicyPlan{{rule}, {}});
  ASSERT_TRUE(installed.ok()) << installed.error();
  const Json kept = rule_with_priority("", 60);
  EXPECT_EQ(kept["src"], "all");
  EXPECT_FALSE(kept.contains("ipproto"));
  EXPECT_EQ(kept["fwmark"], "0x11");
  EXPECT_EQ(kept["fwmask"], "0x1");
}

TEST_F(PolicyRoutesTest, ListsTheInstalledRulesAndRoutesAsPlanned) {
  const PolicyPlan plan = joined(v4_plan(), v6_plan());
  ASSERT_TRUE(routes_->install(plan).ok());
  auto rules = routes_->list_rules();
  ASSERT_TRUE(rules.ok()) << rules.error();
  EXPECT_EQ(*rules, plan.rules);
  auto listed = routes_->list_routes();
  ASSERT_TRUE(listed.ok()) << listed.error();
  ASSERT_EQ(listed->size(), plan.routes.size());
  for (const TableRoute& route : plan.routes)
    EXPECT_NE(std::find(listed->begin(), listed->end(), route), listed->end()) << route.to_string();
}

TEST_F(PolicyRoutesTest, RemoveTakesAwayEverythingInstalledAndToleratesWhatIsGone) {
  const PolicyPlan plan = joined(v4_plan(), v6_plan());
  ASSERT_TRUE(routes_->install(plan).ok());
  run("ip rule del pref 101 && ip route del default table 70000");  // gone before remove()
  auto removed = routes_->remove(plan);
  ASSERT_TRUE(removed.ok()) << removed.error();
  expect_nothing_marked();
  auto again = routes_->remove(plan);
  EXPECT_TRUE(again.ok()) << again.error();
}

// The kernel matches the protocol on delete, so a hand-made twin without the marker stays.
TEST_F(PolicyRoutesTest, RemoveLeavesLookAlikesWithoutTheMarker) {
  run("ip rule add pref 100 from 10.1.0.0/16 to 10.2.0.0/24 ipproto tcp sport 1000-2000 "
      "dport 443 fwmark 0x10/0xff lookup 1000");
  run("ip route add 10.50.0.0/16 dev tdm0 table 1000");
  // Ahead of the plan's own default route, which has the kernel's default metric (1024).
  run("ip -6 route add default dev tdm0 table 2000 metric 10");
  PolicyPlan v6 = v6_plan();
  v6.routes[0].metric.reset();
  const PolicyPlan plan = joined(v4_plan(), v6);
  ASSERT_TRUE(routes_->install(plan).ok());
  ASSERT_TRUE(routes_->remove(plan).ok());
  EXPECT_TRUE(marked_rules("").empty());
  EXPECT_TRUE(marked_rules("-6").empty());
  const Json twin = rule_with_priority("", 100);
  ASSERT_FALSE(twin.is_null()) << ip_json("rule show");
  EXPECT_EQ(twin["table"], "1000");
  const Json t1000 = table("-4", 1000);
  ASSERT_EQ(t1000.size(), 1u) << t1000;
  EXPECT_EQ(t1000[0]["dst"], "10.50.0.0/16");
  const Json t2000 = table("-6", 2000);
  ASSERT_EQ(t2000.size(), 1u) << t2000;
  EXPECT_EQ(t2000[0]["metric"], 10);
}

TEST_F(PolicyRoutesTest, FailedRouteUndoesTheInstallAndNamesTheRoute) {
  PolicyPlan plan = joined(v4_plan(), v6_plan());
  TableRoute dangling = device_route("10.9.0.0/16", 1000);
  dangling.ifindex = 9999;
  plan.routes.push_back(dangling);
  auto installed = routes_->install(plan);
  ASSERT_FALSE(installed.ok());
  EXPECT_NE(installed.error().find("10.9.0.0/16 dev ifindex 9999 table 1000"), std::string::npos)
      << installed.error();
  EXPECT_NE(installed.error().find("No such device"), std::string::npos) << installed.error();
  EXPECT_EQ(installed.error().find("undoing"), std::string::npos) << installed.error();
  expect_nothing_marked();
}

TEST_F(PolicyRoutesTest, FailedRuleUndoesEarlierRulesAndEveryRoute) {
  PolicyPlan plan = joined(v4_plan(), v6_plan());
  plan.rules.push_back(plan.rules[1]);  // already added by this plan: "File exists"
  auto installed = routes_->install(plan);
  ASSERT_FALSE(installed.ok());
  EXPECT_NE(installed.error().find("add rule ipv4 pref 101 from all to 10.3.0.0/16 dscp 46"),
            std::string::npos)
      << installed.error();
  EXPECT_NE(installed.error().find("File exists"), std::string::npos) << installed.error();
  expect_nothing_marked();
}

TEST_F(PolicyRoutesTest, RefusesAMixedFamilyRuleBeforeTouchingTheKernel) {
  PolicyPlan plan = v4_plan();
  plan.rules[0].source = prefix("fd00:1::/64");
  auto installed = routes_->install(plan);
  ASSERT_FALSE(installed.ok());
  EXPECT_NE(installed.error().find("source fd00:1::/64"), std::string::npos) << installed.error();
  expect_nothing_marked();
}

TEST_F(PolicyRoutesTest, RemoveStaleClearsWhatAKilledRunLeftAndNothingElse) {
  {
    // An earlier run that never got to remove(): its PolicyRoutes simply ends.
    auto earlier = PolicyRoutes::open();
    ASSERT_TRUE(earlier.ok());
    ASSERT_TRUE(earlier->install(joined(v4_plan(), v6_plan())).ok());
  }
  run("ip rule add pref 300 to 10.60.0.0/16 lookup 1000");
  run("ip rule add pref 301 to 10.61.0.0/16 lookup 1000 proto static");
  run("ip -6 rule add pref 302 to fd00:60::/32 lookup 2000");
  run("ip route add 10.60.0.0/16 dev tdm0 table 1000");
  run("ip route add blackhole 10.61.0.0/16 table 1000 proto 123");
  run("ip -6 route add fd00:60::/32 dev tdm0 table 2000");
  // Another program's marker is not Tandem's.
  auto other = PolicyRoutes::open(123);
  ASSERT_TRUE(other.ok());
  PolicyRule theirs;
  theirs.priority = 303;
  theirs.destination = prefix("10.62.0.0/16");
  theirs.table = 1000;
  ASSERT_TRUE(other->install(PolicyPlan{{theirs}, {}}).ok());

  auto removed = routes_->remove_stale();
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_EQ(removed->rules, 3u);
  EXPECT_EQ(removed->routes, 5u);

  EXPECT_TRUE(marked_rules("").empty());
  EXPECT_TRUE(marked_rules("-6").empty());
  EXPECT_EQ(destinations(table("-4", 1000)),
            (std::vector<std::string>{"10.60.0.0/16", "10.61.0.0/16"}));
  EXPECT_TRUE(table("-4", 70000).empty());
  EXPECT_EQ(destinations(table("-6", 2000)), std::vector<std::string>{"fd00:60::/32"});
  for (int priority : {300, 301, 303})
    EXPECT_FALSE(rule_with_priority("", priority).is_null()) << priority;
  EXPECT_FALSE(rule_with_priority("-6", 302).is_null());

  auto again = routes_->remove_stale();
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->rules + again->routes, 0u);
}

TEST_F(PolicyRoutesTest, RemoveStaleKeepsTablesOutsideTheRange) {
  ASSERT_TRUE(routes_->install(joined(v4_plan(), v6_plan())).ok());
  auto removed = routes_->remove_stale(TableRange{1000, 1999});
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_EQ(removed->rules, 1u);
  EXPECT_EQ(removed->routes, 2u);
  EXPECT_TRUE(table("-4", 1000).empty());
  EXPECT_TRUE(rule_with_priority("", 100).is_null());
  EXPECT_FALSE(rule_with_priority("", 101).is_null());
  EXPECT_FALSE(rule_with_priority("-6", 200).is_null());
  EXPECT_EQ(table("-4", 70000).size(), 1u);
  EXPECT_EQ(table("-6", 2000).size(), 2u);
}

}  // namespace
}  // namespace tandem::io
