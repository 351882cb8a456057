// TAI64N as WireGuard sends it: big-endian 2^62 + 10 + Unix seconds, then big-endian nanoseconds.
#include "crypto/tai64n.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;

WallTime at(std::int64_t seconds, std::int64_t nanoseconds) {
  return WallTime(std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanoseconds));
}

TEST(Tai64n, EncodesTheUnixEpoch) {
  // 2^62 = 0x4000000000000000, plus the 10 s that wireguard-go and the kernel add.
  EXPECT_EQ(hex(tai64n(at(0, 0))), "400000000000000a00000000");
}

TEST(Tai64n, EncodesSecondsWithTaiOffsetAndNanoseconds) {
  // 2^62 + 10 + 1'000'000'000 = 0x400000003b9aca0a; 5 ns.
  EXPECT_EQ(hex(tai64n(at(1'000'000'000, 5))), "400000003b9aca0a00000005");
  // The largest nanosecond field: 999'999'999 = 0x3b9ac9ff.
  EXPECT_EQ(hex(tai64n(at(0, 999'999'999))), "400000000000000a3b9ac9ff");
}

TEST(Tai64n, LaterTimesCompareGreaterBytewise) {
  // Responders keep the greatest timestamp seen and compare bytes, so order must survive.
  const WallTime t = at(1'700'000'000, 0);
  const auto a = tai64n(t);
  const auto b = tai64n(t + std::chrono::nanoseconds(1));
  const auto c = tai64n(t + std::chrono::seconds(1) - std::chrono::nanoseconds(1));
  const auto d = tai64n(t + std::chrono::seconds(1));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
}

}  // namespace
}  // namespace tandem::crypto
