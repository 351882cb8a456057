#include "daemon/background_resolver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tandem::daemon {
namespace {

using std::chrono::milliseconds;

TEST(BackgroundResolver, BackoffDoublesFromOneSecondUpToSixty) {
  milliseconds d = BackgroundResolver::kFirstRetry;
  std::vector<long> seen;
  for (int i = 0; i < 8; ++i) {
    seen.push_back(static_cast<long>(d.count() / 1000));
    d = BackgroundResolver::next_delay(d, BackgroundResolver::kMaxRetry);
  }
  EXPECT_EQ(seen, (std::vector<long>{1, 2, 4, 8, 16, 32, 60, 60}));
}

TEST(BackgroundResolver, RetriesUntilTheNameResolvesThenHandsOverTheEndpoint) {
  std::atomic<int> attempts{0};
  std::mutex m;
  std::condition_variable cv;
  bool notified = false;
  BackgroundResolver resolver(
      [&](const std::string& host, std::uint16_t port) -> Result<Endpoint, std::string> {
        EXPECT_EQ(host, "peer.example");
        if (++attempts < 3) return Err(std::string("not yet"));
        return Endpoint{*IpAddress::parse("192.0.2.7"), port};
      },
      [&] {
        std::lock_guard lock(m);
        notified = true;
        cv.notify_all();
      },
      milliseconds(5), milliseconds(20));
  EXPECT_TRUE(resolver.take_resolved().empty());
  resolver.add({wireguard::PublicKey{}, "p", "peer.example", 51820});
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return notified; }));
  }
  auto done = resolver.take_resolved();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].endpoint.to_string(), "192.0.2.7:51820");
  EXPECT_EQ(done[0].request.peer_name, "p");
  EXPECT_EQ(attempts, 3);
  EXPECT_TRUE(resolver.take_resolved().empty());
}

TEST(BackgroundResolver, NeverNotifiesAfterItIsDestroyed) {
  std::atomic<bool> destroyed{false};
  std::atomic<bool> notified_late{false};
  std::atomic<bool> resolving{false};
  {
    BackgroundResolver resolver(
        [&](const std::string&, std::uint16_t port) -> Result<Endpoint, std::string> {
          resolving = true;
          while (!destroyed) std::this_thread::sleep_for(milliseconds(1));
          return Endpoint{*IpAddress::parse("192.0.2.7"), port};
        },
        [&] {
          if (destroyed) notified_late = true;
        },
        milliseconds(1), milliseconds(1));
    resolver.add({wireguard::PublicKey{}, "p", "slow.example", 1});
    while (!resolving) std::this_thread::sleep_for(milliseconds(1));
  }
  destroyed = true;
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(notified_late);
}

}  // namespace
}  // namespace tandem::daemon
