// Opening the SQLite store and its write transactions. Each mutation (mutations.cpp) is one write
// transaction that checks, writes, appends its event and bumps the revision, so a reader (or a
// crash) sees all of it or none of it.
#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "store/sqlite_schema.hpp"
#include "store/sqlite_tables.hpp"

namespace tandem::store {
namespace {

// The file is made before SQLite opens it so that it is never, even for a moment, readable by
// others; SQLite gives its -wal and -shm files the database file's mode. An existing file is only
// looked at (lstat), never opened: closing any descriptor of the file would drop the POSIX locks
// every SQLite connection of this process holds on it (a gateway keeps two), after which another
// process may take the database for unused, checkpoint and reset the WAL under them, and they
// read a stale snapshot from then on.
StoreResult<Ok> create_private_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    // EEXIST: another process made it meanwhile; it is looked at below like any existing file.
    if (fd < 0 && errno != EEXIST)
      return Err(Error{Error::Code::kDatabase,
                       "cannot create the state database " + path + ": " + std::strerror(errno) +
                           "; check that its directory exists and tandem may write there"});
    if (fd >= 0) {
      ::close(fd);  // new and empty: no connection holds a lock on it yet
      return Ok{};
    }
    if (::lstat(path.c_str(), &st) != 0)
      return Err(Error{Error::Code::kDatabase,
                       "cannot read the state database " + path + ": " + std::strerror(errno)});
  }
  if (!S_ISREG(st.st_mode))
    return Err(Error{Error::Code::kDatabase,
                     "the state database " + path +
                         " is not a regular file (a symbolic link or a directory); name the "
                         "file itself"});
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return Err(Error{Error::Code::kDatabase,
                     "the state database " + path + " may be read by others (mode " + mode +
                         ") but holds keys and password hashes: chmod 600 " + path});
  }
  return Ok{};
}

StoreResult<Ok> configure(sqlite::Connection& db, std::chrono::milliseconds busy_timeout) {
  sqlite3_busy_timeout(db.handle(), static_cast<int>(busy_timeout.count()));
  auto journal = db.query("PRAGMA journal_mode = WAL");
  if (!journal) return Err(journal.error());
  auto row = journal->step();
  if (!row) return Err(row.error());
  if (!*row || journal->text(0) != "wal")
    return Err(Error{Error::Code::kDatabase,
                     "the state database cannot use write-ahead logging (its file system may not "
                     "support shared memory, as some network file systems do not); keep it on a "
                     "local disk"});
  // WAL alone keeps every commit when tandem is killed (kill -9 included: a commit is in the WAL
  // file before COMMIT returns), but with synchronous=NORMAL, its usual companion, a power cut or
  // kernel crash can still undo the last commits. A lease handed out, or a revocation an
  // operator was told is done, must not come back undone after a reboot, so every commit waits
  // for its WAL frames to reach the disk. Set explicitly: a build with another default must not
  // weaken it.
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

}  // namespace

StoreResult<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                            SqliteOptions options) {
  auto created = create_private_file(path);
  if (!created) return Err(created.error());
  auto connection = sqlite::Connection::open(path);
  if (!connection) return Err(connection.error());
  auto configured = configure(*connection, options.busy_timeout);
  if (!configured) return Err(configured.error());
  auto migrated = sqlite::migrate(*connection);
  if (!migrated) return Err(migrated.error());
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*connection), std::move(options)));
}

StoreResult<Ok> SqliteStore::write(const Body& body) {
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::write(db_);
  if (!transaction) return Err(transaction.error());
  sqlite::SqliteTables tables(db_);
  Mutation mutation{now_ms(), {}};
  auto done = body(tables, mutation);
  if (!done) return done;
  if (!mutation.touched.empty()) {
    auto bumped = bump_revision(mutation.touched);
    if (!bumped) return bumped;
  }
  return transaction->commit();
}

StoreResult<Ok> SqliteStore::append(std::int64_t at, const std::string& kind,
                                    const std::string& account, const std::string& detail) {
  std::lock_guard lock(mutex_);
  return sqlite::SqliteTables(db_).record_event(at, kind, account, detail);
}

StoreResult<Ok> SqliteStore::bump_revision(const std::vector<std::string>& touched) {
  auto bump = db_.query("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value");
  if (!bump) return Err(bump.error());
  auto row = bump->step();
  if (!row) return Err(row.error());
  const std::int64_t revision = bump->integer(0);
  for (const auto& name : touched) {
    auto q = db_.query("INSERT OR IGNORE INTO changes (revision, account) VALUES (?1, ?2)");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, revision).bind(2, name).run();
    if (!ran) return ran;
  }
  const auto keep = static_cast<std::int64_t>(options_.change_log_revisions);
  if (revision <= keep) return Ok{};
  auto prune = db_.query("DELETE FROM changes WHERE revision <= ?1");
  if (!prune) return Err(prune.error());
  auto pruned = prune->bind(1, revision - keep).run();
  if (!pruned) return pruned;
  auto floor = db_.query("UPDATE meta SET value = max(value, ?1) WHERE key = 'changes_from'");
  if (!floor) return Err(floor.error());
  return floor->bind(1, revision - keep).run();
}

}  // namespace tandem::store
