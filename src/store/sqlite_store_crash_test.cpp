// kill -9 in the middle of writing: a child process imports batches of accounts, one transaction
// each, until it is killed at a random moment. Whatever it was doing, the database must open
// again, pass SQLite's integrity check and hold whole batches only, each account complete.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>
#include <thread>

#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

constexpr std::uint32_t kBatch = 20;

hybrid::AddressPlan wide_plan() {
  hybrid::AddressPlan plan;
  plan.v4_first = IpAddress::v4({10, 64, 0, 0});
  plan.v4_last = IpAddress::v4({10, 127, 255, 255});
  return plan;
}

std::string name_of(std::uint32_t batch, std::uint32_t i) {
  return "b" + std::to_string(batch) + "-" + std::to_string(i);
}

// The child: batches from `first_batch` on, forever. Exit codes say why it stopped early.
[[noreturn]] void import_until_killed(const std::string& path, std::uint32_t first_batch) {
  SqliteOptions options;
  options.plan = wide_plan();
  auto store = SqliteStore::open(path, options);
  if (!store.ok()) ::_exit(2);
  for (std::uint32_t batch = first_batch;; ++batch) {
    std::vector<NewAccount> rows;
    for (std::uint32_t i = 0; i < kBatch; ++i)
      rows.push_back(test_account(name_of(batch, i), batch * kBatch + i));
    auto report = (*store)->import_accounts(rows);
    if (!report.ok() || report->imported != kBatch) ::_exit(3);
  }
}

// Everything that must hold after any kill; returns the number of whole batches.
std::uint32_t check_store(SqliteStore& store) {
  EXPECT_TRUE(store.check_integrity().ok());
  auto accounts = store.list_accounts();
  EXPECT_TRUE(accounts.ok());
  if (!accounts.ok()) return 0;
  const auto count = static_cast<std::uint32_t>(accounts->size());
  EXPECT_EQ(count % kBatch, 0u) << "a batch was half-applied";
  const std::uint32_t batches = count / kBatch;
  EXPECT_EQ(*store.revision(), batches) << "one revision a batch";
  std::set<std::string> names;
  std::set<IpAddress> addresses;
  for (const auto& a : *accounts) {
    names.insert(a.name);
    const bool complete = a.wireguard_keys.size() == 1 && a.ppp && a.ipv4 && a.ipv4_leased;
    EXPECT_TRUE(complete) << a.name << " lacks its key, credential or lease";
    if (!complete) continue;
    const std::uint32_t key = static_cast<std::uint32_t>(
        std::to_integer<std::uint32_t>(a.wireguard_keys[0].public_key[0]) |
        std::to_integer<std::uint32_t>(a.wireguard_keys[0].public_key[1]) << 8 |
        std::to_integer<std::uint32_t>(a.wireguard_keys[0].public_key[2]) << 16);
    EXPECT_EQ(a.name, name_of(key / kBatch, key % kBatch)) << "key and account disagree";
    EXPECT_EQ(a.ppp->nt_hash, test_nt_hash(static_cast<std::uint8_t>(key)));
    addresses.insert(*a.ipv4);
  }
  for (std::uint32_t b = 0; b < batches; ++b)
    for (std::uint32_t i = 0; i < kBatch; ++i)
      EXPECT_TRUE(names.contains(name_of(b, i))) << name_of(b, i) << " missing";
  EXPECT_EQ(addresses.size(), count) << "an address leased twice";
  auto leases = store.list_leases();
  EXPECT_TRUE(leases.ok() && leases->size() == count);
  return batches;
}

TEST_F(StoreTest, SurvivesKillDashNineWhileImporting) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::uint32_t batches = 0;
  for (int round = 0; round < 4; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) import_until_killed(db_path(), batches);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 600)(random)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself, exit " << WEXITSTATUS(status);
    SqliteOptions options;
    options.plan = wide_plan();
    auto store = SqliteStore::open(db_path(), options);
    ASSERT_TRUE(store.ok()) << store.error().message;
    const std::uint32_t now = check_store(**store);
    EXPECT_GE(now, batches) << "committed batches were lost";
    batches = now;
  }
  EXPECT_GT(batches, 0u) << "the child never committed: the test proved nothing";
}

}  // namespace
}  // namespace tandem::store
