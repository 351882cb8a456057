// The contract tests' backends: SQLite on a file in a temporary directory, PostgreSQL on a
// throwaway server (test_postgres_server.hpp) with a database of its own.
#include "base/test_temp_dir.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/test_postgres_server.hpp"
#include "store/test_store.hpp"

namespace tandem::store::testing {
namespace {

class SqliteBackend final : public Backend {
 public:
  std::string problem() const override {
    return dir_.ok() ? "" : "cannot make a temporary directory under /tmp";
  }
  StoreResult<std::unique_ptr<Store>> open(hybrid::AddressPlan plan, WallClock* clock,
                                           std::uint64_t change_log_revisions) override {
    SqliteOptions options;
    options.plan = std::move(plan);
    options.clock = clock;
    options.change_log_revisions = change_log_revisions;
    auto store = SqliteStore::open(dir_.path() + "/state.db", std::move(options));
    if (!store) return Err(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }

 private:
  tandem::testing::TempDir dir_;
};

class PostgresBackend final : public Backend {
 public:
  PostgresBackend() {
    problem_ = server_.problem();
    if (problem_.empty()) problem_ = server_.create_database("tandem");
  }
  std::string problem() const override { return problem_; }
  StoreResult<std::unique_ptr<Store>> open(hybrid::AddressPlan plan, WallClock* clock,
                                           std::uint64_t change_log_revisions) override {
    PostgresOptions options;
    options.plan = std::move(plan);
    options.clock = clock;
    options.change_log_revisions = change_log_revisions;
    auto store = PostgresStore::open(server_.conninfo("tandem"), std::move(options));
    if (!store) return Err(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }

 private:
  PostgresServer server_;
  std::string problem_;
};

}  // namespace

std::unique_ptr<Backend> make_backend(BackendKind kind) {
  if (kind == BackendKind::kSqlite) return std::make_unique<SqliteBackend>();
  return std::make_unique<PostgresBackend>();
}

std::string backend_name(const ::testing::TestParamInfo<BackendKind>& info) {
  return info.param == BackendKind::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace tandem::store::testing
