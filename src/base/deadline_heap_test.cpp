// DeadlineHeap against a naive model: after any sequence of sets, moves and erasures, the
// earliest deadline and the keys taken as due are what walking every key would give.
#include "base/deadline_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace tandem {
namespace {

using std::chrono::milliseconds;

TEST(DeadlineHeap, TakesTheDueKeysInTimeOrderAndForgetsThem) {
  DeadlineHeap<int> heap;
  const TimePoint t0{};
  heap.set(1, t0 + milliseconds(30));
  heap.set(2, t0 + milliseconds(10));
  heap.set(3, t0 + milliseconds(20));
  heap.set(2, t0 + milliseconds(40));  // moved later: its old entry must not fire
  EXPECT_EQ(heap.next(), t0 + milliseconds(20));
  std::vector<int> due;
  heap.take_due(t0 + milliseconds(30), due);
  EXPECT_EQ(due, (std::vector<int>{3, 1}));
  EXPECT_EQ(heap.deadline(1), std::nullopt);
  EXPECT_EQ(heap.next(), t0 + milliseconds(40));
  heap.erase(2);
  EXPECT_EQ(heap.next(), std::nullopt);
  EXPECT_EQ(heap.size(), 0u);
}

TEST(DeadlineHeap, AgreesWithWalkingEveryKey) {
  std::mt19937 random(5);
  DeadlineHeap<int> heap;
  std::map<int, TimePoint> model;
  TimePoint now{};
  for (int step = 0; step < 20000; ++step) {
    const int key = static_cast<int>(random() % 50);
    switch (random() % 4) {
      case 0:
        heap.erase(key);
        model.erase(key);
        break;
      case 3: {
        now += milliseconds(random() % 5);
        std::vector<int> due;
        heap.take_due(now, due);
        std::vector<int> expected;
        for (const auto& [k, at] : model)
          if (at <= now) expected.push_back(k);
        for (const int k : expected) model.erase(k);
        std::sort(due.begin(), due.end());
        ASSERT_EQ(due, expected);
        break;
      }
      default: {
        const TimePoint at = now + milliseconds(random() % 100);
        heap.set(key, at);
        model[key] = at;
      }
    }
    std::optional<TimePoint> earliest;
    for (const auto& [k, at] : model)
      if (!earliest || at < *earliest) earliest = at;
    ASSERT_EQ(heap.next(), earliest);
    ASSERT_EQ(heap.size(), model.size());
  }
}

}  // namespace
}  // namespace tandem
