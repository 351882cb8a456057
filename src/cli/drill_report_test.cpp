#include "cli/drill_report.hpp"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

// A drill of 5 s with a ping every 20 ms, each answered 2 ms later unless `lost` says otherwise.
DrillTimeline run(
    std::int64_t switch_at, std::optional<std::int64_t> back_at,
    bool (*lost)(std::int64_t at) = [](std::int64_t) { return false; }) {
  DrillTimeline t(5000);
  std::uint16_t sequence = 0;
  for (std::int64_t at = 0; at < 12000; at += 20, ++sequence) {
    t.ping_sent(sequence, at);
    if (!lost(at)) t.ping_answered(sequence, at + 2);
    if (at % 40 == 0) {
      const bool on_secondary = at >= switch_at && (!back_at || at < *back_at);
      t.active_path(at, on_secondary ? "l2tp-ipsec" : "wireguard");
    }
  }
  return t;
}

TEST(DrillTimeline, ASwitchAndAFailbackWithTrafficCarriedPasses) {
  const DrillReport r = run(40, 10040).report(12000, 2000, 1000);
  EXPECT_TRUE(r.passed) << r.verdict;
  EXPECT_EQ(*r.switch_ms, 40);
  EXPECT_EQ(*r.failback_ms, 10040 - 5000);
  EXPECT_EQ(r.pings_lost, 0u);
  EXPECT_EQ(r.pings_sent, 11000u / 20);  // the last second is grace
  EXPECT_EQ(r.answered_while_held, 5000u / 20);
}

TEST(DrillTimeline, LostPingsAreCounted) {
  const DrillReport r = run(40, 10040, [](std::int64_t at) {
                          return at >= 4000 && at < 4100;
                        }).report(12000, 2000, 1000);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.pings_lost, 5u);
}

TEST(DrillTimeline, NoSwitchFails) {
  const DrillReport r = run(999999, std::nullopt).report(12000, 2000, 1000);
  EXPECT_FALSE(r.passed);
  EXPECT_FALSE(r.switch_ms);
  EXPECT_EQ(r.verdict, "traffic never left the primary path");
}

TEST(DrillTimeline, ASlowSwitchFails) {
  const DrillReport r = run(3000, 10040).report(12000, 2000, 1000);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.verdict, "traffic moved only after 3000 ms");
}

TEST(DrillTimeline, ASecondaryThatCarriesNothingFails) {
  const DrillReport r =
      run(40, 10040, [](std::int64_t at) { return at < 5000; }).report(12000, 2000, 1000);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.answered_while_held, 0u);
}

TEST(DrillTimeline, NoFailbackFails) {
  const DrillReport r = run(40, std::nullopt).report(12000, 2000, 1000);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.verdict, "traffic did not return to the primary path");
}

TEST(DrillTimeline, ReturningBeforeTheDrillEndsIsNotAFailback) {
  DrillTimeline t(5000);
  t.active_path(0, "l2tp-ipsec");
  t.active_path(3000, "wireguard");
  EXPECT_FALSE(t.failed_back());
  t.active_path(6000, "wireguard");
  EXPECT_TRUE(t.failed_back());
}

TEST(DrillTimeline, TheReportNamesEachFigure) {
  const std::string text =
      render_drill_text("hc0", 5000, 20, run(40, 10040).report(12000, 2000, 1000));
  EXPECT_NE(text.find("switch to the secondary: 40 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("failback to WireGuard: 5.0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("0 lost"), std::string::npos) << text;
  EXPECT_NE(text.find("PASS"), std::string::npos) << text;
}

}  // namespace
}  // namespace tandem::cli
