// Diffie-Hellman for IKE: RFC 5903 section 8.1 (ECP-256) as a known answer in IKE's encodings;
// ECP-384 and MODP-2048 agreeing between two fresh key pairs with the right sizes; and invalid
// peer values refused.
#include "crypto/dh.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::unhex;

TEST(Dh, Ecp256MatchesRfc5903) {
  auto i = DhKeyPair::from_private(
      DhGroup::kEcp256, unhex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433"));
  auto r = DhKeyPair::from_private(
      DhGroup::kEcp256, unhex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53"));
  ASSERT_TRUE(i && r);
  EXPECT_EQ(i->public_value(),
            unhex("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
                  "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3"));
  EXPECT_EQ(r->public_value(),
            unhex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                  "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"));
  const auto expected = unhex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");
  EXPECT_EQ(i->shared_secret(r->public_value()), expected);
  EXPECT_EQ(r->shared_secret(i->public_value()), expected);
}

TEST(Dh, FreshKeyPairsAgreeInEveryGroup) {
  for (DhGroup g : {DhGroup::kModp1024, DhGroup::kModp2048, DhGroup::kEcp256, DhGroup::kEcp384}) {
    auto a = DhKeyPair::generate(g);
    auto b = DhKeyPair::generate(g);
    ASSERT_TRUE(a && b) << static_cast<int>(g);
    EXPECT_EQ(a->public_value().size(), dh_public_size(g));
    auto s1 = a->shared_secret(b->public_value());
    auto s2 = b->shared_secret(a->public_value());
    ASSERT_TRUE(s1 && s2) << static_cast<int>(g);
    EXPECT_EQ(*s1, *s2);
    EXPECT_EQ(s1->size(), g == DhGroup::kModp1024   ? 128u
                          : g == DhGroup::kModp2048 ? 256u
                          : g == DhGroup::kEcp256   ? 32u
                                                    : 48u);
  }
}

TEST(Dh, RefusesInvalidPeerValues) {
  auto ecp = DhKeyPair::generate(DhGroup::kEcp256);
  ASSERT_TRUE(ecp);
  auto off_curve = ecp->public_value();
  off_curve.back() ^= std::byte{1};
  EXPECT_FALSE(ecp->shared_secret(off_curve));
  EXPECT_FALSE(ecp->shared_secret(std::vector<std::byte>(63)));
  auto modp = DhKeyPair::generate(DhGroup::kModp2048);
  ASSERT_TRUE(modp);
  std::vector<std::byte> one(256);
  one.back() = std::byte{1};
  EXPECT_FALSE(modp->shared_secret(one)) << "y = 1 would make the secret predictable";
  EXPECT_FALSE(modp->shared_secret(std::vector<std::byte>(256)));
  auto weak = DhKeyPair::generate(DhGroup::kModp1024);
  ASSERT_TRUE(weak);
  std::vector<std::byte> one_1024(128);
  one_1024.back() = std::byte{1};
  EXPECT_FALSE(weak->shared_secret(one_1024));
  // p - 1 (all ones but the low bits of the RFC 2409 prime) is outside the valid range too.
  std::vector<std::byte> p_minus_1(128, std::byte{0xff});
  p_minus_1[127] = std::byte{0xfe};
  EXPECT_FALSE(weak->shared_secret(p_minus_1));
}

TEST(Dh, Group2IsSupportedButMarkedWeak) {
  EXPECT_TRUE(dh_group_supported(2));
  EXPECT_TRUE(dh_group_weak(2));
  EXPECT_FALSE(dh_group_weak(14));
  EXPECT_FALSE(dh_group_supported(1));
  EXPECT_FALSE(dh_group_supported(5));
}

}  // namespace
}  // namespace tandem::crypto
