#include "io/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace tandem::io {
namespace {

TEST(WorkerPool, CoversEveryIndexExactlyOnce) {
  WorkerPool pool(3);
  for (std::size_t count : {1u, 2u, 5u, 64u, 1000u}) {
    std::vector<std::atomic<int>> hits(count);
    pool.run(count, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    for (std::size_t i = 0; i < count; ++i) EXPECT_EQ(hits[i].load(), 1) << count << " " << i;
  }
}

TEST(WorkerPool, SpreadsWorkAcrossThreadsIncludingTheCaller) {
  WorkerPool pool(2);
  std::mutex m;
  std::set<std::thread::id> ids;
  std::atomic<int> arrived{0};
  pool.run(3, [&](std::size_t, std::size_t) {
    {
      std::lock_guard lock(m);
      ids.insert(std::this_thread::get_id());
    }
    // Hold each chunk until all three are running, proving they run at the same time.
    arrived.fetch_add(1);
    for (int spins = 0; arrived.load() < 3 && spins < 2'000'000; ++spins) std::this_thread::yield();
  });
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.count(std::this_thread::get_id()));
}

TEST(WorkerPool, RespectsMinimumChunk) {
  WorkerPool pool(3);
  std::atomic<int> calls{0};
  pool.run(
      10,
      [&](std::size_t b, std::size_t e) {
        calls.fetch_add(1);
        EXPECT_TRUE(e - b >= 8 || e == 10);
      },
      8);
  EXPECT_EQ(calls.load(), 2);
}

TEST(WorkerPool, WithoutWorkersRunsOnCallerInOneRange) {
  WorkerPool pool(0);
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  pool.run(17, [&](std::size_t b, std::size_t e) { ranges.emplace_back(b, e); });
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0], (std::pair<std::size_t, std::size_t>{0, 17}));
}

TEST(WorkerPool, ManyBackToBackRunsSumCorrectly) {
  WorkerPool pool(WorkerPool::default_worker_count() + 1);
  std::vector<std::uint64_t> data(256);
  for (int round = 0; round < 2000; ++round) {
    pool.run(data.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) data[i] += i;
    });
  }
  for (std::size_t i = 0; i < data.size(); ++i) ASSERT_EQ(data[i], 2000u * i);
}

}  // namespace
}  // namespace tandem::io
