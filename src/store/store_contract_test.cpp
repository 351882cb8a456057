// The behaviour every backend owes the Store interface, run on SQLite and on PostgreSQL alike:
// what an account holds, what is refused and with which words, leases, revocation, events,
// revisions and bulk import.
#include "crypto/legacy_provider.hpp"
#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

TEST_P(StoreContract, AddsAccountWithEverythingItOwns) {
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount a = test_account("site-a", 7);
  a.ipv6 = IpAddress::parse("fd77::7");
  a.subnets = {*IpPrefix::parse("192.168.50.0/24")};
  a.ike_id = "site-a@example.org";
  a.ike_psk = "ike secret";
  crypto::Key32 psk;
  psk.bytes()[0] = std::byte{9};
  a.wireguard_keys[0].preshared_key = psk;
  auto added = store->add_account(a);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->name, "site-a");
  EXPECT_EQ(added->state, AccountState::kActive);
  EXPECT_EQ(added->created_at, clock_.now);
  EXPECT_EQ(added->ipv4, v4(10, 77, 0, 10));
  EXPECT_TRUE(added->ipv4_leased);
  EXPECT_EQ(added->ipv6, IpAddress::parse("fd77::7"));
  EXPECT_FALSE(added->ipv6_leased);
  EXPECT_EQ(added->subnets, a.subnets);
  EXPECT_EQ(added->ike_id, "site-a@example.org");
  EXPECT_EQ(added->ike_psk, "ike secret");
  ASSERT_EQ(added->wireguard_keys.size(), 1u);
  EXPECT_EQ(added->wireguard_keys[0].public_key, test_key(7));
  EXPECT_EQ(added->wireguard_keys[0].preshared_key, psk);
  ASSERT_TRUE(added->ppp);
  EXPECT_EQ(added->ppp->nt_hash, testing::test_nt_hash(7));
  EXPECT_FALSE(added->ppp->password);
  auto leases = store->list_leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].account, "site-a");
}

// Where a gateway probes the account's path MTU: kept from the add, changed and cleared, each
// change in the revision and the history.
TEST_P(StoreContract, KeepsAndChangesTheMtuProbeTarget) {
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount a = test_account("site-a", 7);
  a.subnets = {*IpPrefix::parse("192.168.50.0/24")};
  a.mtu_probe_target = v4(192, 168, 50, 1);
  auto added = store->add_account(a);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->mtu_probe_target, v4(192, 168, 50, 1));
  const auto before = *store->revision();
  ASSERT_TRUE(store->set_mtu_probe_target("site-a", v4(192, 168, 50, 2)).ok());
  EXPECT_EQ((*store->find_account("site-a"))->mtu_probe_target, v4(192, 168, 50, 2));
  auto changes = store->changes_since(before);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->accounts, std::vector<std::string>{"site-a"});
  ASSERT_TRUE(store->set_mtu_probe_target("site-a", std::nullopt).ok());
  EXPECT_EQ((*store->find_account("site-a"))->mtu_probe_target, std::nullopt);
  auto events = store->list_events(1, "site-a");
  ASSERT_TRUE(events.ok() && !events->empty());
  EXPECT_EQ((*events)[0].kind, "account.mtu_probe_target");
  EXPECT_EQ((*events)[0].detail, R"({"mtu_probe_target":null})");
  EXPECT_EQ(store->set_mtu_probe_target("nobody", std::nullopt).error().code,
            Error::Code::kNotFound);
}

// The account's class: kept from the add, changed and cleared, each change in the revision and
// the history; a name that is no class name is refused, on the add and on a change.
TEST_P(StoreContract, KeepsAndChangesTheAccountClass) {
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount a = test_account("alice", 7);
  a.account_class = "staff";
  auto added = store->add_account(a);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->account_class, "staff");
  const auto before = *store->revision();
  ASSERT_TRUE(store->set_account_class("alice", "contractors").ok());
  EXPECT_EQ((*store->find_account("alice"))->account_class, "contractors");
  auto changes = store->changes_since(before);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->accounts, std::vector<std::string>{"alice"});
  ASSERT_TRUE(store->set_account_class("alice", std::nullopt).ok());
  EXPECT_EQ((*store->find_account("alice"))->account_class, std::nullopt);
  auto events = store->list_events(1, "alice");
  ASSERT_TRUE(events.ok() && !events->empty());
  EXPECT_EQ((*events)[0].kind, "account.class");
  EXPECT_EQ((*events)[0].detail, R"({"class":null})");
  auto bad = store->set_account_class("alice", "Staff");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Error::Code::kInvalid);
  EXPECT_NE(bad.error().message.find("class 'Staff' must be 1 to 32"), std::string::npos)
      << bad.error().message;
  NewAccount b = test_account("bob", 8);
  b.account_class = "two words";
  auto refused = store->add_account(b);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("class 'two words'"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(store->set_account_class("nobody", std::nullopt).error().code, Error::Code::kNotFound);
}

TEST_P(StoreContract, RefusesRepeatedNameAndKeyNamingTheOwner) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  auto same_name = store->add_account(test_account("alice", 2));
  ASSERT_FALSE(same_name.ok());
  EXPECT_EQ(same_name.error().code, Error::Code::kConflict);
  EXPECT_NE(same_name.error().message.find("exists already"), std::string::npos);
  auto same_key = store->add_account(test_account("bob", 1));
  ASSERT_FALSE(same_key.ok());
  EXPECT_EQ(same_key.error().code, Error::Code::kConflict);
  EXPECT_NE(same_key.error().message.find("account 'alice'"), std::string::npos)
      << same_key.error().message;
  auto key_later = store->add_account(test_account("bob", 2));
  ASSERT_TRUE(key_later.ok());
  auto added = store->add_wireguard_key("bob", {test_key(1), {}, {}});
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message.find("'alice'"), std::string::npos);
}

TEST_P(StoreContract, RefusesAddressesTakenReservedOrInAnotherSubnet) {
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount site = test_account("site", 1);
  site.ipv4 = v4(10, 77, 0, 2);
  site.subnets = {*IpPrefix::parse("192.168.50.0/24")};
  ASSERT_TRUE(store->add_account(site).ok());
  struct Case {
    IpAddress ipv4;
    const char* expected;
  } cases[] = {{v4(10, 77, 0, 2), "already account 'site'"},
               {v4(10, 77, 0, 1), "reserved"},
               {v4(192, 168, 50, 9), "subnet of account 'site'"}};
  for (const auto& c : cases) {
    NewAccount a = test_account("other", 2);
    a.ipv4 = c.ipv4;
    auto added = store->add_account(a);
    ASSERT_FALSE(added.ok()) << c.expected;
    EXPECT_NE(added.error().message.find(c.expected), std::string::npos) << added.error().message;
  }
  NewAccount overlapping = test_account("other", 2);
  overlapping.subnets = {*IpPrefix::parse("192.168.0.0/16")};
  auto refused = store->add_account(overlapping);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("overlaps account 'site'"), std::string::npos);
}

TEST_P(StoreContract, PoolRunsOutThenReusesAddressOfRemovedAccount) {
  auto store = open_store(test_plan(12));  // 10.77.0.10 .. 12
  ASSERT_TRUE(store);
  for (std::uint32_t i = 0; i < 3; ++i)
    ASSERT_TRUE(store->add_account(test_account("user" + std::to_string(i), i)).ok());
  auto full = store->add_account(test_account("user3", 3));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, Error::Code::kExhausted);
  EXPECT_NE(full.error().message.find("10.77.0.10..10.77.0.12 has no free address"),
            std::string::npos)
      << full.error().message;
  ASSERT_TRUE(store->remove_account("user1").ok());
  auto again = store->add_account(test_account("user3", 3));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->ipv4, v4(10, 77, 0, 11));
  auto gone = store->remove_account("user1");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Error::Code::kNotFound);
}

TEST_P(StoreContract, RemembersAnAddressWhileItIsFree) {
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount a = test_account("alice", 1);
  a.remembered = {v4(10, 77, 0, 50)};
  NewAccount b = test_account("bob", 2);
  b.remembered = {v4(10, 77, 0, 50)};  // taken by alice by then: the lowest free one instead
  ASSERT_EQ(store->add_account(a)->ipv4, v4(10, 77, 0, 50));
  ASSERT_EQ(store->add_account(b)->ipv4, v4(10, 77, 0, 10));
}

TEST_P(StoreContract, LeasesIpv6FromThePrefixAboveItsLowAddresses) {
  hybrid::AddressPlan plan;
  plan.v6_pool = IpPrefix::parse("fd77::/112");
  auto store = open_store(plan);
  ASSERT_TRUE(store);
  auto added = store->add_account(test_account("alice", 1));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_FALSE(added->ipv4);
  EXPECT_EQ(added->ipv6, IpAddress::parse("fd77::10"));
}

TEST_P(StoreContract, DisablesAndRevokesForGood) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  ASSERT_TRUE(store->set_state("alice", AccountState::kDisabled).ok());
  EXPECT_EQ((*store->find_account("alice"))->state, AccountState::kDisabled);
  ASSERT_TRUE(store->set_state("alice", AccountState::kActive).ok());
  clock_.now += std::chrono::seconds(5);
  ASSERT_TRUE(store->set_state("alice", AccountState::kRevoked).ok());
  auto alice = *store->find_account("alice");
  EXPECT_EQ(alice->state, AccountState::kRevoked);
  EXPECT_EQ(alice->revoked_at, clock_.now);
  EXPECT_EQ(alice->updated_at, clock_.now);
  EXPECT_TRUE(alice->ipv4) << "a revoked account keeps its address until it is removed";
  auto back = store->set_state("alice", AccountState::kActive);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("final"), std::string::npos);
  EXPECT_FALSE(store->set_state("nobody", AccountState::kDisabled).ok());
}

TEST_P(StoreContract, RotationEndsTheOldKeyAfterTheOverlap) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  ASSERT_TRUE(
      store
          ->rotate_wireguard_key("alice", test_key(1), {test_key(2), {}, {}}, std::chrono::hours(1))
          .ok());
  auto alice = *store->find_account("alice");
  ASSERT_EQ(alice->wireguard_keys.size(), 2u);
  const WireguardKey& old_key = alice->wireguard_keys[0].public_key == test_key(1)
                                    ? alice->wireguard_keys[0]
                                    : alice->wireguard_keys[1];
  ASSERT_TRUE(old_key.not_after);
  EXPECT_EQ(*old_key.not_after, clock_.now + std::chrono::hours(1));
  EXPECT_TRUE(old_key.valid_at(clock_.now + std::chrono::minutes(59)));
  EXPECT_FALSE(old_key.valid_at(clock_.now + std::chrono::hours(1)));
  auto missing = store->rotate_wireguard_key("alice", test_key(9), {test_key(3), {}, {}}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Error::Code::kNotFound);
  ASSERT_TRUE(store->remove_wireguard_key("alice", test_key(1)).ok());
  EXPECT_EQ((*store->find_account("alice"))->wireguard_keys.size(), 1u);
  EXPECT_EQ(store->remove_wireguard_key("alice", test_key(1)).error().code, Error::Code::kNotFound);
}

TEST_P(StoreContract, KeepsClearPasswordOnlyWhenAsked) {
  if (!crypto::legacy_algorithms_available()) GTEST_SKIP() << "no MD4 (OpenSSL legacy provider)";
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  ASSERT_TRUE(store->set_ppp_login("alice", PppLogin{"correct horse", {}, false}).ok());
  auto alice = *store->find_account("alice");
  ASSERT_TRUE(alice->ppp);
  EXPECT_EQ(alice->ppp->nt_hash, *crypto::nt_password_hash("correct horse"));
  EXPECT_FALSE(alice->ppp->password);
  ASSERT_TRUE(store->set_ppp_login("alice", PppLogin{"correct horse", {}, true}).ok());
  EXPECT_EQ((*store->find_account("alice"))->ppp->password, "correct horse");
  ASSERT_TRUE(store->set_ppp_login("alice", std::nullopt).ok());
  EXPECT_FALSE((*store->find_account("alice"))->ppp);
  auto hashless = store->set_ppp_login("alice", PppLogin{{}, {}, true});
  EXPECT_FALSE(hashless.ok());
}

TEST_P(StoreContract, EventsNeverCarrySecrets) {
  if (!crypto::legacy_algorithms_available()) GTEST_SKIP() << "no MD4 (OpenSSL legacy provider)";
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount a = test_account("alice", 1);
  a.ike_id = "alice";
  a.ike_psk = "ike-secret-1";
  a.ppp = PppLogin{"ppp-secret-2", {}, true};
  ASSERT_TRUE(store->add_account(a).ok());
  ASSERT_TRUE(store->set_ike("alice", "alice", "ike-secret-3").ok());
  ASSERT_TRUE(store->set_ppp_login("alice", PppLogin{"ppp-secret-4", {}, true}).ok());
  auto events = store->list_events(100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  for (const auto& e : *events)
    EXPECT_EQ(e.detail.find("secret"), std::string::npos) << e.kind << " " << e.detail;
}

TEST_P(StoreContract, ListsEventsNewestFirstWithLimitAndAccount) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  ASSERT_TRUE(store->add_account(test_account("bob", 2)).ok());
  ASSERT_TRUE(store->append_event("auth.failed", "alice", R"({"method":"mschapv2"})").ok());
  ASSERT_TRUE(store->append_event("gateway.started", "", "{}").ok());
  EXPECT_FALSE(store->append_event("auth.failed", "alice", "not json").ok());
  auto all = store->list_events(10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].kind, "gateway.started");
  EXPECT_EQ((*all)[3].kind, "account.added");
  EXPECT_EQ((*all)[3].account, "alice");
  EXPECT_GT((*all)[0].id, (*all)[1].id);
  auto two = store->list_events(2);
  ASSERT_EQ(two->size(), 2u);
  auto alices = store->list_events(10, "alice");
  ASSERT_EQ(alices->size(), 2u);
  EXPECT_EQ((*alices)[0].kind, "auth.failed");
  EXPECT_EQ((*alices)[0].detail, R"({"method":"mschapv2"})");
}

TEST_P(StoreContract, RevisionCountsMutationsAndNamesWhatChanged) {
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->revision(), 0u);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  ASSERT_TRUE(store->add_account(test_account("bob", 2)).ok());
  EXPECT_EQ(*store->revision(), 2u);
  ASSERT_TRUE(store->set_state("bob", AccountState::kDisabled).ok());
  ASSERT_TRUE(store->set_state("bob", AccountState::kDisabled).ok());  // no change
  ASSERT_TRUE(store->append_event("auth.ok", "alice", "{}").ok());     // history only
  EXPECT_FALSE(store->add_account(test_account("alice", 3)).ok());     // refused
  EXPECT_EQ(*store->revision(), 3u);
  auto since_two = store->changes_since(2);
  ASSERT_TRUE(since_two.ok());
  EXPECT_EQ(since_two->revision, 3u);
  EXPECT_EQ(since_two->accounts, std::vector<std::string>{"bob"});
  EXPECT_FALSE(since_two->reload_all);
  auto since_start = store->changes_since(0);
  EXPECT_EQ(since_start->accounts, (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(store->remove_account("alice").ok());
  EXPECT_EQ(store->changes_since(3)->accounts, std::vector<std::string>{"alice"});
  EXPECT_TRUE(store->changes_since(4)->accounts.empty());
  EXPECT_TRUE(store->changes_since(99)->reload_all) << "ahead of the store: a restored backup";
}

TEST_P(StoreContract, ReaderBehindTheChangeLogReloadsAll) {
  auto store = open_store(test_plan(), 2);
  ASSERT_TRUE(store);
  for (std::uint32_t i = 0; i < 5; ++i)
    ASSERT_TRUE(store->add_account(test_account("user" + std::to_string(i), i)).ok());
  EXPECT_TRUE(store->changes_since(1)->reload_all);
  auto recent = store->changes_since(3);
  EXPECT_FALSE(recent->reload_all);
  EXPECT_EQ(recent->accounts, (std::vector<std::string>{"user3", "user4"}));
}

TEST_P(StoreContract, AnotherConnectionSeesARevocationOnItsNextPoll) {
  auto gateway_a = open_store();
  auto gateway_b = open_store();
  ASSERT_TRUE(gateway_a && gateway_b);
  ASSERT_TRUE(gateway_a->add_account(test_account("alice", 1)).ok());
  const std::uint64_t seen = *gateway_b->revision();
  EXPECT_TRUE(gateway_b->changes_since(seen)->accounts.empty());
  ASSERT_TRUE(gateway_a->set_state("alice", AccountState::kRevoked).ok());
  auto changes = gateway_b->changes_since(seen);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->accounts, std::vector<std::string>{"alice"});
  EXPECT_EQ((*gateway_b->find_account("alice"))->state, AccountState::kRevoked);
}

TEST_P(StoreContract, BulkImportWithOneBadRowAppliesNothing) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("existing", 100)).ok());
  std::vector<NewAccount> rows;
  for (std::uint32_t i = 0; i < 50; ++i) rows.push_back(test_account("u" + std::to_string(i), i));
  rows[9].wireguard_keys[0].public_key = test_key(100);  // existing's key
  rows[19].name = "";
  rows[29].name = "u3";  // repeats row 4
  rows[39].ipv4 = IpAddress::parse("fd77::1");
  auto report = store->import_accounts(rows);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->imported, 0u);
  ASSERT_EQ(report->rejections.size(), 4u);
  EXPECT_EQ(report->rejections[0].row, 10u);
  EXPECT_NE(report->rejections[0].reason.find("'existing'"), std::string::npos);
  EXPECT_EQ(report->rejections[1].row, 20u);
  EXPECT_EQ(report->rejections[2].row, 30u);
  EXPECT_EQ(report->rejections[3].row, 40u);
  EXPECT_EQ(report->rejections[3].code, Error::Code::kInvalid);
  EXPECT_EQ(*store->account_count(), 1u);
  EXPECT_EQ(store->list_leases()->size(), 1u);
  EXPECT_EQ(*store->revision(), 1u);
}

TEST_P(StoreContract, BulkImportAppliesEveryRowInOneRevision) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::vector<NewAccount> rows;
  for (std::uint32_t i = 0; i < 100; ++i) rows.push_back(test_account("u" + std::to_string(i), i));
  auto report = store->import_accounts(rows);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->imported, 100u);
  EXPECT_TRUE(report->rejections.empty());
  EXPECT_EQ(*store->account_count(), 100u);
  EXPECT_EQ(*store->revision(), 1u);
  EXPECT_EQ(store->changes_since(0)->accounts.size(), 100u);
  auto leases = store->list_leases();
  ASSERT_EQ(leases->size(), 100u);
  EXPECT_EQ(leases->front().address, v4(10, 77, 0, 10));
  EXPECT_EQ(leases->back().address, v4(10, 77, 0, 109));
}

TEST_P(StoreContract, BulkImportBeyondThePoolNamesTheRowsLeftWithout) {
  auto store = open_store(test_plan(14));  // five addresses
  ASSERT_TRUE(store);
  std::vector<NewAccount> rows;
  for (std::uint32_t i = 0; i < 7; ++i) rows.push_back(test_account("u" + std::to_string(i), i));
  auto report = store->import_accounts(rows);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->rejections.size(), 2u);
  EXPECT_EQ(report->rejections[0].row, 6u);
  EXPECT_EQ(report->rejections[1].code, Error::Code::kExhausted);
  EXPECT_EQ(*store->account_count(), 0u);
}

TEST_P(StoreContract, SubnetsChangeUnlessTheyOverlapAnotherAccount) {
  auto store = open_store();
  ASSERT_TRUE(store);
  NewAccount site = test_account("site", 1);
  site.subnets = {*IpPrefix::parse("192.168.50.0/24")};
  ASSERT_TRUE(store->add_account(site).ok());
  ASSERT_TRUE(store->add_account(test_account("other", 2)).ok());
  ASSERT_TRUE(store->set_subnets("site", {*IpPrefix::parse("192.168.50.0/23")}).ok());
  EXPECT_EQ((*store->find_account("site"))->subnets,
            std::vector<IpPrefix>{*IpPrefix::parse("192.168.50.0/23")});
  auto overlap = store->set_subnets("other", {*IpPrefix::parse("192.168.51.0/24")});
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.error().code, Error::Code::kConflict);
  auto leased = store->set_subnets("other", {*IpPrefix::parse("10.77.0.8/29")});
  ASSERT_FALSE(leased.ok());
  EXPECT_NE(leased.error().message.find("account 'site'"), std::string::npos)
      << leased.error().message;
}

TEST_P(StoreContract, LeasesSkipReservedAddressesSubnetsAndHeldOnes) {
  hybrid::AddressPlan plan = test_plan(40);
  plan.reserved.push_back(v4(10, 77, 0, 11));
  auto store = open_store(plan);
  ASSERT_TRUE(store);
  NewAccount fixed = test_account("fixed", 1);
  fixed.ipv4 = v4(10, 77, 0, 10);
  ASSERT_TRUE(store->add_account(fixed).ok());
  NewAccount site = test_account("site", 2);
  site.ipv4 = v4(10, 77, 0, 13);
  site.subnets = {*IpPrefix::parse("10.77.0.16/29")};  // .16 .. .23 inside the pool
  ASSERT_TRUE(store->add_account(site).ok());
  std::vector<IpAddress> leased;
  for (std::uint32_t i = 3; i < 6; ++i) {
    auto added = store->add_account(test_account("u" + std::to_string(i), i));
    ASSERT_TRUE(added.ok()) << added.error().message;
    leased.push_back(*added->ipv4);
  }
  EXPECT_EQ(leased,
            (std::vector<IpAddress>{v4(10, 77, 0, 12), v4(10, 77, 0, 14), v4(10, 77, 0, 15)}));
  std::vector<NewAccount> rows;
  for (std::uint32_t i = 6; i < 9; ++i) rows.push_back(test_account("u" + std::to_string(i), i));
  ASSERT_EQ(store->import_accounts(rows)->imported, 3u);
  EXPECT_EQ((*store->find_account("u6"))->ipv4, v4(10, 77, 0, 24)) << "past the subnet";
  EXPECT_EQ((*store->find_account("u8"))->ipv4, v4(10, 77, 0, 26));
}

}  // namespace

TANDEM_STORE_CONTRACT(StoreContract);

}  // namespace tandem::store
