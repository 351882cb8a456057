// The system CSPRNG behind the Rng interface.
#include "crypto/random.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/constant_time.hpp"

namespace tandem::crypto {
namespace {

TEST(SystemRng, ProducesDifferentOutputs) {
  SystemRng rng;
  std::array<std::byte, 32> a{}, b{};
  rng.fill(a);
  rng.fill(b);
  EXPECT_NE(a, b);
  EXPECT_FALSE(constant_time_is_zero(a));
  EXPECT_NE(rng.next_u64(), rng.next_u64());
}

TEST(SystemRng, FillsLargeBuffersWithEveryByteValue) {
  SystemRng rng;
  std::vector<std::byte> buf(1 << 16);
  rng.fill(buf);
  std::array<int, 256> counts{};
  for (std::byte b : buf) ++counts[std::to_integer<std::size_t>(b)];
  // 256 expected per value; a value missing from 64 KiB would mean a broken source.
  for (std::size_t v = 0; v < counts.size(); ++v) EXPECT_GT(counts[v], 100) << v;
}

TEST(SystemRng, EmptyFillIsHarmless) {
  SystemRng rng;
  rng.fill({});
  SUCCEED();
}

}  // namespace
}  // namespace tandem::crypto
