// Known answers for the IKEv1 derivations. The expected values were computed independently with
// Python's hmac and hashlib modules, following RFC 2409 sections 5 and 5.5 and appendix B, from
// the inputs below (byte ranges, so that any mix-up of order or length changes the answer).
#include "ipsec/ike/v1/keys.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "crypto/test_hex.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

using crypto::testing::unhex;

std::vector<std::byte> range(int first, int count) {
  std::vector<std::byte> out(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = std::byte(first + i);
  return out;
}

const std::string kPsk = "tandem-test-psk";
ByteView psk() {
  return std::as_bytes(std::span(kPsk.data(), kPsk.size()));
}
constexpr std::uint64_t kCkyI = 0x0102030405060708;
constexpr std::uint64_t kCkyR = 0x1112131415161718;
constexpr std::uint32_t kMid = 0xa1b2c3d4;

TEST(Ikev1Keys, Sha1Phase1KeysStretchSkeyidEForAes256) {
  const auto k = derive_phase1_keys(Hash::kSha1, psk(), range(0, 32), range(32, 32), range(128, 32),
                                    kCkyI, kCkyR, 32);
  EXPECT_EQ(k.skeyid, unhex("f90b2f624fce8f57417fc320f1a5a7e8bce4f3af"));
  EXPECT_EQ(k.skeyid_d, unhex("7288afd890487db22b17a61bf28f4d35a7aea0e3"));
  EXPECT_EQ(k.skeyid_a, unhex("ec1fcd2cfe3e819136ba02c5f9f8c08fd0f1cc8a"));
  EXPECT_EQ(k.skeyid_e, unhex("ed716855a28433470d0d6357af20398e0dee14a7"));
  // 20 bytes of SKEYID_e are too few for AES-256: appendix B's K1 | K2.
  EXPECT_EQ(k.encryption,
            unhex("f9d388d0c1f24c0b1e0b6e9d021145ab7a1066823cf8172a41ace8f80f1c98e5"));
}

TEST(Ikev1Keys, Sha256Phase1KeysUseSkeyidEDirectly) {
  const auto k = derive_phase1_keys(Hash::kSha256, psk(), range(0, 32), range(32, 32),
                                    range(128, 32), kCkyI, kCkyR, 32);
  EXPECT_EQ(k.skeyid, unhex("851525a5916e2865e0a4d0142fd93d13a68e15eae0b62b1eca8f8c9803a6711b"));
  EXPECT_EQ(k.skeyid_d, unhex("d0efceb2bf0d79236bc19224eaa4251318bdb9643c288bf7ff3f672ba118f575"));
  EXPECT_EQ(k.skeyid_a, unhex("98a8af7701bf8227701bd5a1b108fcb6572ad0098a0f320c3718f3dd657578d1"));
  EXPECT_EQ(k.skeyid_e, unhex("d9793286a8b8379ce15d64219cca28d3fb0da4abbae70072f16a57d5224757e7"));
  EXPECT_EQ(k.encryption, k.skeyid_e);
  // AES-128 takes the leading half.
  EXPECT_EQ(encryption_key(Hash::kSha256, k.skeyid_e, 16),
            std::vector<std::byte>(k.skeyid_e.begin(), k.skeyid_e.begin() + 16));
}

TEST(Ikev1Keys, Phase1AndPhase2Ivs) {
  EXPECT_EQ(phase1_iv(Hash::kSha1, range(64, 32), range(96, 32), 16),
            unhex("08f42ca259cf121d2ea9cd8b6c5b24c8"));
  EXPECT_EQ(phase2_iv(Hash::kSha1, range(200, 16), kMid, 16),
            unhex("b3bd1e94c49ff20a6621699980b07ab2"));
}

TEST(Ikev1Keys, MainModeHashesSwapTheirOrder) {
  const auto skeyid = range(1, 20);
  const auto sai = unhex("00000001000000010000002c");
  EXPECT_EQ(hash_i(Hash::kSha1, skeyid, range(64, 32), range(96, 32), kCkyI, kCkyR, sai,
                   unhex("01000000c0a80001")),
            unhex("7750e62f5dbebbd83b5271a6c177a778e3095bef"));
  EXPECT_EQ(hash_r(Hash::kSha1, skeyid, range(64, 32), range(96, 32), kCkyI, kCkyR, sai,
                   unhex("01000000c0a80002")),
            unhex("41b695a09db1d5757351155399b2bfc57738b6a8"));
}

TEST(Ikev1Keys, QuickModeHashes) {
  const auto a = range(50, 20);
  EXPECT_EQ(quick_hash_1(Hash::kSha1, a, kMid, range(0, 40)),
            unhex("dc30df585f263196ed8a556a47f5a1ba8537737d"));
  EXPECT_EQ(quick_hash_2(Hash::kSha1, a, kMid, range(0, 32), range(0, 40)),
            unhex("72d39d5482b220002acc8ffd23d8f201f0aa84e3"));
  EXPECT_EQ(quick_hash_3(Hash::kSha1, a, kMid, range(0, 32), range(32, 32)),
            unhex("620f8acdbbeef28a03166c4c40213af9d4f9d6b4"));
}

TEST(Ikev1Keys, KeymatChainsBlocksWithAndWithoutPfs) {
  const auto d = range(90, 20);
  // 52 bytes: an AES-256 key and an HMAC-SHA1 key, three SHA-1 blocks.
  EXPECT_EQ(keymat(Hash::kSha1, d, std::nullopt, 3, 0xc0ffee01, range(0, 32), range(32, 32), 52),
            unhex("84d89bfff2be547382176e8ec8b59d7567f7c11beaa07bbce0d8816e239da1b957911506"
                  "dd16d058453ecfa2e9baa17cdb3dfee2"));
  const auto g_xy = range(128, 32);
  EXPECT_EQ(keymat(Hash::kSha1, d, ByteView(g_xy), 3, 0xc0ffee01, range(0, 32), range(32, 32), 36),
            unhex("f69d7c22a1c489215191e2bfa84e53e198e0562c9bf40cb6ecbfb9ed54878f275bf3237f"));
}

TEST(Ikev1Keys, OnlySha1AndSha2AreHashes) {
  EXPECT_FALSE(hash_from_id(1).has_value());  // MD5
  EXPECT_FALSE(hash_from_id(3).has_value());  // Tiger
  EXPECT_EQ(hash_from_id(4), Hash::kSha256);
  EXPECT_EQ(hash_size(Hash::kSha384), 48U);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v1
