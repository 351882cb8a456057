// Secret key storage and wiping.
#include "crypto/secret.hpp"

#include <gtest/gtest.h>

#include "crypto/constant_time.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

TEST(Secret, StartsZeroedAndCopiesFromASpan) {
  Key32 empty;
  EXPECT_TRUE(constant_time_is_zero(empty.bytes()));
  const auto bytes = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const Key32 key(std::span<const std::byte, 32>(bytes.data(), 32));
  EXPECT_EQ(hex(key.bytes()), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(Key32::size(), 32u);
}

TEST(Secret, WipeZeroesTheBytes) {
  Key32 key;
  for (auto& b : key.bytes()) b = std::byte{0xaa};
  key.wipe();
  EXPECT_TRUE(constant_time_is_zero(key.bytes()));
}

TEST(Secret, CopiesAreIndependent) {
  Key32 a;
  a.bytes()[0] = std::byte{1};
  Key32 b = a;
  a.wipe();
  EXPECT_EQ(b.bytes()[0], std::byte{1});
}

TEST(SecureWipe, ClearsOnlyTheGivenRange) {
  std::array<std::byte, 8> buf;
  buf.fill(std::byte{0xff});
  secure_wipe(std::span(buf).subspan(2, 4));
  EXPECT_EQ(hex(buf), "ffff00000000ffff");
  secure_wipe({});
  EXPECT_EQ(hex(buf), "ffff00000000ffff");
}

}  // namespace
}  // namespace tandem::crypto
