// BLAKE2s against RFC 7693 appendix B and the BLAKE2 reference keyed vectors
// (blake2s-kat.txt, key 00..1f, inputs 00..n-1); HMAC and the WireGuard KDF against a
// construction written out in the test from the plain hash.
#include "crypto/blake2s.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

std::vector<std::byte> sequence(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(i);
  return v;
}

TEST(Blake2s, HashesRfc7693Abc) {
  std::array<std::byte, 32> out;
  blake2s256({as_bytes("abc")}, out);
  EXPECT_EQ(hex(out), "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

TEST(Blake2s, HashesEmptyInput) {
  std::array<std::byte, 32> out;
  blake2s256({}, out);
  EXPECT_EQ(hex(out), "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

TEST(Blake2s, PartsHashLikeTheirConcatenation) {
  std::array<std::byte, 32> joined, split;
  blake2s256({as_bytes("abc")}, joined);
  blake2s256({as_bytes("a"), as_bytes(""), as_bytes("bc")}, split);
  EXPECT_EQ(joined, split);
}

TEST(Blake2s, KeyedMatchesReferenceKat) {
  const auto key = sequence(32);
  const std::pair<std::size_t, std::string_view> kat[] = {
      {0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
      {1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
      {2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"},
      {3, "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b"},
  };
  for (const auto& [len, expected] : kat) {
    std::array<std::byte, 32> out;
    blake2s_keyed(key, {sequence(len)}, out);
    EXPECT_EQ(hex(out), expected) << len;
  }
}

TEST(Blake2s, KeyedOutputLengthIsPartOfTheHash) {
  const auto key = sequence(16);
  std::array<std::byte, 16> short_out;
  std::array<std::byte, 32> long_out;
  blake2s_keyed(key, {as_bytes("x")}, short_out);
  blake2s_keyed(key, {as_bytes("x")}, long_out);
  // A 16-byte BLAKE2s is a different function, not a truncation of the 32-byte one.
  EXPECT_FALSE(std::equal(short_out.begin(), short_out.end(), long_out.begin()));
}

// HMAC (RFC 2104) written out from the hash, block size 64.
std::array<std::byte, 32> reference_hmac(ByteView key, ByteView data) {
  std::array<std::byte, 64> k{};
  if (key.size() > 64) {
    std::array<std::byte, 32> hk;
    blake2s256({key}, hk);
    std::copy(hk.begin(), hk.end(), k.begin());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  std::array<std::byte, 64> ipad, opad;
  for (std::size_t i = 0; i < 64; ++i) {
    ipad[i] = k[i] ^ std::byte{0x36};
    opad[i] = k[i] ^ std::byte{0x5c};
  }
  std::array<std::byte, 32> inner, outer;
  blake2s256({ipad, data}, inner);
  blake2s256({opad, inner}, outer);
  return outer;
}

TEST(HmacBlake2s, MatchesRfc2104Construction) {
  for (std::size_t key_len : {0u, 16u, 32u, 64u, 100u}) {
    const auto key = sequence(key_len);
    const auto data = sequence(77);
    std::array<std::byte, 32> out;
    hmac_blake2s(key, {std::span(data).first(10), std::span(data).subspan(10)}, out);
    EXPECT_EQ(out, reference_hmac(key, data)) << key_len;
  }
}

TEST(WireguardKdf, MatchesWhitepaperDefinition) {
  const auto ck = sequence(32);
  const auto input = sequence(45);
  std::array<std::byte, 32> t1, t2, t3;
  wireguard_kdf(std::span<const std::byte, 32>(ck.data(), 32), input, {t1, t2, t3});
  const auto t0 = reference_hmac(ck, input);
  std::vector<std::byte> msg1 = {std::byte{1}};
  const auto e1 = reference_hmac(t0, msg1);
  std::vector<std::byte> msg2(e1.begin(), e1.end());
  msg2.push_back(std::byte{2});
  const auto e2 = reference_hmac(t0, msg2);
  std::vector<std::byte> msg3(e2.begin(), e2.end());
  msg3.push_back(std::byte{3});
  const auto e3 = reference_hmac(t0, msg3);
  EXPECT_EQ(t1, e1);
  EXPECT_EQ(t2, e2);
  EXPECT_EQ(t3, e3);
  // Asking for fewer outputs gives the same prefix.
  std::array<std::byte, 32> only;
  wireguard_kdf(std::span<const std::byte, 32>(ck.data(), 32), input, {only});
  EXPECT_EQ(only, e1);
}

}  // namespace
}  // namespace tandem::crypto
