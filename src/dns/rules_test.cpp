#include "dns/rules.hpp"

#include <gtest/gtest.h>

#include "dns/message.hpp"

namespace tandem::dns {
namespace {

UpstreamGroup group(std::string name, std::string path, std::string resolver) {
  return UpstreamGroup{std::move(name), std::move(path), {*Endpoint::parse(resolver)}};
}

RulesConfig split_config() {
  RulesConfig c;
  c.groups = {group("corp", "tunnel:wg0", "10.0.0.53:53"),
              group("lab", "tunnel:l2tp0", "10.9.0.53:53"),
              group("public", "underlay", "9.9.9.9:53")};
  c.rules = {{"corp.example", "corp"}, {"lab.corp.example", "lab"}, {"10.in-addr.arpa", "corp"}};
  c.default_group = "public";
  return c;
}

std::optional<std::string> routed(const RuleSet& rules, std::string_view name) {
  const auto index = rules.route(*name_from_text(name));
  if (!index) return std::nullopt;
  return rules.group(*index).name;
}

TEST(DnsRules, MatchesWholeLabelsOnly) {
  const auto rules = RuleSet::build(split_config());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(routed(*rules, "corp.example"), "corp");
  EXPECT_EQ(routed(*rules, "a.corp.example"), "corp");
  EXPECT_EQ(routed(*rules, "a.b.c.corp.example"), "corp");
  EXPECT_EQ(routed(*rules, "xcorp.example"), "public");
  EXPECT_EQ(routed(*rules, "corp.example.net"), "public");
  EXPECT_EQ(routed(*rules, "example"), "public");
}

TEST(DnsRules, LongestSuffixWins) {
  const auto rules = RuleSet::build(split_config());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(routed(*rules, "lab.corp.example"), "lab");
  EXPECT_EQ(routed(*rules, "host.lab.corp.example"), "lab");
  EXPECT_EQ(routed(*rules, "xlab.corp.example"), "corp");
}

TEST(DnsRules, MatchingIgnoresCaseOfTheRule) {
  auto config = split_config();
  config.rules = {{"Corp.EXAMPLE.", "corp"}};
  const auto rules = RuleSet::build(config);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(routed(*rules, "HOST.corp.example"), "corp");
}

TEST(DnsRules, ReverseZoneIsASuffix) {
  const auto rules = RuleSet::build(split_config());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(routed(*rules, "4.3.2.10.in-addr.arpa"), "corp");
  EXPECT_EQ(routed(*rules, "4.3.2.110.in-addr.arpa"), "public");
}

TEST(DnsRules, NoRuleAndNoDefaultRoutesNowhere) {
  auto config = split_config();
  config.default_group.reset();
  const auto rules = RuleSet::build(config);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(routed(*rules, "www.example.com"), std::nullopt);
  EXPECT_EQ(routed(*rules, "a.corp.example"), "corp");
  EXPECT_EQ(routed(*rules, "."), std::nullopt);
}

TEST(DnsRules, RejectsRuleWhoseGroupIsNotDefined) {
  auto config = split_config();
  config.rules.push_back({"private.example", "vpn"});
  const auto rules = RuleSet::build(config);
  ASSERT_FALSE(rules.ok());
  EXPECT_NE(rules.error().message.find("private.example"), std::string::npos);
}

TEST(DnsRules, RejectsGroupWithoutResolversOrPath) {
  auto config = split_config();
  config.groups[0].resolvers.clear();
  EXPECT_FALSE(RuleSet::build(config).ok());
  config = split_config();
  config.groups[0].path.clear();
  EXPECT_FALSE(RuleSet::build(config).ok());
}

TEST(DnsRules, RejectsDuplicatesAndBadNames) {
  auto config = split_config();
  config.rules.push_back({"CORP.example.", "lab"});
  EXPECT_FALSE(RuleSet::build(config).ok());
  config = split_config();
  config.groups.push_back(group("corp", "underlay", "1.1.1.1:53"));
  EXPECT_FALSE(RuleSet::build(config).ok());
  config = split_config();
  config.rules.push_back({"bad..name", "corp"});
  EXPECT_FALSE(RuleSet::build(config).ok());
  config = split_config();
  config.rules.push_back({".", "corp"});
  EXPECT_FALSE(RuleSet::build(config).ok());
  config = split_config();
  config.default_group = "nowhere";
  EXPECT_FALSE(RuleSet::build(config).ok());
}

}  // namespace
}  // namespace tandem::dns
