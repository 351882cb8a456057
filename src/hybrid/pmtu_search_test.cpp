// The search against a simulated path of a known MTU, with a fake clock: exact results for every
// size between the base and the device MTU, few rounds, a grown path found again, a black hole,
// a path that is down.
#include "hybrid/pmtu_search.hpp"

#include <gtest/gtest.h>

namespace tandem::hybrid {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using State = PmtuSearch::State;

// A path that carries inner packets up to `mtu` bytes, acknowledging after `rtt`.
class SimulatedPath {
 public:
  SimulatedPath(PmtuSearch& search, std::size_t path_mtu) : mtu(path_mtu), search_(search) {}

  // Runs until the search settles (or `limit` passes); returns the time it took.
  Duration run_until_settled(Duration limit) {
    const TimePoint begin = now;
    while (now - begin < limit) {
      step();
      if (search_.state() == State::kComplete || search_.state() == State::kError) break;
    }
    return now - begin;
  }
  // Moves time forward by `d`, acknowledging and probing on the way.
  void advance(Duration d) {
    const TimePoint end = now + d;
    while (now < end) step();
  }

  TimePoint now{seconds(100)};
  std::size_t mtu;
  std::size_t probes_sent = 0;
  std::size_t bytes_sent = 0;

 private:
  void step() {
    std::vector<PmtuSearch::Probe> out;
    search_.poll(now, out);
    for (const auto& p : out) {
      ++probes_sent;
      bytes_sent += p.size;
      if (p.size <= mtu) in_flight_.push_back({p.id, now + rtt_});
    }
    now += milliseconds(10);
    std::vector<std::pair<std::uint32_t, TimePoint>> still;
    for (const auto& [id, due] : in_flight_) {
      if (due <= now)
        search_.on_ack(id, now);
      else
        still.push_back({id, due});
    }
    in_flight_ = std::move(still);
  }

  PmtuSearch& search_;
  Duration rtt_ = milliseconds(20);
  std::vector<std::pair<std::uint32_t, TimePoint>> in_flight_;
};

PmtuSearchSettings settings(std::size_t max = 1440) {
  PmtuSearchSettings s;
  s.base_mtu = 1280;
  s.max_mtu = max;
  return s;
}

TEST(PmtuSearch, APathCarryingTheDeviceMtuIsConfirmedAtOnce) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1440);
  search.start(path.now);
  EXPECT_EQ(search.mtu(), 1280u);
  EXPECT_FALSE(search.confirmed());
  EXPECT_EQ(search.held_mtu(), std::nullopt) << "a first search lowers nothing on a guess";
  const Duration took = path.run_until_settled(seconds(60));
  EXPECT_EQ(search.state(), State::kComplete);
  EXPECT_EQ(search.mtu(), 1440u);
  EXPECT_LT(took, milliseconds(200));
}

TEST(PmtuSearch, EverySizeBetweenTheBaseAndTheDeviceMtuIsFoundExactly) {
  Duration slowest{};
  for (std::size_t truth = 1280; truth <= 1440; ++truth) {
    PmtuSearch search(settings());
    SimulatedPath path(search, truth);
    search.start(path.now);
    const Duration took = path.run_until_settled(seconds(120));
    ASSERT_EQ(search.state(), State::kComplete) << "path MTU " << truth;
    ASSERT_EQ(search.mtu(), truth);
    slowest = std::max(slowest, took);
  }
  // Each round with a lost size waits out its three tries of a second; three rounds at most.
  EXPECT_LE(slowest, seconds(10));
  EXPECT_GE(slowest, seconds(3)) << "a lost size takes three timeouts of a second";
}

TEST(PmtuSearch, ABaseThatIsLostIsAnErrorAndAPathThatComesBackIsMeasured) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1000);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  EXPECT_EQ(search.state(), State::kError);
  EXPECT_EQ(search.mtu(), 1280u);
  path.mtu = 1400;
  path.advance(seconds(30));
  EXPECT_EQ(search.state(), State::kComplete);
  EXPECT_EQ(search.mtu(), 1400u);
}

TEST(PmtuSearch, AGrownPathIsFoundAfterTheRaiseInterval) {
  auto s = settings();
  s.raise_interval = seconds(60);
  PmtuSearch search(s);
  SimulatedPath path(search, 1340);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  ASSERT_EQ(search.mtu(), 1340u);
  path.mtu = 1440;
  path.advance(seconds(50));
  EXPECT_EQ(search.mtu(), 1340u);  // not before the interval
  path.advance(seconds(15));
  EXPECT_EQ(search.mtu(), 1440u);
  EXPECT_EQ(search.state(), State::kComplete);
}

TEST(PmtuSearch, APathThatGrowsWhileASearchLosesSizesIsFoundWithinOneInterval) {
  auto s = settings();
  s.raise_interval = seconds(10);
  PmtuSearch search(s);
  SimulatedPath path(search, 1340);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  ASSERT_EQ(search.mtu(), 1340u);
  // Into the next search upwards, once one byte more has been tried three times and lost.
  while (search.state() == State::kComplete) path.advance(milliseconds(100));
  path.advance(seconds(2) + milliseconds(500));
  path.mtu = 1440;  // grows now: this search has lost 1341 already
  const TimePoint grown = path.now;
  while (search.mtu() != 1440u && path.now - grown < seconds(60)) path.advance(milliseconds(100));
  EXPECT_EQ(search.mtu(), 1440u);
  // The next search begins 10 s after the last one began (7.5 s after the growth), not 10 s
  // after it ended (10.5 s).
  EXPECT_LE(path.now - grown, seconds(8));
}

TEST(PmtuSearch, AShrunkPathKeepsTheOldSizeUntilABlackHoleIsSuspected) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1440);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  path.mtu = 1300;
  path.advance(seconds(5));
  EXPECT_EQ(search.mtu(), 1440u);  // nothing probes a completed search early
  search.on_black_hole_suspected(path.now);
  EXPECT_EQ(search.mtu(), 1280u);  // safe at once
  path.run_until_settled(seconds(60));
  EXPECT_EQ(search.mtu(), 1300u);
}

TEST(PmtuSearch, AConfirmationThatArrivesKeepsTheSizeAndCostsOneProbe) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1400);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  ASSERT_EQ(search.mtu(), 1400u);
  const std::size_t before = path.probes_sent;
  search.confirm_current(path.now);
  EXPECT_EQ(search.state(), State::kConfirming);
  EXPECT_EQ(search.mtu(), 1400u);  // held while it is checked
  path.advance(seconds(1));
  EXPECT_EQ(search.state(), State::kComplete);
  EXPECT_EQ(search.mtu(), 1400u);
  EXPECT_EQ(path.probes_sent - before, 1u);
}

TEST(PmtuSearch, AConfirmationLostIsABlackHoleAndTheSmallerPathIsFound) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1440);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  path.mtu = 1337;  // a hop on the way shrank, silently
  search.confirm_current(path.now);
  path.advance(seconds(2));
  EXPECT_EQ(search.mtu(), 1440u) << "three tries a second apart before it counts as lost";
  path.advance(seconds(1) + milliseconds(50));
  EXPECT_NE(search.state(), State::kConfirming);
  ASSERT_TRUE(search.held_mtu().has_value()) << "after a black hole, the base holds at once";
  EXPECT_LE(*search.held_mtu(), 1337u) << "never more than the path now carries";
  path.run_until_settled(seconds(60));
  EXPECT_EQ(search.state(), State::kComplete);
  EXPECT_EQ(search.mtu(), 1337u);
}

TEST(PmtuSearch, AConfirmationOutsideACompletedSearchDoesNothing) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1440);
  search.start(path.now);
  search.confirm_current(path.now);
  EXPECT_EQ(search.state(), State::kBase);
  search.on_black_hole_suspected(path.now);
  path.run_until_settled(seconds(60));
  search.set_max_mtu(1300, path.now);
  search.confirm_current(path.now);
  search.set_max_mtu(1290, path.now);  // below the size being confirmed: nothing left to check
  EXPECT_EQ(search.state(), State::kComplete);
  EXPECT_EQ(search.mtu(), 1290u);
}

TEST(PmtuSearch, ALowerDeviceMtuBoundsTheResult) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1440);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  search.set_max_mtu(1400, path.now);
  EXPECT_EQ(search.mtu(), 1400u);
}

TEST(PmtuSearch, AnAcknowledgementOfAnUnknownProbeChangesNothing) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1440);
  search.start(path.now);
  search.on_ack(12345, path.now);
  EXPECT_EQ(search.state(), State::kBase);
  EXPECT_FALSE(search.confirmed());
}

TEST(PmtuSearch, AnIdlePathCostsOneSizePerRaiseInterval) {
  PmtuSearch search(settings());
  SimulatedPath path(search, 1340);
  search.start(path.now);
  path.run_until_settled(seconds(60));
  const std::size_t before = path.probes_sent;
  path.advance(std::chrono::minutes(60));
  // An upward search every ten minutes (five or six in the hour), each one size (one byte more)
  // lost after three tries.
  EXPECT_GE(path.probes_sent - before, 5u * 3);
  EXPECT_LE(path.probes_sent - before, 6u * 3);
  EXPECT_EQ(search.mtu(), 1340u);
}

}  // namespace
}  // namespace tandem::hybrid
