// MtuProber against a simulated path with a fake clock: nothing lowered on a guess, a silent
// shrink found while data flows, an idle path left alone, a path change searched again.
#include "hybrid/mtu_prober.hpp"

#include <gtest/gtest.h>

namespace tandem::hybrid {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A path that carries inner packets up to `mtu` bytes and acknowledges after 20 ms; `busy`
// says data flows on it.
struct Path {
  explicit Path(MtuProber& p, std::size_t path_mtu) : prober(p), mtu(path_mtu) {}

  void advance(Duration d) {
    const TimePoint end = now + d;
    while (now < end) {
      if (busy) prober.note_traffic();
      std::vector<PmtuSearch::Probe> out;
      prober.poll(now, out);
      for (const auto& probe : out) {
        ++sent;
        bytes += probe.size;
        if (probe.size <= mtu) in_flight.push_back({probe.id, now + milliseconds(20)});
      }
      now += milliseconds(10);
      std::vector<std::pair<std::uint32_t, TimePoint>> still;
      for (const auto& [id, due] : in_flight)
        if (due <= now)
          prober.on_ack(id, now);
        else
          still.push_back({id, due});
      in_flight = std::move(still);
      if (auto change = prober.take_change()) changes.push_back(*change);
    }
  }

  MtuProber& prober;
  std::size_t mtu;
  bool busy = false;
  TimePoint now{seconds(1000)};
  std::size_t sent = 0;
  std::uint64_t bytes = 0;
  std::vector<std::pair<std::uint32_t, TimePoint>> in_flight;
  std::vector<MtuChange> changes;
};

MtuProberSettings settings() {
  MtuProberSettings s;
  s.search.base_mtu = 1280;
  s.search.max_mtu = 1420;
  s.search.raise_interval = seconds(60);
  s.confirm_interval = seconds(5);
  return s;
}

TEST(MtuProber, NothingIsSentOrHeldBeforeThePathIsUp) {
  MtuProber prober(settings());
  Path path(prober, 1420);
  path.advance(seconds(10));
  EXPECT_EQ(path.sent, 0u);
  EXPECT_EQ(prober.held_mtu(), std::nullopt);
  EXPECT_TRUE(path.changes.empty());
}

TEST(MtuProber, AFirstSearchHoldsNothingUntilItCompletes) {
  MtuProber prober(settings());
  Path path(prober, 1376);
  prober.set_live(true, path.now);
  path.advance(milliseconds(100));
  EXPECT_TRUE(prober.search().confirmed()) << "the base is confirmed at once";
  EXPECT_EQ(prober.held_mtu(), std::nullopt) << "but the configured MTU holds meanwhile";
  path.advance(seconds(12));
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1376));
  ASSERT_EQ(path.changes.size(), 1u) << "one change: from nothing to the size found";
  EXPECT_EQ(path.changes[0].before, std::nullopt);
  EXPECT_EQ(path.changes[0].after, std::optional<std::size_t>(1376));
  EXPECT_FALSE(path.changes[0].black_hole);
  EXPECT_EQ(prober.changes(), 1u);
}

TEST(MtuProber, ASilentShrinkIsFoundWhileDataFlows) {
  MtuProber prober(settings());
  Path path(prober, 1420);
  prober.set_live(true, path.now);
  path.advance(seconds(2));
  ASSERT_EQ(prober.held_mtu(), std::optional<std::size_t>(1420));
  path.busy = true;
  path.mtu = 1333;
  path.changes.clear();
  // At most a confirm interval, the three tries of the confirmation, then the search.
  path.advance(seconds(5 + 3 + 1));
  ASSERT_FALSE(path.changes.empty());
  EXPECT_TRUE(path.changes[0].black_hole);
  EXPECT_LE(path.changes[0].after.value_or(9999), 1333u) << "safe at once";
  path.advance(seconds(10));
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1333));
}

TEST(MtuProber, RetransmissionsHaveTheSizeInUseProbedAtOnceAtMostOnceASecond) {
  MtuProber prober(settings());
  Path path(prober, 1420);
  prober.set_live(true, path.now);
  path.advance(seconds(2));
  ASSERT_EQ(prober.search().state(), PmtuSearch::State::kComplete);
  const std::size_t before = path.sent;
  EXPECT_TRUE(prober.on_large_retransmit(path.now));
  EXPECT_EQ(prober.search().state(), PmtuSearch::State::kConfirming);
  path.advance(milliseconds(100));
  EXPECT_EQ(path.sent - before, 1u) << "one probe of the size in use, without waiting for data";
  EXPECT_FALSE(prober.on_large_retransmit(path.now)) << "not again within a second";
  path.advance(seconds(1));
  path.mtu = 1300;  // shrank silently; the sender starts repeating itself
  EXPECT_TRUE(prober.on_large_retransmit(path.now));
  path.changes.clear();
  path.advance(seconds(3) + milliseconds(100));
  ASSERT_FALSE(path.changes.empty())
      << "lost three times: a black hole, 3 s after the first repeat";
  EXPECT_TRUE(path.changes[0].black_hole);
  path.advance(seconds(10));
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1300));
  prober.set_live(false, path.now);
  EXPECT_FALSE(prober.on_large_retransmit(path.now + seconds(5))) << "a path that is down";
}

TEST(MtuProber, AnIdlePathIsNotConfirmed) {
  MtuProber prober(settings());
  Path path(prober, 1420);
  prober.set_live(true, path.now);
  path.advance(seconds(2));
  const std::size_t before = path.sent;
  path.advance(seconds(50));  // within the raise interval
  EXPECT_EQ(path.sent, before) << "no data, no confirmation";
  path.busy = true;
  path.advance(seconds(50));
  EXPECT_GE(path.sent - before, 9u) << "a confirmation every 5 s while data flows";
  EXPECT_LE(path.sent - before, 11u);
  EXPECT_EQ(prober.probe_bytes(), path.bytes) << "every probe's size counted";
}

TEST(MtuProber, APathChangeKeepsTheSizeUntilTheNewPathIsMeasured) {
  MtuProber prober(settings());
  Path path(prober, 1400);
  prober.set_live(true, path.now);
  path.advance(seconds(10));
  ASSERT_EQ(prober.held_mtu(), std::optional<std::size_t>(1400));
  path.changes.clear();
  path.mtu = 1300;
  prober.restart(path.now);
  path.advance(milliseconds(100));
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1400)) << "not the base on a guess";
  path.advance(seconds(12));
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1300));
  ASSERT_EQ(path.changes.size(), 1u);
  EXPECT_EQ(path.changes[0].before, std::optional<std::size_t>(1400));
}

TEST(MtuProber, AGrownPathIsFoundWithinTheRaiseInterval) {
  MtuProber prober(settings());
  Path path(prober, 1300);
  prober.set_live(true, path.now);
  path.advance(seconds(12));
  ASSERT_EQ(prober.held_mtu(), std::optional<std::size_t>(1300));
  path.mtu = 1420;
  path.advance(seconds(61));
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1420));
}

TEST(MtuProber, ALowerMaximumBoundsWhatIsHeld) {
  MtuProber prober(settings());
  Path path(prober, 1420);
  prober.set_live(true, path.now);
  path.advance(seconds(2));
  prober.set_max_mtu(1360, path.now);
  EXPECT_EQ(prober.held_mtu(), std::optional<std::size_t>(1360));
}

}  // namespace
}  // namespace tandem::hybrid
