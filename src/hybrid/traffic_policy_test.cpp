// Traffic rules: which class of inner packets takes which path, first match wins, what a rule's
// path being down does (the other path, or a drop for a fail-closed rule), and what the rules
// read from IPv4 and IPv6 packets (prefixes, protocol, ports, DSCP).
#include "hybrid/traffic_policy.hpp"

#include <gtest/gtest.h>

#include "hybrid/test_packets.hpp"

namespace tandem::hybrid {
namespace {

using testing::net;
using testing::packet;

constexpr PathRole kPrimary = PathRole::kPrimary;
constexpr PathRole kSecondary = PathRole::kSecondary;

// A UDP packet with ports and a DSCP.
std::vector<std::byte> udp(const char* from, const char* to, std::uint16_t source_port,
                           std::uint16_t destination_port, std::uint8_t dscp = 0) {
  auto p = packet(from, to, 16);
  const bool v4 = (std::to_integer<unsigned>(p[0]) >> 4) == 4;
  const std::size_t transport = v4 ? 20 : 40;
  store_be16(p.data() + transport, source_port);
  store_be16(p.data() + transport + 2, destination_port);
  if (v4) {
    p[1] = std::byte(dscp << 2);
  } else {
    // Traffic class straddles the first two bytes: version | TC high nibble, TC low nibble | flow.
    const unsigned tc = static_cast<unsigned>(dscp) << 2;
    p[0] = std::byte(0x60 | (tc >> 4));
    p[1] = std::byte((tc & 0x0f) << 4);
  }
  return p;
}

std::vector<std::byte> with_protocol(std::vector<std::byte> p, std::uint8_t protocol) {
  p[(std::to_integer<unsigned>(p[0]) >> 4) == 4 ? 9 : 6] = std::byte{protocol};
  return p;
}

TrafficRule rule(std::string name, PathRole path) {
  TrafficRule r;
  r.name = std::move(name);
  r.path = path;
  return r;
}

TEST(TrafficPolicy, TheFirstMatchingRuleDecidesAndTheRestFollowTheFallback) {
  TrafficRule voip = rule("voip", kSecondary);
  voip.protocol = 17;
  voip.destination_ports = PortRange{5060, 5061};
  TrafficRule office = rule("office", kPrimary);
  office.destinations = {net("10.50.0.0/16")};
  TrafficPolicy policy({voip, office});

  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.50.1.1", 4000, 5060)), 0U);
  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.50.1.1", 4000, 53)), 1U);
  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.60.1.1", 4000, 53)), std::nullopt);

  const auto sip = policy.decide(udp("10.0.0.2", "10.60.1.1", 4000, 5061), kPrimary, true, true);
  EXPECT_EQ(sip.path, kSecondary);
  EXPECT_EQ(sip.rule, 0U);
  const auto other = policy.decide(udp("10.0.0.2", "10.60.1.1", 4000, 80), kPrimary, true, true);
  EXPECT_EQ(other.path, kPrimary);  // no rule: the fallback's active path
  EXPECT_EQ(other.rule, std::nullopt);
  // Whichever path the fallback chose.
  EXPECT_EQ(policy.decide(udp("10.0.0.2", "10.60.1.1", 4000, 80), kSecondary, false, true).path,
            kSecondary);
  EXPECT_EQ(policy.counters()[0].packets, 1U);
}

TEST(TrafficPolicy, ARuleWhosePathIsDownTakesTheOtherPathOrIsDroppedWhenFailClosed) {
  TrafficRule bulk = rule("bulk", kSecondary);
  bulk.destination_ports = PortRange{873, 873};
  TrafficRule payroll = rule("payroll", kPrimary);
  payroll.destinations = {net("10.77.9.0/24")};
  payroll.fail_closed = true;
  TrafficPolicy policy({bulk, payroll});

  const auto moved = policy.decide(udp("10.0.0.2", "10.1.1.1", 999, 873), kPrimary, true, false);
  EXPECT_EQ(moved.path, kPrimary);
  const auto dropped =
      policy.decide(udp("10.0.0.2", "10.77.9.4", 999, 443), kSecondary, false, true);
  EXPECT_EQ(dropped.path, std::nullopt);
  EXPECT_EQ(dropped.rule, 1U);
  // Up again: back on its own path.
  EXPECT_EQ(policy.decide(udp("10.0.0.2", "10.77.9.4", 999, 443), kSecondary, true, true).path,
            kPrimary);
  EXPECT_EQ(policy.counters()[0].rerouted, 1U);
  EXPECT_EQ(policy.counters()[1].dropped, 1U);
  EXPECT_EQ(policy.counters()[1].packets, 2U);
}

TEST(TrafficPolicy, MatchesSourcePrefixesOfEitherFamilyAndPrefixLengthsInsideAByte) {
  TrafficRule lab = rule("lab", kSecondary);
  lab.sources = {net("10.0.0.16/28"), net("fd00:1::/33")};
  TrafficPolicy policy({lab});
  EXPECT_EQ(policy.match(udp("10.0.0.17", "10.9.9.9", 1, 2)), 0U);
  EXPECT_EQ(policy.match(udp("10.0.0.32", "10.9.9.9", 1, 2)), std::nullopt);
  EXPECT_EQ(policy.match(udp("fd00:1:7fff::1", "fd00::9", 1, 2)), 0U);
  EXPECT_EQ(policy.match(udp("fd00:1:8000::1", "fd00::9", 1, 2)), std::nullopt);
}

TEST(TrafficPolicy, DscpIsReadFromIpv4AndIpv6) {
  TrafficRule expedited = rule("ef", kSecondary);
  expedited.dscp = 46;
  TrafficPolicy policy({expedited});
  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.0.0.1", 1, 2, 46)), 0U);
  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.0.0.1", 1, 2, 10)), std::nullopt);
  EXPECT_EQ(policy.match(udp("fd00::2", "fd00::1", 1, 2, 46)), 0U);
  EXPECT_EQ(policy.match(udp("fd00::2", "fd00::1", 1, 2, 0)), std::nullopt);
}

TEST(TrafficPolicy, PortsMatchOnlyPacketsThatHaveThem) {
  TrafficRule web = rule("web", kSecondary);
  web.source_ports = PortRange{1024, 65535};
  web.destination_ports = PortRange{443, 443};
  TrafficPolicy policy({web});
  const auto tcp = with_protocol(udp("10.0.0.2", "10.0.0.1", 40000, 443), 6);
  EXPECT_EQ(policy.match(tcp), 0U);
  EXPECT_EQ(policy.match(with_protocol(udp("10.0.0.2", "10.0.0.1", 40000, 443), 1)), std::nullopt);
  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.0.0.1", 80, 443)), std::nullopt);
  // A later fragment carries no ports.
  auto fragment = tcp;
  store_be16(fragment.data() + 6, 185);
  EXPECT_EQ(policy.match(fragment), std::nullopt);
  // A protocol-only rule takes ICMP.
  TrafficRule icmp = rule("icmp", kSecondary);
  icmp.protocol = 1;
  EXPECT_EQ(TrafficPolicy({icmp}).match(with_protocol(udp("10.0.0.2", "10.0.0.1", 1, 2), 1)), 0U);
}

TEST(TrafficPolicy, WhatIsNotAPacketFollowsTheFallback) {
  TrafficPolicy policy({rule("everything", kSecondary)});
  EXPECT_EQ(policy.match(udp("10.0.0.2", "10.0.0.1", 1, 2)), 0U);
  const std::vector<std::byte> junk{std::byte{0x45}, std::byte{0}};
  EXPECT_EQ(policy.match(junk), std::nullopt);
  EXPECT_EQ(policy.decide(junk, kPrimary, true, true).path, kPrimary);
  EXPECT_TRUE(TrafficPolicy().empty());
}

}  // namespace
}  // namespace tandem::hybrid
