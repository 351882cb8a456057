// The PostgreSQL store's reads. An account is read from five tables in one REPEATABLE READ
// transaction (one snapshot), so that it is never seen half-written, and a whole listing takes
// five queries however many accounts there are.
#include <algorithm>
#include <map>

#include "store/millis.hpp"
#include "store/postgres_store.hpp"
#include "store/postgres_tables.hpp"

namespace tandem::store {
namespace {

using Records = std::map<std::int64_t, AccountRecord>;

pg::Params only_param(std::optional<std::int64_t> only) {
  return pg::Params().add(only);
}

StoreResult<Ok> read_account_rows(pg::Connection& db, std::optional<std::int64_t> only,
                                  Records& records) {
  auto rows = db.exec(
      "SELECT id, name, state, revoked_at, created_at, updated_at, ike_id, ike_psk, "
      "mtu_probe_target, account_class FROM accounts WHERE $1::bigint IS NULL OR id = $1::bigint",
      only_param(only));
  if (!rows) return Err(rows.error());
  for (int i = 0; i < rows->size(); ++i) {
    AccountRecord& a = records[rows->integer(i, 0)];
    a.name = rows->text(i, 1);
    a.state = parse_state(rows->text(i, 2)).value_or(AccountState::kDisabled);
    if (!rows->is_null(i, 3)) a.revoked_at = from_millis(rows->integer(i, 3));
    a.created_at = from_millis(rows->integer(i, 4));
    a.updated_at = from_millis(rows->integer(i, 5));
    if (!rows->is_null(i, 6)) a.ike_id = rows->text(i, 6);
    if (!rows->is_null(i, 7)) a.ike_psk = rows->text(i, 7);
    if (!rows->is_null(i, 8)) a.mtu_probe_target = IpAddress::parse(rows->text(i, 8));
    if (!rows->is_null(i, 9)) a.account_class = rows->text(i, 9);
  }
  return Ok{};
}

// Runs `sql` (whose $1 is `only`, and whose first column an account id) and hands each row to
// `f` with the record it belongs to.
template <typename F>
StoreResult<Ok> read_parts(pg::Connection& db, const char* sql, std::optional<std::int64_t> only,
                           Records& records, F&& f) {
  auto rows = db.exec(sql, only_param(only));
  if (!rows) return Err(rows.error());
  for (int i = 0; i < rows->size(); ++i) {
    const auto it = records.find(rows->integer(i, 0));
    if (it != records.end()) f(it->second, *rows, i);
  }
  return Ok{};
}

void read_key(AccountRecord& a, const pg::Rows& r, int i) {
  const auto public_key = r.bytes(i, 1);
  if (public_key.size() != 32) return;
  WireguardKey key;
  std::copy(public_key.begin(), public_key.end(), key.public_key.begin());
  if (!r.is_null(i, 2))
    if (const auto psk = r.bytes(i, 2); psk.size() == 32)
      key.preshared_key = crypto::Key32(std::span<const std::byte, 32>(psk.data(), 32));
  if (!r.is_null(i, 3)) key.not_after = from_millis(r.integer(i, 3));
  key.created_at = from_millis(r.integer(i, 4));
  a.wireguard_keys.push_back(std::move(key));
}

void read_credential(AccountRecord& a, const pg::Rows& r, int i) {
  const auto hash = r.bytes(i, 1);
  if (hash.size() != 16) return;
  PppCredential credential;
  credential.nt_hash = crypto::NtPasswordHash(std::span<const std::byte, 16>(hash.data(), 16));
  if (!r.is_null(i, 2)) credential.password = r.text(i, 2);
  a.ppp = std::move(credential);
}

void read_address(AccountRecord& a, const pg::Rows& r, int i) {
  const auto address = IpAddress::parse(r.text(i, 1));
  if (!address) return;
  (address->is_v4() ? a.ipv4 : a.ipv6) = *address;
  (address->is_v4() ? a.ipv4_leased : a.ipv6_leased) = r.boolean(i, 2);
}

void read_subnet(AccountRecord& a, const pg::Rows& r, int i) {
  if (auto prefix = IpPrefix::parse(r.text(i, 1))) a.subnets.push_back(*prefix);
}

StoreResult<std::int64_t> meta_value(pg::Connection& db, const char* key) {
  auto rows = db.exec("SELECT value FROM meta WHERE key = $1", pg::Params().add(key));
  if (!rows) return Err(rows.error());
  return rows->size() == 1 ? rows->integer(0, 0) : 0;
}

}  // namespace

StoreResult<std::vector<AccountRecord>> PostgresStore::read_accounts(
    std::optional<std::int64_t> only) {
  Records records;
  auto done = read([&]() -> StoreResult<Ok> {
    records.clear();
    auto rows = read_account_rows(db_, only, records);
    if (!rows) return rows;
    const std::pair<const char*, void (*)(AccountRecord&, const pg::Rows&, int)> parts[] = {
        {"SELECT account_id, prefix FROM account_subnets "
         "WHERE $1::bigint IS NULL OR account_id = $1::bigint",
         read_subnet},
        {"SELECT account_id, public_key, preshared_key, not_after, created_at FROM wireguard_keys "
         "WHERE $1::bigint IS NULL OR account_id = $1::bigint ORDER BY created_at, added",
         read_key},
        {"SELECT account_id, nt_hash, password FROM ppp_credentials "
         "WHERE $1::bigint IS NULL OR account_id = $1::bigint",
         read_credential},
        {"SELECT account_id, host(address), leased FROM addresses "
         "WHERE $1::bigint IS NULL OR account_id = $1::bigint",
         read_address},
    };
    for (const auto& [sql, f] : parts) {
      auto part = read_parts(db_, sql, only, records, f);
      if (!part) return part;
    }
    return Ok{};
  });
  if (!done) return Err(done.error());
  std::vector<AccountRecord> out;
  out.reserve(records.size());
  for (auto& [id, record] : records) {
    std::sort(record.subnets.begin(), record.subnets.end());
    out.push_back(std::move(record));
  }
  std::sort(out.begin(), out.end(),
            [](const AccountRecord& a, const AccountRecord& b) { return a.name < b.name; });
  return out;
}

StoreResult<std::optional<AccountRecord>> PostgresStore::find_account(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::optional<std::int64_t> id;
  auto found = read([&]() -> StoreResult<Ok> {
    auto account = postgres::PostgresTables(db_).account(name);
    if (!account) return Err(account.error());
    id = *account ? std::optional((*account)->first) : std::nullopt;
    return Ok{};
  });
  if (!found) return Err(found.error());
  if (!id) return std::optional<AccountRecord>{};
  auto records = read_accounts(*id);
  if (!records) return Err(records.error());
  if (records->empty()) return std::optional<AccountRecord>{};
  return std::optional<AccountRecord>(std::move(records->front()));
}

StoreResult<std::vector<AccountRecord>> PostgresStore::list_accounts() {
  std::lock_guard lock(mutex_);
  return read_accounts(std::nullopt);
}

StoreResult<std::size_t> PostgresStore::account_count() {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  auto done = read([&]() -> StoreResult<Ok> {
    auto rows = db_.exec("SELECT count(*) FROM accounts");
    if (!rows) return Err(rows.error());
    count = static_cast<std::size_t>(rows->integer(0, 0));
    return Ok{};
  });
  if (!done) return Err(done.error());
  return count;
}

StoreResult<std::vector<Lease>> PostgresStore::list_leases() {
  std::lock_guard lock(mutex_);
  std::vector<Lease> leases;
  auto done = read([&]() -> StoreResult<Ok> {
    leases.clear();
    auto rows = db_.exec(
        "SELECT host(d.address), a.name, d.created_at FROM addresses d JOIN accounts a "
        "ON a.id = d.account_id WHERE d.leased ORDER BY d.address");
    if (!rows) return Err(rows.error());
    for (int i = 0; i < rows->size(); ++i)
      if (auto address = IpAddress::parse(rows->text(i, 0)))
        leases.push_back({*address, rows->text(i, 1), from_millis(rows->integer(i, 2))});
    return Ok{};
  });
  if (!done) return Err(done.error());
  return leases;
}

StoreResult<std::vector<Event>> PostgresStore::list_events(std::size_t limit,
                                                           const std::string& account) {
  std::lock_guard lock(mutex_);
  std::vector<Event> events;
  auto done = read([&]() -> StoreResult<Ok> {
    events.clear();
    pg::Params params;
    params.add(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    if (account.empty())
      params.add_null();
    else
      params.add(account);
    auto rows = db_.exec(
        "SELECT id, at, kind, account, detail FROM events "
        "WHERE $2::text IS NULL OR account = $2::text ORDER BY id DESC LIMIT $1",
        params);
    if (!rows) return Err(rows.error());
    for (int i = 0; i < rows->size(); ++i)
      events.push_back({rows->integer(i, 0), from_millis(rows->integer(i, 1)), rows->text(i, 2),
                        rows->text(i, 3), rows->text(i, 4)});
    return Ok{};
  });
  if (!done) return Err(done.error());
  return events;
}

StoreResult<std::uint64_t> PostgresStore::revision() {
  std::lock_guard lock(mutex_);
  std::int64_t value = 0;
  auto done = read([&]() -> StoreResult<Ok> {
    auto got = meta_value(db_, "revision");
    if (!got) return Err(got.error());
    value = *got;
    return Ok{};
  });
  if (!done) return Err(done.error());
  return static_cast<std::uint64_t>(value);
}

StoreResult<Changes> PostgresStore::changes_since(std::uint64_t since) {
  std::lock_guard lock(mutex_);
  Changes changes;
  auto done = read([&]() -> StoreResult<Ok> {
    changes = {};
    auto revision = meta_value(db_, "revision");
    if (!revision) return Err(revision.error());
    auto from = meta_value(db_, "changes_from");
    if (!from) return Err(from.error());
    changes.revision = static_cast<std::uint64_t>(*revision);
    // A reader ahead of the store has seen a database that was since replaced (a restored
    // backup); one behind the change log has missed names. Either must start over.
    if (since > changes.revision || since < static_cast<std::uint64_t>(*from)) {
      changes.reload_all = true;
      return Ok{};
    }
    auto rows = db_.exec(
        "SELECT account FROM changes WHERE revision > $1 GROUP BY account "
        "ORDER BY account COLLATE \"C\"",
        pg::Params().add(static_cast<std::int64_t>(since)));
    if (!rows) return Err(rows.error());
    for (int i = 0; i < rows->size(); ++i) changes.accounts.push_back(rows->text(i, 0));
    return Ok{};
  });
  if (!done) return Err(done.error());
  return changes;
}

}  // namespace tandem::store
