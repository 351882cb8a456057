#include "store/account_table.hpp"

#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

TEST_F(StoreTest, TableFromStoreGivesEveryAccountItsStoredAddress) {
  auto store = open_store();
  ASSERT_TRUE(store);
  for (std::uint32_t i = 0; i < 3; ++i)
    ASSERT_TRUE(store->add_account(test_account("user" + std::to_string(i), i)).ok());
  NewAccount fixed = test_account("fixed", 9);
  fixed.ipv4 = v4(10, 77, 0, 2);
  ASSERT_TRUE(store->add_account(fixed).ok());
  ASSERT_TRUE(store->remove_account("user0").ok());  // leaves 10.77.0.10 free before user1's
  auto records = store->list_accounts();
  ASSERT_TRUE(records.ok());
  auto table = build_account_table(*records, test_plan(), clock_.now);
  ASSERT_TRUE(table.ok()) << table.error();
  for (const auto& record : *records) {
    const hybrid::Account* account = table->by_name(record.name);
    ASSERT_NE(account, nullptr) << record.name;
    EXPECT_EQ(account->ipv4, record.ipv4) << record.name;
    EXPECT_EQ(account->ipv4_leased, record.ipv4_leased) << record.name;
  }
  EXPECT_EQ(table->by_name("user1")->ipv4, v4(10, 77, 0, 11));
  EXPECT_EQ(table->by_wireguard_key(test_key(9))->name, "fixed");
}

TEST_F(StoreTest, TableLeavesOutEndedKeysAndRefusesRevokedAccounts) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  ASSERT_TRUE(store->add_account(test_account("bob", 2)).ok());
  ASSERT_TRUE(store
                  ->rotate_wireguard_key("alice", test_key(1), {test_key(3), {}, {}},
                                         std::chrono::minutes(10))
                  .ok());
  ASSERT_TRUE(store->set_state("bob", AccountState::kRevoked).ok());
  auto records = *store->list_accounts();
  EXPECT_EQ(next_key_expiry(records, clock_.now), clock_.now + std::chrono::minutes(10));

  const auto during = to_account_spec(records[0], clock_.now + std::chrono::minutes(9));
  EXPECT_EQ(during.wireguard_keys.size(), 2u);
  const auto after = to_account_spec(records[0], clock_.now + std::chrono::minutes(10));
  EXPECT_EQ(after.wireguard_keys, std::vector<crypto::PublicKey>{test_key(3)});
  EXPECT_FALSE(after.disabled);
  EXPECT_TRUE(after.ppp);
  EXPECT_TRUE(to_account_spec(records[1], clock_.now).disabled);
  EXPECT_FALSE(next_key_expiry(records, clock_.now + std::chrono::minutes(10)));
}

}  // namespace
}  // namespace tandem::store
