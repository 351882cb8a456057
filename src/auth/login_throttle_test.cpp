#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

namespace tandem::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const IpAddress kHome = *IpAddress::parse("192.0.2.10");
const IpAddress kOffice = *IpAddress::parse("198.51.100.7");

ThrottleSettings small() {
  ThrottleSettings s;
  s.free_failures = 2;
  s.delay = seconds(1);
  s.max_delay = seconds(8);
  s.user_lockout_after = 8;
  s.source_lockout_after = 20;
  s.lockout = minutes(10);
  s.forget_after = minutes(15);
  return s;
}

class LoginThrottleTest : public ::testing::Test {
 protected:
  // A failure now, and the wait it started (0 s: none).
  Duration fail(const std::string& user, const IpAddress& from = kHome) {
    auto events = throttle_.failed(user, from, now_);
    Duration longest{};
    for (const auto& e : events) longest = std::max(longest, e.wait);
    return longest;
  }
  bool allowed(const std::string& user, const IpAddress& from = kHome) {
    return throttle_.check(user, from, now_).allowed;
  }

  LoginThrottle throttle_{small()};
  TimePoint now_{seconds(1000)};
};

TEST_F(LoginThrottleTest, FreeFailuresThenADelayThatDoublesUpToTheMaximum) {
  EXPECT_EQ(fail("alice"), Duration{});
  EXPECT_TRUE(allowed("alice"));
  EXPECT_EQ(fail("alice"), Duration{});
  EXPECT_TRUE(allowed("alice"));
  std::vector<Duration> waits;
  for (int i = 0; i < 5; ++i) {
    waits.push_back(fail("alice"));
    EXPECT_FALSE(allowed("alice"));
    now_ += waits.back();
    EXPECT_TRUE(allowed("alice")) << "after waiting " << waits.back().count();
  }
  EXPECT_EQ(waits,
            (std::vector<Duration>{seconds(1), seconds(2), seconds(4), seconds(8), seconds(8)}));
}

TEST_F(LoginThrottleTest, ARefusalCountsNothingAndOnlyTheFirstIsWorthReporting) {
  for (int i = 0; i < 3; ++i) fail("alice");
  auto first = throttle_.check("alice", kHome, now_);
  ASSERT_FALSE(first.allowed);
  EXPECT_TRUE(first.first_refusal);
  EXPECT_EQ(first.scope, ThrottleScope::kUser);
  EXPECT_FALSE(first.locked_out);
  EXPECT_EQ(first.reason, "user alice: 3 failed logins, next attempt allowed in 1 s");
  for (int i = 0; i < 100; ++i) {
    auto again = throttle_.check("alice", kHome, now_);
    EXPECT_FALSE(again.allowed);
    EXPECT_FALSE(again.first_refusal);
  }
  // A hundred refusals later the delay is still the first one.
  now_ += seconds(1);
  EXPECT_TRUE(allowed("alice"));
}

TEST_F(LoginThrottleTest, ANameIsLockedOutAfterItsLimitAndStartsAfreshAfterTheLockout) {
  std::vector<ThrottleEvent> events;
  for (int i = 0; i < 8; ++i) {
    now_ += seconds(10);  // past every delay: each failure reaches the count
    events = throttle_.failed("alice", kHome, now_);
  }
  // The name's lockout; kHome, at 8 of its 20, is only held back.
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].scope, ThrottleScope::kUser);
  EXPECT_TRUE(events[0].locked_out);
  EXPECT_EQ(events[0].key, "alice");
  EXPECT_EQ(events[0].failures, 8u);
  EXPECT_EQ(events[0].wait, minutes(10));
  EXPECT_EQ(events[1].scope, ThrottleScope::kSource);
  EXPECT_FALSE(events[1].locked_out);
  auto d = throttle_.check("alice", kOffice, now_);
  ASSERT_FALSE(d.allowed);  // from anywhere
  EXPECT_TRUE(d.locked_out);
  EXPECT_EQ(d.reason, "user alice: locked out after 8 failed logins, for 600 s more");
  now_ += minutes(10) - seconds(1);
  EXPECT_FALSE(allowed("alice"));
  now_ += seconds(1);
  EXPECT_TRUE(allowed("alice"));
  // Afresh: the free failures again (from kOffice: kHome's own count holds it back by now).
  EXPECT_EQ(fail("alice", kOffice), Duration{});
  EXPECT_TRUE(allowed("alice", kOffice));
}

TEST_F(LoginThrottleTest, AnotherNameFromAnotherAddressNeverWaitsForAFlood) {
  for (int i = 0; i < 50; ++i) {
    now_ += seconds(10);
    throttle_.failed("alice", kHome, now_);
  }
  EXPECT_FALSE(allowed("alice", kHome));
  EXPECT_FALSE(allowed("bob", kHome)) << "kHome itself is locked out by now";
  EXPECT_TRUE(allowed("bob", kOffice));
  const auto c = throttle_.counts(now_);
  EXPECT_EQ(c.users_locked, 1u);
  EXPECT_EQ(c.sources_locked, 1u);
}

TEST_F(LoginThrottleTest, AnAddressGuessingManyNamesIsLockedOutForAllOfThem) {
  std::vector<ThrottleEvent> events;
  for (int i = 0; i < 20; ++i) {
    now_ += seconds(10);
    events = throttle_.failed("user" + std::to_string(i), kHome, now_);
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().scope, ThrottleScope::kSource);
  EXPECT_EQ(events.back().key, "192.0.2.10");
  EXPECT_TRUE(events.back().locked_out);
  auto d = throttle_.check("carol", kHome, now_);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.scope, ThrottleScope::kSource);
  EXPECT_TRUE(allowed("carol", kOffice));
  EXPECT_TRUE(allowed("user3", kOffice)) << "each name failed once only";
}

TEST_F(LoginThrottleTest, SuccessClearsTheNameButNotTheAddress) {
  for (int i = 0; i < 3; ++i) fail("alice");
  now_ += seconds(10);
  ASSERT_TRUE(allowed("alice"));
  throttle_.succeeded("alice");
  EXPECT_EQ(fail("alice", kOffice), Duration{}) << "alice's count was cleared";
  // kHome keeps its 3; 17 more, under any names, lock it out.
  for (int i = 0; i < 17; ++i) {
    now_ += seconds(10);
    throttle_.failed("guess" + std::to_string(i), kHome, now_);
  }
  auto d = throttle_.check("dave", kHome, now_);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.locked_out);
  EXPECT_EQ(d.scope, ThrottleScope::kSource);
}

TEST_F(LoginThrottleTest, CountsLeftAloneAreForgotten) {
  for (int i = 0; i < 3; ++i) fail("alice");
  now_ += minutes(15);
  EXPECT_TRUE(allowed("alice"));
  EXPECT_EQ(fail("alice"), Duration{}) << "a failure after a quiet quarter hour is the first";
  throttle_.forget_old(now_ + minutes(15));
  EXPECT_EQ(throttle_.counts(now_).users_waiting, 0u);
}

TEST_F(LoginThrottleTest, AnIpv6SourceCountsByItsSlash64) {
  EXPECT_EQ(LoginThrottle::source_key(*IpAddress::parse("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64");
  for (int i = 0; i < 20; ++i) {
    now_ += seconds(10);
    // Another address of the same /64 each time.
    throttle_.failed("u" + std::to_string(i),
                     *IpAddress::parse("2001:db8:1:2::" + std::to_string(i + 1)), now_);
  }
  EXPECT_FALSE(allowed("bob", *IpAddress::parse("2001:db8:1:2:ffff::9")));
  EXPECT_TRUE(allowed("bob", *IpAddress::parse("2001:db8:1:3::1")));
}

TEST_F(LoginThrottleTest, NoNameLockoutMeansBackOffAloneAndDisabledMeansNothing) {
  auto s = small();
  s.user_lockout_after = 0;
  s.source_lockout_after = 0;
  throttle_.set_settings(s);
  for (int i = 0; i < 30; ++i) {
    now_ += seconds(10);
    for (const auto& e : throttle_.failed("alice", kHome, now_)) EXPECT_FALSE(e.locked_out);
  }
  EXPECT_FALSE(allowed("alice"));
  now_ += seconds(8);  // the maximum delay, however many failures
  EXPECT_TRUE(allowed("alice"));
  s.enabled = false;
  throttle_.set_settings(s);
  EXPECT_TRUE(throttle_.failed("alice", kHome, now_).empty());
  EXPECT_TRUE(allowed("alice"));
}

TEST_F(LoginThrottleTest, AFloodOfNewNamesKeepsTheTableBounded) {
  auto s = small();
  s.free_failures = 0;  // every failure holds its name back
  throttle_.set_settings(s);
  for (int i = 0; i < 20000; ++i) throttle_.failed("n" + std::to_string(i), std::nullopt, now_);
  const auto c = throttle_.counts(now_);
  EXPECT_GT(c.users_waiting, 10000u);
  EXPECT_LE(c.users_waiting, 16384u);
  EXPECT_FALSE(allowed("n0"));
}

}  // namespace
}  // namespace tandem::auth
