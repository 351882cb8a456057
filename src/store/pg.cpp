#include "store/pg.hpp"

#include <algorithm>
#include <charconv>

namespace tandem::store::pg {
namespace {

constexpr int kText = 0;
constexpr int kBinary = 1;

// SQLSTATEs (PostgreSQL's errcodes.txt) a caller acts on.
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kSerializationFailure = "40001";
constexpr std::string_view kDeadlockDetected = "40P01";
constexpr std::string_view kInsufficientPrivilege = "42501";
constexpr std::string_view kReadOnlyTransaction = "25006";

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Params& Params::add(std::int64_t value) {
  values_.push_back(std::to_string(value));
  null_.push_back(false);
  formats_.push_back(kText);
  return *this;
}

Params& Params::add(std::string_view text) {
  values_.emplace_back(text);
  null_.push_back(false);
  formats_.push_back(kText);
  return *this;
}

Params& Params::add(std::span<const std::byte> bytes) {
  values_.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  null_.push_back(false);
  formats_.push_back(kBinary);
  return *this;
}

Params& Params::add(bool value) {
  return add(std::string_view(value ? "true" : "false"));
}

Params& Params::add_null() {
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(kText);
  return *this;
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  for (std::size_t i = 0; i < values_.size(); ++i)
    out.push_back(null_[i] ? nullptr : values_[i].data());
  return out;
}

std::vector<int> Params::lengths() const {
  std::vector<int> out;
  for (const auto& value : values_) out.push_back(static_cast<int>(value.size()));
  return out;
}

std::string values_rows(std::string_view row, std::size_t rows) {
  std::string sql;
  int next = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    if (r != 0) sql += ", ";
    for (const char c : row) {
      if (c != '$') {
        sql += c;
        continue;
      }
      sql += '$';
      sql += std::to_string(next++);
    }
  }
  return sql;
}

std::size_t rows_per_statement(std::size_t columns) {
  constexpr std::size_t kMaxParameters = 65535;
  constexpr std::size_t kMaxRows = 1000;  // beyond this the statement gains little
  return std::max<std::size_t>(
      1, std::min(kMaxRows, kMaxParameters / std::max<std::size_t>(1, columns)));
}

StoreResult<Ok> insert_many(Connection& db, std::string_view head, std::string_view row,
                            std::size_t columns, std::size_t count,
                            const std::function<void(std::size_t, Params&)>& fill,
                            std::string_view tail,
                            const std::function<void(const Rows&)>& on_rows) {
  const std::size_t step = rows_per_statement(columns);
  for (std::size_t from = 0; from < count; from += step) {
    const std::size_t n = std::min(step, count - from);
    Params params;
    for (std::size_t i = from; i < from + n; ++i) fill(i, params);
    const std::string sql = std::string(head) + values_rows(row, n) + std::string(tail);
    auto rows = db.exec(sql.c_str(), params);
    if (!rows) return Err(rows.error());
    if (on_rows) on_rows(*rows);
  }
  return Ok{};
}

std::string array_literal(const std::vector<std::string>& elements) {
  std::string text = "{";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i != 0) text += ',';
    text += '"';
    for (const char c : elements[i]) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  return text + "}";
}

std::string bytea_text(std::span<const std::byte> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "\\x";
  for (const std::byte b : bytes) {
    text += kHex[std::to_integer<unsigned>(b) >> 4];
    text += kHex[std::to_integer<unsigned>(b) & 0xf];
  }
  return text;
}

std::string Rows::text(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  return std::string(value, static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Rows::integer(int row, int column) const {
  const std::string value = text(row, column);
  std::int64_t out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

std::vector<std::byte> Rows::bytes(int row, int column) const {
  const std::string value = text(row, column);
  std::vector<std::byte> out;
  if (value.size() < 2 || value[0] != '\\' || value[1] != 'x') return out;
  for (std::size_t i = 2; i + 1 < value.size(); i += 2) {
    const int high = hex_value(value[i]);
    const int low = hex_value(value[i + 1]);
    if (high < 0 || low < 0) return {};
    out.push_back(static_cast<std::byte>(high << 4 | low));
  }
  return out;
}

std::int64_t Rows::affected() const {
  const char* count = PQcmdTuples(result_.get());
  std::int64_t out = 0;
  std::from_chars(count, count + std::char_traits<char>::length(count), out);
  return out;
}

StoreResult<Connection> Connection::open(const std::string& conninfo) {
  Connection connection(PQconnectdb(conninfo.c_str()));
  if (!connection.conn_)
    return Err(Error{Error::Code::kDatabase,
                     "cannot connect to the PostgreSQL state database: out of memory"});
  if (PQstatus(connection.conn_.get()) != CONNECTION_OK)
    return Err(Error{
        Error::Code::kDatabase,
        "cannot connect to the PostgreSQL state database " + connection.where() + ": " +
            trimmed(PQerrorMessage(connection.conn_.get())) +
            "; check that the server runs and that the conninfo's host (or socket directory), "
            "port, dbname and user are right, and give a password in a password file (passfile= "
            "or PGPASSFILE, mode 0600), not in the conninfo"});
  // Notices ("relation already exists, skipping") are not for the operator: libpq would print
  // them on stderr.
  PQsetNoticeProcessor(
      connection.conn_.get(), [](void*, const char*) {}, nullptr);
  // Every time is a number of milliseconds and every address an inet, so the session's time
  // zone and date style do not matter; the encoding does, for names and identities.
  if (PQsetClientEncoding(connection.conn_.get(), "UTF8") != 0)
    return Err(Error{Error::Code::kDatabase,
                     "the PostgreSQL state database " + connection.where() +
                         " refuses the UTF8 client encoding; create it with ENCODING 'UTF8'"});
  return connection;
}

std::string Connection::where() const {
  const char* host = PQhost(conn_.get());
  const char* port = PQport(conn_.get());
  const char* db = PQdb(conn_.get());
  std::string out = "(host ";
  out += host != nullptr && *host != '\0' ? host : "default";
  if (port != nullptr && *port != '\0') out += std::string(", port ") + port;
  if (db != nullptr && *db != '\0') out += std::string(", database ") + db;
  return out + ")";
}

StoreResult<Rows> Connection::exec(const char* sql, const Params& params) {
  const auto values = params.values();
  const auto lengths = params.lengths();
  PGresult* result = PQexecParams(conn_.get(), sql, params.size(), nullptr, values.data(),
                                  lengths.data(), params.formats().data(), 0);
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_state_.clear();
    return Rows(result);
  }
  Error error = failure(result, sql);
  PQclear(result);
  return Err(std::move(error));
}

StoreResult<Ok> Connection::run(const char* sql, const Params& params) {
  auto rows = exec(sql, params);
  if (!rows) return Err(rows.error());
  return Ok{};
}

StoreResult<Ok> Connection::run_script(const char* sql) {
  PGresult* result = PQexec(conn_.get(), sql);
  if (result != nullptr && PQresultStatus(result) == PGRES_COMMAND_OK) {
    PQclear(result);
    last_state_.clear();
    return Ok{};
  }
  Error error = failure(result, sql);
  PQclear(result);
  return Err(std::move(error));
}

Error Connection::failure(const PGresult* result, const char* what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_state_ = state != nullptr ? state : "";
  const std::string message =
      trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
  if (lost())
    return {Error::Code::kDatabase, "lost the connection to the PostgreSQL state database " +
                                        where() + ": " + message +
                                        "; check that the server is up and reachable"};
  if (last_state_ == kUniqueViolation)
    return {Error::Code::kConflict,
            "another gateway wrote the same name, key or address at the "
            "same moment: " +
                message};
  if (last_state_ == kSerializationFailure || last_state_ == kDeadlockDetected)
    return {Error::Code::kBusy,
            "other gateways kept changing the same accounts at the same "
            "time: " +
                message + "; try again"};
  if (last_state_ == kInsufficientPrivilege)
    return {Error::Code::kDatabase, "the PostgreSQL user may not do this in the state database " +
                                        where() + ": " + message +
                                        "; make it the owner of the database (or of its tables)"};
  if (last_state_ == kReadOnlyTransaction)
    return {Error::Code::kDatabase, "the PostgreSQL state database " + where() +
                                        " is read-only (a standby?): " + message +
                                        "; point the conninfo at the primary"};
  return {Error::Code::kDatabase, "the PostgreSQL state database " + where() + " failed: " +
                                      message + " (in: " + std::string(what).substr(0, 60) + ")"};
}

bool Connection::retryable() const {
  return last_state_ == kSerializationFailure || last_state_ == kDeadlockDetected ||
         last_state_ == kUniqueViolation;
}

StoreResult<Ok> Connection::reconnect() {
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) == CONNECTION_OK && PQsetClientEncoding(conn_.get(), "UTF8") == 0)
    return Ok{};
  return Err(Error{Error::Code::kDatabase,
                   "lost the connection to the PostgreSQL state database " + where() +
                       " and could not connect again: " + trimmed(PQerrorMessage(conn_.get())) +
                       "; check that the server is up and reachable"});
}

}  // namespace tandem::store::pg
