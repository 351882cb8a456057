// Thin RAII over libpq: a connection made from a conninfo string, parameters passed apart from the
// SQL (PQexecParams: values are never spliced into statements), and a result read as text.
// Errors come back as store::Error naming the cause and the fix; the SQLSTATE of the last failure
// is kept so that a caller can tell a transaction worth retrying (serialization failure,
// deadlock, unique violation) and a lost connection from the rest.
// Not thread-safe: PostgresStore serialises its callers.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/error.hpp"

namespace tandem::store::pg {

// The parameters of one statement, $1 first. Byte strings go as binary (bytea), the rest as text.
class Params {
 public:
  Params& add(std::int64_t value);
  Params& add(std::string_view text);
  Params& add(const std::string& text) { return add(std::string_view(text)); }
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(std::span<const std::byte> bytes);
  Params& add(bool value);
  Params& add_null();
  template <typename T>
  Params& add(const std::optional<T>& value) {
    return value ? add(*value) : add_null();
  }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> values() const;
  std::vector<int> lengths() const;
  const std::vector<int>& formats() const { return formats_; }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;
};

// Many rows in one statement, for bulk writes: `row` is one row's VALUES tuple with `$` where each
// parameter goes ("($, $, $::inet)"); the answer repeats it `rows` times, numbering the
// parameters from $1 on ("($1, $2, $3::inet), ($4, $5, $6::inet)"). The values still travel
// apart from the SQL.
std::string values_rows(std::string_view row, std::size_t rows);
// The most rows one values_rows() statement should carry with `columns` parameters each
// (PostgreSQL takes at most 65535 parameters per statement).
std::size_t rows_per_statement(std::size_t columns);
class Connection;
class Rows;
// INSERTs `count` rows in as few statements as values_rows() allows: `head` ("INSERT INTO t
// (a, b) VALUES "), then the rows, then `tail` (" RETURNING id" or ""); `fill(i, params)` adds
// row i's parameters, and `on_rows`, when given, reads what each statement returned.
StoreResult<Ok> insert_many(Connection& db, std::string_view head, std::string_view row,
                            std::size_t columns, std::size_t count,
                            const std::function<void(std::size_t, Params&)>& fill,
                            std::string_view tail = {},
                            const std::function<void(const Rows&)>& on_rows = nullptr);
// A one-dimensional array parameter in PostgreSQL's text form ({"a","b"}), each element quoted
// with its backslashes and double quotes escaped; the statement casts it ($1::text[]).
std::string array_literal(const std::vector<std::string>& elements);
// A byte string as bytea's text form (\x and hex digits), an element of array_literal().
std::string bytea_text(std::span<const std::byte> bytes);

struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};

// The rows of a statement's result, in text format.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result) {}

  int size() const { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool boolean(int row, int column) const { return text(row, column) == "t"; }
  // A bytea column (its text form is \x and hex digits).
  std::vector<std::byte> bytes(int row, int column) const;
  // How many rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const;

 private:
  std::unique_ptr<PGresult, ResultClear> result_;
};

struct ConnectionFinish {
  void operator()(PGconn* c) const { PQfinish(c); }
};

class Connection {
 public:
  // Connects with a libpq conninfo ("host=/run/postgresql dbname=tandem user=tandem", or a
  // postgresql:// URI). Passwords come from a password file (passfile=, PGPASSFILE or
  // ~/.pgpass) rather than the string; either way an error never repeats the conninfo.
  static StoreResult<Connection> open(const std::string& conninfo);

  StoreResult<Rows> exec(const char* sql, const Params& params = {});
  // The same, for a statement whose rows are not wanted.
  StoreResult<Ok> run(const char* sql, const Params& params = {});
  // Several statements without parameters (a migration), in the simple query protocol.
  StoreResult<Ok> run_script(const char* sql);

  // The SQLSTATE of the last failed statement ("" after success or without one).
  const std::string& last_state() const { return last_state_; }
  // Whether the last failure may pass on a second try of the whole transaction.
  bool retryable() const;
  // Whether the connection is lost, and its one attempt to come back.
  bool lost() const { return PQstatus(conn_.get()) == CONNECTION_BAD; }
  StoreResult<Ok> reconnect();

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Error failure(const PGresult* result, const char* what);
  // Where the connection goes, for messages: host or socket directory, port and database.
  std::string where() const;

  std::unique_ptr<PGconn, ConnectionFinish> conn_;
  std::string last_state_;
};

}  // namespace tandem::store::pg
