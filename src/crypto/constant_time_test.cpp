// Constant-time equality and zero checks.
#include "crypto/constant_time.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::unhex;

TEST(ConstantTimeEqual, ComparesContents) {
  const auto a = unhex("00112233445566778899aabbccddeeff");
  auto b = a;
  EXPECT_TRUE(constant_time_equal(a, b));
  for (std::size_t i : {0u, 7u, 15u}) {
    auto c = a;
    c[i] ^= std::byte{0x01};
    EXPECT_FALSE(constant_time_equal(a, c)) << i;
  }
}

TEST(ConstantTimeEqual, DifferentLengthsAreNeverEqual) {
  const auto a = unhex("00112233");
  EXPECT_FALSE(constant_time_equal(a, std::span(a).first(3)));
  EXPECT_FALSE(constant_time_equal({}, a));
  EXPECT_TRUE(constant_time_equal({}, {}));
}

TEST(ConstantTimeIsZero, DetectsAnyNonZeroByte) {
  EXPECT_TRUE(constant_time_is_zero(unhex("000000")));
  EXPECT_TRUE(constant_time_is_zero({}));
  EXPECT_FALSE(constant_time_is_zero(unhex("800000")));
  EXPECT_FALSE(constant_time_is_zero(unhex("000100")));
  EXPECT_FALSE(constant_time_is_zero(unhex("000001")));
}

}  // namespace
}  // namespace tandem::crypto
