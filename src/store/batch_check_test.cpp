#include "store/batch_check.hpp"

#include <gtest/gtest.h>

#include "crypto/legacy_provider.hpp"

namespace tandem::store {
namespace {

IpAddress a4(std::uint8_t d) {
  return IpAddress::v4({10, 0, 0, d});
}

TEST(FreeAddresses, SkipsHeldReservedAndSubnetAddressesLowestFirst) {
  const auto free =
      free_addresses(a4(1), a4(20), {a4(1), a4(3)}, {a4(2)}, {*IpPrefix::parse("10.0.0.4/30")}, 3);
  EXPECT_EQ(free, (std::vector<IpAddress>{a4(8), a4(9), a4(10)}));
}

TEST(FreeAddresses, StopsAtTheEndOfThePool) {
  EXPECT_EQ(free_addresses(a4(254), a4(255), {}, {}, {}, 5).size(), 2u);
  const auto top = IpAddress::v4({255, 255, 255, 255});
  EXPECT_EQ(free_addresses(top, top, {}, {}, {}, 5), std::vector<IpAddress>{top});
}

TEST(LeaseRange, FollowsTheAccountTablesPools) {
  hybrid::AddressPlan plan;
  EXPECT_FALSE(lease_range(plan, IpAddress::Family::kV4));
  plan.v4_first = a4(10);
  plan.v4_last = a4(9);
  EXPECT_FALSE(lease_range(plan, IpAddress::Family::kV4)) << "first after last";
  plan.v6_pool = IpPrefix::parse("fd77::/112");
  const auto v6 = lease_range(plan, IpAddress::Family::kV6);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->first, IpAddress::parse("fd77::10"));
  EXPECT_EQ(v6->second, IpAddress::parse("fd77::ffff"));
  plan.v6_pool = IpPrefix::parse("fd77::/124");
  EXPECT_FALSE(lease_range(plan, IpAddress::Family::kV6)) << "no room above ::f";
}

TEST(CredentialFor, KeepsTheClearPasswordOnlyWhenAsked) {
  if (!crypto::legacy_algorithms_available()) GTEST_SKIP() << "no MD4 (OpenSSL legacy provider)";
  auto hashed = credential_for(PppLogin{"secret", {}, false});
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(hashed->nt_hash, *crypto::nt_password_hash("secret"));
  EXPECT_FALSE(hashed->password);
  auto kept = credential_for(PppLogin{"secret", {}, true});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->password, "secret");
  EXPECT_FALSE(credential_for(PppLogin{"\xff\xfe", {}, false}).ok()) << "not UTF-8";
}

TEST(CredentialFor, RefusesContradictoryLogins) {
  crypto::NtPasswordHash hash;
  EXPECT_FALSE(credential_for(PppLogin{}).ok());
  EXPECT_FALSE(credential_for(PppLogin{"pw", hash, false}).ok());
  EXPECT_FALSE(credential_for(PppLogin{{}, hash, true}).ok()) << "no password to keep";
  EXPECT_TRUE(credential_for(PppLogin{{}, hash, false}).ok());
}

}  // namespace
}  // namespace tandem::store
