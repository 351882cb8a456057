// Opening the PostgreSQL store and every mutation. Each mutation is one SERIALIZABLE transaction
// that checks, writes, appends its event and bumps the revision; one that collides with another
// gateway's is rolled back and run again from its checks (see the header).
#include "store/postgres_store.hpp"

#include <random>
#include <thread>

#include "store/millis.hpp"
#include "store/mutation_text.hpp"
#include "store/postgres_lookup.hpp"
#include "store/postgres_schema.hpp"

namespace tandem::store {
namespace {

std::span<const std::byte> key_bytes(const crypto::PublicKey& key) {
  return std::span<const std::byte>(key);
}

// A pause before running a collided transaction again, growing with the attempts and random so
// that two gateways that collided do not collide again in step.
void back_off(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling = 1 << std::min(attempt, 5);  // up to 32 ms
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(100, ceiling * 1000)(random)));
}

}  // namespace

struct PostgresStore::Mutation {
  std::int64_t now = 0;
  std::vector<std::string> touched;  // the accounts changed, for the change log
};

StoreResult<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& conninfo,
                                                                PostgresOptions options) {
  auto connection = pg::Connection::open(conninfo);
  if (!connection) return Err(connection.error());
  auto migrated = postgres::migrate(*connection);
  if (!migrated) return Err(migrated.error());
  return std::unique_ptr<PostgresStore>(
      new PostgresStore(std::move(*connection), std::move(options)));
}

std::int64_t PostgresStore::now_ms() {
  return now_millis(options_.clock);
}

StoreResult<Ok> PostgresStore::transact(const char* begin, const Body& body) {
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

template <typename F>
StoreResult<Ok> PostgresStore::write(F&& body) {
  return transact("BEGIN ISOLATION LEVEL SERIALIZABLE", [&]() -> StoreResult<Ok> {
    Mutation mutation{now_ms(), {}};
    auto done = body(mutation);
    if (!done || mutation.touched.empty()) return done;
    return bump_revision(mutation.touched);
  });
}

StoreResult<Ok> PostgresStore::read(const Body& body) {
  return transact("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body);
}

StoreResult<Ok> PostgresStore::bump_revision(const std::vector<std::string>& touched) {
  auto bumped =
      db_.exec("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value");
  if (!bumped) return Err(bumped.error());
  const std::int64_t revision = bumped->integer(0, 0);
  for (const auto& name : touched) {
    auto ran =
        db_.run("INSERT INTO changes (revision, account) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                pg::Params().add(revision).add(name));
    if (!ran) return ran;
  }
  const auto keep = static_cast<std::int64_t>(options_.change_log_revisions);
  if (revision <= keep) return Ok{};
  auto pruned =
      db_.run("DELETE FROM changes WHERE revision <= $1", pg::Params().add(revision - keep));
  if (!pruned) return pruned;
  return db_.run("UPDATE meta SET value = greatest(value, $1) WHERE key = 'changes_from'",
                 pg::Params().add(revision - keep));
}

StoreResult<Ok> PostgresStore::record_event(std::int64_t at, const std::string& kind,
                                            const std::string& account, const std::string& detail) {
  return db_.run("INSERT INTO events (at, kind, account, detail) VALUES ($1, $2, $3, $4)",
                 pg::Params().add(at).add(kind).add(account).add(detail));
}

StoreResult<std::int64_t> PostgresStore::account_id(const std::string& name) {
  auto rows = db_.exec("SELECT id FROM accounts WHERE name = $1", pg::Params().add(name));
  if (!rows) return Err(rows.error());
  if (rows->size() == 0) return Err(not_found(name));
  return rows->integer(0, 0);
}

StoreResult<Ok> PostgresStore::touch(std::int64_t account, std::int64_t at) {
  return db_.run("UPDATE accounts SET updated_at = $2 WHERE id = $1",
                 pg::Params().add(account).add(at));
}

StoreResult<Ok> PostgresStore::insert_key(std::int64_t account, const NewWireguardKey& key,
                                          std::int64_t at) {
  pg::Params params;
  params.add(key_bytes(key.public_key)).add(account);
  if (key.preshared_key)
    params.add(std::span<const std::byte>(key.preshared_key->bytes()));
  else
    params.add_null();
  if (key.not_after)
    params.add(to_millis(*key.not_after));
  else
    params.add_null();
  params.add(at);
  return db_.run(
      "INSERT INTO wireguard_keys (public_key, account_id, preshared_key, not_after, created_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      params);
}

StoreResult<Ok> PostgresStore::insert_planned(const PlannedAccount& planned, std::int64_t at) {
  const NewAccount& row = *planned.row;
  pg::Params account;
  account.add(row.name).add(state_name(row.state));
  if (row.state == AccountState::kRevoked)
    account.add(at);
  else
    account.add_null();
  account.add(at).add(row.ike_id).add(row.ike_psk);
  auto inserted = db_.exec(
      "INSERT INTO accounts (name, state, revoked_at, created_at, updated_at, ike_id, ike_psk) "
      "VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id",
      account);
  if (!inserted) return Err(inserted.error());
  const std::int64_t id = inserted->integer(0, 0);
  for (const auto& subnet : row.subnets) {
    auto ran = db_.run("INSERT INTO account_subnets (account_id, prefix) VALUES ($1, $2)",
                       pg::Params().add(id).add(subnet.to_string()));
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
    auto ran = db_.run(
        "INSERT INTO addresses (address, account_id, leased, created_at) "
        "VALUES ($1::inet, $2, $3, $4)",
        pg::Params().add((*address)->to_string()).add(id).add(leased).add(at));
    if (!ran) return ran;
  }
  return record_event(at, "account.added", row.name, added_detail(planned));
}

StoreResult<Ok> PostgresStore::write_credential(std::int64_t account,
                                                const PppCredential& credential) {
  return db_.run(
      "INSERT INTO ppp_credentials (account_id, nt_hash, password) VALUES ($1, $2, $3) "
      "ON CONFLICT (account_id) DO UPDATE SET nt_hash = excluded.nt_hash, "
      "password = excluded.password",
      pg::Params()
          .add(account)
          .add(std::span<const std::byte>(credential.nt_hash.bytes()))
          .add(credential.password));
}

StoreResult<ImportReport> PostgresStore::import_locked(const std::vector<NewAccount>& rows) {
  ImportReport report;
  auto done = write([&](Mutation& m) -> StoreResult<Ok> {
    report = {};
    postgres::PostgresLookup lookup(db_);
    auto plan = check_batch(rows, options_.plan, lookup);
    if (!plan) return Err(plan.error());
    if (!plan->rejections.empty()) {
      report.rejections = std::move(plan->rejections);
      return Ok{};  // nothing written, nothing touched
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

StoreResult<ImportReport> PostgresStore::import_accounts(const std::vector<NewAccount>& rows) {
  std::lock_guard lock(mutex_);
  return import_locked(rows);
}

StoreResult<AccountRecord> PostgresStore::add_account(const NewAccount& account) {
  std::lock_guard lock(mutex_);
  auto report = import_locked({account});
  if (!report) return Err(report.error());
  if (!report->rejections.empty()) return Err(rejected(account.name, report->rejections.front()));
  std::optional<std::int64_t> id;
  auto found = read([&]() -> StoreResult<Ok> {
    auto got = account_id(account.name);
    if (!got) return Err(got.error());
    id = *got;
    return Ok{};
  });
  if (!found) return Err(found.error());
  auto records = read_accounts(*id);
  if (!records) return Err(records.error());
  if (records->empty()) return Err(not_found(account.name));  // removed by another writer since
  return std::move(records->front());
}

StoreResult<Ok> PostgresStore::remove_account(const std::string& name) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto leases = db_.exec(
        "SELECT host(address) FROM addresses WHERE account_id = $1 AND leased ORDER BY address",
        pg::Params().add(*id));
    if (!leases) return Err(leases.error());
    std::vector<IpAddress> released;
    for (int i = 0; i < leases->size(); ++i)
      if (auto a = IpAddress::parse(leases->text(i, 0))) released.push_back(*a);
    auto ran = db_.run("DELETE FROM accounts WHERE id = $1", pg::Params().add(*id));
    if (!ran) return ran;
    m.touched.push_back(name);
    return record_event(m.now, "account.removed", name, removed_detail(released));
  });
}

StoreResult<Ok> PostgresStore::set_state(const std::string& name, AccountState state) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto rows = db_.exec("SELECT id, state FROM accounts WHERE name = $1", pg::Params().add(name));
    if (!rows) return Err(rows.error());
    if (rows->size() == 0) return Err(not_found(name));
    const std::int64_t id = rows->integer(0, 0);
    const auto current = parse_state(rows->text(0, 1));
    if (current == state) return Ok{};
    if (current == AccountState::kRevoked) return Err(revoked_is_final(name));
    auto ran = db_.run(
        "UPDATE accounts SET state = $2::text, updated_at = $3::bigint, "
        "revoked_at = CASE WHEN $2::text = 'revoked' THEN $3::bigint END WHERE id = $1",
        pg::Params().add(id).add(state_name(state)).add(m.now));
    if (!ran) return ran;
    m.touched.push_back(name);
    return record_event(m.now, "account." + std::string(state_name(state)), name,
                        state_detail(current.value_or(state)));
  });
}

StoreResult<Ok> PostgresStore::set_subnets(const std::string& name,
                                           const std::vector<IpPrefix>& subnets) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    postgres::PostgresLookup lookup(db_);
    auto verdict = check_subnets(name, subnets, options_.plan, lookup);
    if (!verdict) return Err(verdict.error());
    if (*verdict) return Err(rejected(name, **verdict));
    auto cleared =
        db_.run("DELETE FROM account_subnets WHERE account_id = $1", pg::Params().add(*id));
    if (!cleared) return cleared;
    for (const auto& subnet : subnets) {
      auto ran = db_.run("INSERT INTO account_subnets (account_id, prefix) VALUES ($1, $2)",
                         pg::Params().add(*id).add(subnet.to_string()));
      if (!ran) return ran;
    }
    m.touched.push_back(name);
    auto touched = touch(*id, m.now);
    if (!touched) return touched;
    return record_event(m.now, "account.subnets", name, subnets_detail(subnets));
  });
}

StoreResult<Ok> PostgresStore::set_ike(const std::string& name, std::optional<std::string> ike_id,
                                       std::optional<std::string> ike_psk) {
  auto valid = check_ike(name, ike_id, ike_psk);
  if (!valid) return valid;
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto ran =
        db_.run("UPDATE accounts SET ike_id = $2, ike_psk = $3, updated_at = $4 WHERE id = $1",
                pg::Params().add(*id).add(ike_id).add(ike_psk).add(m.now));
    if (!ran) return ran;
    m.touched.push_back(name);
    return record_event(m.now, "account.ike", name, ike_detail(ike_psk.has_value()));
  });
}

StoreResult<Ok> PostgresStore::add_wireguard_key(const std::string& name,
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

StoreResult<Ok> PostgresStore::add_key_checked(std::int64_t account, const std::string& name,
                                               const NewWireguardKey& key, std::int64_t at) {
  postgres::PostgresLookup lookup(db_);
  auto owner = lookup.key_owner(key.public_key);
  if (!owner) return Err(owner.error());
  if (*owner) return Err(key_taken(name, key.public_key, **owner));
  return insert_key(account, key, at);
}

StoreResult<Ok> PostgresStore::remove_wireguard_key(const std::string& name,
                                                    const crypto::PublicKey& key) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto removed = db_.exec("DELETE FROM wireguard_keys WHERE public_key = $1 AND account_id = $2",
                            pg::Params().add(key_bytes(key)).add(*id));
    if (!removed) return Err(removed.error());
    if (removed->affected() == 0) return Err(key_not_found(name, key));
    m.touched.push_back(name);
    return record_event(m.now, "wireguard_key.removed", name, key_detail(key));
  });
}

StoreResult<Ok> PostgresStore::rotate_wireguard_key(const std::string& name,
                                                    const crypto::PublicKey& previous,
                                                    const NewWireguardKey& next, Duration overlap) {
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    const std::int64_t end =
        m.now + std::chrono::duration_cast<std::chrono::milliseconds>(overlap).count();
    // An earlier end the key already had stays: a rotation never lengthens a key's life.
    auto ended = db_.exec(
        "UPDATE wireguard_keys SET not_after = least(coalesce(not_after, $3), $3) "
        "WHERE public_key = $1 AND account_id = $2",
        pg::Params().add(key_bytes(previous)).add(*id).add(end));
    if (!ended) return Err(ended.error());
    if (ended->affected() == 0) return Err(key_not_found(name, previous));
    auto added = add_key_checked(*id, name, next, m.now);
    if (!added) return added;
    m.touched.push_back(name);
    return record_event(m.now, "wireguard_key.rotated", name,
                        rotated_detail(previous, next.public_key, end));
  });
}

StoreResult<Ok> PostgresStore::set_ppp_login(const std::string& name,
                                             std::optional<PppLogin> login) {
  auto made = credential_or_refusal(name, login);
  if (!made) return Err(made.error());
  const std::optional<PppCredential>& credential = *made;
  std::lock_guard lock(mutex_);
  return write([&](Mutation& m) -> StoreResult<Ok> {
    auto id = account_id(name);
    if (!id) return Err(id.error());
    auto written = credential ? write_credential(*id, *credential)
                              : db_.run("DELETE FROM ppp_credentials WHERE account_id = $1",
                                        pg::Params().add(*id));
    if (!written) return written;
    auto touched = touch(*id, m.now);
    if (!touched) return touched;
    m.touched.push_back(name);
    return record_event(m.now, credential ? "ppp.set" : "ppp.removed", name,
                        ppp_detail(credential));
  });
}

StoreResult<Ok> PostgresStore::append_event(const std::string& kind, const std::string& account,
                                            const std::string& detail_json) {
  auto valid = check_event(kind, detail_json);
  if (!valid) return valid;
  std::lock_guard lock(mutex_);
  return transact("BEGIN", [&] { return record_event(now_ms(), kind, account, detail_json); });
}

}  // namespace tandem::store
