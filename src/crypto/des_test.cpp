// Single DES known answers and MS-CHAP's key expansion (RFC 2759 section 8.6).
#include "crypto/des.hpp"

#include <gtest/gtest.h>

#include <bit>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex_array;

std::string encrypt(std::string_view key, std::string_view block) {
  const auto k = unhex_array<kDesKeySize>(key);
  const auto c = des_ecb_encrypt_block(k, unhex_array<kDesBlockSize>(block));
  return c ? hex(*c) : std::string(to_string(c.error()));
}

TEST(Des, EncryptsTheClassicWorkedExample) {
  EXPECT_EQ(encrypt("133457799bbcdff1", "0123456789abcdef"), "85e813540f0ab405");
}

TEST(Des, EncryptsTheFips81EcbExample) {
  // FIPS 81 appendix B: "Now is t" under key 0123456789ABCDEF.
  EXPECT_EQ(encrypt("0123456789abcdef", "4e6f772069732074"), "3fa40e8a984d4815");
}

TEST(Des, IgnoresParityBits) {
  // The same 56 key bits with every parity bit flipped.
  EXPECT_EQ(encrypt("123556789abddef0", "0123456789abcdef"), "85e813540f0ab405");
}

TEST(Des, KeyExpansionSpreadsSevenBitsPerByteWithOddParity) {
  const auto expand = [](std::string_view h) {
    return hex(des_key_from_56_bits(unhex_array<kDesKeyBitsSize>(h)).bytes());
  };
  EXPECT_EQ(expand("00000000000000"), "0101010101010101");
  EXPECT_EQ(expand("ffffffffffffff"), "fefefefefefefefe");
  // The three keys of RFC 2759 9.2 (its password hash, zero-padded to 21 bytes), expanded
  // independently with a few lines of python3.
  EXPECT_EQ(expand("44ebba8d5312b8"), "4575ef51d5984a70");
  EXPECT_EQ(expand("d611474411f569"), "d60851e9408fd5d3");
  EXPECT_EQ(expand("89ae0000000000"), "89d6800101010101");
}

TEST(Des, ExpandedKeysAlwaysHaveOddParity) {
  std::array<std::byte, kDesKeyBitsSize> key7{};
  for (unsigned seed = 0; seed < 256; ++seed) {
    for (std::size_t i = 0; i < key7.size(); ++i)
      key7[i] = static_cast<std::byte>((seed * 37 + i * 101) & 0xff);
    const DesKey key = des_key_from_56_bits(key7);  // a named key: bytes() views its storage
    for (const auto b : key.bytes())
      EXPECT_EQ(std::popcount(std::to_integer<unsigned>(b)) % 2, 1) << seed;
  }
}

}  // namespace
}  // namespace tandem::crypto
