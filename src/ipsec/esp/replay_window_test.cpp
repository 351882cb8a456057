// The ESP anti-replay window: fresh, duplicate, reordered, too-old, and large jumps.
#include "ipsec/esp/replay_window.hpp"

#include <gtest/gtest.h>

namespace tandem::ipsec::esp {
namespace {

TEST(ReplayWindow, AcceptsEachNumberOnceInAnyOrderWithinTheWindow) {
  ReplayWindow w;
  EXPECT_FALSE(w.check(0));
  for (std::uint32_t s : {1u, 3u, 2u, 10u, 7u}) {
    ASSERT_TRUE(w.check(s)) << s;
    w.accept(s);
    EXPECT_FALSE(w.check(s)) << s;
  }
  EXPECT_TRUE(w.check(4));
  EXPECT_EQ(w.top(), 10u);
}

TEST(ReplayWindow, RefusesNumbersThatFellBehindTheWindow) {
  ReplayWindow w;
  w.accept(5000);
  EXPECT_TRUE(w.check(5000 - ReplayWindow::kWindow + 1));
  EXPECT_FALSE(w.check(5000 - ReplayWindow::kWindow));
  EXPECT_FALSE(w.check(1));
}

TEST(ReplayWindow, SlotsReusedAfterASlideStartEmpty) {
  ReplayWindow w;
  for (std::uint32_t s = 1; s <= 100; ++s) w.accept(s);
  // Sliding by less than a window clears the slots the new numbers take over.
  w.accept(100 + ReplayWindow::kWindow - 1);
  for (std::uint32_t s = 101; s < 100 + ReplayWindow::kWindow - 1; s += 37)
    EXPECT_TRUE(w.check(s)) << s;
  EXPECT_FALSE(w.check(100));
  // And by more than a window clears everything.
  w.accept(10 * ReplayWindow::kWindow);
  EXPECT_TRUE(w.check(10 * ReplayWindow::kWindow - 5));
  EXPECT_FALSE(w.check(10 * ReplayWindow::kWindow));
}

}  // namespace
}  // namespace tandem::ipsec::esp
