// MD4 (RFC 1320 A.5), MD5 (RFC 1321 A.5), SHA-1 (FIPS 180 examples) and DES known answers.
#include "crypto/legacy_digest.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

struct Vector {
  const char* input;
  const char* digest;
};

TEST(LegacyDigest, Md4MatchesRfc1320TestSuite) {
  ASSERT_TRUE(legacy_algorithms_available()) << "OpenSSL legacy provider missing";
  const Vector vectors[] = {
      {"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
      {"a", "bde52cb31de33e46245e05fbdbd6fb24"},
      {"abc", "a448017aaf21d8525fc10ae87aa6729d"},
      {"message digest", "d9130a8164549fe818874806e1c7014b"},
      {"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "043f8582f241db351ce627e153e7f0e4"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "e33b4ddc9c38f2199c3e7b164fcc0536"},
  };
  for (const auto& v : vectors) EXPECT_EQ(hex(*md4(as_bytes(v.input))), v.digest) << v.input;
}

TEST(LegacyDigest, Md5MatchesRfc1321TestSuite) {
  const Vector vectors[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& v : vectors) EXPECT_EQ(hex(md5(as_bytes(v.input))), v.digest) << v.input;
}

TEST(LegacyDigest, Sha1MatchesFips180Examples) {
  EXPECT_EQ(hex(sha1(as_bytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(LegacyDigest, DesEncryptsTheClassicKnownAnswer) {
  ASSERT_TRUE(legacy_algorithms_available()) << "OpenSSL legacy provider missing";
  DesBlock key{}, block{};
  const auto k = unhex("133457799bbcdff1");
  const auto p = unhex("0123456789abcdef");
  std::copy(k.begin(), k.end(), key.begin());
  std::copy(p.begin(), p.end(), block.begin());
  EXPECT_EQ(hex(*des_encrypt_block(key, block)), "85e813540f0ab405");
}

}  // namespace
}  // namespace tandem::crypto
