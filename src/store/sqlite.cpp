#include "store/sqlite.hpp"

namespace tandem::store::sqlite {

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bound_.ok()) bound_ = Err(connection_->error(rc, "binding a value"));
  return *this;
}

Query& Query::bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bound_.ok()) bound_ = Err(connection_->error(rc, "binding a value"));
  return *this;
}

Query& Query::bind(int index, std::span<const std::byte> blob) {
  // A zero-length blob is a blob, not NULL: sqlite3_bind_blob64 with a null pointer would be NULL.
  static const std::byte kEmpty{};
  const int rc = sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(),
                                     blob.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bound_.ok()) bound_ = Err(connection_->error(rc, "binding a value"));
  return *this;
}

Query& Query::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bound_.ok()) bound_ = Err(connection_->error(rc, "binding a value"));
  return *this;
}

StoreResult<bool> Query::step() {
  if (!bound_) return Err(bound_.error());
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Err(connection_->error(rc, sqlite3_sql(stmt_)));
}

StoreResult<Ok> Query::run() {
  auto stepped = step();
  if (!stepped) return Err(stepped.error());
  return Ok{};
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Query::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Query::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::span<const std::byte> Query::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr) return {};
  return {static_cast<const std::byte*>(p), static_cast<std::size_t>(n)};
}

StoreResult<Connection> Connection::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  Connection connection(db);  // closes it on every path, even a failed open
  if (rc != SQLITE_OK)
    return Err(Error{Error::Code::kDatabase,
                     "cannot open the state database " + path + ": " +
                         (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                         "; check that its directory exists and is writable by tandem"});
  return connection;
}

StoreResult<Query> Connection::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Err(error(rc, sql));
    it = statements_.emplace(std::string(sql), StatementHandle(stmt)).first;
  }
  return Query(*this, it->second.get());
}

StoreResult<Ok> Connection::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Err(error(rc, sql));
  return Ok{};
}

Error Connection::error(int code, std::string_view doing) const {
  const std::string what =
      std::string(sqlite3_errmsg(db_.get())) + " (while " + std::string(doing.substr(0, 80)) + ")";
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {Error::Code::kBusy, "the state database stayed locked by another writer: " + what +
                                      "; retry, or look for a process holding a long transaction"};
    case SQLITE_CONSTRAINT:
      return {Error::Code::kConflict, "the state database refused a duplicate: " + what};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {Error::Code::kDatabase,
              "the state database is damaged: " + what + "; restore it from a backup"};
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return {Error::Code::kDatabase,
              "the state database cannot be written: " + what +
                  "; check the disk's free space and the file's permissions"};
    default:
      return {Error::Code::kDatabase, "the state database failed: " + what};
  }
}

StoreResult<Transaction> Transaction::write(Connection& connection) {
  auto begun = connection.exec("BEGIN IMMEDIATE");
  if (!begun) return Err(begun.error());
  return Transaction(connection);
}

StoreResult<Transaction> Transaction::read(Connection& connection) {
  auto begun = connection.exec("BEGIN");
  if (!begun) return Err(begun.error());
  return Transaction(connection);
}

Transaction::~Transaction() {
  if (open_) (void)connection_->exec("ROLLBACK");
}

StoreResult<Ok> Transaction::commit() {
  auto committed = connection_->exec("COMMIT");
  if (!committed) return committed;  // still open: the destructor rolls back
  open_ = false;
  return Ok{};
}

}  // namespace tandem::store::sqlite
