#include "store/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "store/sqlite_schema.hpp"
#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

// One integer from the database file, read beside the store as another program would.
std::int64_t scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  const std::int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(StoreTest, CreatesPrivateFileWithLatestSchemaInWalMode) {
  ASSERT_TRUE(dir_.ok());
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  EXPECT_EQ(mode_of(db_path()), 0600u);
  EXPECT_EQ(mode_of(db_path() + "-wal"), 0600u);
  EXPECT_EQ(scalar(db_path(), "SELECT max(version) FROM schema_version"),
            sqlite::latest_schema_version());
  std::ifstream header(db_path(), std::ios::binary);
  char bytes[20] = {};
  header.read(bytes, sizeof bytes);
  EXPECT_EQ(bytes[18], 2) << "file format write version 2 means WAL";
}

TEST_F(StoreTest, MigratesAnEmptyFileAndReopensWithoutMigratingAgain) {
  { std::ofstream(db_path()).close(); }
  ASSERT_EQ(::chmod(db_path().c_str(), 0600), 0);
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add_account(test_account("alice", 1)).ok());
  }
  auto again = open_store();
  ASSERT_TRUE(again);
  EXPECT_EQ(scalar(db_path(), "SELECT count(*) FROM schema_version"),
            sqlite::latest_schema_version());
  auto alice = again->find_account("alice");
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ((*alice)->ipv4, v4(10, 77, 0, 10));
  EXPECT_EQ(again->list_leases()->size(), 1u) << "leases survive a restart";
  EXPECT_EQ(*again->revision(), 1u);
  EXPECT_TRUE(again->check_integrity().ok());
}

class MigrationTest : public StoreTest {
 protected:
  // Alice written at the latest schema, the file then taken back to what a Tandem of schema
  // `version` left (later columns dropped, their versions forgotten), and opened again, which
  // migrates it.
  std::unique_ptr<SqliteStore> reopened_from(int version) {
    {
      auto store = open_store();
      EXPECT_TRUE(store && store->add_account(migrated_alice()).ok());
    }
    for (const auto& [added_in, column] : kAddedAccountColumns)
      if (added_in > version)
        scalar(db_path(), ("ALTER TABLE accounts DROP COLUMN " + std::string(column)).c_str());
    const std::string forget =
        "DELETE FROM schema_version WHERE version > " + std::to_string(version);
    scalar(db_path(), forget.c_str());
    EXPECT_EQ(scalar(db_path(), "SELECT max(version) FROM schema_version"), version);
    auto store = open_store();
    EXPECT_EQ(scalar(db_path(), "SELECT max(version) FROM schema_version"),
              sqlite::latest_schema_version());
    return store;
  }
};

// Databases written before accounts had an mtu_probe_target (schema version 1) or a class
// (version 2): opening one adds the columns, keeping every account, and they can be set.
TEST_F(MigrationTest, MigratesAVersionOneDatabase) {
  auto store = reopened_from(1);
  ASSERT_TRUE(store);
  expect_migrated_alice(*store, 1);
}

TEST_F(MigrationTest, MigratesAVersionTwoDatabase) {
  auto store = reopened_from(2);
  ASSERT_TRUE(store);
  expect_migrated_alice(*store, 2);
}

TEST_F(StoreTest, RefusesSchemaFromNewerTandem) {
  { ASSERT_TRUE(open_store()); }
  scalar(db_path(), "INSERT INTO schema_version (version) VALUES (99)");
  auto store = SqliteStore::open(db_path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("newer than this tandem"), std::string::npos)
      << store.error().message;
}

TEST_F(StoreTest, RefusesDatabaseOthersMayRead) {
  { std::ofstream(db_path()).close(); }
  ASSERT_EQ(::chmod(db_path().c_str(), 0644), 0);
  auto store = SqliteStore::open(db_path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("chmod 600"), std::string::npos) << store.error().message;
}

// A gateway holds two connections (its account poller and its event log). Opening the second
// must leave the first's locks alone: if it dropped them, another process closing its own
// connection would take the database for unused and reset the WAL under the first, which would
// then miss every later change.
TEST_F(StoreTest, ASecondConnectionInTheProcessKeepsTheFirstSeeingOtherProcessesChanges) {
  auto poller = open_store();
  ASSERT_TRUE(poller->import_accounts({test_account("alice", 1)}).ok());
  const auto seen = poller->revision();
  ASSERT_TRUE(seen.ok());
  auto second = open_store();
  ASSERT_TRUE(second->append_event("l2tp.login", "alice", "{}").ok());
  // Another process, started afresh (a forked copy would share this one's idea of its locks),
  // as the CLI importing and then closing its connection.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::execl(TANDEM_STORE_IMPORT_CHILD, "test_import_child", db_path().c_str(), "dave", nullptr);
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the importing process failed";
  struct stat st {};
  EXPECT_EQ(::stat((db_path() + "-wal").c_str(), &st), 0)
      << "the other process reset the WAL while this one had it open";
  auto changes = poller->changes_since(*seen);
  ASSERT_TRUE(changes.ok()) << changes.error().message;
  EXPECT_EQ(changes->accounts, std::vector<std::string>{"dave"});
}

TEST_F(StoreTest, RefusesASymbolicLinkForTheDatabase) {
  ASSERT_EQ(::symlink("/etc/hostname", db_path().c_str()), 0);
  auto store = SqliteStore::open(db_path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("not a regular file"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace tandem::store
