#include "base/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tandem {
namespace {

enum class Why { kTooShort };

Result<int, Why> parse_len(int n) {
  if (n < 4) return Err{Why::kTooShort};
  return n * 2;
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_len(5);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 10);
  auto bad = parse_len(1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), Why::kTooShort);
}

TEST(Result, MovesOutValue) {
  Result<std::string, Why> r(std::string("abc"));
  std::string s = std::move(r).value();
  EXPECT_EQ(s, "abc");
}

}  // namespace
}  // namespace tandem
