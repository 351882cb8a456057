// A client's fallback path against a gateway's router, back to back in memory with a fake clock:
// the client probes both paths, the gateway answers each probe on the path it came by, data
// flows both ways every 10 ms, and links are blackholed (both ways or one way) or lossy. What must
// hold is what keeps a TCP connection alive across a switch: the inner addresses never change,
// and the gap in delivered data in either direction stays under a second.
#include "hybrid/fallback_path.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

#include "base/seeded_rng.hpp"
#include "hybrid/accounts.hpp"
#include "hybrid/gateway_router.hpp"
#include "hybrid/probe.hpp"
#include "hybrid/test_packets.hpp"

namespace tandem::hybrid {
namespace {

using namespace std::chrono_literals;
using testing::ip;
using testing::packet;

constexpr PathId kWireguardPath = 1;
constexpr PathId kL2tpPath = 2;
constexpr auto kDataEvery = 10ms;
constexpr auto kStep = 1ms;

PathId gateway_path(PathRole role) {
  return role == PathRole::kPrimary ? kWireguardPath : kL2tpPath;
}

// One direction of one path: blackholed, or losing a share of packets.
struct Link {
  bool blocked = false;
  unsigned loss_percent = 0;
  std::size_t mtu = 65535;  // larger packets vanish, as at a hop that sends no ICMP
};

class Harness {
 public:
  explicit Harness(std::uint64_t seed = 1)
      : accounts_(make_accounts()),
        router_(accounts_, {ip("10.77.0.1")}),
        client_(make_config(), now_),
        rng_(seed) {
    router_.attach(kWireguardPath, alice(), now_);
    router_.attach(kL2tpPath, alice(), now_);
    FallbackPathOutput out;
    client_.on_protocol_state(PathRole::kPrimary, true, "handshake completed", now_, out);
    client_.on_protocol_state(PathRole::kSecondary, true, "IPCP open", now_, out);
    absorb(out);
  }

  // Runs for `duration`: timers, probes, and data both ways every kDataEvery.
  void run(Duration duration) {
    const TimePoint end = now_ + duration;
    while (now_ < end) {
      now_ += kStep;
      if (client_.next_deadline() <= now_) {
        FallbackPathOutput out;
        client_.on_timer(now_, out);
        absorb(out);
      }
      if (now_ >= next_data_) {
        next_data_ += kDataEvery;
        send_client_data();
        send_gateway_data();
      }
    }
  }

  void probe_mtu(PathRole role, std::size_t max_mtu) {
    client_.set_mtu_probing(role, max_mtu, now_);
  }
  // What the client was last told to hold `role` to (nullopt: the configured MTU).
  std::optional<std::size_t> held(PathRole role) const {
    return held_[static_cast<std::size_t>(role)];
  }
  const std::vector<PathMtuChange>& mtu_changes() const { return mtu_changes_; }
  std::size_t mtu_probes_seen() const { return mtu_probes_seen_; }
  // What the client's last request on `role` said it holds the path to.
  std::uint16_t heard_held(PathRole role) const {
    return heard_held_[static_cast<std::size_t>(role)];
  }

  void protocol(PathRole role, bool up, const std::string& detail) {
    FallbackPathOutput out;
    client_.on_protocol_state(role, up, detail, now_, out);
    absorb(out);
  }

  AccountId alice() const { return accounts_.by_name("alice")->id; }
  const FallbackPath& client() const { return client_; }
  const GatewayRouter& router() const { return router_; }
  const std::vector<FallbackEvent>& events() const { return events_; }
  TimePoint now() const { return now_; }
  // to_gateway: client -> gateway direction.
  Link& link(PathRole role, bool to_gateway) {
    return links_[static_cast<std::size_t>(role)][to_gateway ? 0 : 1];
  }
  void block(PathRole role, bool blocked) {
    link(role, true).blocked = blocked;
    link(role, false).blocked = blocked;
  }

  // The longest time without data arriving at the gateway (or the client) within [from, to).
  Duration longest_gap(bool at_gateway, TimePoint from, TimePoint to) const {
    const auto& arrivals = at_gateway ? gateway_arrivals_ : client_arrivals_;
    Duration longest{};
    TimePoint last = from;
    for (TimePoint t : arrivals) {
      if (t < from || t >= to) continue;
      longest = std::max(longest, t - last);
      last = t;
    }
    return std::max(longest, to - last);
  }
  std::size_t switches() const {
    std::size_t n = 0;
    for (const auto& e : events_) n += e.type == FallbackEventType::kSwitched ? 1 : 0;
    return n;
  }
  std::optional<FallbackEvent> first_switch_after(TimePoint t) const {
    for (const auto& e : events_)
      if (e.type == FallbackEventType::kSwitched && e.at >= t) return e;
    return std::nullopt;
  }
  std::uint64_t probes_answered() const { return probes_answered_; }

 private:
  static AccountTable make_accounts() {
    AccountSpec alice;
    alice.name = "alice";
    alice.ipv4 = ip("10.77.0.5");
    AccountSpec bob;
    bob.name = "bob";
    bob.ipv4 = ip("10.77.0.6");
    AddressPlan plan;
    plan.reserved = {ip("10.77.0.1")};
    return AccountTable::create({alice, bob}, plan).value();
  }
  static FallbackPathConfig make_config() {
    FallbackPathConfig c;
    c.local_address = ip("10.77.0.5");
    c.probe_target = ip("10.77.0.1");
    return c;
  }

  bool passes(PathRole role, bool to_gateway, std::size_t size) {
    const Link& l = link(role, to_gateway);
    if (l.blocked || size > l.mtu) return false;
    return l.loss_percent == 0 || rng_.next_u32() % 100 >= l.loss_percent;
  }

  void absorb(FallbackPathOutput& out) {
    for (auto& e : out.events) events_.push_back(e);
    for (const auto& c : out.mtu_changes) {
      mtu_changes_.push_back(c);
      held_[static_cast<std::size_t>(c.role)] = c.change.after;
    }
    for (const auto& probe : out.probes) {
      if (probe.mtu) ++mtu_probes_seen_;
      to_gateway(probe.role, probe.packet);
    }
    out.clear();
  }

  // A packet the client sends on `role` reaching the gateway's router.
  void to_gateway(PathRole role, const std::vector<std::byte>& bytes) {
    if (!passes(role, true, bytes.size())) return;
    const PathId path = gateway_path(role);
    switch (router_.on_inbound(path, bytes, now_)) {
      case InboundVerdict::kDeliver:
        gateway_arrivals_.push_back(now_);
        break;
      case InboundVerdict::kProbe: {
        // The gateway answers on the path the probe came by.
        const auto request = parse_probe(bytes);
        ASSERT_TRUE(request);
        heard_held_[static_cast<std::size_t>(role)] = request->message.held_mtu;
        std::vector<std::byte> reply(
            std::max(bytes.size(), probe_min_size(request->source.family())));
        const std::size_t n = build_probe_reply(reply, *request, bytes.size());
        ASSERT_NE(n, 0u);
        reply.resize(n);
        to_client(path, reply);
        break;
      }
      default:
        ADD_FAILURE() << "the gateway refused a packet from the client";
    }
  }

  void to_client(PathId path, const std::vector<std::byte>& bytes) {
    const PathRole role = path == kWireguardPath ? PathRole::kPrimary : PathRole::kSecondary;
    if (!passes(role, false, bytes.size())) return;
    FallbackPathOutput out;
    if (client_.on_inbound(role, bytes, now_, out) == InboundKind::kDeliver) {
      ++client_delivered_;
      client_arrivals_.push_back(now_);
    } else {
      ++probes_answered_;
    }
    absorb(out);
  }

  void send_client_data() {
    client_.note_traffic(client_.route());
    to_gateway(client_.route(), packet("10.77.0.5", "10.77.0.1", 1200));
  }
  void send_gateway_data() {
    const auto bytes = packet("10.77.0.1", "10.77.0.5", 1200);
    const RouteDecision d = router_.route(bytes);
    ASSERT_TRUE(d.path);
    to_client(*d.path, bytes);
  }

  TimePoint now_{};
  AccountTable accounts_;
  GatewayRouter router_;
  FallbackPath client_;
  SeededRng rng_;
  std::array<std::array<Link, 2>, 2> links_{};
  TimePoint next_data_{};
  std::vector<FallbackEvent> events_;
  std::vector<TimePoint> gateway_arrivals_;
  std::vector<TimePoint> client_arrivals_;
  std::uint64_t client_delivered_ = 0;
  std::uint64_t probes_answered_ = 0;
  std::array<std::optional<std::size_t>, 2> held_{};
  std::vector<PathMtuChange> mtu_changes_;
  std::size_t mtu_probes_seen_ = 0;
  std::array<std::uint16_t, 2> heard_held_{};
};

TEST(FallbackPath, ProbesAreAnsweredOnBothPathsAndDataStaysOnThePrimary) {
  Harness h;
  h.run(5s);
  EXPECT_EQ(h.client().route(), PathRole::kPrimary);
  EXPECT_EQ(h.router().return_path(h.alice()), kWireguardPath);
  EXPECT_TRUE(h.client().controller().health(PathRole::kPrimary).healthy);
  EXPECT_TRUE(h.client().controller().health(PathRole::kSecondary).healthy);
  EXPECT_GT(h.client().probe_replies(), 40u);  // 5 s at 5 probes per second on each path
  EXPECT_EQ(h.switches(), 0u);
  // Probes never reach the TUN device of either side and never move the return path.
  EXPECT_EQ(h.router().stats().probes, h.client().probe_replies());
  EXPECT_EQ(h.router().stats().path_moves, 0u);
}

TEST(FallbackPath, ABlackholedPrimaryMovesBothDirectionsWithinASecondAndBack) {
  Harness h;
  h.run(5s);
  const TimePoint outage = h.now();
  h.block(PathRole::kPrimary, true);
  h.run(10s);
  const auto away = h.first_switch_after(outage);
  ASSERT_TRUE(away);
  EXPECT_EQ(away->to, PathRole::kSecondary);
  EXPECT_LT(away->at - outage, 1s);
  EXPECT_EQ(h.router().return_path(h.alice()), kL2tpPath);
  // Data kept flowing both ways: neither side went a second without it.
  const auto ms = [](Duration d) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  const Duration up_gap = h.longest_gap(true, outage, h.now());
  const Duration down_gap = h.longest_gap(false, outage, h.now());
  std::printf("switched %lld ms after the blackhole; longest gap %lld ms up, %lld ms down\n",
              ms(away->at - outage), ms(up_gap), ms(down_gap));
  EXPECT_LT(up_gap, 1s);
  EXPECT_LT(down_gap, 1s);

  const TimePoint repaired = h.now();
  h.block(PathRole::kPrimary, false);
  h.run(15s);
  const auto back = h.first_switch_after(repaired);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to, PathRole::kPrimary);
  EXPECT_GE(back->at - repaired, h.client().controller().config().failback_hold);
  EXPECT_EQ(h.router().return_path(h.alice()), kWireguardPath);
  // Failing back loses nothing: both paths work at that moment.
  EXPECT_LT(h.longest_gap(true, repaired, h.now()), 50ms);
  EXPECT_LT(h.longest_gap(false, repaired, h.now()), 50ms);
  EXPECT_EQ(h.switches(), 2u);
}

TEST(FallbackPath, AOneWayBlackholeTowardsTheGatewayIsDetectedAndRoutedAround) {
  Harness h;
  h.run(5s);
  const TimePoint outage = h.now();
  h.link(PathRole::kPrimary, true).blocked = true;
  h.run(5s);
  const auto away = h.first_switch_after(outage);
  ASSERT_TRUE(away);
  EXPECT_LT(away->at - outage, 1s);
  // The gateway follows the client's data to the secondary; until then its packets on the
  // primary still arrived, so the client never lost its downstream.
  EXPECT_EQ(h.router().return_path(h.alice()), kL2tpPath);
  EXPECT_LT(h.longest_gap(true, outage, h.now()), 1s);
  EXPECT_LT(h.longest_gap(false, outage, h.now()), 50ms);
}

TEST(FallbackPath, AOneWayBlackholeTowardsTheClientIsDetectedAndRoutedAround) {
  Harness h;
  h.run(5s);
  const TimePoint outage = h.now();
  h.link(PathRole::kPrimary, false).blocked = true;
  h.run(5s);
  const auto away = h.first_switch_after(outage);
  ASSERT_TRUE(away);
  EXPECT_LT(away->at - outage, 1s);
  EXPECT_EQ(h.router().return_path(h.alice()), kL2tpPath);
  EXPECT_LT(h.longest_gap(false, outage, h.now()), 1s);
}

TEST(FallbackPath, ThirtyPercentLossOnThePrimaryMovesTheTrafficAway) {
  Harness h(7);
  h.run(5s);
  h.link(PathRole::kPrimary, true).loss_percent = 30;
  h.link(PathRole::kPrimary, false).loss_percent = 30;
  h.run(60s);
  EXPECT_EQ(h.client().route(), PathRole::kSecondary);
  EXPECT_EQ(h.router().return_path(h.alice()), kL2tpPath);
}

TEST(FallbackPath, AProtocolThatGoesDownSwitchesAtOnce) {
  Harness h;
  h.run(5s);
  const TimePoint down = h.now();
  h.protocol(PathRole::kPrimary, false, "handshake gave up");
  const auto away = h.first_switch_after(down);
  ASSERT_TRUE(away);
  EXPECT_EQ(away->at, down);
  EXPECT_NE(away->reason.find("handshake gave up"), std::string::npos) << away->reason;
  EXPECT_EQ(h.client().route(), PathRole::kSecondary);
  // The probes on the primary still pass, but a protocol that says down wins.
  h.run(10s);
  EXPECT_EQ(h.client().route(), PathRole::kSecondary);
  h.protocol(PathRole::kPrimary, true, "handshake completed");
  h.run(10s);
  EXPECT_EQ(h.client().route(), PathRole::kPrimary);
}

TEST(FallbackPath, ProbesAreInnerPacketsFromTheClientToTheGatewayTaggedWithTheirPath) {
  FallbackPathConfig c;
  c.local_address = ip("fd77::5");
  c.probe_target = ip("fd77::1");
  c.probe_size = 1280;
  FallbackPath client(c, TimePoint{});
  FallbackPathOutput out;
  client.on_timer(TimePoint{}, out);
  ASSERT_EQ(out.probes.size(), 2u);
  for (const auto& p : out.probes) {
    EXPECT_EQ(p.packet.size(), 1280u);
    const auto parsed = parse_probe(p.packet);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->message.type, ProbeType::kRequest);
    EXPECT_EQ(parsed->source, ip("fd77::5"));
    EXPECT_EQ(parsed->destination, ip("fd77::1"));
    EXPECT_EQ(parsed->message.path_tag, probe_tag(p.role));
  }
}

TEST(FallbackPath, AReplyOnTheWrongPathOrForAnotherHostIsNotCountedAsHealth) {
  FallbackPathConfig c;
  c.local_address = ip("10.77.0.5");
  c.probe_target = ip("10.77.0.1");
  FallbackPath client(c, TimePoint{});
  FallbackPathOutput out;
  client.on_timer(TimePoint{}, out);
  ASSERT_FALSE(out.probes.empty());
  const auto request = parse_probe(out.probes.front().packet);
  ASSERT_TRUE(request);
  std::vector<std::byte> reply(probe_min_size(IpAddress::Family::kV4));
  ASSERT_NE(build_probe_reply(reply, *request, out.probes.front().packet.size()), 0u);
  const PathRole sent_on = out.probes.front().role;
  const PathRole other = sent_on == PathRole::kPrimary ? PathRole::kSecondary : PathRole::kPrimary;
  FallbackPathOutput ignored;
  EXPECT_EQ(client.on_inbound(other, reply, TimePoint{} + 1ms, ignored), InboundKind::kProbeReply);
  EXPECT_EQ(client.foreign_replies(), 1u);
  EXPECT_EQ(client.probe_replies(), 0u);
  // Ordinary traffic, and a reply addressed to another host, are delivered.
  EXPECT_EQ(client.on_inbound(sent_on, packet("10.77.0.1", "10.77.0.5"), TimePoint{}, ignored),
            InboundKind::kDeliver);
  ProbePacket elsewhere = *request;
  elsewhere.source = ip("10.77.0.9");
  std::vector<std::byte> other_reply(reply.size());
  ASSERT_NE(build_probe_reply(other_reply, elsewhere, 60), 0u);
  EXPECT_EQ(client.on_inbound(sent_on, other_reply, TimePoint{}, ignored), InboundKind::kDeliver);
  EXPECT_EQ(client.on_inbound(sent_on, reply, TimePoint{} + 2ms, ignored),
            InboundKind::kProbeReply);
  EXPECT_EQ(client.probe_replies(), 1u);
}

// ---- path MTU probing ---------------------------------------------------------------------

constexpr auto kPrimary = PathRole::kPrimary;
constexpr auto kSecondary = PathRole::kSecondary;

TEST(FallbackPathMtu, EachPathsOwnMtuIsFoundWithoutASwitch) {
  Harness h;
  h.link(kPrimary, true).mtu = h.link(kPrimary, false).mtu = 1340;
  h.link(kSecondary, true).mtu = h.link(kSecondary, false).mtu = 1400;
  h.probe_mtu(kPrimary, 1420);
  h.probe_mtu(kSecondary, 1420);
  h.run(15s);
  EXPECT_EQ(h.held(kPrimary), std::optional<std::size_t>(1340));
  EXPECT_EQ(h.held(kSecondary), std::optional<std::size_t>(1400));
  EXPECT_EQ(h.switches(), 0u) << "large probes lost are no reason to leave a path";
  EXPECT_TRUE(h.client().controller().health(kPrimary).healthy);
  // Each path's change comes once, from nothing probed to the size found.
  ASSERT_EQ(h.mtu_changes().size(), 2u);
  for (const auto& c : h.mtu_changes()) EXPECT_EQ(c.change.before, std::nullopt);
  EXPECT_EQ(h.client().mtu_prober(kPrimary)->search().state(), PmtuSearch::State::kComplete);
}

TEST(FallbackPathMtu, TheWayBackCountsAsMuchAsTheWayThere) {
  Harness h;
  h.link(kPrimary, false).mtu = 1300;  // gateway -> client only
  h.probe_mtu(kPrimary, 1420);
  h.run(15s);
  EXPECT_EQ(h.held(kPrimary), std::optional<std::size_t>(1300));
}

TEST(FallbackPathMtu, RequestsTellTheFarEndWhatThePathIsHeldTo) {
  Harness h;
  h.link(kPrimary, true).mtu = h.link(kPrimary, false).mtu = 1340;
  h.probe_mtu(kPrimary, 1420);
  h.run(1s);
  EXPECT_EQ(h.heard_held(kPrimary), 0) << "nothing probed yet";
  h.run(15s);
  EXPECT_EQ(h.heard_held(kPrimary), 1340);
  EXPECT_EQ(h.heard_held(kSecondary), 0) << "a path not probed says nothing";
}

TEST(FallbackPathMtu, APathThatShrinksSilentlyWhileDataFlowsIsFoundAgain) {
  Harness h;
  h.probe_mtu(kPrimary, 1420);
  h.run(5s);
  ASSERT_EQ(h.held(kPrimary), std::optional<std::size_t>(1420));
  h.link(kPrimary, true).mtu = h.link(kPrimary, false).mtu = 1320;
  // The confirmation interval, three tries of the lost confirmation, and the search.
  h.run(20s);
  EXPECT_EQ(h.held(kPrimary), std::optional<std::size_t>(1320));
  const auto& changes = h.mtu_changes();
  ASSERT_GE(changes.size(), 2u);
  EXPECT_TRUE(changes[1].change.black_hole);
  EXPECT_LE(changes[1].change.after.value_or(9999), 1320u) << "the base at once";
  EXPECT_EQ(h.switches(), 0u);
}

TEST(FallbackPathMtu, NoProbingOnAPathThatProbesItself) {
  Harness h;
  h.probe_mtu(kPrimary, 1420);
  h.probe_mtu(kSecondary, 1420);
  Harness quiet;
  quiet.run(10s);
  EXPECT_EQ(quiet.mtu_probes_seen(), 0u);
  EXPECT_EQ(quiet.client().mtu_prober(kPrimary), nullptr);
  EXPECT_TRUE(quiet.mtu_changes().empty());
  h.run(10s);
  EXPECT_GT(h.mtu_probes_seen(), 0u);
  // Health probes are counted as before: path MTU probes are not health probes.
  EXPECT_EQ(h.client().probe_replies() + h.client().mtu_prober(kPrimary)->probes_acked() +
                h.client().mtu_prober(kSecondary)->probes_acked(),
            h.router().stats().probes);
}

}  // namespace
}  // namespace tandem::hybrid
