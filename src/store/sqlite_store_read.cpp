// The SQLite store's reads. An account is read from five tables in one read transaction, so that
// it is never seen half-written, and a whole listing takes five queries however many accounts
// there are.
#include <map>

#include "store/sqlite_codec.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_tables.hpp"

namespace tandem::store {
namespace {

using sqlite::address_from;
using sqlite::from_millis;

// The account rows (all, or the one with id `only`) by id.
StoreResult<std::map<std::int64_t, AccountRecord>> read_account_rows(
    sqlite::Connection& db, std::optional<std::int64_t> only) {
  auto q = db.query(
      "SELECT id, name, state, revoked_at, created_at, updated_at, ike_id, ike_psk, "
      "mtu_probe_target, account_class FROM accounts WHERE ?1 IS NULL OR id = ?1");
  if (!q) return Err(q.error());
  std::map<std::int64_t, AccountRecord> records;
  auto read = q->bind(1, only).for_each([&](const sqlite::Query& r) {
    AccountRecord& a = records[r.integer(0)];
    a.name = r.text(1);
    a.state = parse_state(r.text(2)).value_or(AccountState::kDisabled);
    if (!r.is_null(3)) a.revoked_at = from_millis(r.integer(3));
    a.created_at = from_millis(r.integer(4));
    a.updated_at = from_millis(r.integer(5));
    if (!r.is_null(6)) a.ike_id = r.text(6);
    if (!r.is_null(7)) a.ike_psk = r.text(7);
    if (!r.is_null(8)) a.mtu_probe_target = IpAddress::parse(r.text(8));
    if (!r.is_null(9)) a.account_class = r.text(9);
  });
  if (!read) return Err(read.error());
  return records;
}

// Runs `sql` (whose ?1 is `only`, and whose first column an account id) and hands each row to
// `f` with the record it belongs to.
template <typename F>
StoreResult<Ok> read_parts(sqlite::Connection& db, const char* sql,
                           std::optional<std::int64_t> only,
                           std::map<std::int64_t, AccountRecord>& records, F&& f) {
  auto q = db.query(sql);
  if (!q) return Err(q.error());
  return q->bind(1, only).for_each([&](const sqlite::Query& r) {
    const auto it = records.find(r.integer(0));
    if (it != records.end()) f(it->second, r);
  });
}

void read_key(AccountRecord& a, const sqlite::Query& r) {
  const auto public_key = r.blob(1);
  if (public_key.size() != 32) return;
  WireguardKey key;
  std::copy(public_key.begin(), public_key.end(), key.public_key.begin());
  if (const auto psk = r.blob(2); psk.size() == 32)
    key.preshared_key = crypto::Key32(std::span<const std::byte, 32>(psk.data(), 32));
  if (!r.is_null(3)) key.not_after = from_millis(r.integer(3));
  key.created_at = from_millis(r.integer(4));
  a.wireguard_keys.push_back(std::move(key));
}

void read_credential(AccountRecord& a, const sqlite::Query& r) {
  const auto hash = r.blob(1);
  if (hash.size() != 16) return;
  PppCredential credential;
  credential.nt_hash = crypto::NtPasswordHash(std::span<const std::byte, 16>(hash.data(), 16));
  if (!r.is_null(2)) credential.password = r.text(2);
  a.ppp = std::move(credential);
}

void read_address(AccountRecord& a, const sqlite::Query& r) {
  const auto address = address_from(r.blob(1));
  if (!address) return;
  const bool leased = r.integer(2) != 0;
  (address->is_v4() ? a.ipv4 : a.ipv6) = *address;
  (address->is_v4() ? a.ipv4_leased : a.ipv6_leased) = leased;
}

StoreResult<std::int64_t> meta_value(sqlite::Connection& db, const char* key) {
  auto q = db.query("SELECT value FROM meta WHERE key = ?1");
  if (!q) return Err(q.error());
  auto row = q->bind(1, std::string_view(key)).step();
  if (!row) return Err(row.error());
  return *row ? q->integer(0) : 0;
}

}  // namespace

StoreResult<std::vector<AccountRecord>> SqliteStore::read_accounts(
    std::optional<std::int64_t> only) {
  auto transaction = sqlite::Transaction::read(db_);
  if (!transaction) return Err(transaction.error());
  auto records = read_account_rows(db_, only);
  if (!records) return Err(records.error());
  auto subnets = read_parts(
      db_, "SELECT account_id, prefix FROM account_subnets WHERE ?1 IS NULL OR account_id = ?1",
      only, *records, [](AccountRecord& a, const sqlite::Query& r) {
        if (auto prefix = IpPrefix::parse(r.text(1))) a.subnets.push_back(*prefix);
      });
  if (!subnets) return Err(subnets.error());
  auto keys = read_parts(db_,
                         "SELECT account_id, public_key, preshared_key, not_after, created_at "
                         "FROM wireguard_keys WHERE ?1 IS NULL OR account_id = ?1 "
                         "ORDER BY created_at, rowid",
                         only, *records, read_key);
  if (!keys) return Err(keys.error());
  auto ppp = read_parts(db_,
                        "SELECT account_id, nt_hash, password FROM ppp_credentials "
                        "WHERE ?1 IS NULL OR account_id = ?1",
                        only, *records, read_credential);
  if (!ppp) return Err(ppp.error());
  auto addresses = read_parts(db_,
                              "SELECT account_id, address, leased FROM addresses "
                              "WHERE ?1 IS NULL OR account_id = ?1",
                              only, *records, read_address);
  if (!addresses) return Err(addresses.error());
  auto ended = transaction->commit();
  if (!ended) return Err(ended.error());
  std::vector<AccountRecord> out;
  out.reserve(records->size());
  for (auto& [id, record] : *records) {
    std::sort(record.subnets.begin(), record.subnets.end());
    out.push_back(std::move(record));
  }
  std::sort(out.begin(), out.end(),
            [](const AccountRecord& a, const AccountRecord& b) { return a.name < b.name; });
  return out;
}

StoreResult<std::optional<AccountRecord>> SqliteStore::find_account(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto found = sqlite::SqliteTables(db_).account(name);
  if (!found) return Err(found.error());
  if (!*found) return std::optional<AccountRecord>{};
  auto records = read_accounts((*found)->first);
  if (!records) return Err(records.error());
  if (records->empty()) return std::optional<AccountRecord>{};
  return std::optional<AccountRecord>(std::move(records->front()));
}

StoreResult<std::vector<AccountRecord>> SqliteStore::list_accounts() {
  std::lock_guard lock(mutex_);
  return read_accounts(std::nullopt);
}

StoreResult<std::size_t> SqliteStore::account_count() {
  std::lock_guard lock(mutex_);
  auto q = db_.query("SELECT count(*) FROM accounts");
  if (!q) return Err(q.error());
  auto row = q->step();
  if (!row) return Err(row.error());
  return static_cast<std::size_t>(q->integer(0));
}

StoreResult<std::vector<Lease>> SqliteStore::list_leases() {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT d.address, a.name, d.created_at FROM addresses d JOIN accounts a "
      "ON a.id = d.account_id WHERE d.leased = 1 ORDER BY length(d.address), d.address");
  if (!q) return Err(q.error());
  std::vector<Lease> leases;
  auto read = q->for_each([&](const sqlite::Query& r) {
    if (auto address = address_from(r.blob(0)))
      leases.push_back({*address, r.text(1), from_millis(r.integer(2))});
  });
  if (!read) return Err(read.error());
  return leases;
}

StoreResult<std::vector<Event>> SqliteStore::list_events(std::size_t limit,
                                                         const std::string& account) {
  std::lock_guard lock(mutex_);
  auto q = db_.query(
      "SELECT id, at, kind, account, detail FROM events WHERE ?2 IS NULL OR account = ?2 "
      "ORDER BY id DESC LIMIT ?1");
  if (!q) return Err(q.error());
  q->bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  if (!account.empty()) q->bind(2, account);
  std::vector<Event> events;
  auto read = q->for_each([&](const sqlite::Query& r) {
    events.push_back({r.integer(0), from_millis(r.integer(1)), r.text(2), r.text(3), r.text(4)});
  });
  if (!read) return Err(read.error());
  return events;
}

StoreResult<std::uint64_t> SqliteStore::revision() {
  std::lock_guard lock(mutex_);
  auto value = meta_value(db_, "revision");
  if (!value) return Err(value.error());
  return static_cast<std::uint64_t>(*value);
}

StoreResult<Changes> SqliteStore::changes_since(std::uint64_t since) {
  std::lock_guard lock(mutex_);
  auto transaction = sqlite::Transaction::read(db_);
  if (!transaction) return Err(transaction.error());
  auto revision = meta_value(db_, "revision");
  if (!revision) return Err(revision.error());
  auto from = meta_value(db_, "changes_from");
  if (!from) return Err(from.error());
  Changes changes;
  changes.revision = static_cast<std::uint64_t>(*revision);
  // A reader ahead of the store has seen a database that was since replaced (a restored
  // backup); one behind the change log has missed names. Either must start over.
  if (since > changes.revision || since < static_cast<std::uint64_t>(*from)) {
    changes.reload_all = true;
    return changes;
  }
  auto q = db_.query("SELECT DISTINCT account FROM changes WHERE revision > ?1 ORDER BY account");
  if (!q) return Err(q.error());
  auto read = q->bind(1, static_cast<std::int64_t>(since)).for_each([&](const sqlite::Query& r) {
    changes.accounts.push_back(r.text(0));
  });
  if (!read) return Err(read.error());
  auto ended = transaction->commit();
  if (!ended) return Err(ended.error());
  return changes;
}

StoreResult<Ok> SqliteStore::check_integrity() {
  std::lock_guard lock(mutex_);
  std::string problems;
  for (const char* sql : {"PRAGMA integrity_check", "PRAGMA foreign_key_check"}) {
    auto q = db_.query(sql);
    if (!q) return Err(q.error());
    auto read = q->for_each([&](const sqlite::Query& r) {
      const std::string line = r.text(0);
      if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
    });
    if (!read) return Err(read.error());
  }
  if (problems.empty()) return Ok{};
  return Err(Error{Error::Code::kDatabase, "the state database is inconsistent: " + problems +
                                               "; restore it from a backup"});
}

}  // namespace tandem::store
