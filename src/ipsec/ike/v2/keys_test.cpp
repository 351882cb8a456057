// IKEv2 key derivation against values computed independently (Python's hmac module, following
// RFC 7296 2.13-2.15 and 2.17 step by step) for fixed nonces, SPIs and DH secrets: a new IKE SA
// with HMAC-SHA-256 and AES-GCM-256 keys, one with HMAC-SHA1 and AES-CBC/HMAC-SHA1 keys, a rekey,
// Child SA keys with and without PFS, and a pre-shared-key AUTH value.
#include "ipsec/ike/v2/keys.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "crypto/test_hex.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using crypto::testing::unhex;

std::vector<std::byte> run(std::uint8_t from, std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(from + i);
  return v;
}

const auto kNi = run(0, 32);
const auto kNr = run(32, 32);
const auto kGir = run(64, 32);
const auto kGirNew = run(128, 32);
constexpr std::uint64_t kSpiI = 0x0102030405060708ULL;
constexpr std::uint64_t kSpiR = 0x1112131415161718ULL;

TEST(Ikev2Keys, DerivesTheIkeSaKeysWithSha256AndGcm) {
  const auto k = derive_ike_sa_keys(Prf::kHmacSha256, kNi, kNr, kGir, kSpiI, kSpiR, {36, 0});
  EXPECT_EQ(k.sk_d, unhex("0c26341d77313c227236f4aebf29182f0629dbe10e8ac56347f067a8defc22d5"));
  EXPECT_TRUE(k.sk_ai.empty() && k.sk_ar.empty());
  EXPECT_EQ(k.sk_ei,
            unhex("8748594d3353b3e04121026ebf49d4a4907e2ae4eb2a9831832397da89af6f7968b67ce3"));
  EXPECT_EQ(k.sk_er,
            unhex("c70fad273ae0bbb34ee581341bbfd3303ab1d48166dde54604d0286bd75427665fbbb117"));
  EXPECT_EQ(k.sk_pi, unhex("f4d9f877d73606ca959fbdb34f746d24f8939191f8d3af60fc816d7edfca54ae"));
  EXPECT_EQ(k.sk_pr, unhex("0e23cdb44dc9e8476619d587774b27a4824b6c47d2e341e57237e03458c7e3e9"));

  const auto rekeyed = derive_rekeyed_ike_sa_keys(Prf::kHmacSha256, k.sk_d, kGirNew, kNi, kNr,
                                                  kSpiI, kSpiR, {36, 0});
  EXPECT_EQ(rekeyed.sk_d,
            unhex("c4d059de1f2b0afcb1bb6b2401bd6a4cf247fe12a0833bb6b1e353dbee6fb543"));
  EXPECT_EQ(rekeyed.sk_er,
            unhex("ee0665be00b00112cdb94cc5a76b06ebff3a0fc4a1f260a2938fa2a6a0190c2730863c70"));

  const auto child =
      derive_child_sa_keys(Prf::kHmacSha256, k.sk_d, std::nullopt, kNi, kNr, {20, 0});
  EXPECT_EQ(child.encryption_i2r, unhex("2b9b2f8d7f6469c5053114fe8b9f093e4c8d1156"));
  EXPECT_EQ(child.encryption_r2i, unhex("c64f995b9b6455e3a98772fa1f7a4aace2fe2358"));
  const auto pfs =
      derive_child_sa_keys(Prf::kHmacSha256, k.sk_d, ByteView(kGirNew), kNi, kNr, {20, 0});
  EXPECT_EQ(pfs.encryption_i2r, unhex("7b7dee39415867dda71db598882c5f13763b8352"));
  EXPECT_EQ(pfs.encryption_r2i, unhex("6f0523da409310abcf73b92357d82ec3df866b87"));

  const std::string id = "client";
  std::vector<std::byte> id_body{std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}};
  for (char c : id) id_body.push_back(std::byte(c));
  const std::string psk = "tandem-psk";
  EXPECT_EQ(psk_auth(Prf::kHmacSha256, as_bytes(psk), run(0, 100), kNr, k.sk_pi, id_body),
            unhex("b3febdf983be521b1acc56b882aac23661f2a9a6e3df0a1aad0737a1f9692061"));
}

TEST(Ikev2Keys, DerivesTheIkeSaKeysWithSha1AndCbc) {
  const auto k = derive_ike_sa_keys(Prf::kHmacSha1, kNi, kNr, kGir, kSpiI, kSpiR, {16, 20});
  EXPECT_EQ(k.sk_d, unhex("b9f91512e7304665f8bde203a085d034f9d21292"));
  EXPECT_EQ(k.sk_ai, unhex("9dfad333770a351956ea771cd22002ece12ad7ba"));
  EXPECT_EQ(k.sk_ar, unhex("8fbe5b41e171a4f9d25c7caa5eb3cc81740d482a"));
  EXPECT_EQ(k.sk_ei, unhex("3fa10402733669dfb85c4f6a12530f92"));
  EXPECT_EQ(k.sk_er, unhex("3bebbfbcc051f27864150fb3960f2ebd"));
  EXPECT_EQ(k.sk_pi, unhex("666b1b35369578f1213b47f283b5bd61b7862510"));
  EXPECT_EQ(k.sk_pr, unhex("6b0e0a0d6dfe063f4db38396b5bceb03f7b241b3"));
  const auto child = derive_child_sa_keys(Prf::kHmacSha1, k.sk_d, std::nullopt, kNi, kNr, {16, 20});
  EXPECT_EQ(child.encryption_i2r, unhex("11d0633584ac953aa3e14f3cae95d049"));
  EXPECT_EQ(child.integrity_i2r, unhex("a1e98f107aac22ecdf9f82bcb21511a38561a9d8"));
  EXPECT_EQ(child.encryption_r2i, unhex("a6311c8c191e18a749346d312a242cc4"));
  EXPECT_EQ(child.integrity_r2i, unhex("f2f62a330cf3d2840243472ea3524f821c880e84"));
}

TEST(Ikev2Keys, PrfPlusIsAPrefixChainAndStopsAt255Blocks) {
  const auto key = run(1, 20);
  const auto seed = run(9, 10);
  const auto long_one = prf_plus(Prf::kHmacSha256, key, seed, 100);
  const auto short_one = prf_plus(Prf::kHmacSha256, key, seed, 33);
  EXPECT_EQ(std::vector<std::byte>(long_one.begin(), long_one.begin() + 33), short_one);
  // T1 = prf(K, S | 0x01)
  std::vector<std::byte> s1 = seed;
  s1.push_back(std::byte{1});
  EXPECT_EQ(std::vector<std::byte>(long_one.begin(), long_one.begin() + 32),
            prf(Prf::kHmacSha256, key, {s1}));
  EXPECT_EQ(prf_plus(Prf::kHmacSha1, key, seed, 100000).size(), 255u * 20u);
}

TEST(Ikev2Keys, KnowsOnlyTheHmacPrfs) {
  EXPECT_EQ(prf_from_id(5), Prf::kHmacSha256);
  EXPECT_EQ(prf_from_id(2), Prf::kHmacSha1);
  EXPECT_FALSE(prf_from_id(4)) << "AES-XCBC-PRF-128 is not offered";
  EXPECT_FALSE(prf_from_id(1)) << "HMAC-MD5 is not offered";
  EXPECT_EQ(prf_size(Prf::kHmacSha384), 48u);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
