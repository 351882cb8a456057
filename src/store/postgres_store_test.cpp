// What only the PostgreSQL store does: migrations that gateways starting together run once, a
// lost connection made again, and connection errors that name the fix but never the password.
// The behaviour it shares with SQLite is in store_contract_test.cpp and store_concurrency_test.cpp.
#include "store/postgres_store.hpp"

#include <libpq-fe.h>

#include <thread>

#include "store/postgres_schema.hpp"
#include "store/test_postgres_server.hpp"
#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.problem(), "");
    ASSERT_EQ(server_.create_database("tandem"), "");
  }

  std::string conninfo() const { return server_.conninfo("tandem"); }

  // One value from the database, read beside the store as another program would ("" for none).
  std::string scalar(const char* sql) const {
    PGconn* conn = PQconnectdb(conninfo().c_str());
    EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    PGresult* result = PQexec(conn, sql);
    const ExecStatusType status = PQresultStatus(result);
    EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        << PQresultErrorMessage(result);
    std::string value = status == PGRES_TUPLES_OK && PQntuples(result) > 0
                            ? std::string(PQgetvalue(result, 0, 0))
                            : std::string();
    PQclear(result);
    PQfinish(conn);
    return value;
  }

  std::unique_ptr<PostgresStore> open_store() {
    PostgresOptions options;
    options.plan = test_plan();
    options.clock = &clock_;
    auto store = PostgresStore::open(conninfo(), std::move(options));
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Alice written at the latest schema, the database then taken back to what a Tandem of
  // schema `version` left (later columns dropped, their versions forgotten), and opened again,
  // which migrates it.
  std::unique_ptr<PostgresStore> reopened_from(int version) {
    {
      auto store = open_store();
      EXPECT_TRUE(store && store->add_account(migrated_alice()).ok());
    }
    for (const auto& [added_in, column] : kAddedAccountColumns)
      if (added_in > version)
        scalar(("ALTER TABLE accounts DROP COLUMN " + std::string(column)).c_str());
    scalar(("DELETE FROM schema_version WHERE version > " + std::to_string(version)).c_str());
    EXPECT_EQ(scalar("SELECT max(version) FROM schema_version"), std::to_string(version));
    auto store = open_store();
    EXPECT_EQ(scalar("SELECT max(version) FROM schema_version"),
              std::to_string(postgres::latest_schema_version()));
    return store;
  }

  PostgresServer server_;
  FakeWallClock clock_;
};

TEST_F(PostgresStoreTest, MigratesOnceWhenGatewaysStartTogether) {
  constexpr int kGateways = 4;
  std::vector<std::unique_ptr<PostgresStore>> stores(kGateways);
  std::vector<std::string> errors(kGateways);
  std::vector<std::thread> threads;
  for (int i = 0; i < kGateways; ++i)
    threads.emplace_back([&, i] {
      auto store = PostgresStore::open(conninfo(), PostgresOptions{test_plan()});
      if (store.ok())
        stores[i] = std::move(*store);
      else
        errors[i] = store.error().message;
    });
  for (auto& t : threads) t.join();
  for (const auto& error : errors) EXPECT_EQ(error, "");
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_version"),
            std::to_string(postgres::latest_schema_version()));
  EXPECT_EQ(scalar("SELECT max(version) FROM schema_version"),
            std::to_string(postgres::latest_schema_version()));
  EXPECT_EQ(scalar("SELECT value FROM meta WHERE key = 'revision'"), "0");
  ASSERT_TRUE(stores[0] && stores[3]);
  ASSERT_TRUE(stores[0]->add_account(test_account("alice", 1)).ok());
  EXPECT_EQ((*stores[3]->find_account("alice"))->ipv4, v4(10, 77, 0, 10));
}

// Databases written before accounts had an mtu_probe_target (schema version 1) or a class
// (version 2): opening one adds the columns, keeping every account, and they can be set.
TEST_F(PostgresStoreTest, MigratesAVersionOneDatabase) {
  auto store = reopened_from(1);
  ASSERT_TRUE(store);
  expect_migrated_alice(*store, 1);
}

TEST_F(PostgresStoreTest, MigratesAVersionTwoDatabase) {
  auto store = reopened_from(2);
  ASSERT_TRUE(store);
  expect_migrated_alice(*store, 2);
}

TEST_F(PostgresStoreTest, RefusesSchemaFromNewerTandem) {
  { ASSERT_TRUE(open_store()); }
  scalar("INSERT INTO schema_version (version) VALUES (99)");
  auto store = PostgresStore::open(conninfo());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("newer than this tandem"), std::string::npos)
      << store.error().message;
}

TEST_F(PostgresStoreTest, ReconnectsOnceAfterTheConnectionIsLost) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  // As a server restart or a failover would: every other connection to the database ends.
  scalar(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = 'tandem' AND pid <> pg_backend_pid()");
  auto added = store->add_account(test_account("bob", 2));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->ipv4, v4(10, 77, 0, 11));
  EXPECT_EQ(*store->account_count(), 2u);
  EXPECT_EQ(*store->revision(), 2u);
}

TEST_F(PostgresStoreTest, ConnectionErrorNamesTheFixButNeverThePassword) {
  auto store = PostgresStore::open(
      "host=/nonexistent-tandem-socket-dir dbname=tandem user=tandem password=hunter2 "
      "connect_timeout=5");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Error::Code::kDatabase);
  const std::string& message = store.error().message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_NE(message.find("/nonexistent-tandem-socket-dir"), std::string::npos) << message;
  EXPECT_NE(message.find("password file"), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, ChecksAndLeasesSeeWhatAnotherGatewayCommitted) {
  auto a = open_store();
  auto b = open_store();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->add_account(test_account("alice", 1)).ok());
  auto same_key = b->add_account(test_account("bob", 1));
  ASSERT_FALSE(same_key.ok());
  EXPECT_NE(same_key.error().message.find("account 'alice'"), std::string::npos)
      << same_key.error().message;
  auto bob = b->add_account(test_account("bob", 2));
  ASSERT_TRUE(bob.ok()) << bob.error().message;
  EXPECT_EQ(bob->ipv4, v4(10, 77, 0, 11));
  EXPECT_EQ(scalar("SELECT count(*) FROM addresses"), "2");
}

}  // namespace
}  // namespace tandem::store
