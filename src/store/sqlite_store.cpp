// Opening the SQLite store and every mutation. Each mutation is one write transaction that checks,
// writes, appends its event and bumps the revision, so a reader (or a crash) sees all of it or
// none of it.
#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "store/batch_check.hpp"
#include "store/mutation_text.hpp"
#include "store/sqlite_codec.hpp"
#include "store/sqlite_lookup.hpp"
#include "store/sqlite_schema.hpp"

namespace tandem::store {
namespace {

using sqlite::address_bytes;
using sqlite::address_from;

// The file is made before SQLite opens it so that it is never, even for a moment, readable by
// others; SQLite gives its -wal and -shm files the database file's mode.
StoreResult<Ok> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return Err(Error{Error::Code::kDatabase,
                     "cannot create the state database " + path + ": " + std::strerror(errno) +
                         "; check that its directory exists and tandem may write there"});
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc == 0 && (st.st_mode & 077) != 0) {
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

struct SqliteStore::Mutation {
  std::int64_t now = 0;
  std::vector<std::string> touched;  // the accounts changed, for the change log
};

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

std::int64_t SqliteStore::now_ms() {
  return now_millis(options_.clock);
}

template <typename Body>
StoreResult<Ok> SqliteStore::write(Body&& body) {
  auto transaction = sqlite::Transaction::write(db_);
  if (!transaction) return Err(transaction.error());
  Mutation mutation{now_ms(), {}};
  auto done = body(mutation);
  if (!done) return done;
  if (!mutation.touched.empty()) {
    auto bumped = bump_revision(mutation.touched);
    if (!bumped) return bumped;
  }
  return transaction->commit();
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

StoreResult<Ok> SqliteStore::record_event(std::int64_t at, const std::string& kind,
                                          const std::string& account, const std::string& detail) {
  auto q = db_.query("INSERT INTO events (at, kind, account, detail) VALUES (?1, ?2, ?3, ?4)");
  if (!q) return Err(q.error());
  return q->bind(1, at).bind(2, kind).bind(3, account).bind(4, detail).run();
}

StoreResult<std::int64_t> SqliteStore::account_id(const std::string& name) {
  auto q = db_.query("SELECT id FROM accounts WHERE name = ?1");
  if (!q) return Err(q.error());
  auto row = q->bind(1, name).step();
  if (!row) return Err(row.error());
  if (!*row) return Err(not_found(name));
  return q->integer(0);
}

StoreResult<Ok> SqliteStore::touch(std::int64_t account, std::int64_t at) {
  auto q = db_.query("UPDATE accounts SET updated_at = ?2 WHERE id = ?1");
  if (!q) return Err(q.error());
  return q->bind(1, account).bind(2, at).run();
}

StoreResult<Ok> SqliteStore::insert_key(std::int64_t account, const NewWireguardKey& key,
                                        std::int64_t at) {
  auto q = db_.query(
      "INSERT INTO wireguard_keys (public_key, account_id, preshared_key, not_after, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!q) return Err(q.error());
  q->bind(1, std::span<const std::byte>(key.public_key)).bind(2, account).bind(5, at);
  if (key.preshared_key) q->bind(3, std::span<const std::byte>(key.preshared_key->bytes()));
  if (key.not_after) q->bind(4, sqlite::to_millis(*key.not_after));
  return q->run();
}

StoreResult<Ok> SqliteStore::insert_planned(const PlannedAccount& planned, std::int64_t at) {
  const NewAccount& row = *planned.row;
  auto insert = db_.query(
      "INSERT INTO accounts (name, state, revoked_at, created_at, updated_at, ike_id, ike_psk) "
      "VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6) RETURNING id");
  if (!insert) return Err(insert.error());
  insert->bind(1, row.name).bind(2, state_name(row.state)).bind(4, at);
  if (row.state == AccountState::kRevoked) insert->bind(3, at);
  insert->bind(5, row.ike_id).bind(6, row.ike_psk);
  auto inserted = insert->step();
  if (!inserted) return Err(inserted.error());
  const std::int64_t id = insert->integer(0);
  for (const auto& subnet : row.subnets) {
    auto q = db_.query("INSERT INTO account_subnets (account_id, prefix) VALUES (?1, ?2)");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, id).bind(2, subnet.to_string()).run();
    if (!ran) return ran;
  }
  for (const auto& key : row.wireguard_keys) {
    auto ran = insert_key(id, key, at);
    if (!ran) return ran;
  }
  if (planned.ppp) {
    auto ran = write_credential(id, *planned.ppp);
    if (!ran) return ran;
  }
  const std::pair<const std::optional<IpAddress>*, bool> addresses[] = {
      {&planned.ipv4, planned.ipv4_leased}, {&planned.ipv6, planned.ipv6_leased}};
  for (const auto& [address, leased] : addresses) {
    if (!*address) continue;
    auto q = db_.query(
        "INSERT INTO addresses (address, account_id, leased, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, address_bytes(**address))
                   .bind(2, id)
                   .bind(3, std::int64_t{leased ? 1 : 0})
                   .bind(4, at)
                   .run();
    if (!ran) return ran;
  }
  return record_event(at, "account.added", row.name, added_detail(planned));
}

StoreResult<Ok> SqliteStore::write_credential(std::int64_t account,
                                              const PppCredential& credential) {
  auto q = db_.query(
      "INSERT OR REPLACE INTO ppp_credentials (account_id, nt_hash, password) VALUES (?1, ?2, ?3)");
  if (!q) return Err(q.error());
  return q->bind(1, account)
      .bind(2, std::span<const std::byte>(credential.nt_hash.bytes()))
      .bind(3, credential.password)
      .run();
}

StoreResult<ImportReport> SqliteStore::import_locked(const std::vector<NewAccount>& rows) {
  ImportReport report;
  auto done = write([&](Mutation& m) -> StoreResult<Ok> {
    sqlite::SqliteLookup lookup(db_);
    auto plan = check_batch(rows, options_.plan, lookup);
    if (!plan) return Err(plan.error());
    if (!plan->rejections.empty()) {
      report.rejections = std::move(plan->rejections);
      return Ok{};  // nothing written, nothing touched: the commit is empty
    }
    for (const auto& planned : plan->accounts) {
      auto inserted = insert_planned(planned, m.now);
      if (!inserted) return inserted;
      m.touched.push_back(planned.row->name);
    }
    report.imported = rows.size();
    return Ok{};
  });
  if (!done) return Err(done.error());
  return report;
}

StoreResult<ImportReport> SqliteStore::import_accounts(const std::vector<NewAccount>& rows) {
  std::lock_guard lock(mutex_);
  return import_locked(rows);
}

StoreResult<AccountRecord> SqliteStore::add_account(const NewAccount& account) {
  std::lock_guard lock(mutex_);
  auto report = import_locked({account});
  if (!report) return Err(report.error());
  if (!report->rejections.empty()) return Err(rejected(account.name, report->rejections.front()));
  auto id = account_id(account.name);
  if (!id) return Err(id.error());
  auto records = read_accounts(*id);
  if (!records) return Err(records.error());
  if (records->empty()) return Err(not_found(account.name));  // removed by another writer since
  return std::move(records->front());
}

StoreResult<Ok> SqliteStore::remove_account(const std::string& name) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    std::vector<IpAddress> released;
    auto leases = db_.query("SELECT address FROM addresses WHERE account_id = ?1 AND leased = 1");
    if (!leases) return Err(leases.error());
    auto read = leases->bind(1, *id).for_each([&](const sqlite::Query& r) {
      if (auto a = address_from(r.blob(0))) released.push_back(*a);
    });
    if (!read) return read;
    auto q = db_.query("DELETE FROM accounts WHERE id = ?1");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, *id).run();
    if (!ran) return ran;
    m.touched.push_back(name);
    return record_event(m.now, "account.removed", name, removed_detail(released));
  });
}

StoreResult<Ok> SqliteStore::set_state(const std::string& name, AccountState state) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto q = db_.query("SELECT id, state FROM accounts WHERE name = ?1");
    if (!q) return Err(q.error());
    auto row = q->bind(1, name).step();
    if (!row) return Err(row.error());
    if (!*row) return Err(not_found(name));
    const std::int64_t id = q->integer(0);
    const auto current = parse_state(q->text(1));
    if (current == state) return Ok{};
    if (current == AccountState::kRevoked) return Err(revoked_is_final(name));
    auto update = db_.query(
        "UPDATE accounts SET state = ?2, updated_at = ?3, "
        "revoked_at = CASE WHEN ?2 = 'revoked' THEN ?3 ELSE NULL END WHERE id = ?1");
    if (!update) return Err(update.error());
    auto ran = update->bind(1, id).bind(2, state_name(state)).bind(3, m.now).run();
    if (!ran) return ran;
    m.touched.push_back(name);
    return record_event(m.now, "account." + std::string(state_name(state)), name,
                        state_detail(current.value_or(state)));
  });
}

StoreResult<Ok> SqliteStore::set_subnets(const std::string& name,
                                         const std::vector<IpPrefix>& subnets) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    sqlite::SqliteLookup lookup(db_);
    auto verdict = check_subnets(name, subnets, options_.plan, lookup);
    if (!verdict) return Err(verdict.error());
    if (*verdict) return Err(rejected(name, **verdict));
    auto clear = db_.query("DELETE FROM account_subnets WHERE account_id = ?1");
    if (!clear) return Err(clear.error());
    auto cleared = clear->bind(1, *id).run();
    if (!cleared) return cleared;
    for (const auto& subnet : subnets) {
      auto q = db_.query("INSERT INTO account_subnets (account_id, prefix) VALUES (?1, ?2)");
      if (!q) return Err(q.error());
      auto ran = q->bind(1, *id).bind(2, subnet.to_string()).run();
      if (!ran) return ran;
    }
    m.touched.push_back(name);
    auto touched = touch(*id, m.now);
    if (!touched) return touched;
    return record_event(m.now, "account.subnets", name, subnets_detail(subnets));
  });
}

StoreResult<Ok> SqliteStore::set_ike(const std::string& name, std::optional<std::string> ike_id,
                                     std::optional<std::string> ike_psk) {
  auto valid = check_ike(name, ike_id, ike_psk);
  if (!valid) return valid;
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto q =
        db_.query("UPDATE accounts SET ike_id = ?2, ike_psk = ?3, updated_at = ?4 WHERE id = ?1");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, *id).bind(2, ike_id).bind(3, ike_psk).bind(4, m.now).run();
    if (!ran) return ran;
    m.touched.push_back(name);
    return record_event(m.now, "account.ike", name, ike_detail(ike_psk.has_value()));
  });
}

StoreResult<Ok> SqliteStore::add_wireguard_key(const std::string& name,
                                               const NewWireguardKey& key) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto added = add_key_checked(*id, name, key, m.now);
    if (!added) return added;
    m.touched.push_back(name);
    return record_event(m.now, "wireguard_key.added", name, key_detail(key.public_key));
  });
}

StoreResult<Ok> SqliteStore::add_key_checked(std::int64_t account, const std::string& name,
                                             const NewWireguardKey& key, std::int64_t at) {
  sqlite::SqliteLookup lookup(db_);
  auto owner = lookup.key_owner(key.public_key);
  if (!owner) return Err(owner.error());
  if (*owner) return Err(key_taken(name, key.public_key, **owner));
  return insert_key(account, key, at);
}

StoreResult<Ok> SqliteStore::remove_wireguard_key(const std::string& name,
                                                  const crypto::PublicKey& key) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto q = db_.query("DELETE FROM wireguard_keys WHERE public_key = ?1 AND account_id = ?2");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, std::span<const std::byte>(key)).bind(2, *id).run();
    if (!ran) return ran;
    if (sqlite3_changes(db_.handle()) == 0) return Err(key_not_found(name, key));
    m.touched.push_back(name);
    return record_event(m.now, "wireguard_key.removed", name, key_detail(key));
  });
}

StoreResult<Ok> SqliteStore::rotate_wireguard_key(const std::string& name,
                                                  const crypto::PublicKey& previous,
                                                  const NewWireguardKey& next, Duration overlap) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    const std::int64_t end =
        m.now + std::chrono::duration_cast<std::chrono::milliseconds>(overlap).count();
    // An earlier end the key already had stays: a rotation never lengthens a key's life.
    auto q = db_.query(
        "UPDATE wireguard_keys SET not_after = min(coalesce(not_after, ?3), ?3) "
        "WHERE public_key = ?1 AND account_id = ?2");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, std::span<const std::byte>(previous)).bind(2, *id).bind(3, end).run();
    if (!ran) return ran;
    if (sqlite3_changes(db_.handle()) == 0) return Err(key_not_found(name, previous));
    auto added = add_key_checked(*id, name, next, m.now);
    if (!added) return added;
    m.touched.push_back(name);
    return record_event(m.now, "wireguard_key.rotated", name,
                        rotated_detail(previous, next.public_key, end));
  });
}

StoreResult<Ok> SqliteStore::set_ppp_login(const std::string& name, std::optional<PppLogin> login) {
  auto made = credential_or_refusal(name, login);
  if (!made) return Err(made.error());
  const std::optional<PppCredential>& credential = *made;
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    if (credential) {
      auto written = write_credential(*id, *credential);
      if (!written) return written;
    } else {
      auto q = db_.query("DELETE FROM ppp_credentials WHERE account_id = ?1");
      if (!q) return Err(q.error());
      auto ran = q->bind(1, *id).run();
      if (!ran) return ran;
    }
    auto touched = touch(*id, m.now);
    if (!touched) return touched;
    m.touched.push_back(name);
    return record_event(m.now, credential ? "ppp.set" : "ppp.removed", name,
                        ppp_detail(credential));
  });
}

StoreResult<Ok> SqliteStore::append_event(const std::string& kind, const std::string& account,
                                          const std::string& detail_json) {
  auto valid = check_event(kind, detail_json);
  if (!valid) return valid;
  std::lock_guard lock(mutex_);
  return record_event(now_ms(), kind, account, detail_json);
}

}  // namespace tandem::store
