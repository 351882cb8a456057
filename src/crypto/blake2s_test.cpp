// BLAKE2s against RFC 7693 appendix B and the BLAKE2 reference known answers
// (github.com/BLAKE2/BLAKE2, testvectors/blake2-kat.json: input 00 01 .. n-1, unkeyed or with key
// 00 01 .. 1f). HMAC-BLAKE2s
// and the WireGuard KDF against RFC 2104 and the whitepaper's definition written out in the test
// from the plain hash.
#include "crypto/blake2s.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

struct SequenceKat {
  std::size_t input_length;  // the input is the bytes 00 01 02 .. input_length-1
  std::string_view hash;
};

// blake2-kat.json, "hash": "blake2s", "key": "". 64 and 65 bytes straddle the block boundary.
constexpr SequenceKat kUnkeyedKat[] = {
    {0, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"},
    {1, "e34d74dbaf4ff4c6abd871cc220451d2ea2648846c7757fbaac82fe51ad64bea"},
    {2, "ddad9ab15dac4549ba42f49d262496bef6c0bae1dd342a8808f8ea267c6e210c"},
    {64, "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e"},
    {65, "1b53ee94aaf34e4b159d48de352c7f0661d0a40edff95a0b1639b4090e974472"},
};

// blake2-kat.json, "hash": "blake2s", "key": "000102..1f".
constexpr SequenceKat kKeyedKat[] = {
    {0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"},
    {1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"},
    {2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"},
    {3, "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b"},
    {32, "c03bc642b20959cbe133a0303e0c1abff3e31ec8e1a328ec8565c36decff5265"},
    {63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"},
    {64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"},
    {65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"},
    {255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"},
};

// RFC 7693 appendix B: BLAKE2s-256("abc").
constexpr std::string_view kRfc7693Abc =
    "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982";

std::vector<std::byte> sequence(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(i & 0xff);
  return v;
}

TEST(Blake2s, HashesRfc7693Abc) {
  std::array<std::byte, 32> out;
  blake2s256({as_bytes("abc")}, out);
  EXPECT_EQ(hex(out), kRfc7693Abc);
}

TEST(Blake2s, MatchesReferenceUnkeyedKat) {
  for (const auto& [length, expected] : kUnkeyedKat) {
    std::array<std::byte, 32> out;
    blake2s256({sequence(length)}, out);
    EXPECT_EQ(hex(out), expected) << length;
  }
  std::array<std::byte, 32> empty;
  blake2s256({}, empty);
  EXPECT_EQ(hex(empty), kUnkeyedKat[0].hash);
}

TEST(Blake2s, PartsHashLikeTheirConcatenation) {
  const auto data = sequence(65);
  std::array<std::byte, 32> split;
  const ByteView all(data);
  blake2s256({all.first(1), all.subspan(1, 0), all.subspan(1, 63), all.subspan(64)}, split);
  EXPECT_EQ(hex(split), kUnkeyedKat[4].hash);

  const auto key = sequence(32);
  std::array<std::byte, 32> keyed;
  blake2s_keyed(key, {all.first(40), all.subspan(40)}, keyed);
  EXPECT_EQ(hex(keyed), kKeyedKat[7].hash);
}

TEST(Blake2s, KeyedMatchesReferenceKat) {
  const auto key = sequence(32);
  for (const auto& [length, expected] : kKeyedKat) {
    std::array<std::byte, 32> out;
    blake2s_keyed(key, {sequence(length)}, out);
    EXPECT_EQ(hex(out), expected) << length;
  }
}

TEST(Blake2s, KeyedOutputLengthIsPartOfTheHash) {
  const auto key = sequence(16);
  std::array<std::byte, 16> short_out;
  std::array<std::byte, 32> long_out;
  blake2s_keyed(key, {as_bytes("x")}, short_out);
  blake2s_keyed(key, {as_bytes("x")}, long_out);
  // WireGuard's MAC1 is a 16-byte BLAKE2s: a different function, not a truncated 32-byte one.
  EXPECT_FALSE(std::equal(short_out.begin(), short_out.end(), long_out.begin()));
}

TEST(Blake2s, ThreadsHashIndependently) {
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const auto& kat = kUnkeyedKat[(t + static_cast<std::size_t>(i)) % std::size(kUnkeyedKat)];
        std::array<std::byte, 32> out;
        blake2s256({sequence(kat.input_length)}, out);
        if (hex(out) != kat.hash) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// HMAC (RFC 2104) written out from the hash: BLAKE2s has a 64-byte block.
std::array<std::byte, 32> reference_hmac(ByteView key, ByteView data) {
  std::array<std::byte, 64> k{};
  if (key.size() > 64) {
    std::array<std::byte, 32> hashed_key;
    blake2s256({key}, hashed_key);
    std::copy(hashed_key.begin(), hashed_key.end(), k.begin());
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
  for (std::size_t key_length : {0u, 1u, 16u, 32u, 63u, 64u, 65u, 100u}) {
    const auto key = sequence(key_length);
    for (std::size_t data_length : {0u, 1u, 64u, 77u}) {
      const auto data = sequence(data_length);
      const ByteView all(data);
      std::array<std::byte, 32> out;
      const std::size_t cut = data_length / 3;
      hmac_blake2s(key, {all.first(cut), all.subspan(cut)}, out);
      EXPECT_EQ(out, reference_hmac(key, data)) << key_length << " " << data_length;
    }
  }
}

// The whitepaper's KDF_n(key, input): T0 = HMAC(key, input), T1 = HMAC(T0, 0x1),
// Ti = HMAC(T0, T(i-1) || i).
std::vector<std::array<std::byte, 32>> reference_kdf(ByteView ck, ByteView input, int n) {
  const auto t0 = reference_hmac(ck, input);
  std::vector<std::array<std::byte, 32>> out;
  std::vector<std::byte> message;
  for (int i = 1; i <= n; ++i) {
    message.push_back(std::byte(i));
    out.push_back(reference_hmac(t0, message));
    message.assign(out.back().begin(), out.back().end());
  }
  return out;
}

TEST(WireguardKdf, MatchesWhitepaperDefinition) {
  const auto ck = sequence(32);
  const std::span<const std::byte, 32> ck_view(ck.data(), 32);
  for (std::size_t input_length : {0u, 32u, 45u}) {
    const auto input = sequence(input_length);
    const auto expected = reference_kdf(ck, input, 3);
    std::array<std::byte, 32> t1, t2, t3;
    wireguard_kdf(ck_view, input, {t1, t2, t3});
    EXPECT_EQ(t1, expected[0]) << input_length;
    EXPECT_EQ(t2, expected[1]) << input_length;
    EXPECT_EQ(t3, expected[2]) << input_length;
  }
}

TEST(WireguardKdf, FewerOutputsAreAPrefixOfMore) {
  const auto ck = sequence(32);
  const std::span<const std::byte, 32> ck_view(ck.data(), 32);
  const auto input = sequence(45);
  const auto expected = reference_kdf(ck, input, 3);
  std::array<std::byte, 32> only;
  wireguard_kdf(ck_view, input, {only});
  EXPECT_EQ(only, expected[0]);
  std::array<std::byte, 32> a, b;
  wireguard_kdf(ck_view, input, {a, b});
  EXPECT_EQ(a, expected[0]);
  EXPECT_EQ(b, expected[1]);
}

TEST(WireguardKdf, OutputMayOverwriteTheChainingKey) {
  // Noise code writes the new chaining key over the old one: ck = KDF1(ck, input).
  const auto input = sequence(32);
  const auto initial = sequence(32);
  const auto expected = reference_kdf(initial, input, 2);
  std::array<std::byte, 32> ck;
  std::copy(initial.begin(), initial.end(), ck.begin());
  std::array<std::byte, 32> key;
  wireguard_kdf(ck, input, {ck, key});
  EXPECT_EQ(ck, expected[0]);
  EXPECT_EQ(key, expected[1]);
}

}  // namespace
}  // namespace tandem::crypto
