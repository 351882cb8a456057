// Key text forms, TAI64N, constant-time helpers, the system RNG and secure wipe.
#include <gtest/gtest.h>

#include "crypto/constant_time.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "crypto/tai64n.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

// RFC 7748 section 6.1 Alice public key and its base64 form as `wg pubkey` prints it.
constexpr std::string_view kAlicePublicHex =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kAlicePublicBase64 = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

TEST(KeyEncoding, Base64RoundTrip) {
  const auto bytes = unhex(kAlicePublicHex);
  EXPECT_EQ(base64_encode(bytes), kAlicePublicBase64);
  auto decoded = decode_key_base64(kAlicePublicBase64);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(hex(*decoded), kAlicePublicHex);
}

TEST(KeyEncoding, Base64RejectsWrongLengthCharactersAndNonCanonicalPadding) {
  EXPECT_FALSE(decode_key_base64(kAlicePublicBase64.substr(0, 43)));
  EXPECT_FALSE(decode_key_base64(std::string(kAlicePublicBase64) + "="));
  std::string bad(kAlicePublicBase64);
  bad[5] = '*';
  EXPECT_FALSE(decode_key_base64(bad));
  // 'o' -> 'p' changes only the two padding bits of the last digit.
  std::string noncanonical(kAlicePublicBase64);
  noncanonical[42] = 'p';
  EXPECT_FALSE(decode_key_base64(noncanonical));
  std::string no_pad(kAlicePublicBase64);
  no_pad[43] = 'A';
  EXPECT_FALSE(decode_key_base64(no_pad));
}

TEST(KeyEncoding, HexRoundTripAcceptsEitherCase) {
  auto lower = decode_key_hex(kAlicePublicHex);
  ASSERT_TRUE(lower);
  EXPECT_EQ(hex_encode(*lower), kAlicePublicHex);
  std::string upper(kAlicePublicHex);
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(decode_key_hex(upper), lower);
  EXPECT_FALSE(decode_key_hex(upper.substr(1)));
  upper[0] = 'g';
  EXPECT_FALSE(decode_key_hex(upper));
}

TEST(Tai64n, EncodesSecondsWithTaiOffsetAndNanoseconds) {
  const WallTime t = WallTime(std::chrono::seconds(1'000'000'000) + std::chrono::nanoseconds(5));
  // 2^62 + 10 + 1e9 = 0x400000003b9aca0a; 5 ns.
  EXPECT_EQ(hex(tai64n(t)), "400000003b9aca0a00000005");
}

TEST(Tai64n, LaterTimesCompareGreaterBytewise) {
  const WallTime t = WallTime(std::chrono::seconds(1'700'000'000));
  const auto a = tai64n(t);
  const auto b = tai64n(t + std::chrono::nanoseconds(1));
  const auto c = tai64n(t + std::chrono::seconds(1));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(ConstantTime, ComparesContentsAndLength) {
  const auto a = unhex("00112233");
  auto b = a;
  EXPECT_TRUE(constant_time_equal(a, b));
  b[3] = std::byte{0x34};
  EXPECT_FALSE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, std::span(a).first(3)));
  EXPECT_TRUE(constant_time_is_zero(unhex("000000")));
  EXPECT_FALSE(constant_time_is_zero(unhex("000100")));
}

TEST(SystemRng, ProducesDifferentOutputs) {
  SystemRng rng;
  std::array<std::byte, 32> a{}, b{};
  rng.fill(a);
  rng.fill(b);
  EXPECT_NE(a, b);
  EXPECT_FALSE(constant_time_is_zero(a));
}

TEST(Secret, WipeZeroesTheBytes) {
  Key32 key;
  for (auto& b : key.bytes()) b = std::byte{0xaa};
  key.wipe();
  EXPECT_TRUE(constant_time_is_zero(key.bytes()));
}

}  // namespace
}  // namespace tandem::crypto
