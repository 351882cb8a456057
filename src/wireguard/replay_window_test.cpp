// The replay window: in-order, reordered, replayed, too-old and exhausted counters, and a
// randomized comparison with a naive set-based model.
#include "wireguard/replay_window.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace tandem::wireguard {
namespace {

TEST(ReplayWindow, AcceptsInOrderOnce) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < 100; ++c) ASSERT_TRUE(w.accept(c));
  for (std::uint64_t c = 0; c < 100; ++c) EXPECT_FALSE(w.accept(c));
}

TEST(ReplayWindow, AcceptsReorderingWithinWindow) {
  ReplayWindow w;
  const std::uint64_t top = 100000;
  EXPECT_TRUE(w.accept(top));
  EXPECT_TRUE(w.accept(top - 1));
  EXPECT_TRUE(w.accept(top - ReplayWindow::kWindowSize + 1));
  EXPECT_FALSE(w.accept(top - ReplayWindow::kWindowSize));
  EXPECT_FALSE(w.accept(top - 1));
}

TEST(ReplayWindow, MayAcceptDoesNotChangeState) {
  ReplayWindow w;
  EXPECT_TRUE(w.may_accept(5));
  EXPECT_TRUE(w.may_accept(5));
  EXPECT_TRUE(w.accept(5));
  EXPECT_FALSE(w.may_accept(5));
}

TEST(ReplayWindow, BigJumpForgetsEverythingOld) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < 64; ++c) w.accept(c);
  EXPECT_TRUE(w.accept(1'000'000));
  EXPECT_FALSE(w.accept(63));
  EXPECT_TRUE(w.accept(1'000'000 - 64));
  // A bit set before the jump must not leak into the slid window.
  EXPECT_TRUE(w.accept(1'000'000 - 1));
}

TEST(ReplayWindow, RejectsCountersAtRejectAfterMessages) {
  ReplayWindow w;
  EXPECT_FALSE(w.accept(ReplayWindow::kRejectAfterMessages));
  EXPECT_TRUE(w.accept(ReplayWindow::kRejectAfterMessages - 1));
  EXPECT_FALSE(w.accept(~0ull));
}

TEST(ReplayWindow, ResetStartsOver) {
  ReplayWindow w;
  w.accept(7);
  w.reset();
  EXPECT_TRUE(w.accept(7));
}

TEST(ReplayWindow, AgreesWithNaiveModel) {
  std::mt19937_64 rng(7);
  ReplayWindow w;
  std::set<std::uint64_t> seen;
  std::uint64_t greatest = 0;
  bool any = false;
  std::uint64_t base = 0;
  for (int i = 0; i < 200000; ++i) {
    // Mostly near the front, sometimes far behind or far ahead.
    const auto r = rng() % 100;
    if (r < 2) base += rng() % 20000;
    std::uint64_t c = base + rng() % 300;
    if (r >= 2 && r < 10 && c > 9000) c -= rng() % 9000;
    const bool expected =
        !seen.count(c) && (!any || c > greatest || greatest - c < ReplayWindow::kWindowSize);
    ASSERT_EQ(w.accept(c), expected) << "counter " << c << " step " << i;
    if (expected) {
      seen.insert(c);
      if (!any || c > greatest) greatest = c;
      any = true;
    }
  }
}

}  // namespace
}  // namespace tandem::wireguard
