// Handshake rate limiting per source with a fake clock.
#include "wireguard/ratelimiter.hpp"

#include <gtest/gtest.h>

namespace tandem::wireguard {
namespace {

using namespace std::chrono_literals;
IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}

TEST(HandshakeRateLimiter, AllowsBurstThenLimits) {
  HandshakeRateLimiter rl;
  TimePoint now{10s};
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += rl.allow(A("192.0.2.1"), now);
  EXPECT_EQ(allowed, static_cast<int>(HandshakeRateLimiter::kPacketsBurstable));
}

TEST(HandshakeRateLimiter, RefillsAtTwentyPerSecond) {
  HandshakeRateLimiter rl;
  TimePoint now{10s};
  while (rl.allow(A("192.0.2.1"), now)) {
  }
  now += 50ms;
  EXPECT_TRUE(rl.allow(A("192.0.2.1"), now));
  EXPECT_FALSE(rl.allow(A("192.0.2.1"), now));
}

TEST(HandshakeRateLimiter, SourcesAreIndependent) {
  HandshakeRateLimiter rl;
  TimePoint now{10s};
  while (rl.allow(A("192.0.2.1"), now)) {
  }
  EXPECT_TRUE(rl.allow(A("192.0.2.2"), now));
}

TEST(HandshakeRateLimiter, Ipv6IsLimitedPerSlash64) {
  HandshakeRateLimiter rl;
  TimePoint now{10s};
  while (rl.allow(A("2001:db8:1:2::1"), now)) {
  }
  EXPECT_FALSE(rl.allow(A("2001:db8:1:2::ffff"), now));
  EXPECT_TRUE(rl.allow(A("2001:db8:1:3::1"), now));
}

TEST(HandshakeRateLimiter, TableIsBoundedAndIdleSourcesExpire) {
  HandshakeRateLimiter rl(4);
  TimePoint now{10s};
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(rl.allow(IpAddress::v4({10, 0, 0, static_cast<std::uint8_t>(i)}), now));
  EXPECT_FALSE(rl.allow(A("10.0.0.99"), now));
  EXPECT_EQ(rl.tracked_sources(), 4u);
  now += 2s;
  EXPECT_TRUE(rl.allow(A("10.0.0.99"), now));
  EXPECT_EQ(rl.tracked_sources(), 1u);
}

}  // namespace
}  // namespace tandem::wireguard
