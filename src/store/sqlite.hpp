// Thin RAII over libsqlite3: a connection that owns its prepared statements, a statement use that
// binds, steps and resets, and a transaction that rolls back unless committed. Errors come back as
// store::Error with SQLite's own message and what it means for the operator.
// Not thread-safe: one Connection per thread (SqliteStore serialises its callers).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.hpp"
#include "store/store.hpp"

namespace tandem::store::sqlite {

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

class Connection;

// One execution of a prepared statement: bind, step through the rows, and reset on destruction
// (so that the statement can be reused and its read transaction ends).
class Query {
 public:
  Query(Connection& connection, sqlite3_stmt* stmt) : connection_(&connection), stmt_(stmt) {}
  Query(Query&& other) noexcept
      : connection_(other.connection_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        bound_(std::move(other.bound_)) {}
  Query& operator=(Query&&) = delete;
  ~Query();

  // Parameters are numbered from 1, as in SQL's ?1.
  Query& bind(int index, std::int64_t value);
  Query& bind(int index, std::string_view text);
  Query& bind(int index, std::span<const std::byte> blob);
  Query& bind_null(int index);
  template <typename T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // A row (true), the end (false), or the error.
  StoreResult<bool> step();
  // Runs a statement that returns no rows.
  StoreResult<Ok> run();
  // Calls `f(*this)` for each row.
  template <typename F>
  StoreResult<Ok> for_each(F&& f) {
    for (;;) {
      auto row = step();
      if (!row) return Err(row.error());
      if (!*row) return Ok{};
      f(*this);
    }
  }

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::span<const std::byte> blob(int column) const;

 private:
  Connection* connection_;
  sqlite3_stmt* stmt_;
  StoreResult<Ok> bound_ = Ok{};  // the first bind failure, reported by step()
};

class Connection {
 public:
  // Opens (creating when absent) the database at `path`.
  static StoreResult<Connection> open(const std::string& path);

  // A cached prepared statement for `sql` (prepared on first use).
  StoreResult<Query> query(std::string_view sql);
  // Runs SQL text of one or more statements, with no parameters and no rows wanted.
  StoreResult<Ok> exec(std::string_view sql);

  // The store's error for a SQLite result code, naming what was being done.
  Error error(int code, std::string_view doing) const;
  sqlite3* handle() { return db_.get(); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, ConnectionCloser> db_;
  std::map<std::string, StatementHandle, std::less<>> statements_;
};

// A transaction that rolls back unless committed.
class Transaction {
 public:
  // BEGIN IMMEDIATE: takes the write lock up front, so that what the transaction reads cannot
  // change before it writes (a lease reads the free addresses, then takes one), and a second
  // writer waits for it (busy_timeout) instead of failing half-way.
  static StoreResult<Transaction> write(Connection& connection);
  // BEGIN: the reads that follow see one snapshot, even while another connection writes.
  static StoreResult<Transaction> read(Connection& connection);
  Transaction(Transaction&& other) noexcept
      : connection_(other.connection_), open_(std::exchange(other.open_, false)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  StoreResult<Ok> commit();

 private:
  explicit Transaction(Connection& connection) : connection_(&connection) {}

  Connection* connection_;
  bool open_ = true;
};

}  // namespace tandem::store::sqlite
