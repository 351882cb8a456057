// Key text forms: base64 against RFC 4648 section 10 and the strict 32-byte key form `wg` accepts,
// hex as the UAPI writes it.
#include "crypto/key_encoding.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

// RFC 4648 section 10.
constexpr std::pair<std::string_view, std::string_view> kRfc4648Base64[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

// RFC 7748 section 6.1 Alice and Bob public keys, and their standard base64 (RFC 4648 section 4)
// as coreutils `base64` prints it.
constexpr std::string_view kAlicePublicHex =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kAlicePublicBase64 = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
constexpr std::string_view kBobPublicHex =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kBobPublicBase64 = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

std::string with_char(std::string_view text, std::size_t pos, char c) {
  std::string s(text);
  s[pos] = c;
  return s;
}

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : kRfc4648Base64)
    EXPECT_EQ(base64_encode(as_bytes(plain)), encoded) << plain;
}

TEST(Base64, EncodesAndDecodesKeys) {
  const std::pair<std::string_view, std::string_view> keys[] = {
      {kAlicePublicHex, kAlicePublicBase64}, {kBobPublicHex, kBobPublicBase64}};
  for (const auto& [key_hex, key_base64] : keys) {
    EXPECT_EQ(base64_encode(unhex(key_hex)), key_base64);
    const auto decoded = decode_key_base64(key_base64);
    ASSERT_TRUE(decoded) << key_base64;
    EXPECT_EQ(hex(*decoded), key_hex);
  }
}

TEST(Base64, RoundTripsEveryByteValue) {
  // Eight keys that between them hold every byte value.
  for (unsigned start = 0; start < 256; start += 32) {
    std::array<std::byte, 32> key;
    for (unsigned i = 0; i < 32; ++i) key[i] = std::byte(start + i);
    const auto decoded = decode_key_base64(base64_encode(key));
    ASSERT_TRUE(decoded) << start;
    EXPECT_EQ(*decoded, key);
  }
  const std::array<std::byte, 32> zero{};
  EXPECT_EQ(decode_key_base64(base64_encode(zero)), zero);
}

TEST(Base64, RejectsWrongLengths) {
  EXPECT_FALSE(decode_key_base64(""));
  EXPECT_FALSE(decode_key_base64(kAlicePublicBase64.substr(0, 43)));
  EXPECT_FALSE(decode_key_base64(std::string(kAlicePublicBase64) + "="));
  EXPECT_FALSE(decode_key_base64(std::string(kAlicePublicBase64) + "\n"));
  EXPECT_FALSE(decode_key_base64(" " + std::string(kAlicePublicBase64)));
  EXPECT_FALSE(decode_key_base64(kRfc4648Base64[6].second));
}

TEST(Base64, RejectsCharactersOutsideTheStandardAlphabet) {
  for (char c :
       {'*', '-', '_', ' ', '\n', '.', '\0', '\x80', '\xc3', '=', ':', '@', '[', '`', '{'}) {
    EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 5, c))) << int(c);
    EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 42, c))) << int(c);
  }
  // Both the first group and the last partial group are checked.
  EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 0, '!')));
  EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 41, '!')));
}

TEST(Base64, RejectsMissingOrMisplacedPadding) {
  EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 43, 'A')));
  // "==" would mean 31 bytes.
  EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 42, '=')));
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  // Alice's key ends in 'o' (40 = 101000b). 'p', 'q' and 'r' set the two padding bits, which
  // `wg` refuses: a key has exactly one spelling.
  for (char c : {'p', 'q', 'r'})
    EXPECT_FALSE(decode_key_base64(with_char(kAlicePublicBase64, 42, c))) << c;
  // 's' (44 = 101100b) keeps the padding bits clear: a different but valid key.
  EXPECT_TRUE(decode_key_base64(with_char(kAlicePublicBase64, 42, 's')));
}

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(hex_encode(unhex("00ff10abCD")), "00ff10abcd");
  EXPECT_EQ(hex_encode({}), "");
  std::array<std::byte, 16> all_digits;
  for (unsigned i = 0; i < 16; ++i) all_digits[i] = std::byte(i * 0x11);
  EXPECT_EQ(hex_encode(all_digits), "00112233445566778899aabbccddeeff");
}

TEST(Hex, DecodesKeysInEitherCase) {
  const auto lower = decode_key_hex(kAlicePublicHex);
  ASSERT_TRUE(lower);
  EXPECT_EQ(hex_encode(*lower), kAlicePublicHex);
  std::string upper(kAlicePublicHex);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(decode_key_hex(upper), lower);
  std::string mixed(kAlicePublicHex);
  mixed[2] = 'F';
  mixed[3] = '0';
  EXPECT_EQ(hex(*decode_key_hex(mixed)).substr(0, 4), "85f0");
}

TEST(Hex, RejectsWrongLengthsAndNonHexCharacters) {
  EXPECT_FALSE(decode_key_hex(""));
  EXPECT_FALSE(decode_key_hex(kAlicePublicHex.substr(1)));
  EXPECT_FALSE(decode_key_hex(std::string(kAlicePublicHex) + "0"));
  EXPECT_FALSE(decode_key_hex("0x" + std::string(kAlicePublicHex.substr(2))));
  for (char c : {'g', 'G', ' ', '/', ':', '@', '`', '\0', '\xe9'}) {
    EXPECT_FALSE(decode_key_hex(with_char(kAlicePublicHex, 0, c))) << int(c);
    EXPECT_FALSE(decode_key_hex(with_char(kAlicePublicHex, 63, c))) << int(c);
  }
}

}  // namespace
}  // namespace tandem::crypto
