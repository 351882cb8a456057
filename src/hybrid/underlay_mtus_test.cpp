#include "hybrid/underlay_mtus.hpp"

#include <gtest/gtest.h>

namespace tandem::hybrid {
namespace {

const IpAddress kPeer = *IpAddress::parse("192.0.2.7");
const TimePoint kStart{std::chrono::seconds(1000)};

TEST(UnderlayMtus, ReportIsKnownForThatPeerOnly) {
  UnderlayMtus m;
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.report(kPeer, 1280, kStart));
  EXPECT_EQ(m.lookup(kPeer, kStart), 1280u);
  EXPECT_FALSE(m.lookup(*IpAddress::parse("192.0.2.8"), kStart));
  ASSERT_EQ(m.known(kStart).size(), 1u);
  EXPECT_EQ(m.known(kStart)[0].path_mtu, 1280u);
}

TEST(UnderlayMtus, OnlyLowerReportsCount) {
  UnderlayMtus m;
  EXPECT_TRUE(m.report(kPeer, 1400, kStart));
  EXPECT_FALSE(m.report(kPeer, 1400, kStart));
  EXPECT_FALSE(m.report(kPeer, 1450, kStart));
  EXPECT_EQ(m.lookup(kPeer, kStart), 1400u);
  EXPECT_TRUE(m.report(kPeer, 1300, kStart));
  EXPECT_EQ(m.lookup(kPeer, kStart), 1300u);
}

TEST(UnderlayMtus, ForgottenAfterItsLifetimeUnlessReportedAgain) {
  UnderlayMtus m;
  m.report(kPeer, 1280, kStart);
  const TimePoint later = kStart + kUnderlayMtuLifetime - std::chrono::seconds(1);
  EXPECT_FALSE(m.report(kPeer, 1280, later));  // the same again: it holds from now on
  EXPECT_EQ(m.lookup(kPeer, later + std::chrono::seconds(5)), 1280u);
  EXPECT_FALSE(m.lookup(kPeer, later + kUnderlayMtuLifetime));
  EXPECT_TRUE(m.known(later + kUnderlayMtuLifetime).empty());
  // Once forgotten, a higher report is believed again.
  EXPECT_TRUE(m.report(kPeer, 1400, later + kUnderlayMtuLifetime));
  EXPECT_EQ(m.lookup(kPeer, later + kUnderlayMtuLifetime), 1400u);
}

TEST(UnderlayMtus, ReportsBelowTheFloorCountAsTheFloor) {
  UnderlayMtus m;
  m.report(kPeer, 68, kStart);
  EXPECT_EQ(m.lookup(kPeer, kStart), 552u);
  const IpAddress v6 = *IpAddress::parse("2001:db8::1");
  m.report(v6, 1000, kStart);
  EXPECT_EQ(m.lookup(v6, kStart), 1280u);
}

}  // namespace
}  // namespace tandem::hybrid
