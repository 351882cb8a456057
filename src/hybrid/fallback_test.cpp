// The fallback controller against two simulated paths. The harness (Sim) answers the
// controller's probes over links whose round-trip time, loss, blackholes and protocol state the
// test controls, with a fake clock that jumps from one deadline (or in-flight reply, or scripted
// action) to the next, or ticks at a fixed step to check that jumping loses nothing.
#include "hybrid/fallback.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <map>
#include <random>

namespace tandem::hybrid {
namespace {

using namespace std::chrono_literals;

constexpr PathRole kPrimary = PathRole::kPrimary;
constexpr PathRole kSecondary = PathRole::kSecondary;
const TimePoint kStart = TimePoint{} + 1000s;

struct SimLink {
  Duration rtt = 20ms;
  bool connected = true;      // the far end is reachable at all (an on-demand path not dialled)
  bool blackholed = false;    // drops everything, both ways
  double request_loss = 0.0;  // random, per probe
  double reply_loss = 0.0;
  // Deterministic loss: is the n-th request (from 1), sent `at` after the start, lost?
  std::function<bool(unsigned n, Duration at)> lose_request;
  Duration dial_time = 2s;  // on-demand secondary: from kDialSecondary to protocol up
  unsigned requests = 0;
};

std::int64_t ms(Duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

const char* type_name(FallbackEventType type) {
  switch (type) {
    case FallbackEventType::kSwitched:
      return "switched";
    case FallbackEventType::kPathDown:
      return "path-down";
    case FallbackEventType::kPathUp:
      return "path-up";
    case FallbackEventType::kDialSecondary:
      return "dial";
    case FallbackEventType::kHangUpSecondary:
      return "hang-up";
  }
  return "?";
}

class Sim {
 public:
  // Ticking every `tick` instead of jumping to next_deadline() when tick is non-zero.
  explicit Sim(FallbackConfig config = {}, std::uint64_t seed = 1, Duration tick = {})
      : ctl_(config, kStart), rng_(seed), tick_(tick), next_tick_(kStart) {
    protocol(kPrimary, true, "session established");
    if (config.warm_secondary) {
      protocol(kSecondary, true, "ppp open");
    } else {
      link(kSecondary).connected = false;
      protocol(kSecondary, false, "not dialled");
    }
  }

  FallbackController& ctl() { return ctl_; }
  SimLink& link(PathRole role) { return links_[static_cast<std::size_t>(role)]; }
  TimePoint now() const { return now_; }
  const std::vector<FallbackEvent>& events() const { return events_; }
  unsigned timer_calls() const { return timer_calls_; }

  void protocol(PathRole role, bool up, const std::string& detail) {
    FallbackOutput out;
    ctl_.on_protocol_state(role, up, detail, now_, out);
    handle(out);
  }
  void force_down(PathRole role, Duration for_how_long) {
    FallbackOutput out;
    ctl_.force_down(role, now_ + for_how_long, now_, out);
    handle(out);
  }
  // Runs `action` at kStart + `at`, in order with everything else due then.
  void at(Duration at, std::function<void()> action) {
    queue_.emplace(kStart + at, std::move(action));
  }

  void run_for(Duration duration) { run_until(now_ + duration); }
  void run_until(TimePoint end) {
    while (!broken_) {
      TimePoint next = queue_.empty() ? TimePoint::max() : queue_.begin()->first;
      next = std::min(next, tick_ == Duration{} ? ctl_.next_deadline() : next_tick_);
      if (next > end) break;
      now_ = std::max(now_, next);
      while (!queue_.empty() && queue_.begin()->first <= now_) {
        auto node = queue_.extract(queue_.begin());
        node.mapped()();
      }
      if (tick_ != Duration{} && next_tick_ <= now_) {
        timer();
        next_tick_ += tick_;
      } else if (tick_ == Duration{} && ctl_.next_deadline() <= now_) {
        timer();
      }
    }
    now_ = std::max(now_, end);
  }

  std::vector<FallbackEvent> of_type(FallbackEventType type, TimePoint after = {}) const {
    std::vector<FallbackEvent> found;
    for (const auto& event : events_) {
      if (event.type == type && event.at >= after) found.push_back(event);
    }
    return found;
  }
  std::vector<FallbackEvent> switches(TimePoint after = {}) const {
    return of_type(FallbackEventType::kSwitched, after);
  }
  // Every event, one a line, for failure messages.
  std::string log() const {
    std::string text;
    for (const auto& event : events_) {
      text += std::to_string(ms(event.at - kStart)) + " ms " + type_name(event.type) + " " +
              path_role_name(event.from) + "->" + path_role_name(event.to) + " \"" + event.reason +
              "\" silent " + std::to_string(ms(event.silent_for)) + " ms\n";
    }
    return text;
  }
  std::optional<FallbackEvent> first(FallbackEventType type, PathRole to, TimePoint after) const {
    for (const auto& event : events_) {
      if (event.type == type && event.to == to && event.at >= after) return event;
    }
    return std::nullopt;
  }

 private:
  void timer() {
    FallbackOutput out;
    ctl_.on_timer(now_, out);
    ++timer_calls_;
    handle(out);
    if (ctl_.next_deadline() <= now_) {
      ADD_FAILURE() << "next_deadline() is not in the future after on_timer";
      broken_ = true;
    }
  }

  void handle(const FallbackOutput& out) {
    for (const auto& probe : out.probes) send(probe);
    for (const auto& event : out.events) {
      events_.push_back(event);
      if (event.type == FallbackEventType::kDialSecondary) {
        queue_.emplace(now_ + link(kSecondary).dial_time, [this] {
          link(kSecondary).connected = true;
          protocol(kSecondary, true, "ppp open");
        });
      } else if (event.type == FallbackEventType::kHangUpSecondary) {
        queue_.emplace(now_, [this] {
          link(kSecondary).connected = false;
          protocol(kSecondary, false, "hung up");
        });
      }
    }
  }

  void send(const ProbeRequest& probe) {
    SimLink& path = link(probe.role);
    ++path.requests;
    // Draw both chances now, so that the random sequence depends only on the probes sent.
    const bool request_lost = chance(path.request_loss);
    const bool reply_lost = chance(path.reply_loss);
    if (!path.connected || path.blackholed || request_lost) return;
    if (path.lose_request && path.lose_request(path.requests, now_ - kStart)) return;
    queue_.emplace(now_ + path.rtt, [this, probe, reply_lost] {
      const SimLink& back = link(probe.role);
      if (reply_lost || !back.connected || back.blackholed) return;
      FallbackOutput out;
      ctl_.on_probe_reply(probe.role, probe.sequence, now_, out);
      handle(out);
    });
  }

  bool chance(double p) {
    if (p <= 0.0) return false;
    return static_cast<double>(rng_() >> 11) * 0x1.0p-53 < p;  // same on every standard library
  }

  FallbackController ctl_;
  std::array<SimLink, 2> links_;
  std::mt19937_64 rng_;
  Duration tick_;
  TimePoint next_tick_;
  TimePoint now_ = kStart;
  std::multimap<TimePoint, std::function<void()>> queue_;
  std::vector<FallbackEvent> events_;
  unsigned timer_calls_ = 0;
  bool broken_ = false;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The timings the product promises, printed so a run shows them.
void report(const std::string& what, Duration value) {
  std::cout << "[ measured ] " << what << ": " << ms(value) << " ms\n";
}

TEST(Fallback, StartsOnThePrimaryAndProbesBothWarmPaths) {
  Sim sim;
  sim.run_for(3s);
  EXPECT_EQ(sim.ctl().active(), kPrimary);
  EXPECT_TRUE(sim.switches().empty());
  EXPECT_FALSE(sim.ctl().last_switch());
  for (const PathRole role : {kPrimary, kSecondary}) {
    const PathHealth& health = sim.ctl().health(role);
    EXPECT_TRUE(health.healthy) << path_role_name(role);
    EXPECT_EQ(health.probes_sent, 16u);  // at 0, 200, ... 3000 ms
    EXPECT_EQ(health.last_rtt, 20ms);
    EXPECT_EQ(health.loss, 0.0);
  }
  const auto up = sim.first(FallbackEventType::kPathUp, kPrimary, kStart);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->at, kStart + 420ms) << "third answer in a row";
}

TEST(Fallback, ProbesBeforeTheProtocolIsUpBecauseTrafficStartsTheHandshake) {
  FallbackController ctl({}, kStart);
  FallbackOutput out;
  ctl.on_timer(kStart, out);
  ASSERT_EQ(out.probes.size(), 2u);
  EXPECT_EQ(out.probes[0].role, kPrimary);
  EXPECT_EQ(out.probes[1].role, kSecondary);
  EXPECT_NE(out.probes[0].sequence, out.probes[1].sequence);
  EXPECT_FALSE(ctl.health(kPrimary).protocol_up);
  EXPECT_EQ(ctl.next_deadline(), kStart + 200ms);
}

TEST(Fallback, SwitchesWithinOneSecondOfABlackholedPrimary) {
  // The blackhole starts at every 10 ms phase of the 200 ms probe cycle.
  Duration worst{};
  for (Duration phase = 0ms; phase < 200ms; phase += 10ms) {
    Sim sim;
    const TimePoint cut = kStart + 5s + phase;
    sim.run_until(cut);
    sim.link(kPrimary).blackholed = true;
    sim.run_for(3s);
    const auto switched = sim.first(FallbackEventType::kSwitched, kSecondary, cut);
    ASSERT_TRUE(switched) << "phase " << ms(phase);
    EXPECT_EQ(switched->from, kPrimary);
    EXPECT_LT(switched->at - cut, 1s) << "phase " << ms(phase);
    EXPECT_EQ(switched->reason, "primary down: no probe answered for 700 ms");
    EXPECT_EQ(switched->silent_for, 700ms);
    EXPECT_EQ(sim.ctl().active(), kSecondary);
    worst = std::max(worst, switched->at - cut);
  }
  report("blackhole to switch, worst phase", worst);
}

TEST(Fallback, LostRepliesAloneAreTreatedLikeABlackhole) {
  Sim sim;
  sim.run_until(kStart + 5s + 30ms);
  const TimePoint cut = sim.now();
  sim.link(kPrimary).reply_loss = 1.0;
  sim.run_for(3s);
  const auto switched = sim.first(FallbackEventType::kSwitched, kSecondary, cut);
  ASSERT_TRUE(switched);
  EXPECT_LT(switched->at - cut, 1s);
  EXPECT_EQ(switched->reason, "primary down: no probe answered for 700 ms");
  report("lost replies to switch", switched->at - cut);
}

TEST(Fallback, FailsBackAfterTheHoldAndNotBefore) {
  Sim sim;
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(9s);
  ASSERT_EQ(sim.ctl().active(), kSecondary) << sim.log();
  const auto up = sim.first(FallbackEventType::kPathUp, kPrimary, kStart + 8s);
  ASSERT_TRUE(up) << sim.log();
  EXPECT_EQ(up->at, kStart + 8s + 420ms) << "up_after answers in a row";

  sim.run_until(up->at + 5s - 1ms);
  EXPECT_EQ(sim.ctl().active(), kSecondary);
  sim.run_until(up->at + 5s);
  EXPECT_EQ(sim.ctl().active(), kPrimary);
  const auto& back = *sim.ctl().last_switch();
  EXPECT_EQ(back.from, kSecondary);
  EXPECT_EQ(back.to, kPrimary);
  EXPECT_EQ(back.reason, "primary healthy for 5 s");
  EXPECT_EQ(back.silent_for, 5s);
  EXPECT_EQ(back.at, up->at + 5s);
  EXPECT_EQ(sim.switches().size(), 2u);
}

TEST(Fallback, CountsSwitchesAndTheTimeEachPathCarriedTheTraffic) {
  Sim sim;
  EXPECT_EQ(sim.ctl().switches_to(kSecondary), 0u);
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(20s);
  ASSERT_EQ(sim.switches().size(), 2u) << sim.log();
  const auto over = sim.switches()[0];
  const auto back = sim.switches()[1];
  EXPECT_EQ(sim.ctl().switches_to(kSecondary), 1u);
  EXPECT_EQ(sim.ctl().switches_to(kPrimary), 1u);
  EXPECT_EQ(sim.ctl().time_active(kSecondary, sim.now()), back.at - over.at);
  EXPECT_EQ(sim.ctl().time_active(kPrimary, sim.now()), (over.at - kStart) + (sim.now() - back.at));
}

TEST(Fallback, AFlappingPrimaryDoesNotFlapTheTraffic) {
  Sim sim;
  for (Duration t = 2s; t < 60s; t += 2s) {
    sim.at(t, [&sim, t] { sim.link(kPrimary).blackholed = (t / 2s) % 2 == 1; });
  }
  sim.run_for(60s);
  EXPECT_EQ(sim.switches().size(), 1u) << "the 2 s up periods never reach the 5 s hold";
  EXPECT_EQ(sim.ctl().active(), kSecondary);
  EXPECT_GE(sim.of_type(FallbackEventType::kPathDown).size(), 14u) << "health does flap";
}

TEST(Fallback, AFlappingPrimaryGrowsTheHoldUntilTheTrafficStopsFollowingIt) {
  FallbackConfig config;
  config.failback_hold = 1s;  // short enough that the 2.1 s up periods fail back at first
  Sim sim(config);
  for (Duration t = 2s; t < 60s; t += 2s) {
    sim.at(t, [&sim, t] { sim.link(kPrimary).blackholed = (t / 2s) % 2 == 1; });
  }
  sim.run_for(60s);
  // Away at 2.5 s, back at 5.4 s (hold 1 s), away at 6.5 s (hold 2 s), back at 10.4 s, away at
  // 10.5 s (hold 4 s): from then on no up period is long enough.
  const auto switches = sim.switches();
  EXPECT_EQ(switches.size(), 5u) << sim.log();
  EXPECT_TRUE(sim.switches(kStart + 11s).empty()) << sim.log();
  EXPECT_EQ(sim.ctl().current_failback_hold(), 4s);
  EXPECT_EQ(sim.ctl().active(), kSecondary);
}

TEST(Fallback, HoldDoublesOnAFailureSoonAfterFailbackAndRelaxesAfterAStableFlapWindow) {
  FallbackConfig config;
  config.failback_hold = 1s;
  Sim sim(config);
  sim.at(2s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(4s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.at(6s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(20s);
  const auto switches = sim.switches();
  ASSERT_EQ(switches.size(), 4u) << sim.log();
  EXPECT_EQ(switches[1].at, kStart + 4s + 420ms + 1s) << "first failback after 1 s";
  EXPECT_EQ(switches[3].at, kStart + 8s + 420ms + 2s) << "second failback after a doubled hold";
  EXPECT_EQ(switches[3].reason, "primary healthy for 2 s") << sim.log();
  EXPECT_EQ(sim.ctl().current_failback_hold(), 2s);

  const TimePoint stable_from = switches[3].at;
  sim.run_until(stable_from + 30s - 1ms);
  EXPECT_EQ(sim.ctl().current_failback_hold(), 2s);
  sim.run_until(stable_from + 30s);
  EXPECT_EQ(sim.ctl().current_failback_hold(), 1s);
}

TEST(Fallback, HoldNeverExceedsItsMaximum) {
  FallbackConfig config;
  config.failback_hold = 1s;
  config.failback_hold_max = 3s;
  Sim sim(config);
  // Each cycle: down for 2 s, then up long enough for the current hold, then down again.
  Duration t = 2s;
  for (int cycle = 0; cycle < 4; ++cycle) {
    sim.at(t, [&] { sim.link(kPrimary).blackholed = true; });
    sim.at(t + 2s, [&] { sim.link(kPrimary).blackholed = false; });
    t += 2s + 5s;
  }
  sim.run_for(t);
  EXPECT_EQ(sim.ctl().current_failback_hold(), 3s);
}

// The share on the primary while the traffic is measured every 100 ms for `duration`.
double share_on_primary(Sim& sim, Duration duration) {
  int on_primary = 0;
  const int samples = static_cast<int>(duration / 100ms);
  for (int i = 0; i < samples; ++i) {
    sim.run_for(100ms);
    if (sim.ctl().active() == kPrimary) ++on_primary;
  }
  return on_primary / static_cast<double>(samples);
}

TEST(Fallback, ThirtyPercentLossMovesTrafficAway) {
  Duration slowest{};
  Duration total{};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Sim sim({}, seed);
    sim.run_for(5s);
    const TimePoint from = sim.now();
    sim.link(kPrimary).request_loss = 0.30;
    sim.run_for(30s);
    const auto switched = sim.first(FallbackEventType::kSwitched, kSecondary, from);
    ASSERT_TRUE(switched) << "seed " << seed;
    EXPECT_TRUE(contains(switched->reason, "probes lost")) << switched->reason;
    slowest = std::max(slowest, switched->at - from);
    total += switched->at - from;
    EXPECT_LT(share_on_primary(sim, 60s), 0.3) << "seed " << seed << "\n" << sim.log();
  }
  report("30% loss to switch, mean of 20 seeds", total / 20);
  report("30% loss to switch, slowest of 20 seeds", slowest);
}

TEST(Fallback, TenPercentLossStaysOnThePrimary) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Sim sim({}, seed);
    sim.link(kPrimary).request_loss = 0.05;  // 9.75 % of round trips lost
    sim.link(kPrimary).reply_loss = 0.05;
    sim.run_for(120s);
    EXPECT_TRUE(sim.switches().empty()) << "seed " << seed << "\n" << sim.log();
    const PathHealth& health = sim.ctl().health(kPrimary);
    EXPECT_LT(health.probes_answered, health.probes_sent * 95 / 100);
  }
}

TEST(Fallback, ThreeProbesLostInARowAreNotAnOutage) {
  // With a probe every 200 ms and down_after 700 ms, three lost probes make a silence; once a
  // healthy path has been quiet for 350 ms it is probed every 50 ms, and those answer.
  Sim sim;
  sim.link(kPrimary).lose_request = [](unsigned, Duration at) {
    return at == 3800ms || at == 4000ms || at == 4200ms;  // the regular probes only
  };
  sim.run_for(10s);
  EXPECT_TRUE(sim.of_type(FallbackEventType::kPathDown).empty()) << sim.log();
  EXPECT_EQ(sim.ctl().health(kPrimary).probes_sent, 53u) << "51 regular, quick at 3.97 and 4.34 s";
  EXPECT_TRUE(sim.switches().empty());
}

TEST(Fallback, ProbesLostInAnOutageAreNotChargedAsLoss) {
  Sim sim;
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(12s);
  EXPECT_EQ(sim.ctl().health(kPrimary).loss, 0.0) << "the outage was judged by its silence";
  EXPECT_TRUE(sim.ctl().health(kPrimary).healthy);
}

TEST(Fallback, APathDownForLossComesBackOnlyWellBelowTheLimit) {
  Sim sim;
  auto lose_every = [&sim](unsigned every) {
    sim.link(kPrimary).lose_request = [every](unsigned n, Duration) {
      return every != 0 && n % every == 0;
    };
  };
  lose_every(3);  // 33 %
  sim.run_for(15s);
  ASSERT_FALSE(sim.ctl().health(kPrimary).healthy);
  lose_every(5);  // 20 %: under the limit, but not well under it
  sim.run_for(30s);
  EXPECT_FALSE(sim.ctl().health(kPrimary).healthy);
  EXPECT_EQ(sim.ctl().active(), kSecondary);
  EXPECT_EQ(sim.of_type(FallbackEventType::kPathUp, kStart + 1s).size(), 0u) << sim.log();
  lose_every(0);
  sim.run_for(15s);
  EXPECT_TRUE(sim.ctl().health(kPrimary).healthy);
  EXPECT_EQ(sim.ctl().active(), kPrimary);
}

TEST(Fallback, ALossShareAtTheLimitNamesItInTheReason) {
  Sim sim;
  // 33 % lost, never two in a row.
  sim.link(kPrimary).lose_request = [](unsigned n, Duration) { return n % 3 == 0; };
  sim.run_for(10s);
  const auto switched = sim.first(FallbackEventType::kSwitched, kSecondary, kStart);
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->reason, "primary down: 30% of 20 probes lost") << sim.log();
  EXPECT_EQ(switched->at, kStart + 4100ms) << "judged once the window of 40 is half full";
  EXPECT_EQ(sim.switches().size(), 1u) << "it cannot earn health back at 33 % loss";
}

TEST(Fallback, AHighSteadyRttIsNotAFailure) {
  Sim sim;
  sim.link(kPrimary).rtt = 300ms;
  sim.run_for(60s);
  EXPECT_TRUE(sim.switches().empty());
  EXPECT_TRUE(sim.of_type(FallbackEventType::kPathDown).empty());
  EXPECT_TRUE(sim.ctl().health(kPrimary).healthy);
  EXPECT_EQ(sim.ctl().health(kPrimary).last_rtt, 300ms);
}

TEST(Fallback, ProtocolDownSwitchesAtOnceWithTheProtocolsDetail) {
  Sim sim;
  sim.run_until(kStart + 5s + 50ms);
  sim.protocol(kPrimary, false, "handshake gave up");
  ASSERT_TRUE(sim.ctl().last_switch());
  const auto& switched = *sim.ctl().last_switch();
  EXPECT_EQ(switched.at, kStart + 5s + 50ms);
  EXPECT_EQ(switched.to, kSecondary);
  EXPECT_EQ(switched.reason, "primary down: protocol: handshake gave up");
  EXPECT_EQ(switched.silent_for, 30ms) << "last answer at 5.02 s";
}

TEST(Fallback, APrimaryThatNeverComesUpHandsOverWhenItsStartupTimeIsOut) {
  FallbackConfig config;
  Sim sim(config);
  sim.link(kPrimary).connected = false;
  sim.protocol(kPrimary, false, "no handshake yet");
  sim.run_for(3s);
  const auto switched = sim.first(FallbackEventType::kSwitched, kSecondary, kStart);
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->at, kStart + 1100ms) << "two probe intervals plus down_after";
  EXPECT_EQ(switched->reason, "primary down: protocol: no handshake yet");
  EXPECT_EQ(switched->silent_for, 1100ms) << "never answered: since the controller started";
  EXPECT_GT(sim.ctl().health(kPrimary).probes_sent, 10u);
}

TEST(Fallback, ASecondaryThatAnswersFirstDoesNotTakeTheTrafficAtStartup) {
  Sim sim;
  sim.link(kPrimary).rtt = 300ms;
  sim.run_for(5s);
  EXPECT_TRUE(sim.switches().empty());
  EXPECT_EQ(sim.ctl().active(), kPrimary);
}

TEST(Fallback, ASecondaryFailingWhileActiveReturnsToAHealthyPrimaryAtOnce) {
  Sim sim;
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(9s);  // the primary is healthy again since 8.42 s, within its hold
  ASSERT_EQ(sim.ctl().active(), kSecondary);
  sim.protocol(kSecondary, false, "LCP echo lost");
  EXPECT_EQ(sim.ctl().active(), kPrimary);
  const auto& back = *sim.ctl().last_switch();
  EXPECT_EQ(back.at, kStart + 9s);
  EXPECT_EQ(back.reason, "secondary down: protocol: LCP echo lost");
}

TEST(Fallback, ABlackholedSecondaryReturnsToAHealthyPrimaryWhenDetected) {
  Sim sim;
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.at(9s + 30ms, [&] { sim.link(kSecondary).blackholed = true; });
  sim.run_for(12s);
  const auto switches = sim.switches();
  ASSERT_EQ(switches.size(), 2u);
  EXPECT_EQ(switches[1].to, kPrimary);
  EXPECT_EQ(switches[1].at, kStart + 9s + 20ms + 700ms);
  EXPECT_EQ(switches[1].reason, "secondary down: no probe answered for 700 ms");
  EXPECT_EQ(switches[1].silent_for, 700ms);
}

TEST(Fallback, StaysOnThePrimaryWhenBothPathsAreDown) {
  Sim sim;
  sim.at(5s, [&] {
    sim.link(kPrimary).blackholed = true;
    sim.link(kSecondary).blackholed = true;
  });
  sim.at(8s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(12s);
  EXPECT_TRUE(sim.switches().empty());
  EXPECT_EQ(sim.ctl().active(), kPrimary);
  EXPECT_FALSE(sim.ctl().health(kSecondary).healthy);
}

TEST(Fallback, StaysOnTheSecondaryWhenBothPathsAreDown) {
  Sim sim;
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(7s, [&] { sim.link(kSecondary).blackholed = true; });
  sim.run_for(12s);
  EXPECT_EQ(sim.switches().size(), 1u);
  EXPECT_EQ(sim.ctl().active(), kSecondary);
  EXPECT_FALSE(sim.ctl().health(kPrimary).healthy);
  EXPECT_FALSE(sim.ctl().health(kSecondary).healthy);
}

TEST(Fallback, AnOnDemandSecondaryIsNotProbedUntilDialled) {
  FallbackConfig config;
  config.warm_secondary = false;
  Sim sim(config);
  sim.run_for(10s);
  EXPECT_EQ(sim.ctl().health(kSecondary).probes_sent, 0u);
  EXPECT_TRUE(sim.of_type(FallbackEventType::kDialSecondary).empty());
  EXPECT_EQ(sim.ctl().active(), kPrimary);
}

TEST(Fallback, AnOnDemandSecondaryIsDialledOnceWhenThePrimaryFails) {
  FallbackConfig config;
  config.warm_secondary = false;
  Sim sim(config);
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.run_for(15s);
  const auto dials = sim.of_type(FallbackEventType::kDialSecondary);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].at, kStart + 5s + 520ms);
  EXPECT_EQ(dials[0].reason, "primary down: no probe answered for 700 ms");
  // Dialling takes 2 s, then the secondary earns health with three answers.
  const auto switched = sim.first(FallbackEventType::kSwitched, kSecondary, kStart);
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->reason, "primary down: no probe answered for 700 ms");
  EXPECT_GT(switched->at, dials[0].at + 2s);
  EXPECT_EQ(switched->silent_for, switched->at - (kStart + 4s + 820ms));
  report("on-demand: primary down to switch", switched->at - dials[0].at);
}

TEST(Fallback, AnOnDemandSecondaryIsHungUpAfterTheTrafficIsBackForTheFlapWindow) {
  FallbackConfig config;
  config.warm_secondary = false;
  Sim sim(config);
  sim.at(5s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(10s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.at(20s, [&] { sim.link(kPrimary).blackholed = true; });  // a flap soon after failback
  sim.at(22s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.run_for(80s);
  EXPECT_EQ(sim.of_type(FallbackEventType::kDialSecondary).size(), 1u)
      << "it stays dialled through the flap";
  const auto switches = sim.switches();
  ASSERT_EQ(switches.size(), 4u);
  EXPECT_EQ(switches[2].at, kStart + 20s - 180ms + 700ms) << "still warm: no dial delay";
  const auto hang_ups = sim.of_type(FallbackEventType::kHangUpSecondary);
  ASSERT_EQ(hang_ups.size(), 1u);
  EXPECT_EQ(hang_ups[0].at, switches[3].at + 30s);
  EXPECT_EQ(hang_ups[0].reason, "primary carried the traffic for 30 s");
  const auto sent = sim.ctl().health(kSecondary).probes_sent;
  sim.run_for(5s);
  EXPECT_EQ(sim.ctl().health(kSecondary).probes_sent, sent) << "not probed once hung up";
  EXPECT_FALSE(sim.ctl().health(kSecondary).healthy);
}

TEST(Fallback, ADrillForcesAPathDownAndItMustEarnHealthAfterwards) {
  Sim sim;
  sim.run_until(kStart + 5s);
  sim.force_down(kPrimary, 10s);
  EXPECT_EQ(sim.ctl().active(), kSecondary);
  EXPECT_TRUE(sim.ctl().health(kPrimary).forced_down);
  EXPECT_EQ(sim.ctl().last_switch()->reason, "primary down: drill");
  sim.run_until(kStart + 15s);
  EXPECT_FALSE(sim.ctl().health(kPrimary).forced_down);
  EXPECT_FALSE(sim.ctl().health(kPrimary).healthy) << "answers during the drill do not count";
  const auto up = sim.first(FallbackEventType::kPathUp, kPrimary, kStart + 5s);
  sim.run_for(10s);
  const auto recovered = sim.first(FallbackEventType::kPathUp, kPrimary, kStart + 5s);
  ASSERT_TRUE(recovered);
  EXPECT_FALSE(up);
  EXPECT_EQ(recovered->at, kStart + 15s + 420ms);
  EXPECT_EQ(sim.ctl().last_switch()->at, recovered->at + 5s);
  EXPECT_EQ(sim.ctl().active(), kPrimary);
}

TEST(Fallback, IgnoresRepliesToUnknownExpiredOrOtherPathsSequences) {
  FallbackController ctl({}, kStart);
  FallbackOutput out;
  ctl.on_timer(kStart, out);
  ASSERT_EQ(out.probes.size(), 2u);
  const std::uint64_t primary_seq = out.probes[0].sequence;
  const std::uint64_t secondary_seq = out.probes[1].sequence;

  ctl.on_probe_reply(kPrimary, 999, kStart + 10ms, out);
  ctl.on_probe_reply(kPrimary, secondary_seq, kStart + 10ms, out);
  EXPECT_EQ(ctl.health(kPrimary).probes_answered, 0u);
  EXPECT_FALSE(ctl.health(kPrimary).last_answer);

  ctl.on_probe_reply(kPrimary, primary_seq, kStart + 20ms, out);
  ctl.on_probe_reply(kPrimary, primary_seq, kStart + 30ms, out);  // a duplicate
  EXPECT_EQ(ctl.health(kPrimary).probes_answered, 1u);
  EXPECT_EQ(ctl.health(kPrimary).answered_in_a_row, 1u);
  EXPECT_EQ(ctl.health(kPrimary).last_rtt, 20ms);

  ctl.on_probe_reply(kSecondary, secondary_seq, kStart + 700ms, out);  // expired just then
  EXPECT_EQ(ctl.health(kSecondary).probes_answered, 0u);
}

// The same scenario driven only at next_deadline() and by a fixed tick must produce the same
// events at the same times: otherwise some deadline is missing from next_deadline().
void run_mixed_scenario(Sim& sim) {
  sim.link(kPrimary).request_loss = 0.05;
  sim.link(kSecondary).request_loss = 0.05;
  sim.at(3s, [&] { sim.link(kPrimary).blackholed = true; });
  sim.at(6s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.at(12s, [&] { sim.link(kPrimary).blackholed = true; });  // flap: the hold doubles
  sim.at(13s, [&] { sim.link(kPrimary).blackholed = false; });
  sim.at(30s, [&] { sim.protocol(kSecondary, false, "LCP echo lost"); });
  sim.at(31s, [&] { sim.protocol(kSecondary, true, "ppp open"); });
  sim.at(35s, [&] { sim.force_down(kPrimary, 3s); });
  sim.at(40s, [&] { sim.link(kPrimary).reply_loss = 0.5; });
  sim.at(50s, [&] { sim.link(kPrimary).reply_loss = 0.0; });
  sim.run_for(100s);
}

void expect_same_events(const Sim& a, const Sim& b) {
  ASSERT_EQ(a.events().size(), b.events().size());
  for (std::size_t i = 0; i < a.events().size(); ++i) {
    const auto& x = a.events()[i];
    const auto& y = b.events()[i];
    EXPECT_EQ(x.type, y.type) << i;
    EXPECT_EQ(x.to, y.to) << i;
    EXPECT_EQ(x.at, y.at) << i;
    EXPECT_EQ(x.reason, y.reason) << i;
    EXPECT_EQ(x.silent_for, y.silent_for) << i;
  }
}

TEST(Fallback, DrivingOnlyAtDeadlinesMatchesTickingEvery10ms) {
  Sim at_deadlines({}, 3);
  Sim ticking({}, 3, 10ms);
  for (Sim* sim : {&at_deadlines, &ticking}) {
    sim->link(kPrimary).rtt = 30ms;
    sim->link(kSecondary).rtt = 50ms;
    run_mixed_scenario(*sim);
  }
  EXPECT_GE(at_deadlines.switches().size(), 5u) << "the scenario should exercise switching";
  expect_same_events(at_deadlines, ticking);
  EXPECT_LT(at_deadlines.timer_calls() * 5, ticking.timer_calls());
}

TEST(Fallback, DrivingOnlyAtDeadlinesMatchesTickingEveryMillisecondOffTheProbeGrid) {
  Sim at_deadlines({}, 4);
  Sim ticking({}, 4, 1ms);
  for (Sim* sim : {&at_deadlines, &ticking}) {
    sim->link(kPrimary).rtt = 37ms;
    sim->link(kSecondary).rtt = 53ms;
    run_mixed_scenario(*sim);
  }
  expect_same_events(at_deadlines, ticking);
}

TEST(Fallback, NamesItsPaths) {
  EXPECT_STREQ(path_role_name(kPrimary), "primary");
  EXPECT_STREQ(path_role_name(kSecondary), "secondary");
}

}  // namespace
}  // namespace tandem::hybrid
