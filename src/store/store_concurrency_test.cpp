// Two gateways on one database: two stores on the same SQLite file or PostgreSQL database, each
// adding accounts from its own thread (or process) as fast as it can, must never lease one
// address twice, and together must exhaust a pool exactly.
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "store/sqlite_store.hpp"
#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

class StoreRace : public StoreContract {};

// Accounts added, and adds refused because the pool was exhausted.
using Tally = std::pair<std::size_t, std::size_t>;

struct Outcome {
  std::size_t added = 0;
  std::size_t exhausted = 0;
  std::vector<std::string> other_errors;
};

// `count` accounts named prefix0.., keys from first_key, one add_account each.
Outcome add_many(Store& store, const std::string& prefix, std::uint32_t first_key,
                 std::uint32_t count) {
  Outcome outcome;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto added = store.add_account(test_account(prefix + std::to_string(i), first_key + i));
    if (added.ok())
      ++outcome.added;
    else if (added.error().code == Error::Code::kExhausted)
      ++outcome.exhausted;
    else
      outcome.other_errors.push_back(added.error().message);
  }
  return outcome;
}

// `a` and `b` each add `count` accounts from a thread of their own, at the same time; returns
// how many were added and how many found the pool exhausted, with no other error.
Tally race(Store& a, Store& b, std::uint32_t count) {
  Outcome from_a, from_b;
  std::thread ta([&] { from_a = add_many(a, "a", 0, count); });
  std::thread tb([&] { from_b = add_many(b, "b", 1000, count); });
  ta.join();
  tb.join();
  for (const auto* outcome : {&from_a, &from_b})
    for (const auto& error : outcome->other_errors) ADD_FAILURE() << error;
  return {from_a.added + from_b.added, from_a.exhausted + from_b.exhausted};
}

void expect_distinct_leases(Store& store, std::size_t expected) {
  auto leases = store.list_leases();
  ASSERT_TRUE(leases.ok());
  std::set<IpAddress> distinct;
  for (const auto& lease : *leases) distinct.insert(lease.address);
  EXPECT_EQ(leases->size(), expected);
  EXPECT_EQ(distinct.size(), leases->size()) << "an address leased twice";
}

TEST_P(StoreRace, TwoWritersOnOneDatabaseNeverLeaseAnAddressTwice) {
  auto a = open_store();
  auto b = open_store();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(race(*a, *b, 80), Tally(160, 0));
  expect_distinct_leases(*a, 160);
  EXPECT_EQ(*a->revision(), 160u);
}

TEST_P(StoreRace, TwoWritersExhaustThePoolExactlyOnce) {
  auto a = open_store(test_plan(59));  // 50 addresses
  auto b = open_store(test_plan(59));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(race(*a, *b, 40), Tally(50, 30));
  expect_distinct_leases(*b, 50);
}

TEST_P(StoreRace, ThreadsMayShareOneStore) {
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(race(*store, *store, 50), Tally(100, 0));
  expect_distinct_leases(*store, 100);
}

// `batches` imports of `size` accounts each (prefix0.., keys from first_key), one after another;
// returns how many accounts were imported, failing the test on any error or rejection.
std::size_t import_many(Store& store, const std::string& prefix, std::uint32_t first_key,
                        std::uint32_t batches, std::uint32_t size) {
  std::size_t imported = 0;
  for (std::uint32_t b = 0; b < batches; ++b) {
    std::vector<NewAccount> rows;
    for (std::uint32_t i = 0; i < size; ++i) {
      const std::uint32_t n = b * size + i;
      rows.push_back(test_account(prefix + std::to_string(n), first_key + n));
    }
    auto report = store.import_accounts(rows);
    if (!report.ok()) {
      ADD_FAILURE() << report.error().message;
      continue;
    }
    EXPECT_TRUE(report->rejections.empty());
    imported += report->imported;
  }
  return imported;
}

// Imports big enough to lease many addresses at once (the path that reads the pool's leases in
// one statement and writes many rows per statement) racing each other: every account imported,
// no address twice.
TEST_P(StoreRace, TwoWritersImportingBatchesNeverLeaseAnAddressTwice) {
  auto a = open_store(test_plan(255));  // 246 addresses
  auto b = open_store(test_plan(255));
  ASSERT_TRUE(a && b);
  std::size_t from_a = 0, from_b = 0;
  std::thread ta([&] { from_a = import_many(*a, "a", 0, 3, 40); });
  std::thread tb([&] { from_b = import_many(*b, "b", 1000, 3, 40); });
  ta.join();
  tb.join();
  EXPECT_EQ(from_a + from_b, 240u);
  expect_distinct_leases(*a, 240);
  auto listed = a->list_accounts();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 240u);
}

// Two child processes, each with its own store on the database, add `count` accounts each from
// `plan`'s pool at the same time; returns the tally of both. A child's exit status is how many
// it added, or kChildFailed when it met an error other than an exhausted pool.
constexpr int kChildFailed = 255;

Tally race_processes(Backend& backend, const hybrid::AddressPlan& plan, std::uint32_t count) {
  pid_t children[2];
  for (std::uint32_t i = 0; i < 2; ++i) {
    children[i] = ::fork();
    if (children[i] < 0) ADD_FAILURE() << "fork failed";
    if (children[i] != 0) continue;
    auto store = backend.open(plan, nullptr, 100000);
    if (!store.ok()) ::_exit(kChildFailed);
    const Outcome outcome = add_many(**store, i == 0 ? "a" : "b", i * 1000, count);
    ::_exit(outcome.other_errors.empty() ? static_cast<int>(outcome.added) : kChildFailed);
  }
  Tally tally{0, 0};
  for (const pid_t child : children) {
    int status = 0;
    if (child <= 0 || ::waitpid(child, &status, 0) != child) continue;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) != kChildFailed;
    EXPECT_TRUE(ok) << "a writer failed: " << status;
    if (!ok) continue;
    tally.first += static_cast<std::size_t>(WEXITSTATUS(status));
    tally.second += count - static_cast<std::size_t>(WEXITSTATUS(status));
  }
  return tally;
}

TEST_P(StoreRace, TwoProcessesOnOneDatabaseNeverLeaseAnAddressTwice) {
  ASSERT_TRUE(open_store());  // the schema exists before the race
  EXPECT_EQ(race_processes(*backend_, test_plan(), 60), Tally(120, 0));
  auto store = open_store();
  ASSERT_TRUE(store);
  expect_distinct_leases(*store, 120);
  if (auto* sqlite = dynamic_cast<SqliteStore*>(store.get())) {
    EXPECT_TRUE(sqlite->check_integrity().ok());
  }
}

TEST_P(StoreRace, TwoProcessesExhaustThePoolExactlyOnce) {
  ASSERT_TRUE(open_store(test_plan(59)));  // 50 addresses
  EXPECT_EQ(race_processes(*backend_, test_plan(59), 40), Tally(50, 30));
  auto store = open_store(test_plan(59));
  ASSERT_TRUE(store);
  expect_distinct_leases(*store, 50);
}

}  // namespace

TANDEM_STORE_CONTRACT(StoreRace);

}  // namespace tandem::store
