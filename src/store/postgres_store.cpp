// Opening the PostgreSQL store and its transactions. Each mutation (mutations.cpp) is one
// SERIALIZABLE transaction that checks, writes, appends its event and bumps the revision; one that
// collides with another gateway's is rolled back and run again from its checks (see the header).
#include "store/postgres_store.hpp"

#include <random>
#include <thread>

#include "store/postgres_schema.hpp"
#include "store/postgres_tables.hpp"

namespace tandem::store {
namespace {

// A pause before running a collided transaction again, growing with the attempts and random so
// that two gateways that collided do not collide again in step.
void back_off(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling = 1 << std::min(attempt, 5);  // up to 32 ms
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(100, ceiling * 1000)(random)));
}

}  // namespace

StoreResult<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& conninfo,
                                                                PostgresOptions options) {
  auto connection = pg::Connection::open(conninfo);
  if (!connection) return Err(connection.error());
  auto migrated = postgres::migrate(*connection);
  if (!migrated) return Err(migrated.error());
  return std::unique_ptr<PostgresStore>(
      new PostgresStore(std::move(*connection), std::move(options)));
}

StoreResult<Ok> PostgresStore::transact(const char* begin, const Statements& body) {
  bool reconnected = false;
  for (int attempt = 1;; ++attempt) {
    auto done = db_.run(begin);
    if (done) done = body();
    if (done) done = db_.run("COMMIT");
    if (done) return done;
    const bool lost = db_.lost();
    const bool retryable = db_.retryable();
    if (!lost) (void)db_.run("ROLLBACK");
    if (lost && !reconnected) {
      // A commit the lost connection did not confirm may have happened: run again, the body's
      // checks then refuse what is already there.
      reconnected = true;
      auto back = db_.reconnect();
      if (!back) return back;
      continue;
    }
    if (!retryable || attempt >= options_.max_attempts) return done;
    back_off(attempt);
  }
}

StoreResult<Ok> PostgresStore::write(const Body& body) {
  std::lock_guard lock(mutex_);
  return transact("BEGIN ISOLATION LEVEL SERIALIZABLE", [&]() -> StoreResult<Ok> {
    postgres::PostgresTables tables(db_);
    Mutation mutation{now_ms(), {}};
    auto done = body(tables, mutation);
    if (!done || mutation.touched.empty()) return done;
    return bump_revision(mutation.touched);
  });
}

StoreResult<Ok> PostgresStore::read(const Statements& body) {
  return transact("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body);
}

StoreResult<Ok> PostgresStore::bump_revision(const std::vector<std::string>& touched) {
  auto bumped =
      db_.exec("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value");
  if (!bumped) return Err(bumped.error());
  const std::int64_t revision = bumped->integer(0, 0);
  auto recorded = pg::insert_many(
      db_, "INSERT INTO changes (revision, account) VALUES ", "($::bigint, $)", 2, touched.size(),
      [&](std::size_t i, pg::Params& params) { params.add(revision).add(touched[i]); },
      " ON CONFLICT DO NOTHING");
  if (!recorded) return recorded;
  const auto keep = static_cast<std::int64_t>(options_.change_log_revisions);
  if (revision <= keep) return Ok{};
  auto pruned =
      db_.run("DELETE FROM changes WHERE revision <= $1", pg::Params().add(revision - keep));
  if (!pruned) return pruned;
  return db_.run("UPDATE meta SET value = greatest(value, $1) WHERE key = 'changes_from'",
                 pg::Params().add(revision - keep));
}

StoreResult<Ok> PostgresStore::append(std::int64_t at, const std::string& kind,
                                      const std::string& account, const std::string& detail) {
  std::lock_guard lock(mutex_);
  return transact("BEGIN", [&] {
    return postgres::PostgresTables(db_).record_event(at, kind, account, detail);
  });
}

}  // namespace tandem::store
