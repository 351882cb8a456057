// MD4 (RFC 1320 A.5), MD5 (RFC 1321 A.5) and SHA-1 (FIPS 180 examples) known answers, one-shot
// and incremental.
#include "crypto/legacy_digest.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;

struct Vector {
  const char* input;
  const char* digest;
};

// RFC 1320 A.5.
constexpr Vector kMd4Suite[] = {
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

// RFC 1321 A.5.
constexpr Vector kMd5Suite[] = {
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

// FIPS 180 examples: one block, two blocks (448 bits), and a million 'a'.
constexpr Vector kSha1Examples[] = {
    {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
};
constexpr const char* kSha1MillionA = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";

TEST(LegacyDigest, Md4MatchesRfc1320TestSuite) {
  for (const auto& v : kMd4Suite) {
    const auto digest = md4(as_bytes(v.input));
    ASSERT_TRUE(digest) << to_string(digest.error());
    EXPECT_EQ(hex(*digest), v.digest) << v.input;
  }
}

TEST(LegacyDigest, Md5MatchesRfc1321TestSuite) {
  for (const auto& v : kMd5Suite) EXPECT_EQ(hex(md5(as_bytes(v.input))), v.digest) << v.input;
}

TEST(LegacyDigest, Sha1MatchesFips180Examples) {
  for (const auto& v : kSha1Examples) EXPECT_EQ(hex(sha1(as_bytes(v.input))), v.digest) << v.input;
  EXPECT_EQ(hex(sha1(as_bytes(std::string(1'000'000, 'a')))), kSha1MillionA);
}

TEST(LegacyDigest, IncrementalMd5MatchesOneShotForEverySplit) {
  for (const auto& v : kMd5Suite) {
    const std::string_view input = v.input;
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
      Md5 h;
      h.update(as_bytes(input.substr(0, cut))).update(as_bytes(input.substr(cut)));
      EXPECT_EQ(hex(h.finish()), v.digest) << input << " cut at " << cut;
    }
  }
}

TEST(LegacyDigest, IncrementalSha1MatchesFips180MillionA) {
  // 1,000,000 = 15,625 pieces of 64 'a': the block boundary falls exactly on each piece.
  const std::string piece(64, 'a');
  Sha1 h;
  for (int i = 0; i < 15'625; ++i) h.update(as_bytes(piece));
  EXPECT_EQ(hex(h.finish()), kSha1MillionA);
}

TEST(LegacyDigest, FinishStartsOverWithEmptyInput) {
  Sha1 h;
  h.update(as_bytes("not part of the next digest"));
  (void)h.finish();
  EXPECT_EQ(hex(h.update(as_bytes("abc")).finish()), kSha1Examples[0].digest);
  EXPECT_EQ(hex(h.finish()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");  // SHA-1("")
}

TEST(LegacyDigest, MovedDigestKeepsItsState) {
  Md5 a;
  a.update(as_bytes("message "));
  Md5 b = std::move(a);
  b.update(as_bytes("digest"));
  EXPECT_EQ(hex(b.finish()), "f96b697d7cb7938d525a2f31aaf161d0");
}

}  // namespace
}  // namespace tandem::crypto
