// The client address pool: range limits, lowest-free allocation, and stickiness per account.
#include "hybrid/address_pool.hpp"

#include <gtest/gtest.h>

namespace tandem::hybrid {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(AddressPool, HandsOutEveryAddressOnceThenRunsOut) {
  AddressPool pool(ip("10.77.0.10"), ip("10.77.0.12"));
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.allocate("a"), ip("10.77.0.10"));
  EXPECT_EQ(pool.allocate("b"), ip("10.77.0.11"));
  EXPECT_EQ(pool.allocate("c"), ip("10.77.0.12"));
  EXPECT_EQ(pool.in_use(), 3u);
  EXPECT_FALSE(pool.allocate("d"));
  pool.release(ip("10.77.0.11"));
  EXPECT_EQ(pool.allocate("d"), ip("10.77.0.11"));
}

TEST(AddressPool, AReturningAccountGetsItsPreviousAddress) {
  AddressPool pool(ip("10.77.0.10"), ip("10.77.0.20"));
  const auto alice = pool.allocate("alice");
  const auto bob = pool.allocate("bob");
  pool.release(*alice);
  const auto carol = pool.allocate("carol");
  EXPECT_NE(carol, alice) << "a newcomer should not take an address an absent account held";
  EXPECT_EQ(pool.allocate("alice"), alice);
  EXPECT_NE(bob, alice);
}

TEST(AddressPool, APreviousAddressInUseIsNotShared) {
  AddressPool pool(ip("10.77.0.10"), ip("10.77.0.20"));
  const auto first = pool.allocate("alice");
  const auto second = pool.allocate("alice");  // the same account logged in twice
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
}

TEST(AddressPool, IgnoresAddressesOutsideTheRangeAndDoubleReleases) {
  AddressPool pool(ip("10.77.0.10"), ip("10.77.0.11"));
  pool.release(ip("10.77.0.99"));
  pool.release(ip("fd00::1"));
  const auto a = pool.allocate("a");
  pool.release(*a);
  pool.release(*a);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_TRUE(pool.contains(ip("10.77.0.11")));
  EXPECT_FALSE(pool.contains(ip("10.77.0.12")));
  EXPECT_FALSE(pool.contains(ip("10.77.0.9")));
}

TEST(AddressPool, AReversedRangeIsEmpty) {
  AddressPool pool(ip("10.77.0.12"), ip("10.77.0.10"));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_FALSE(pool.allocate("a"));
}

}  // namespace
}  // namespace tandem::hybrid

namespace tandem::hybrid {
namespace {

TEST(AddressPool, ReservesAnAddressChosenElsewhereOnce) {
  AddressPool pool(*IpAddress::parse("10.0.0.10"), *IpAddress::parse("10.0.0.12"));
  EXPECT_TRUE(pool.reserve(*IpAddress::parse("10.0.0.11")));
  EXPECT_FALSE(pool.reserve(*IpAddress::parse("10.0.0.11")));
  // Outside the pool: none of its business.
  EXPECT_TRUE(pool.reserve(*IpAddress::parse("10.0.0.99")));
  EXPECT_EQ(pool.allocate("a"), IpAddress::parse("10.0.0.10"));
  EXPECT_EQ(pool.allocate("b"), IpAddress::parse("10.0.0.12"));
  EXPECT_FALSE(pool.allocate("c"));
  pool.release(*IpAddress::parse("10.0.0.11"));
  EXPECT_EQ(pool.allocate("c"), IpAddress::parse("10.0.0.11"));
}

}  // namespace
}  // namespace tandem::hybrid
