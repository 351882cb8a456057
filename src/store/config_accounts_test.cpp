// The store's accounts as the daemon reads [[account]] sections.
#include "store/config_accounts.hpp"

#include <gtest/gtest.h>

namespace tandem::store {
namespace {

TEST(ConfigAccounts, EndedKeysLeaveAndAnythingButActiveIsDisabled) {
  const WallTime now{std::chrono::hours(1000000)};
  AccountRecord a;
  a.name = "alice";
  a.ipv4 = *IpAddress::parse("10.77.0.10");
  a.ipv4_leased = true;
  WireguardKey ended;
  ended.public_key.fill(std::byte{1});
  ended.not_after = now - std::chrono::seconds(1);
  WireguardKey overlapping;
  overlapping.public_key.fill(std::byte{2});
  overlapping.not_after = now + std::chrono::hours(1);
  overlapping.preshared_key = crypto::Key32{};
  WireguardKey current;
  current.public_key.fill(std::byte{3});
  a.wireguard_keys = {ended, overlapping, current};
  a.ppp = PppCredential{*crypto::nt_password_hash("pw"), std::nullopt};
  AccountRecord b = a;
  b.name = "bob";
  b.state = AccountState::kRevoked;

  const auto accounts = config_accounts({a, b}, now);
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0].name, "alice");
  ASSERT_EQ(accounts[0].public_keys.size(), 2u) << "the ended key is left out";
  EXPECT_EQ(accounts[0].public_keys[0], overlapping.public_key);
  EXPECT_TRUE(accounts[0].preshared_key.has_value()) << "the first valid key's";
  EXPECT_EQ(accounts[0].ipv4, a.ipv4) << "a lease is written as the account's address";
  EXPECT_TRUE(accounts[0].nt_hash.has_value());
  EXPECT_FALSE(accounts[0].password.has_value());
  EXPECT_FALSE(accounts[0].disabled);
  EXPECT_TRUE(accounts[1].disabled) << "revoked";
}

TEST(ConfigAccounts, ThePlanComesFromThePoolsAndReservesTheGatewaysAddresses) {
  control::NodeConfig config;
  config.account_pool.v4_first = *IpAddress::parse("10.77.0.10");
  config.account_pool.v4_last = *IpAddress::parse("10.77.0.20");
  config.interface.emplace();
  config.interface->addresses.push_back({*IpAddress::parse("10.77.0.1"), 24});
  const auto plan = address_plan(config);
  EXPECT_EQ(plan.v4_first, config.account_pool.v4_first);
  EXPECT_EQ(plan.v4_last, config.account_pool.v4_last);
  ASSERT_EQ(plan.reserved.size(), 1u);
  EXPECT_EQ(plan.reserved[0], *IpAddress::parse("10.77.0.1"));
  EXPECT_FALSE(open_account_store(config)) << "no [accounts] store";
}

control::AccountConfig named(const char* name, bool disabled = false) {
  control::AccountConfig a{};
  a.name = name;
  a.disabled = disabled;
  return a;
}

std::vector<std::string> names_of(const std::vector<control::AccountConfig>& accounts) {
  std::vector<std::string> names;
  for (const auto& a : accounts) names.push_back(a.name + (a.disabled ? "(disabled)" : ""));
  return names;
}

TEST(ConfigAccounts, AChangeReplacesOnlyTheAccountsItNamesInTheirPlaces) {
  const std::vector<control::AccountConfig> running = {named("alice"), named("bob"), named("carol"),
                                                       named("dave")};
  // bob revoked, carol removed, erin added; alice and dave untouched (not even asked about).
  const auto next =
      with_changes(running, {"bob", "carol", "erin"}, {named("erin"), named("bob", true)});
  EXPECT_EQ(names_of(next), (std::vector<std::string>{"alice", "bob(disabled)", "dave", "erin"}));
  // A name the store has no more and the gateway never had: nothing.
  EXPECT_EQ(names_of(with_changes(running, {"zoe"}, {})), names_of(running));
}

}  // namespace
}  // namespace tandem::store
