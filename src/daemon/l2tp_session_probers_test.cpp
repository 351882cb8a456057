// Path MTU probing of L2TP sessions, end to end in memory: a client stack and a gateway stack
// back to back with a fake clock, through a hop that drops datagrams over a size and says
// nothing. The probers (the client's, or the gateway's towards each of its clients) find the
// largest inner packet that crosses, hold each session to its own, keep the configured MTU where
// no probe is ever answered, confirm only sessions that carry data, spread a gateway's first
// searches, and forget a session that is gone.
#include "daemon/l2tp_session_probers.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "base/seeded_rng.hpp"
#include "hybrid/test_packets.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Endpoint kGateway{*IpAddress::parse("192.0.2.1"), 1701};
const Endpoint kClient{*IpAddress::parse("192.0.2.2"), 40000};
constexpr std::uint16_t kMru = 1400;

hybrid::L2tpStackConfig gateway_config() {
  hybrid::L2tpStackConfig c;
  c.role = hybrid::L2tpRole::kLns;
  c.auth = {ppp::AuthMethod::kPap};
  c.mru = kMru;
  c.gateway_address = *IpAddress::parse("10.77.0.1");
  c.pool_first = IpAddress::parse("10.77.0.10");
  c.pool_last = IpAddress::parse("10.77.0.20");
  return c;
}

hybrid::L2tpStackConfig client_config() {
  hybrid::L2tpStackConfig c;
  c.role = hybrid::L2tpRole::kLac;
  c.auth = {ppp::AuthMethod::kPap};
  c.mru = kMru;
  c.server = kGateway;
  c.calls = {{"alice", "correct horse"}, {"bob", "correct horse"}};
  return c;
}

enum class Prober : std::uint8_t { kTheClient, kTheGateway };

// The two stacks, the probers of one of them, and the hop between them.
class ProbedPair {
 public:
  explicit ProbedPair(Prober side = Prober::kTheClient, L2tpProbingSettings settings = {})
      : client_rng_(1),
        gateway_rng_(2),
        client(client_config(), client_rng_),
        gateway(gateway_config(), gateway_rng_),
        probers("l2tp0", "", settings),
        side_(side) {}

  hybrid::L2tpStack& probing() { return side_ == Prober::kTheClient ? client : gateway; }
  // The probing stack's session of `user`.
  l2tp::SessionRef ref_of(const std::string& user) {
    for (const auto& s : probing().sessions())
      if (s.user == user) return s.ref;
    ADD_FAILURE() << "no session of " << user;
    return {};
  }

  void start() {
    hybrid::L2tpStackOutput out;
    client.start(now, out);
    absorb(true, out);
    run(seconds(3));
  }

  // Runs the clock for `d`, as the interface's loop would: timers, then the probers.
  void run(Duration d) {
    const TimePoint end = now + d;
    while (now < end) {
      now += milliseconds(50);
      for (const bool from_client : {true, false}) {
        auto& stack = from_client ? client : gateway;
        if (stack.next_deadline() > now) continue;
        hybrid::L2tpStackOutput out;
        stack.on_timer(now, out);
        absorb(from_client, out);
      }
      hybrid::L2tpStackOutput out;
      probers.sync(probing().sessions(), kMru, now);
      probers.poll(probing(), now, out);
      absorb(side_ == Prober::kTheClient, out);
      deliver();
    }
  }

  // Datagrams longer than `hop` (the L2TP datagram: the underlay's headers are left out here)
  // vanish, and those from the gateway longer than `hop_to_client`; `drop` may drop others too.
  std::size_t hop = 10000;
  std::size_t hop_to_client = 10000;
  std::function<bool(const l2tp::OutDatagram&)> drop;

  TimePoint now{seconds(1000)};
  SeededRng client_rng_;
  SeededRng gateway_rng_;
  hybrid::L2tpStack client;
  hybrid::L2tpStack gateway;
  L2tpSessionProbers probers;

 private:
  Prober side_;

  void absorb(bool from_client, hybrid::L2tpStackOutput& out) {
    for (auto& d : out.datagrams) queue_.push_back({from_client, std::move(d)});
    for (auto& t : out.auth_requests) {
      hybrid::L2tpStackOutput more;
      const ppp::LocalCredential alice{std::string("correct horse"), std::nullopt};
      gateway.auth_verdict(t.ref, ppp::verify_locally(t.request, alice), now, more);
      absorb(false, more);
    }
    if (from_client == (side_ == Prober::kTheClient) && !out.probe_replies.empty())
      probers.on_replies(out.probe_replies, probing(), now);
    out.clear();
  }

  void deliver() {
    while (!queue_.empty()) {
      auto [from_client, d] = std::move(queue_.front());
      queue_.pop_front();
      if (d.bytes.size() > hop || (!from_client && d.bytes.size() > hop_to_client) ||
          (drop && drop(d)))
        continue;
      hybrid::L2tpStackOutput out;
      (from_client ? gateway : client)
          .on_datagram(d.bytes, from_client ? kClient : kGateway, now, out);
      absorb(!from_client, out);
    }
  }

  std::deque<std::pair<bool, l2tp::OutDatagram>> queue_;
};

// L2TP (6) and PPP (4) in front of an inner packet in the datagrams the hop sees.
constexpr std::size_t kSessionHeaders = 10;

TEST(L2tpSessionProbers, FindTheLargestPacketThatCrossesASilentHop) {
  ProbedPair p;
  p.hop = 1333 + kSessionHeaders;
  p.start();
  const auto sessions = p.client.sessions();
  ASSERT_EQ(sessions.size(), 2u);
  ASSERT_TRUE(sessions[0].up);
  p.run(seconds(20));
  EXPECT_EQ(p.probers.held_mtu(sessions[0].ref), 1333u);
  EXPECT_EQ(p.probers.held_mtu(), 1333u);
  const auto status = p.probers.status_json(sessions[0].ref);
  EXPECT_EQ(status["state"], "complete");
  EXPECT_EQ(status["probed"], 1333);
  EXPECT_EQ(status["max"], kMru);
  EXPECT_GT(status["probes_acked"].get<int>(), 0);
  EXPECT_FALSE(status.contains("reason"));
}

TEST(L2tpSessionProbers, APeerThatAnswersNoProbeLeavesTheConfiguredMtu) {
  ProbedPair p;
  // Every probe (1280 bytes and up) is lost; the small liveness echoes and control pass.
  p.hop = 1000;
  p.start();
  const auto ref = p.client.sessions()[0].ref;
  p.run(seconds(40));
  ASSERT_TRUE(p.client.sessions()[0].up);  // a lost probe never takes the link down
  EXPECT_FALSE(p.probers.held_mtu(ref).has_value());
  const auto status = p.probers.status_json(ref);
  EXPECT_EQ(status["state"], "error");
  EXPECT_FALSE(status.contains("probed"));
  EXPECT_GT(status["probes_sent"].get<int>(), 3);
  EXPECT_EQ(status["probes_acked"], 0);
}

TEST(L2tpSessionProbers, AGoneSessionTakesItsProberAlong) {
  ProbedPair p;
  p.hop = 1300 + kSessionHeaders;
  p.start();
  const auto ref = p.client.sessions()[0].ref;
  p.run(seconds(20));
  ASSERT_EQ(p.probers.held_mtu(), 1300u);
  p.probers.sync({}, kMru, p.now);
  EXPECT_FALSE(p.probers.held_mtu().has_value());
  EXPECT_EQ(p.probers.status_json(ref)["state"], "off");
}

TEST(L2tpSessionProbers, TurnedOffProbesNothingAndSaysWhy) {
  ProbedPair p;
  L2tpSessionProbers off("l2tp0", "mtu_probing = false", L2tpProbingSettings{});
  p.start();
  off.sync(p.client.sessions(), kMru, p.now);
  hybrid::L2tpStackOutput out;
  off.poll(p.client, p.now, out);
  EXPECT_TRUE(out.datagrams.empty());
  EXPECT_FALSE(off.next_deadline().has_value());
  const auto status = off.status_json(p.client.sessions()[0].ref);
  EXPECT_EQ(status["state"], "off");
  EXPECT_EQ(status["reason"], "mtu_probing = false");
}

// An inner packet to `user`'s address, as the gateway's TUN device would hand it over: where the
// gateway's stack sends it, and what that session carries.
std::optional<hybrid::L2tpInnerRoute> route_to(hybrid::L2tpStack& gateway,
                                               const std::string& user) {
  for (const auto& s : gateway.sessions()) {
    if (s.user != user || !s.remote) continue;
    const auto inner = hybrid::testing::packet("10.77.0.1", s.remote->to_string().c_str(), 100);
    std::vector<std::byte> slot(64 + inner.size());
    std::copy(inner.begin(), inner.end(), slot.begin() + 64);
    Packet packet{slot.data(), slot.size(), 64, inner.size(), {}};
    return gateway.on_inner_packet(packet);
  }
  return std::nullopt;
}

std::int64_t probes_sent(const L2tpSessionProbers& probers, l2tp::SessionRef ref) {
  return probers.status_json(ref)["probes_sent"].get<std::int64_t>();
}

// The L2TP data header of a datagram from the gateway (flags, tunnel, session): which of the
// client's sessions it is for.
std::uint16_t client_session_of(const l2tp::OutDatagram& d) {
  return load_be16(d.bytes.data() + 4);
}

TEST(L2tpSessionProbers, AGatewayFindsWhatCrossesTowardsItsClientAndHoldsTheSessionToIt) {
  ProbedPair p(Prober::kTheGateway);
  // Only what the gateway sends meets the small hop; the client's replies pass whatever size.
  p.hop_to_client = 1333 + kSessionHeaders;
  p.start();
  const auto alice = p.ref_of("alice");
  EXPECT_EQ(route_to(p.gateway, "alice")->mtu, kMru);  // nothing probed yet: the MRU
  p.run(seconds(20));
  EXPECT_EQ(p.probers.held_mtu(alice), 1333u);
  EXPECT_EQ(p.probers.status_json(alice)["state"], "complete");
  // The stack holds the session's packets to it, found with the session on the way out.
  const auto route = route_to(p.gateway, "alice");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->ref, alice);
  EXPECT_EQ(route->mtu, 1333u);
}

TEST(L2tpSessionProbers, EachGatewaySessionIsHeldToItsOwnPath) {
  ProbedPair p(Prober::kTheGateway);
  // Alice's client sits behind a hop of 1300; Bob's path carries everything.
  p.drop = [&](const l2tp::OutDatagram& d) {
    if (d.bytes.size() <= 1300 + kSessionHeaders || d.to != kClient) return false;
    for (const auto& s : p.client.sessions())
      if (s.user == "alice") return client_session_of(d) == s.ref.session_id;
    return false;
  };
  p.start();
  p.run(seconds(20));
  EXPECT_EQ(p.probers.held_mtu(p.ref_of("alice")), 1300u);
  EXPECT_EQ(p.probers.held_mtu(p.ref_of("bob")), kMru);
  EXPECT_EQ(route_to(p.gateway, "alice")->mtu, 1300u);
  EXPECT_EQ(route_to(p.gateway, "bob")->mtu, kMru);
}

// A gateway whose searches of Alice's and Bob's sessions are complete, neither carrying data.
class SearchedGatewaySessions : public ::testing::Test {
 protected:
  void SetUp() override {
    p.start();
    p.run(seconds(20));
    alice = p.ref_of("alice");
    bob = p.ref_of("bob");
    ASSERT_EQ(p.probers.status_json(alice)["state"], "complete");
    ASSERT_EQ(p.probers.status_json(bob)["state"], "complete");
    alice_before = probes_sent(p.probers, alice);
    bob_before = probes_sent(p.probers, bob);
  }

  ProbedPair p{Prober::kTheGateway};
  l2tp::SessionRef alice;
  l2tp::SessionRef bob;
  std::int64_t alice_before = 0;
  std::int64_t bob_before = 0;
};

TEST_F(SearchedGatewaySessions, OnlyASessionThatCarriesDataIsConfirmed) {
  // Data for Alice only, for 10 s: her size in use is probed again every 2 s.
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(p.probers.note_traffic(alice)) << i;
    EXPECT_FALSE(p.probers.note_traffic(alice));  // noted once until the next poll
    p.run(milliseconds(100));
  }
  EXPECT_GE(probes_sent(p.probers, alice) - alice_before, 4);
  EXPECT_EQ(probes_sent(p.probers, bob), bob_before);
  EXPECT_EQ(p.probers.held_mtu(alice), kMru);
}

TEST_F(SearchedGatewaySessions, ALargeRetransmissionConfirmsOnlyItsSession) {
  EXPECT_TRUE(p.probers.on_large_retransmit(alice, p.now));
  EXPECT_FALSE(p.probers.on_large_retransmit(alice, p.now));  // at most once a second
  p.run(milliseconds(500));
  EXPECT_EQ(probes_sent(p.probers, alice), alice_before + 1);
  EXPECT_EQ(probes_sent(p.probers, bob), bob_before);
}

TEST_F(SearchedGatewaySessions, ANewUnderlayRouteTowardsTheClientSearchesAgain) {
  // Asked about each session's client; an unchanged route changes nothing.
  std::vector<IpAddress> asked;
  p.probers.restart_moved(
      [&](const IpAddress& client) -> std::optional<std::string> {
        asked.push_back(client);
        return std::nullopt;
      },
      p.now);
  EXPECT_EQ(asked, (std::vector<IpAddress>{kClient.address, kClient.address}));
  p.run(milliseconds(500));
  EXPECT_EQ(probes_sent(p.probers, alice), alice_before);
  // The route to the client moved: both of its sessions search again at once.
  p.probers.restart_moved(
      [](const IpAddress& client) -> std::optional<std::string> {
        if (client == kClient.address) return "dev eth1 via 192.0.2.254";
        return std::nullopt;
      },
      p.now);
  EXPECT_NE(p.probers.status_json(alice)["state"], "complete");
  EXPECT_NE(p.probers.status_json(bob)["state"], "complete");
  p.run(seconds(20));
  EXPECT_GT(probes_sent(p.probers, alice), alice_before);
  EXPECT_GT(probes_sent(p.probers, bob), bob_before);
  EXPECT_EQ(p.probers.status_json(alice)["state"], "complete");
  EXPECT_EQ(p.probers.held_mtu(alice), kMru);
}

TEST(L2tpSessionProbers, TheNextDeadlineIsTheEarliestOfEverySessionsWhateverHappens) {
  // Against walking every prober, through spread first searches, searches over a small hop,
  // data, retransmissions and restarts.
  SeededRng rng(11);
  ProbedPair p(Prober::kTheGateway, L2tpProbingSettings{seconds(30), seconds(5), &rng});
  p.hop_to_client = 1333 + kSessionHeaders;
  p.start();
  const auto alice = p.ref_of("alice");
  const auto bob = p.ref_of("bob");
  SeededRng choices(5);
  for (int i = 0; i < 600; ++i) {
    switch (choices.next_u64() % 8) {
      case 0:
        p.probers.note_traffic(alice);
        break;
      case 1:
        p.probers.on_large_retransmit(bob, p.now);
        break;
      case 2:
        if (i % 40 == 0) p.probers.restart_all(p.now);
        break;
      case 3:
        if (i % 60 == 0)
          p.probers.restart_moved([](const IpAddress&) { return std::string("dev eth1"); }, p.now);
        break;
      default:
        break;
    }
    ASSERT_EQ(p.probers.next_deadline(), p.probers.next_deadline_walked()) << i;
    p.run(milliseconds(50 * (1 + choices.next_u64() % 4)));
    ASSERT_EQ(p.probers.next_deadline(), p.probers.next_deadline_walked()) << i;
  }
  EXPECT_EQ(p.probers.held_mtu(alice), 1333u);
}

TEST(L2tpSessionProbers, AGatewaySpreadsTheFirstSearchesOfSessionsThatComeUpTogether) {
  SeededRng rng(7);
  ProbedPair p(Prober::kTheGateway, L2tpProbingSettings{seconds(600), seconds(60), &rng});
  p.start();
  // Both sessions came up within the 3 s start() ran; nothing probes them yet.
  const auto alice = p.ref_of("alice");
  const auto bob = p.ref_of("bob");
  EXPECT_EQ(p.probers.status_json(alice)["state"], "pending");
  EXPECT_EQ(p.probers.status_json(bob)["state"], "pending");
  EXPECT_EQ(probes_sent(p.probers, alice) + probes_sent(p.probers, bob), 0);
  const auto next = p.probers.next_deadline();
  ASSERT_TRUE(next);
  EXPECT_GT(*next, p.now);
  EXPECT_LE(*next, p.now + seconds(60));
  // Each search starts on its own, within the spread.
  std::optional<TimePoint> alice_live;
  std::optional<TimePoint> bob_live;
  for (int i = 0; i < 1300 && !(alice_live && bob_live); ++i) {
    if (!alice_live && p.probers.status_json(alice)["state"] != "pending") alice_live = p.now;
    if (!bob_live && p.probers.status_json(bob)["state"] != "pending") bob_live = p.now;
    p.run(milliseconds(50));
  }
  ASSERT_TRUE(alice_live && bob_live);
  EXPECT_GT(std::chrono::abs(*alice_live - *bob_live), seconds(1));
  p.run(seconds(20));
  EXPECT_EQ(p.probers.held_mtu(alice), kMru);
  EXPECT_EQ(p.probers.held_mtu(bob), kMru);
}

}  // namespace
}  // namespace tandem::daemon
