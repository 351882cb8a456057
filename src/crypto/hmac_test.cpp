// HMAC against RFC 2202 (MD5, SHA-1) and RFC 4231 (SHA-2) test case 2, plus the truncations ESP
// uses: HMAC-SHA1-96 (RFC 2404) and HMAC-SHA-256-128 (RFC 4868) are the leftmost 12 and 16 bytes.
#include "crypto/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::unhex;

ByteView text(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(Hmac, MatchesTheRfcVectorsForEveryHash) {
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  const std::pair<HashAlgorithm, std::string> cases[] = {
      {HashAlgorithm::kMd5, "750c783e6ab0b503eaa86e310a5db738"},
      {HashAlgorithm::kSha1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {HashAlgorithm::kSha256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {HashAlgorithm::kSha384,
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfa"
       "b21649"},
      {HashAlgorithm::kSha512,
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8"
       "f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
  };
  for (const auto& [hash, expected] : cases) {
    auto mac = Hmac::create(hash, text(key));
    ASSERT_TRUE(mac);
    std::vector<std::byte> out(mac->size());
    ASSERT_TRUE(mac->compute({text(data)}, out));
    EXPECT_EQ(out, unhex(expected)) << expected;
    // Parts are concatenated, and the key survives for the next computation.
    std::vector<std::byte> again(mac->size());
    ASSERT_TRUE(mac->compute({text(data.substr(0, 9)), {}, text(data.substr(9))}, again));
    EXPECT_EQ(again, out);
  }
}

TEST(Hmac, TruncatesToTheLeftmostBytes) {
  auto sha1 = Hmac::create(HashAlgorithm::kSha1, std::vector<std::byte>(20, std::byte{0x0b}));
  ASSERT_TRUE(sha1);
  std::array<std::byte, 12> icv{};
  ASSERT_TRUE(sha1->compute({text("Hi There")}, icv));
  EXPECT_EQ(std::vector<std::byte>(icv.begin(), icv.end()), unhex("b617318655057264e28bc0b6"));
  auto sha256 = Hmac::create(HashAlgorithm::kSha256, text("Jefe"));
  std::array<std::byte, 16> icv16{};
  ASSERT_TRUE(sha256->compute({text("what do ya want for nothing?")}, icv16));
  EXPECT_EQ(std::vector<std::byte>(icv16.begin(), icv16.end()),
            unhex("5bdcc146bf60754e6a042426089575c7"));
  std::vector<std::byte> too_long(33);
  EXPECT_FALSE(sha256->compute({text("x")}, too_long));
}

// FIPS 180-2 appendix examples: "abc", split across parts to check they are concatenated.
TEST(Digest, MatchesTheFipsExamplesForEveryHash) {
  EXPECT_EQ(digest(HashAlgorithm::kSha1, {text("a"), text("bc")}),
            unhex("a9993e364706816aba3e25717850c26c9cd0d89d"));
  EXPECT_EQ(digest(HashAlgorithm::kSha256, {text("ab"), text("c")}),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(digest(HashAlgorithm::kSha384, {text("abc")}),
            unhex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                  "8086072ba1e7cc2358baeca134c825a7"));
  EXPECT_EQ(digest(HashAlgorithm::kSha512, {text(""), text("abc")}),
            unhex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
}

}  // namespace
}  // namespace tandem::crypto
