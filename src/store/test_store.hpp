// What the store's tests share: a settable wall clock, distinct keys and accounts made from a
// number, a store opened on a file in a fresh temporary directory, and the backends the
// contract tests hold to one behaviour (StoreContract: every test runs on SQLite and on
// PostgreSQL).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/test_temp_dir.hpp"
#include "store/sqlite_store.hpp"

namespace tandem::store::testing {

class FakeWallClock final : public WallClock {
 public:
  WallTime wall_now() override { return now; }
  WallTime now = WallTime(std::chrono::seconds(1'800'000'000));
};

// A public key that no other n gives.
inline crypto::PublicKey test_key(std::uint32_t n) {
  crypto::PublicKey key{};
  for (std::size_t i = 0; i < 4; ++i) key[i] = static_cast<std::byte>(n >> (8 * i));
  key[31] = std::byte{0x5a};
  return key;
}

inline crypto::NtPasswordHash test_nt_hash(std::uint8_t fill) {
  std::array<std::byte, 16> bytes{};
  bytes.fill(std::byte{fill});
  return crypto::NtPasswordHash(std::span<const std::byte, 16>(bytes));
}

// An account with one WireGuard key and an NT-hash PPP login, leasing its addresses.
inline NewAccount test_account(const std::string& name, std::uint32_t key) {
  NewAccount a;
  a.name = name;
  a.wireguard_keys.push_back({test_key(key), {}, {}});
  a.ppp = PppLogin{{}, test_nt_hash(static_cast<std::uint8_t>(key)), false};
  return a;
}

// A plan with the IPv4 pool 10.77.0.10 .. 10.77.0.`last` and the gateway at 10.77.0.1.
inline hybrid::AddressPlan test_plan(std::uint8_t last = 200) {
  hybrid::AddressPlan plan;
  plan.v4_first = IpAddress::v4({10, 77, 0, 10});
  plan.v4_last = IpAddress::v4({10, 77, 0, last});
  plan.reserved = {IpAddress::v4({10, 77, 0, 1})};
  return plan;
}

inline IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return IpAddress::v4({a, b, c, d});
}

// What each migration after the first added to accounts, newest first: a migration test drops
// these to make the database an older Tandem's.
inline constexpr std::pair<int, const char*> kAddedAccountColumns[] = {{3, "account_class"},
                                                                       {2, "mtu_probe_target"}};

// The account a migration test writes before it takes the database back to an older schema.
inline NewAccount migrated_alice() {
  NewAccount alice = test_account("alice", 1);
  alice.mtu_probe_target = v4(10, 77, 0, 10);
  return alice;
}

// After a migration from schema `from` (1: no probe target; 2: no class): alice is kept, with
// what the old schema held, and the columns it lacked are empty and can be set.
inline void expect_migrated_alice(Store& store, int from) {
  auto alice = store.find_account("alice");
  ASSERT_TRUE(alice.ok() && alice->has_value());
  EXPECT_EQ((*alice)->mtu_probe_target,
            from >= 2 ? std::optional(v4(10, 77, 0, 10)) : std::nullopt);
  EXPECT_EQ((*alice)->account_class, std::nullopt);
  ASSERT_TRUE(store.set_mtu_probe_target("alice", v4(10, 77, 0, 11)).ok());
  ASSERT_TRUE(store.set_account_class("alice", "staff").ok());
  alice = store.find_account("alice");
  ASSERT_TRUE(alice.ok() && alice->has_value());
  EXPECT_EQ((*alice)->mtu_probe_target, v4(10, 77, 0, 11));
  EXPECT_EQ((*alice)->account_class, "staff");
}

// A test with a temporary directory and a store on state.db in it.
class StoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.path() + "/state.db"; }

  std::unique_ptr<SqliteStore> open_store(hybrid::AddressPlan plan = test_plan()) {
    SqliteOptions options;
    options.plan = std::move(plan);
    options.clock = &clock_;
    auto store = SqliteStore::open(db_path(), std::move(options));
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  tandem::testing::TempDir dir_;
  FakeWallClock clock_;
};

// Where one test's stores live: one database, opened as often as the test likes (each open is
// another connection, as another gateway's would be).
class Backend {
 public:
  virtual ~Backend() = default;
  // Empty when the backend is ready; else why not and how to fix it.
  virtual std::string problem() const = 0;
  virtual StoreResult<std::unique_ptr<Store>> open(hybrid::AddressPlan plan, WallClock* clock,
                                                   std::uint64_t change_log_revisions) = 0;
};

enum class BackendKind { kSqlite, kPostgres };

// A fresh database of `kind`: a file in a temporary directory, or a database on a throwaway
// PostgreSQL server started for the test.
std::unique_ptr<Backend> make_backend(BackendKind kind);

std::string backend_name(const ::testing::TestParamInfo<BackendKind>& info);

// A test that runs on every backend.
class StoreContract : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    backend_ = make_backend(GetParam());
    ASSERT_EQ(backend_->problem(), "");
  }

  std::unique_ptr<Store> open_store(hybrid::AddressPlan plan = test_plan(),
                                    std::uint64_t change_log_revisions = 100000) {
    auto store = backend_->open(std::move(plan), &clock_, change_log_revisions);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::unique_ptr<Backend> backend_;
  FakeWallClock clock_;
};

}  // namespace tandem::store::testing

// Runs the StoreContract-derived `suite` on every backend.
#define TANDEM_STORE_CONTRACT(suite)                                                            \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                     \
                           ::testing::Values(::tandem::store::testing::BackendKind::kSqlite,    \
                                             ::tandem::store::testing::BackendKind::kPostgres), \
                           ::tandem::store::testing::backend_name)

namespace tandem::store::testing {}  // namespace tandem::store::testing
