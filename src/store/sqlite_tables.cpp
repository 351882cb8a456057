#include "store/sqlite_tables.hpp"

#include "store/sqlite_codec.hpp"

namespace tandem::store::sqlite {
namespace {

// The first column of the first row as text, if there is a row.
StoreResult<std::optional<std::string>> first_text(StoreResult<Query>& q) {
  if (!q) return Err(q.error());
  auto row = q->step();
  if (!row) return Err(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(q->text(0));
}

}  // namespace

StoreResult<bool> SqliteTables::name_exists(const std::string& name) {
  auto q = db_.query("SELECT name FROM accounts WHERE name = ?1");
  if (q) q->bind(1, name);
  auto found = first_text(q);
  if (!found) return Err(found.error());
  return found->has_value();
}

StoreResult<std::optional<std::string>> SqliteTables::key_owner(const crypto::PublicKey& key) {
  auto q = db_.query(
      "SELECT a.name FROM wireguard_keys k JOIN accounts a ON a.id = k.account_id "
      "WHERE k.public_key = ?1");
  if (q) q->bind(1, std::span<const std::byte>(key));
  return first_text(q);
}

StoreResult<std::optional<std::string>> SqliteTables::address_owner(const IpAddress& address) {
  auto q = db_.query(
      "SELECT a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address = ?1");
  if (q) q->bind(1, address_bytes(address));
  return first_text(q);
}

StoreResult<std::vector<std::pair<IpAddress, std::string>>> SqliteTables::held_in(
    const IpAddress& first, const IpAddress& last) {
  // The length test keeps the other family out: a 4-byte blob sorts among 16-byte ones.
  auto q = db_.query(
      "SELECT d.address, a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address BETWEEN ?1 AND ?2 AND length(d.address) = length(?1) "
      "ORDER BY d.address");
  if (!q) return Err(q.error());
  q->bind(1, address_bytes(first)).bind(2, address_bytes(last));
  std::vector<std::pair<IpAddress, std::string>> held;
  auto read = q->for_each([&](const Query& r) {
    if (auto address = address_from(r.blob(0))) held.emplace_back(*address, r.text(1));
  });
  if (!read) return Err(read.error());
  return held;
}

StoreResult<std::vector<std::pair<IpPrefix, std::string>>> SqliteTables::subnets() {
  auto q = db_.query(
      "SELECT s.prefix, a.name FROM account_subnets s JOIN accounts a ON a.id = s.account_id");
  if (!q) return Err(q.error());
  std::vector<std::pair<IpPrefix, std::string>> subnets;
  auto read = q->for_each([&](const Query& r) {
    if (auto prefix = IpPrefix::parse(r.text(0))) subnets.emplace_back(*prefix, r.text(1));
  });
  if (!read) return Err(read.error());
  return subnets;
}

StoreResult<std::optional<std::pair<std::int64_t, AccountState>>> SqliteTables::account(
    const std::string& name) {
  using Found = std::optional<std::pair<std::int64_t, AccountState>>;
  auto q = db_.query("SELECT id, state FROM accounts WHERE name = ?1");
  if (!q) return Err(q.error());
  auto row = q->bind(1, name).step();
  if (!row) return Err(row.error());
  if (!*row) return Found{};
  return Found(std::pair{q->integer(0), parse_state(q->text(1)).value_or(AccountState::kDisabled)});
}

StoreResult<Ok> SqliteTables::touch(std::int64_t id, std::int64_t at) {
  auto q = db_.query("UPDATE accounts SET updated_at = ?2 WHERE id = ?1");
  if (!q) return Err(q.error());
  return q->bind(1, id).bind(2, at).run();
}

StoreResult<Ok> SqliteTables::insert_key(std::int64_t id, const NewWireguardKey& key,
                                         std::int64_t at) {
  auto q = db_.query(
      "INSERT INTO wireguard_keys (public_key, account_id, preshared_key, not_after, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!q) return Err(q.error());
  q->bind(1, std::span<const std::byte>(key.public_key)).bind(2, id).bind(5, at);
  if (key.preshared_key) q->bind(3, std::span<const std::byte>(key.preshared_key->bytes()));
  if (key.not_after) q->bind(4, to_millis(*key.not_after));
  return q->run();
}

StoreResult<std::int64_t> SqliteTables::insert_account_row(const NewAccount& row, std::int64_t at) {
  auto insert = db_.query(
      "INSERT INTO accounts (name, state, revoked_at, created_at, updated_at, ike_id, ike_psk, "
      "mtu_probe_target, account_class) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8) RETURNING id");
  if (!insert) return Err(insert.error());
  insert->bind(1, row.name).bind(2, state_name(row.state)).bind(4, at);
  if (row.state == AccountState::kRevoked) insert->bind(3, at);
  insert->bind(5, row.ike_id)
      .bind(6, row.ike_psk)
      .bind(7, target_text(row.mtu_probe_target))
      .bind(8, row.account_class);
  auto inserted = insert->step();
  if (!inserted) return Err(inserted.error());
  return insert->integer(0);
}

StoreResult<Ok> SqliteTables::insert_address(std::int64_t id, const IpAddress& address, bool leased,
                                             std::int64_t at) {
  auto q = db_.query(
      "INSERT INTO addresses (address, account_id, leased, created_at) VALUES (?1, ?2, ?3, ?4)");
  if (!q) return Err(q.error());
  return q->bind(1, address_bytes(address))
      .bind(2, id)
      .bind(3, std::int64_t{leased ? 1 : 0})
      .bind(4, at)
      .run();
}

StoreResult<std::vector<IpAddress>> SqliteTables::delete_account(std::int64_t id) {
  std::vector<IpAddress> released;
  auto leases = db_.query(
      "SELECT address FROM addresses WHERE account_id = ?1 AND leased = 1 "
      "ORDER BY length(address), address");
  if (!leases) return Err(leases.error());
  auto read = leases->bind(1, id).for_each([&](const Query& r) {
    if (auto a = address_from(r.blob(0))) released.push_back(*a);
  });
  if (!read) return Err(read.error());
  auto q = db_.query("DELETE FROM accounts WHERE id = ?1");
  if (!q) return Err(q.error());
  auto ran = q->bind(1, id).run();
  if (!ran) return Err(ran.error());
  return released;
}

StoreResult<Ok> SqliteTables::update_state(std::int64_t id, AccountState state, std::int64_t at) {
  auto q = db_.query(
      "UPDATE accounts SET state = ?2, updated_at = ?3, "
      "revoked_at = CASE WHEN ?2 = 'revoked' THEN ?3 ELSE NULL END WHERE id = ?1");
  if (!q) return Err(q.error());
  return q->bind(1, id).bind(2, state_name(state)).bind(3, at).run();
}

StoreResult<Ok> SqliteTables::replace_subnets(std::int64_t id, const std::vector<IpPrefix>& subnets,
                                              std::int64_t at) {
  auto clear = db_.query("DELETE FROM account_subnets WHERE account_id = ?1");
  if (!clear) return Err(clear.error());
  auto cleared = clear->bind(1, id).run();
  if (!cleared) return cleared;
  for (const auto& subnet : subnets) {
    auto q = db_.query("INSERT INTO account_subnets (account_id, prefix) VALUES (?1, ?2)");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, id).bind(2, subnet.to_string()).run();
    if (!ran) return ran;
  }
  return touch(id, at);
}

StoreResult<Ok> SqliteTables::update_ike(std::int64_t id, const std::optional<std::string>& ike_id,
                                         const std::optional<std::string>& ike_psk,
                                         std::int64_t at) {
  auto q =
      db_.query("UPDATE accounts SET ike_id = ?2, ike_psk = ?3, updated_at = ?4 WHERE id = ?1");
  if (!q) return Err(q.error());
  return q->bind(1, id).bind(2, ike_id).bind(3, ike_psk).bind(4, at).run();
}

StoreResult<Ok> SqliteTables::update_mtu_probe_target(std::int64_t id,
                                                      const std::optional<std::string>& target,
                                                      std::int64_t at) {
  auto q = db_.query("UPDATE accounts SET mtu_probe_target = ?2, updated_at = ?3 WHERE id = ?1");
  if (!q) return Err(q.error());
  return q->bind(1, id).bind(2, target).bind(3, at).run();
}

StoreResult<Ok> SqliteTables::update_account_class(std::int64_t id,
                                                   const std::optional<std::string>& account_class,
                                                   std::int64_t at) {
  auto q = db_.query("UPDATE accounts SET account_class = ?2, updated_at = ?3 WHERE id = ?1");
  if (!q) return Err(q.error());
  return q->bind(1, id).bind(2, account_class).bind(3, at).run();
}

StoreResult<bool> SqliteTables::delete_key(std::int64_t id, const crypto::PublicKey& key) {
  auto q = db_.query("DELETE FROM wireguard_keys WHERE public_key = ?1 AND account_id = ?2");
  if (!q) return Err(q.error());
  auto ran = q->bind(1, std::span<const std::byte>(key)).bind(2, id).run();
  if (!ran) return Err(ran.error());
  return sqlite3_changes(db_.handle()) != 0;
}

StoreResult<bool> SqliteTables::end_key(std::int64_t id, const crypto::PublicKey& key,
                                        std::int64_t not_after) {
  auto q = db_.query(
      "UPDATE wireguard_keys SET not_after = min(coalesce(not_after, ?3), ?3) "
      "WHERE public_key = ?1 AND account_id = ?2");
  if (!q) return Err(q.error());
  auto ran = q->bind(1, std::span<const std::byte>(key)).bind(2, id).bind(3, not_after).run();
  if (!ran) return Err(ran.error());
  return sqlite3_changes(db_.handle()) != 0;
}

StoreResult<Ok> SqliteTables::replace_credential(std::int64_t id,
                                                 const std::optional<PppCredential>& credential,
                                                 std::int64_t at) {
  if (!credential) {
    auto q = db_.query("DELETE FROM ppp_credentials WHERE account_id = ?1");
    if (!q) return Err(q.error());
    auto ran = q->bind(1, id).run();
    if (!ran) return ran;
    return touch(id, at);
  }
  auto q = db_.query(
      "INSERT OR REPLACE INTO ppp_credentials (account_id, nt_hash, password) VALUES (?1, ?2, ?3)");
  if (!q) return Err(q.error());
  auto ran = q->bind(1, id)
                 .bind(2, std::span<const std::byte>(credential->nt_hash.bytes()))
                 .bind(3, credential->password)
                 .run();
  if (!ran) return ran;
  return touch(id, at);
}

StoreResult<Ok> SqliteTables::record_event(std::int64_t at, const std::string& kind,
                                           const std::string& account, const std::string& detail) {
  auto q = db_.query("INSERT INTO events (at, kind, account, detail) VALUES (?1, ?2, ?3, ?4)");
  if (!q) return Err(q.error());
  return q->bind(1, at).bind(2, kind).bind(3, account).bind(4, detail).run();
}

}  // namespace tandem::store::sqlite
