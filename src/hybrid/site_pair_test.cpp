// Two sites, each with a FallbackPath towards the other, back to back in memory with a fake
// clock: both probe, both answer the other's probes on the path they came by, both send data
// every 10 ms on their own active path. There is no gateway router in the middle, so each side
// decides alone; what must hold is that a broken primary (both ways or one way) moves BOTH sides
// to the secondary within a second, that data keeps arriving at both, and that both come back.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <vector>

#include "hybrid/fallback_path.hpp"
#include "hybrid/probe.hpp"
#include "hybrid/test_packets.hpp"

namespace tandem::hybrid {
namespace {

using namespace std::chrono_literals;
using testing::ip;
using testing::packet;

constexpr auto kDataEvery = 10ms;
constexpr auto kStep = 1ms;
constexpr std::size_t kA = 0;
constexpr std::size_t kB = 1;

FallbackPathConfig site_config(const char* self, const char* other) {
  FallbackPathConfig c;
  c.local_address = ip(self);
  c.probe_target = ip(other);
  return c;
}

long long ms(Duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

class SitePair {
 public:
  SitePair()
      : sites_{FallbackPath(site_config("10.90.0.1", "10.90.0.2"), TimePoint{}),
               FallbackPath(site_config("10.90.0.2", "10.90.0.1"), TimePoint{})} {
    for (std::size_t s : {kA, kB}) {
      FallbackPathOutput out;
      sites_[s].on_protocol_state(PathRole::kPrimary, true, "handshake completed", now_, out);
      sites_[s].on_protocol_state(PathRole::kSecondary, true, "Child SA installed", now_, out);
      absorb(s, out);
    }
  }

  void run(Duration duration) {
    const TimePoint end = now_ + duration;
    while (now_ < end) {
      now_ += kStep;
      for (std::size_t s : {kA, kB})
        if (sites_[s].next_deadline() <= now_) {
          FallbackPathOutput out;
          sites_[s].on_timer(now_, out);
          absorb(s, out);
        }
      if (now_ >= next_data_) {
        next_data_ += kDataEvery;
        deliver(kA, sites_[kA].route(), packet("192.168.10.5", "192.168.20.5", 1200));
        deliver(kB, sites_[kB].route(), packet("192.168.20.5", "192.168.10.5", 1200));
      }
    }
  }

  // Blocks (or unblocks) `role` in the direction leaving site `from`.
  void block(PathRole role, std::size_t from, bool blocked) {
    blocked_[static_cast<std::size_t>(role)][from] = blocked;
  }
  void block_both_ways(PathRole role, bool blocked) {
    block(role, kA, blocked);
    block(role, kB, blocked);
  }

  const FallbackPath& site(std::size_t s) const { return sites_[s]; }
  TimePoint now() const { return now_; }
  std::optional<FallbackEvent> first_switch_after(std::size_t s, TimePoint t) const {
    for (const auto& e : events_[s])
      if (e.type == FallbackEventType::kSwitched && e.at >= t) return e;
    return std::nullopt;
  }
  std::size_t switches(std::size_t s) const {
    std::size_t n = 0;
    for (const auto& e : events_[s]) n += e.type == FallbackEventType::kSwitched ? 1 : 0;
    return n;
  }
  // The longest time site `s` went without data from the other within [from, now).
  Duration longest_gap(std::size_t s, TimePoint from) const {
    Duration longest{};
    TimePoint last = from;
    for (TimePoint t : arrivals_[s]) {
      if (t < from) continue;
      longest = std::max(longest, t - last);
      last = t;
    }
    return std::max(longest, now_ - last);
  }
  std::uint64_t delivered_on(std::size_t s, PathRole role) const {
    return delivered_[s][static_cast<std::size_t>(role)];
  }

 private:
  void absorb(std::size_t s, FallbackPathOutput& out) {
    for (auto& e : out.events) events_[s].push_back(e);
    auto probes = std::move(out.probes);
    out.clear();
    for (const auto& probe : probes) deliver(s, probe.role, probe.packet);
  }

  // A packet site `from` sends on `role`, arriving at the other site (or lost on the way).
  void deliver(std::size_t from, PathRole role, const std::vector<std::byte>& bytes) {
    if (blocked_[static_cast<std::size_t>(role)][from]) return;
    const std::size_t to = 1 - from;
    FallbackPathOutput out;
    if (sites_[to].on_inbound(role, bytes, now_, out) == InboundKind::kDeliver) {
      arrivals_[to].push_back(now_);
      ++delivered_[to][static_cast<std::size_t>(role)];
    }
    absorb(to, out);  // replies to the other's probes go back on `role`
  }

  TimePoint now_{};
  std::array<FallbackPath, 2> sites_;
  std::array<std::array<bool, 2>, 2> blocked_{};  // [role][from]
  TimePoint next_data_{};
  std::array<std::vector<FallbackEvent>, 2> events_;
  std::array<std::vector<TimePoint>, 2> arrivals_;
  std::array<std::array<std::uint64_t, 2>, 2> delivered_{};  // [site][role]
};

TEST(SitePair, EachSiteAnswersTheOthersProbesOnBothPathsAndDataStaysOnThePrimary) {
  SitePair p;
  p.run(5s);
  for (std::size_t s : {kA, kB}) {
    EXPECT_EQ(p.site(s).route(), PathRole::kPrimary);
    EXPECT_TRUE(p.site(s).controller().health(PathRole::kPrimary).healthy);
    EXPECT_TRUE(p.site(s).controller().health(PathRole::kSecondary).healthy);
    // 5 s at 5 probes per second on each of two paths, answered by the other site.
    EXPECT_GT(p.site(s).probe_replies(), 40u);
    EXPECT_GT(p.site(s).probes_answered(), 40u);
    EXPECT_EQ(p.delivered_on(s, PathRole::kSecondary), 0u);  // probes are never delivered
    EXPECT_EQ(p.switches(s), 0u);
  }
}

TEST(SitePair, ABlackholedPrimaryMovesBothSitesWithinASecondAndBack) {
  SitePair p;
  p.run(5s);
  const TimePoint outage = p.now();
  p.block_both_ways(PathRole::kPrimary, true);
  p.run(10s);
  for (std::size_t s : {kA, kB}) {
    const auto away = p.first_switch_after(s, outage);
    ASSERT_TRUE(away) << "site " << s;
    EXPECT_EQ(away->to, PathRole::kSecondary);
    EXPECT_LT(away->at - outage, 1s);
    std::printf("site %zu switched %lld ms after the blackhole; longest gap %lld ms\n", s,
                ms(away->at - outage), ms(p.longest_gap(s, outage)));
    EXPECT_LT(p.longest_gap(s, outage), 1s);
  }
  const TimePoint repaired = p.now();
  p.block_both_ways(PathRole::kPrimary, false);
  p.run(15s);
  for (std::size_t s : {kA, kB}) {
    const auto back = p.first_switch_after(s, repaired);
    ASSERT_TRUE(back) << "site " << s;
    EXPECT_EQ(back->to, PathRole::kPrimary);
    EXPECT_GE(back->at - repaired, p.site(s).controller().config().failback_hold);
    // Both paths work while each side fails back on its own: nothing is lost.
    EXPECT_LT(p.longest_gap(s, repaired), 50ms);
    EXPECT_EQ(p.switches(s), 2u);
  }
}

TEST(SitePair, AOneWayBlackholeMovesBothSitesBecauseProbesMakeARoundTrip) {
  SitePair p;
  p.run(5s);
  const TimePoint outage = p.now();
  p.block(PathRole::kPrimary, kA, true);  // A's WireGuard never reaches B; B's still reaches A
  p.run(10s);
  for (std::size_t s : {kA, kB}) {
    const auto away = p.first_switch_after(s, outage);
    ASSERT_TRUE(away) << "site " << s;
    EXPECT_LT(away->at - outage, 1s);
    EXPECT_EQ(p.site(s).route(), PathRole::kSecondary);
    EXPECT_LT(p.longest_gap(s, outage), 1s);
  }
}

TEST(SitePair, AProbeFromAnyoneButTheOtherSiteIsDeliveredNotAnswered) {
  FallbackPath site(site_config("10.90.0.1", "10.90.0.2"), TimePoint{});
  std::array<std::byte, 256> request{};
  ProbeMessage m;
  m.path_tag = 1;
  m.sequence = 7;
  const std::size_t n = build_probe_request(request, ip("10.90.0.9"), 40000, ip("10.90.0.1"), m,
                                            probe_min_size(IpAddress::Family::kV4));
  ASSERT_NE(n, 0u);
  FallbackPathOutput out;
  EXPECT_EQ(site.on_inbound(PathRole::kPrimary, ByteView(request.data(), n), TimePoint{}, out),
            InboundKind::kDeliver);
  EXPECT_TRUE(out.probes.empty());

  const std::size_t k = build_probe_request(request, ip("10.90.0.2"), 40000, ip("10.90.0.1"), m,
                                            probe_min_size(IpAddress::Family::kV4) + 100);
  ASSERT_NE(k, 0u);
  EXPECT_EQ(site.on_inbound(PathRole::kSecondary, ByteView(request.data(), k), TimePoint{}, out),
            InboundKind::kProbeAnswered);
  ASSERT_EQ(out.probes.size(), 1u);
  EXPECT_EQ(out.probes[0].role, PathRole::kSecondary);  // answered on the path it came by
  const auto reply = parse_probe(out.probes[0].packet);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->message.type, ProbeType::kReply);
  EXPECT_EQ(reply->message.sequence, 7u);
  EXPECT_EQ(reply->message.request_size, k);
  EXPECT_EQ(reply->destination, ip("10.90.0.2"));
  EXPECT_EQ(reply->destination_port, 40000);
}

}  // namespace
}  // namespace tandem::hybrid
