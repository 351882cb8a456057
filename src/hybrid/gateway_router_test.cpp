// The gateway's router: routing by destination account, the return path following the latest
// inbound packet, probes answered without moving it, spoofed sources, detaching, and every drop.
#include "hybrid/gateway_router.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "hybrid/probe.hpp"
#include "hybrid/test_packets.hpp"

namespace tandem::hybrid {
namespace {

using testing::ip;
using testing::net;
using testing::packet;

TimePoint at(int seconds) {
  return TimePoint{} + std::chrono::seconds(seconds);
}

std::vector<std::byte> probe(const char* from, const char* to) {
  std::vector<std::byte> out(probe_min_size(ip(from).family()));
  ProbeMessage message;
  message.sequence = 7;
  EXPECT_EQ(build_probe_request(out, ip(from), 40000, ip(to), message, out.size()), out.size());
  return out;
}

AccountSpec account(const char* name, const char* ipv4, const char* ipv6) {
  AccountSpec spec;
  spec.name = name;
  spec.ipv4 = ip(ipv4);
  spec.ipv6 = ip(ipv6);
  return spec;
}

AccountTable accounts() {
  AccountSpec site = account("site", "10.77.0.30", "fd77::30");
  site.subnets = {net("192.168.5.0/24")};
  AccountSpec carol = account("carol", "10.77.0.40", "fd77::40");
  carol.disabled = true;
  AddressPlan plan;
  plan.reserved = {ip("10.77.0.1"), ip("fd77::1")};
  auto table = AccountTable::create({account("alice", "10.77.0.10", "fd77::10"),
                                     account("bob", "10.77.0.20", "fd77::20"), site, carol},
                                    plan);
  EXPECT_TRUE(table.ok()) << table.error();
  return std::move(table).value();
}

// The same UDP packet with ports set.
std::vector<std::byte> with_ports(std::vector<std::byte> p, std::uint16_t source,
                                  std::uint16_t destination) {
  const std::size_t transport = (std::to_integer<unsigned>(p[0]) >> 4) == 4 ? 20 : 40;
  store_be16(p.data() + transport, source);
  store_be16(p.data() + transport + 2, destination);
  return p;
}
// The same addresses in another protocol (ICMP): a flow of its own.
std::vector<std::byte> to_other_flow(std::vector<std::byte> p) {
  p[(std::to_integer<unsigned>(p[0]) >> 4) == 4 ? 9 : 6] = std::byte{1};
  return p;
}

constexpr AccountId kAlice = 1;
constexpr AccountId kBob = 2;
constexpr AccountId kSite = 3;
constexpr AccountId kCarol = 4;

class GatewayRouterTest : public ::testing::Test {
 protected:
  const AccountTable table_ = accounts();
  GatewayRouter router_{table_, {ip("10.77.0.1"), ip("fd77::1")}};
};

TEST_F(GatewayRouterTest, TwoAccountsOnDifferentPathsReachEachOther) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(2, kBob, at(0)));
  for (const auto& [from, to] : {std::pair{"10.77.0.10", "10.77.0.20"}, {"fd77::10", "fd77::20"}}) {
    const auto to_bob = packet(from, to);
    EXPECT_EQ(router_.on_inbound(1, to_bob, at(1)), InboundVerdict::kDeliver);
    EXPECT_EQ(router_.route(to_bob).path, 2u);
    const auto to_alice = packet(to, from);
    EXPECT_EQ(router_.on_inbound(2, to_alice, at(1)), InboundVerdict::kDeliver);
    EXPECT_EQ(router_.route(to_alice).path, 1u);
  }
  EXPECT_EQ(router_.stats().delivered, 4u);
  EXPECT_EQ(router_.stats().routed, 4u);
  EXPECT_EQ(router_.stats().path_moves, 0u);
}

TEST_F(GatewayRouterTest, ASiteReceivesAndSendsForItsSubnet) {
  ASSERT_TRUE(router_.attach(5, kSite, at(0)));
  EXPECT_EQ(router_.route(packet("10.77.0.10", "192.168.5.77")).path, 5u);
  EXPECT_EQ(router_.on_inbound(5, packet("192.168.5.77", "10.77.0.10"), at(1)),
            InboundVerdict::kDeliver);
}

TEST_F(GatewayRouterTest, TheFirstPathIsTheReturnPathUntilAnotherCarriesData) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(2, kAlice, at(1)));
  const auto to_alice = packet("10.77.0.20", "10.77.0.10");
  EXPECT_EQ(router_.route(to_alice).path, 1u) << "a new path waits for a packet";

  EXPECT_EQ(router_.on_inbound(2, packet("10.77.0.10", "10.77.0.20"), at(2)),
            InboundVerdict::kDeliver);
  EXPECT_EQ(router_.route(to_alice).path, 2u);
  EXPECT_EQ(router_.return_path(kAlice), 2u);

  EXPECT_EQ(router_.on_inbound(1, packet("fd77::10", "fd77::20"), at(3)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.return_path(kAlice), 1u) << "either family moves it";
  EXPECT_EQ(router_.route(to_other_flow(to_alice)).path, 1u);
  EXPECT_EQ(router_.stats().path_moves, 2u);
  EXPECT_EQ(router_.path_moves_of(kAlice), 2u);
}

// With two paths up, a client may put classes of traffic on each (its traffic rules): a reply
// leaves on the path its flow last arrived by, anything else on the return path.
TEST_F(GatewayRouterTest, RepliesFollowTheirFlowsPathWhileTheAccountHasSeveral) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(2, kAlice, at(0)));
  const auto voice = with_ports(packet("10.77.0.10", "10.77.0.20"), 4000, 5060);
  const auto web = with_ports(packet("10.77.0.10", "10.77.0.20"), 4001, 443);
  EXPECT_EQ(router_.on_inbound(2, voice, at(1)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.on_inbound(1, web, at(2)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.return_path(kAlice), 1u);
  EXPECT_EQ(router_.route(with_ports(packet("10.77.0.20", "10.77.0.10"), 5060, 4000)).path, 2u);
  EXPECT_EQ(router_.route(with_ports(packet("10.77.0.20", "10.77.0.10"), 443, 4001)).path, 1u);
  // A flow the gateway has not seen arrive takes the return path.
  EXPECT_EQ(router_.route(with_ports(packet("10.77.0.20", "10.77.0.10"), 53, 4002)).path, 1u);
  EXPECT_EQ(router_.stats().flow_routed, 1u);
  // The voice flow moves (its path went down on the client): replies follow it.
  EXPECT_EQ(router_.on_inbound(1, voice, at(3)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.route(with_ports(packet("10.77.0.20", "10.77.0.10"), 5060, 4000)).path, 1u);
  // Its path gone, a flow's replies take the return path.
  EXPECT_EQ(router_.on_inbound(2, voice, at(4)), InboundVerdict::kDeliver);
  router_.detach(2);
  EXPECT_EQ(router_.route(with_ports(packet("10.77.0.20", "10.77.0.10"), 5060, 4000)).path, 1u);
}

TEST_F(GatewayRouterTest, AnAccountWithOnePathRemembersNoFlows) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  for (std::uint16_t port = 1; port <= 100; ++port)
    router_.on_inbound(1, with_ports(packet("10.77.0.10", "10.77.0.20"), port, 80), at(1));
  EXPECT_EQ(router_.flows(), 0u);
  ASSERT_TRUE(router_.attach(2, kAlice, at(2)));
  router_.on_inbound(2, with_ports(packet("10.77.0.10", "10.77.0.20"), 1, 80), at(3));
  EXPECT_EQ(router_.flows(), 1u);
}

TEST_F(GatewayRouterTest, AProbeOnTheStandbyPathIsAnsweredWithoutMovingTheReturnPath) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(2, kAlice, at(0)));
  EXPECT_EQ(router_.on_inbound(2, probe("10.77.0.10", "10.77.0.1"), at(1)), InboundVerdict::kProbe);
  EXPECT_EQ(router_.on_inbound(2, probe("fd77::10", "fd77::1"), at(1)), InboundVerdict::kProbe);
  EXPECT_EQ(router_.return_path(kAlice), 1u);
  EXPECT_EQ(router_.stats().probes, 2u);
  EXPECT_EQ(router_.stats().delivered, 0u);
  EXPECT_EQ(router_.stats().path_moves, 0u);
}

TEST_F(GatewayRouterTest, OnlyProbeRequestsToTheGatewayAreProbes) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  // To another account: ordinary traffic that happens to look like a probe.
  EXPECT_EQ(router_.on_inbound(1, probe("10.77.0.10", "10.77.0.20"), at(1)),
            InboundVerdict::kDeliver);
  // An ordinary packet to the gateway itself (a ping, DNS) goes to the TUN device.
  EXPECT_EQ(router_.on_inbound(1, packet("10.77.0.10", "10.77.0.1"), at(1)),
            InboundVerdict::kDeliver);
  // A reply from alice answers a probe the gateway sent; it is not a request to answer.
  ProbePacket request;
  request.source = ip("10.77.0.1");
  request.destination = ip("10.77.0.10");
  request.source_port = 40000;
  request.destination_port = kProbePort;
  std::vector<std::byte> reply(probe_min_size(IpAddress::Family::kV4));
  ASSERT_EQ(build_probe_reply(reply, request, reply.size()), reply.size());
  EXPECT_EQ(router_.on_inbound(1, reply, at(1)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.stats().probes, 0u);
}

TEST_F(GatewayRouterTest, SpoofedSourcesAreDroppedOnEveryPathKind) {
  // One path of each kind; the router sees only ids, so every kind is checked alike.
  const PathKind kinds[] = {PathKind::kWireguard, PathKind::kL2tpIpsec, PathKind::kIpsecTunnel,
                            PathKind::kNested};
  for (const PathKind kind : kinds) {
    const PathId path = 10 + static_cast<PathId>(kind);
    ASSERT_TRUE(router_.attach(path, kAlice, at(0))) << path_kind_name(kind);
  }
  std::uint64_t expected = 0;
  for (const PathKind kind : kinds) {
    const PathId path = 10 + static_cast<PathId>(kind);
    for (const char* source :
         {"10.77.0.20", "fd77::20", "192.168.5.1", "203.0.113.9", "2001:db8::9", "10.77.0.1"}) {
      const char* destination = ip(source).is_v4() ? "10.77.0.30" : "fd77::30";
      EXPECT_EQ(router_.on_inbound(path, packet(source, destination), at(1)),
                InboundVerdict::kSpoofed)
          << path_kind_name(kind) << " from " << source;
      ++expected;
    }
    // A probe from someone else's address is no probe of alice's.
    EXPECT_EQ(router_.on_inbound(path, probe("10.77.0.20", "10.77.0.1"), at(1)),
              InboundVerdict::kSpoofed);
    ++expected;
  }
  EXPECT_EQ(router_.stats().spoofed, expected);
  EXPECT_EQ(router_.stats().delivered, 0u);
  EXPECT_EQ(router_.return_path(kAlice), 10u + static_cast<PathId>(PathKind::kWireguard));
}

TEST_F(GatewayRouterTest, DetachingTheReturnPathFallsBackToTheOtherPath) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(2, kAlice, at(0)));
  router_.detach(1);
  EXPECT_EQ(router_.return_path(kAlice), 2u);
  EXPECT_EQ(router_.route(packet("10.77.0.20", "10.77.0.10")).path, 2u);
  EXPECT_EQ(router_.stats().path_moves, 1u);
}

TEST_F(GatewayRouterTest, DetachHandsOverToTheMostRecentlyUsedPath) {
  for (const PathId path : {1u, 2u, 3u}) ASSERT_TRUE(router_.attach(path, kAlice, at(0)));
  const auto from_alice = packet("10.77.0.10", "10.77.0.20");
  EXPECT_EQ(router_.on_inbound(3, from_alice, at(1)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.on_inbound(2, from_alice, at(2)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.on_inbound(1, from_alice, at(3)), InboundVerdict::kDeliver);
  router_.detach(1);
  EXPECT_EQ(router_.return_path(kAlice), 2u);
}

TEST_F(GatewayRouterTest, DetachPrefersTheMostRecentlyAttachedOnATie) {
  for (const PathId path : {1u, 2u, 3u}) ASSERT_TRUE(router_.attach(path, kAlice, at(0)));
  router_.detach(1);
  EXPECT_EQ(router_.return_path(kAlice), 3u);
}

TEST_F(GatewayRouterTest, AProbedStandbyCountsAsUsedWhenTheReturnPathGoes) {
  for (const PathId path : {1u, 2u, 3u}) ASSERT_TRUE(router_.attach(path, kAlice, at(0)));
  EXPECT_EQ(router_.on_inbound(2, probe("10.77.0.10", "10.77.0.1"), at(5)), InboundVerdict::kProbe);
  router_.detach(1);
  EXPECT_EQ(router_.return_path(kAlice), 2u);
}

TEST_F(GatewayRouterTest, DetachingAStandbyLeavesTheReturnPath) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(2, kAlice, at(0)));
  router_.detach(2);
  router_.detach(2);  // twice is harmless
  EXPECT_EQ(router_.return_path(kAlice), 1u);
  EXPECT_EQ(router_.paths_of(kAlice), std::vector<PathId>{1});
  EXPECT_EQ(router_.stats().path_moves, 0u);
}

TEST_F(GatewayRouterTest, WithItsLastPathGoneAnAccountHasNoRouteUntilOneAttaches) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  router_.detach(1);
  const auto to_alice = packet("10.77.0.20", "10.77.0.10");
  const auto decision = router_.route(to_alice);
  EXPECT_FALSE(decision.path);
  EXPECT_EQ(decision.drop, RouteDrop::kNoLivePath);
  EXPECT_EQ(router_.return_path(kAlice), std::nullopt);
  EXPECT_TRUE(router_.paths_of(kAlice).empty());
  ASSERT_TRUE(router_.attach(7, kAlice, at(1)));
  EXPECT_EQ(router_.route(to_alice).path, 7u);
  EXPECT_EQ(router_.stats().no_live_path, 1u);
}

TEST_F(GatewayRouterTest, PathsOfListsTheReturnPathFirst) {
  for (const PathId path : {1u, 2u, 3u}) ASSERT_TRUE(router_.attach(path, kAlice, at(0)));
  EXPECT_EQ(router_.on_inbound(2, packet("10.77.0.10", "10.77.0.20"), at(1)),
            InboundVerdict::kDeliver);
  EXPECT_EQ(router_.paths_of(kAlice), (std::vector<PathId>{2, 1, 3}));
  EXPECT_EQ(router_.account_of(3), kAlice);
  EXPECT_TRUE(router_.paths_of(kBob).empty());
}

// A reload's new table: bob gone, dave added first (which moves alice to id 2), carol enabled.
AccountTable reloaded_accounts() {
  AccountSpec site = account("site", "10.77.0.30", "fd77::30");
  site.subnets = {net("192.168.5.0/24")};
  AddressPlan plan;
  plan.reserved = {ip("10.77.0.1"), ip("fd77::1")};
  auto table = AccountTable::create(
      {account("dave", "10.77.0.50", "fd77::50"), account("alice", "10.77.0.10", "fd77::10"), site,
       account("carol", "10.77.0.40", "fd77::40")},
      plan);
  EXPECT_TRUE(table.ok()) << table.error();
  return std::move(table).value();
}

TEST_F(GatewayRouterTest, ARebindKeepsEachRemainingAccountsPathsAndReturnPath) {
  for (const PathId path : {1u, 2u, 3u}) ASSERT_TRUE(router_.attach(path, kAlice, at(0)));
  const auto from_alice = packet("10.77.0.10", "10.77.0.20");
  EXPECT_EQ(router_.on_inbound(3, from_alice, at(1)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.on_inbound(1, from_alice, at(2)), InboundVerdict::kDeliver);
  EXPECT_EQ(router_.on_inbound(2, from_alice, at(3)), InboundVerdict::kDeliver);  // return path
  ASSERT_TRUE(router_.attach(4, kBob, at(0)));
  const AccountTable next = reloaded_accounts();
  // Alice is account 2 now: her paths 1, 2, 3 become 11, 12, 13; bob's has no account left.
  router_.rebind(next, [](PathId path) -> std::optional<GatewayRouter::PathMove> {
    if (path == 4) return std::nullopt;
    return GatewayRouter::PathMove{path + 10, 2};
  });
  EXPECT_EQ(router_.paths_of(2), (std::vector<PathId>{12, 11, 13}));
  EXPECT_EQ(router_.route(packet("10.77.0.50", "10.77.0.10")).path, 12u);
  EXPECT_EQ(router_.account_of(4), std::nullopt);
  EXPECT_EQ(router_.on_inbound(4, from_alice, at(4)), InboundVerdict::kUnknownPath);
  router_.detach(12);
  EXPECT_EQ(router_.return_path(2), 11u) << "the standby used most recently takes over";
}

TEST_F(GatewayRouterTest, ARebindReadsTheNewTable) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  const AccountTable next = reloaded_accounts();
  router_.rebind(next, [](PathId) { return GatewayRouter::PathMove{1, 2}; });
  EXPECT_TRUE(router_.attach(9, 4, at(1))) << "carol is enabled in the new table";
  const auto to_bob = router_.route(packet("10.77.0.10", "10.77.0.20"));
  EXPECT_FALSE(to_bob.path);
  EXPECT_EQ(to_bob.drop, RouteDrop::kNoAccount) << "bob is gone";
  EXPECT_EQ(router_.on_inbound(1, packet("10.77.0.10", "10.77.0.50"), at(2)),
            InboundVerdict::kDeliver);
}

TEST_F(GatewayRouterTest, ARebindDetachesThePathsOfAnAccountNowDisabled) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  router_.rebind(table_, [](PathId) { return GatewayRouter::PathMove{1, kCarol}; });
  EXPECT_EQ(router_.account_of(1), std::nullopt);
}

TEST_F(GatewayRouterTest, APathThatAuthenticatesAsAnotherAccountMovesToIt) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  ASSERT_TRUE(router_.attach(1, kAlice, at(1)));  // again: nothing changes
  EXPECT_EQ(router_.paths_of(kAlice), std::vector<PathId>{1});
  ASSERT_TRUE(router_.attach(1, kBob, at(2)));
  EXPECT_EQ(router_.account_of(1), kBob);
  EXPECT_EQ(router_.return_path(kAlice), std::nullopt);
  EXPECT_EQ(router_.return_path(kBob), 1u);
  EXPECT_EQ(router_.on_inbound(1, packet("10.77.0.10", "10.77.0.20"), at(3)),
            InboundVerdict::kSpoofed);
}

TEST_F(GatewayRouterTest, PacketsOnAnUnknownOrDetachedPathAreRefused) {
  const auto from_alice = packet("10.77.0.10", "10.77.0.20");
  EXPECT_EQ(router_.on_inbound(9, from_alice, at(0)), InboundVerdict::kUnknownPath);
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  router_.detach(1);
  EXPECT_EQ(router_.on_inbound(1, from_alice, at(1)), InboundVerdict::kUnknownPath);
  EXPECT_EQ(router_.account_of(1), std::nullopt);
  EXPECT_EQ(router_.stats().unknown_path, 2u);
}

TEST_F(GatewayRouterTest, MalformedPacketsAreRefusedBothWays) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  std::vector<std::vector<std::byte>> bad;
  bad.emplace_back();                                          // empty
  bad.push_back(std::vector<std::byte>(10, std::byte{0x45}));  // a header cut short
  auto version5 = packet("10.77.0.10", "10.77.0.20");
  version5[0] = std::byte{0x55};
  bad.push_back(version5);
  auto too_long = packet("10.77.0.10", "10.77.0.20");
  store_be16(too_long.data() + 2, static_cast<std::uint16_t>(too_long.size() + 1));
  bad.push_back(too_long);
  auto short_ihl = packet("10.77.0.10", "10.77.0.20");
  short_ihl[0] = std::byte{0x44};
  bad.push_back(short_ihl);
  auto v6_too_long = packet("fd77::10", "fd77::20");
  store_be16(v6_too_long.data() + 4, static_cast<std::uint16_t>(v6_too_long.size()));
  bad.push_back(v6_too_long);
  auto v6_cut = packet("fd77::10", "fd77::20");
  v6_cut.resize(39);
  bad.push_back(v6_cut);

  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(router_.on_inbound(1, bad[i], at(1)), InboundVerdict::kMalformed) << i;
    const auto decision = router_.route(bad[i]);
    EXPECT_FALSE(decision.path) << i;
    EXPECT_EQ(decision.drop, RouteDrop::kMalformed) << i;
  }
  EXPECT_EQ(router_.stats().malformed, 2 * bad.size());
  // Bytes past the length the header claims are link padding, not a fault.
  auto padded = packet("10.77.0.10", "10.77.0.20");
  padded.resize(padded.size() + 6);
  EXPECT_EQ(router_.on_inbound(1, padded, at(1)), InboundVerdict::kDeliver);
}

TEST_F(GatewayRouterTest, ADisabledAccountCannotAttachAndIsNotRoutedTo) {
  EXPECT_FALSE(router_.attach(1, kCarol, at(0)));
  EXPECT_EQ(router_.account_of(1), std::nullopt);
  EXPECT_EQ(router_.on_inbound(1, packet("10.77.0.40", "10.77.0.10"), at(1)),
            InboundVerdict::kUnknownPath);
  const auto decision = router_.route(packet("10.77.0.10", "10.77.0.40"));
  EXPECT_FALSE(decision.path);
  EXPECT_EQ(decision.drop, RouteDrop::kDisabled);
  EXPECT_EQ(router_.stats().disabled, 1u);
}

TEST_F(GatewayRouterTest, UnknownAccountsCannotAttach) {
  EXPECT_FALSE(router_.attach(1, 0, at(0)));
  EXPECT_FALSE(router_.attach(1, 99, at(0)));
  EXPECT_FALSE(router_.attach(kNoPath, kAlice, at(0)));
}

TEST_F(GatewayRouterTest, APacketForNoAccountIsDropped) {
  ASSERT_TRUE(router_.attach(1, kAlice, at(0)));
  for (const char* to : {"198.51.100.1", "2001:db8::1", "10.77.0.1"}) {
    const char* from = ip(to).is_v4() ? "10.77.0.1" : "fd77::1";
    const auto decision = router_.route(packet(from, to));
    EXPECT_FALSE(decision.path) << to;
    EXPECT_EQ(decision.drop, RouteDrop::kNoAccount) << to;
  }
  EXPECT_EQ(router_.stats().no_account, 3u);
}

}  // namespace
}  // namespace tandem::hybrid
