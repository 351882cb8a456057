#include "store/postgres_tables.hpp"

#include "store/millis.hpp"
#include "store/mutation_text.hpp"

namespace tandem::store::postgres {
namespace {

// The first column of the first row as text, if there is a row.
StoreResult<std::optional<std::string>> first_text(StoreResult<pg::Rows> rows) {
  if (!rows) return Err(rows.error());
  if (rows->size() == 0 || rows->is_null(0, 0)) return std::optional<std::string>{};
  return std::optional<std::string>(rows->text(0, 0));
}

// The lowest address from $1 to $2 not in the addresses table: $1 itself when nobody holds it,
// else the address after the first held one (from $1 up) whose successor nobody holds. The
// index walks the run of held addresses from $1 and stops at the first gap.
constexpr const char* kLowestUnheld = R"sql(
SELECT host(CASE WHEN NOT EXISTS (SELECT 1 FROM addresses WHERE address = $1::inet)
                 THEN $1::inet
                 ELSE (SELECT a.address + 1 FROM addresses a
                       WHERE a.address >= $1::inet AND a.address < $2::inet
                         AND NOT EXISTS (SELECT 1 FROM addresses b
                                         WHERE b.address = a.address + 1)
                       ORDER BY a.address LIMIT 1)
            END)
)sql";

// A wireguard_keys row's values: public_key, account_id, preshared_key, not_after, created_at.
void add_key(pg::Params& params, const NewWireguardKey& key, std::int64_t id, std::int64_t at) {
  params.add(std::span<const std::byte>(key.public_key)).add(id);
  if (key.preshared_key)
    params.add(std::span<const std::byte>(key.preshared_key->bytes()));
  else
    params.add_null();
  if (key.not_after)
    params.add(to_millis(*key.not_after));
  else
    params.add_null();
  params.add(at);
}

}  // namespace

StoreResult<bool> PostgresTables::name_exists(const std::string& name) {
  if (prefetched_ && prefetched_->names_asked.contains(name))
    return prefetched_->names_taken.contains(name);
  auto found =
      first_text(db_.exec("SELECT name FROM accounts WHERE name = $1", pg::Params().add(name)));
  if (!found) return Err(found.error());
  return found->has_value();
}

StoreResult<std::optional<std::string>> PostgresTables::key_owner(const crypto::PublicKey& key) {
  if (prefetched_ && prefetched_->keys_asked.contains(key)) {
    const auto it = prefetched_->key_owners.find(key);
    return it == prefetched_->key_owners.end() ? std::optional<std::string>{}
                                               : std::optional<std::string>(it->second);
  }
  return first_text(
      db_.exec("SELECT a.name FROM wireguard_keys k JOIN accounts a ON a.id = k.account_id "
               "WHERE k.public_key = $1",
               pg::Params().add(std::span<const std::byte>(key))));
}

StoreResult<std::optional<std::string>> PostgresTables::address_owner(const IpAddress& address) {
  if (prefetched_ && prefetched_->addresses_asked.contains(address)) {
    const auto it = prefetched_->address_owners.find(address);
    return it == prefetched_->address_owners.end() ? std::optional<std::string>{}
                                                   : std::optional<std::string>(it->second);
  }
  return first_text(
      db_.exec("SELECT a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
               "WHERE d.address = $1::inet",
               pg::Params().add(address.to_string())));
}

StoreResult<std::vector<std::pair<IpAddress, std::string>>> PostgresTables::held_in(
    const IpAddress& first, const IpAddress& last) {
  auto rows = db_.exec(
      "SELECT host(d.address), a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address BETWEEN $1::inet AND $2::inet ORDER BY d.address",
      pg::Params().add(first.to_string()).add(last.to_string()));
  if (!rows) return Err(rows.error());
  std::vector<std::pair<IpAddress, std::string>> held;
  for (int i = 0; i < rows->size(); ++i)
    if (auto address = IpAddress::parse(rows->text(i, 0)))
      held.emplace_back(*address, rows->text(i, 1));
  return held;
}

StoreResult<std::vector<std::pair<IpPrefix, std::string>>> PostgresTables::subnets() {
  auto rows = db_.exec(
      "SELECT s.prefix, a.name FROM account_subnets s JOIN accounts a ON a.id = s.account_id");
  if (!rows) return Err(rows.error());
  std::vector<std::pair<IpPrefix, std::string>> subnets;
  for (int i = 0; i < rows->size(); ++i)
    if (auto prefix = IpPrefix::parse(rows->text(i, 0)))
      subnets.emplace_back(*prefix, rows->text(i, 1));
  return subnets;
}

StoreResult<std::optional<IpAddress>> PostgresTables::lowest_unheld(const IpAddress& from,
                                                                    const IpAddress& last) {
  auto found =
      first_text(db_.exec(kLowestUnheld, pg::Params().add(from.to_string()).add(last.to_string())));
  if (!found) return Err(found.error());
  if (!*found) return std::optional<IpAddress>{};
  auto address = IpAddress::parse(**found);
  if (!address || last < *address) return std::optional<IpAddress>{};
  return address;
}

StoreResult<std::vector<IpAddress>> PostgresTables::free_in(const IpAddress& first,
                                                            const IpAddress& last,
                                                            const std::vector<IpAddress>& taken,
                                                            const std::vector<IpAddress>& reserved,
                                                            const std::vector<IpPrefix>& subnets,
                                                            std::size_t count) {
  // A few addresses: a probe of the index for each. Many (an import): one read of the leases.
  constexpr std::size_t kProbeAtMost = 16;
  if (count > kProbeAtMost)
    return StateLookup::free_in(first, last, taken, reserved, subnets, count);
  return free_addresses_probing(first, last, taken, reserved, subnets, count,
                                [&](const IpAddress& from) { return lowest_unheld(from, last); });
}

StoreResult<std::optional<std::pair<std::int64_t, AccountState>>> PostgresTables::account(
    const std::string& name) {
  using Found = std::optional<std::pair<std::int64_t, AccountState>>;
  auto rows = db_.exec("SELECT id, state FROM accounts WHERE name = $1", pg::Params().add(name));
  if (!rows) return Err(rows.error());
  if (rows->size() == 0) return Found{};
  return Found(std::pair{rows->integer(0, 0),
                         parse_state(rows->text(0, 1)).value_or(AccountState::kDisabled)});
}

StoreResult<Ok> PostgresTables::prefetch(const std::vector<NewAccount>& rows) {
  Prefetched p;
  std::vector<std::string> names, keys, addresses;
  const auto ask_address = [&](const IpAddress& a) {
    if (p.addresses_asked.insert(a).second) addresses.push_back(a.to_string());
  };
  for (const auto& row : rows) {
    if (p.names_asked.insert(row.name).second) names.push_back(row.name);
    for (const auto& key : row.wireguard_keys)
      if (p.keys_asked.insert(key.public_key).second)
        keys.push_back(pg::bytea_text(std::span<const std::byte>(key.public_key)));
    if (row.ipv4) ask_address(*row.ipv4);
    if (row.ipv6) ask_address(*row.ipv6);
    for (const auto& a : row.remembered) ask_address(a);
  }
  auto taken = db_.exec("SELECT name FROM accounts WHERE name = ANY($1::text[])",
                        pg::Params().add(pg::array_literal(names)));
  if (!taken) return Err(taken.error());
  for (int i = 0; i < taken->size(); ++i) p.names_taken.insert(taken->text(i, 0));
  auto owned = db_.exec(
      "SELECT k.public_key, a.name FROM wireguard_keys k JOIN accounts a ON a.id = k.account_id "
      "WHERE k.public_key = ANY($1::bytea[])",
      pg::Params().add(pg::array_literal(keys)));
  if (!owned) return Err(owned.error());
  for (int i = 0; i < owned->size(); ++i) {
    const auto bytes = owned->bytes(i, 0);
    crypto::PublicKey key{};
    if (bytes.size() != key.size()) continue;
    std::copy(bytes.begin(), bytes.end(), key.begin());
    p.key_owners.emplace(key, owned->text(i, 1));
  }
  auto held = db_.exec(
      "SELECT host(d.address), a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address = ANY($1::inet[])",
      pg::Params().add(pg::array_literal(addresses)));
  if (!held) return Err(held.error());
  for (int i = 0; i < held->size(); ++i)
    if (auto a = IpAddress::parse(held->text(i, 0))) p.address_owners.emplace(*a, held->text(i, 1));
  prefetched_ = std::move(p);
  return Ok{};
}

StoreResult<Ok> PostgresTables::insert_accounts(const std::vector<PlannedAccount>& planned,
                                                std::int64_t at) {
  prefetched_.reset();  // what it found is about to change
  std::map<std::string, std::int64_t> id_of;
  auto inserted = pg::insert_many(
      db_,
      "INSERT INTO accounts (name, state, revoked_at, created_at, updated_at, ike_id, ike_psk, "
      "mtu_probe_target, account_class) VALUES ",
      "($, $, $::bigint, $::bigint, $::bigint, $, $, $, $)", 9, planned.size(),
      [&](std::size_t i, pg::Params& params) {
        const NewAccount& row = *planned[i].row;
        params.add(row.name).add(state_name(row.state));
        if (row.state == AccountState::kRevoked)
          params.add(at);
        else
          params.add_null();
        params.add(at)
            .add(at)
            .add(row.ike_id)
            .add(row.ike_psk)
            .add(target_text(row.mtu_probe_target))
            .add(row.account_class);
      },
      " RETURNING id, name",
      [&](const pg::Rows& rows) {
        for (int r = 0; r < rows.size(); ++r) id_of[rows.text(r, 1)] = rows.integer(r, 0);
      });
  if (!inserted) return inserted;
  std::vector<std::int64_t> ids;
  for (const auto& account : planned) ids.push_back(id_of.at(account.row->name));
  auto parts = insert_account_parts(planned, ids, at);
  if (!parts) return parts;
  return pg::insert_many(
      db_, "INSERT INTO events (at, kind, account, detail) VALUES ", "($::bigint, $, $, $)", 4,
      planned.size(), [&](std::size_t i, pg::Params& params) {
        params.add(at).add("account.added").add(planned[i].row->name).add(added_detail(planned[i]));
      });
}

StoreResult<Ok> PostgresTables::insert_account_parts(const std::vector<PlannedAccount>& planned,
                                                     const std::vector<std::int64_t>& ids,
                                                     std::int64_t at) {
  // Flattened: (account index, item index) for the rows of each table.
  std::vector<std::pair<std::size_t, std::size_t>> subnets, keys, addresses;
  std::vector<std::size_t> credentials;
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const NewAccount& row = *planned[i].row;
    for (std::size_t s = 0; s < row.subnets.size(); ++s) subnets.emplace_back(i, s);
    for (std::size_t k = 0; k < row.wireguard_keys.size(); ++k) keys.emplace_back(i, k);
    if (planned[i].ppp) credentials.push_back(i);
    if (planned[i].ipv4) addresses.emplace_back(i, 4);
    if (planned[i].ipv6) addresses.emplace_back(i, 6);
  }
  auto done =
      pg::insert_many(db_, "INSERT INTO account_subnets (account_id, prefix) VALUES ",
                      "($::bigint, $)", 2, subnets.size(), [&](std::size_t n, pg::Params& params) {
                        const auto [i, s] = subnets[n];
                        params.add(ids[i]).add(planned[i].row->subnets[s].to_string());
                      });
  if (!done) return done;
  done = pg::insert_many(
      db_,
      "INSERT INTO wireguard_keys (public_key, account_id, preshared_key, not_after, created_at) "
      "VALUES ",
      "($, $::bigint, $, $::bigint, $::bigint)", 5, keys.size(),
      [&](std::size_t n, pg::Params& params) {
        const auto [i, k] = keys[n];
        add_key(params, planned[i].row->wireguard_keys[k], ids[i], at);
      });
  if (!done) return done;
  done = pg::insert_many(
      db_, "INSERT INTO ppp_credentials (account_id, nt_hash, password) VALUES ",
      "($::bigint, $, $)", 3, credentials.size(), [&](std::size_t n, pg::Params& params) {
        const std::size_t i = credentials[n];
        const PppCredential& c = *planned[i].ppp;
        params.add(ids[i]).add(std::span<const std::byte>(c.nt_hash.bytes())).add(c.password);
      });
  if (!done) return done;
  return pg::insert_many(db_,
                         "INSERT INTO addresses (address, account_id, leased, created_at) VALUES ",
                         "($::inet, $::bigint, $::boolean, $::bigint)", 4, addresses.size(),
                         [&](std::size_t n, pg::Params& params) {
                           const auto [i, family] = addresses[n];
                           const PlannedAccount& p = planned[i];
                           const bool v4 = family == 4;
                           params.add((v4 ? *p.ipv4 : *p.ipv6).to_string())
                               .add(ids[i])
                               .add(v4 ? p.ipv4_leased : p.ipv6_leased)
                               .add(at);
                         });
}

StoreResult<Ok> PostgresTables::touch(std::int64_t id, std::int64_t at) {
  return db_.run("UPDATE accounts SET updated_at = $2 WHERE id = $1", pg::Params().add(id).add(at));
}

StoreResult<Ok> PostgresTables::insert_key(std::int64_t id, const NewWireguardKey& key,
                                           std::int64_t at) {
  pg::Params params;
  add_key(params, key, id, at);
  return db_.run(
      "INSERT INTO wireguard_keys (public_key, account_id, preshared_key, not_after, created_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      params);
}

StoreResult<std::int64_t> PostgresTables::insert_account_row(const NewAccount& row,
                                                             std::int64_t at) {
  pg::Params account;
  account.add(row.name).add(state_name(row.state));
  if (row.state == AccountState::kRevoked)
    account.add(at);
  else
    account.add_null();
  account.add(at)
      .add(row.ike_id)
      .add(row.ike_psk)
      .add(target_text(row.mtu_probe_target))
      .add(row.account_class);
  auto inserted = db_.exec(
      "INSERT INTO accounts (name, state, revoked_at, created_at, updated_at, ike_id, ike_psk, "
      "mtu_probe_target, account_class) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) RETURNING id",
      account);
  if (!inserted) return Err(inserted.error());
  return inserted->integer(0, 0);
}

StoreResult<Ok> PostgresTables::insert_address(std::int64_t id, const IpAddress& address,
                                               bool leased, std::int64_t at) {
  return db_.run(
      "INSERT INTO addresses (address, account_id, leased, created_at) "
      "VALUES ($1::inet, $2, $3, $4)",
      pg::Params().add(address.to_string()).add(id).add(leased).add(at));
}

StoreResult<std::vector<IpAddress>> PostgresTables::delete_account(std::int64_t id) {
  auto leases = db_.exec(
      "SELECT host(address) FROM addresses WHERE account_id = $1 AND leased ORDER BY address",
      pg::Params().add(id));
  if (!leases) return Err(leases.error());
  std::vector<IpAddress> released;
  for (int i = 0; i < leases->size(); ++i)
    if (auto a = IpAddress::parse(leases->text(i, 0))) released.push_back(*a);
  auto ran = db_.run("DELETE FROM accounts WHERE id = $1", pg::Params().add(id));
  if (!ran) return Err(ran.error());
  return released;
}

StoreResult<Ok> PostgresTables::update_state(std::int64_t id, AccountState state, std::int64_t at) {
  return db_.run(
      "UPDATE accounts SET state = $2::text, updated_at = $3::bigint, "
      "revoked_at = CASE WHEN $2::text = 'revoked' THEN $3::bigint END WHERE id = $1",
      pg::Params().add(id).add(state_name(state)).add(at));
}

StoreResult<Ok> PostgresTables::replace_subnets(std::int64_t id,
                                                const std::vector<IpPrefix>& subnets,
                                                std::int64_t at) {
  auto cleared = db_.run("DELETE FROM account_subnets WHERE account_id = $1", pg::Params().add(id));
  if (!cleared) return cleared;
  for (const auto& subnet : subnets) {
    auto ran = db_.run("INSERT INTO account_subnets (account_id, prefix) VALUES ($1, $2)",
                       pg::Params().add(id).add(subnet.to_string()));
    if (!ran) return ran;
  }
  return touch(id, at);
}

StoreResult<Ok> PostgresTables::update_mtu_probe_target(std::int64_t id,
                                                        const std::optional<std::string>& target,
                                                        std::int64_t at) {
  return db_.run("UPDATE accounts SET mtu_probe_target = $2, updated_at = $3 WHERE id = $1",
                 pg::Params().add(id).add(target).add(at));
}

StoreResult<Ok> PostgresTables::update_account_class(
    std::int64_t id, const std::optional<std::string>& account_class, std::int64_t at) {
  return db_.run("UPDATE accounts SET account_class = $2, updated_at = $3 WHERE id = $1",
                 pg::Params().add(id).add(account_class).add(at));
}

StoreResult<Ok> PostgresTables::update_ike(std::int64_t id,
                                           const std::optional<std::string>& ike_id,
                                           const std::optional<std::string>& ike_psk,
                                           std::int64_t at) {
  return db_.run("UPDATE accounts SET ike_id = $2, ike_psk = $3, updated_at = $4 WHERE id = $1",
                 pg::Params().add(id).add(ike_id).add(ike_psk).add(at));
}

StoreResult<bool> PostgresTables::delete_key(std::int64_t id, const crypto::PublicKey& key) {
  auto removed = db_.exec("DELETE FROM wireguard_keys WHERE public_key = $1 AND account_id = $2",
                          pg::Params().add(std::span<const std::byte>(key)).add(id));
  if (!removed) return Err(removed.error());
  return removed->affected() != 0;
}

StoreResult<bool> PostgresTables::end_key(std::int64_t id, const crypto::PublicKey& key,
                                          std::int64_t not_after) {
  auto ended = db_.exec(
      "UPDATE wireguard_keys SET not_after = least(coalesce(not_after, $3), $3) "
      "WHERE public_key = $1 AND account_id = $2",
      pg::Params().add(std::span<const std::byte>(key)).add(id).add(not_after));
  if (!ended) return Err(ended.error());
  return ended->affected() != 0;
}

StoreResult<Ok> PostgresTables::replace_credential(std::int64_t id,
                                                   const std::optional<PppCredential>& credential,
                                                   std::int64_t at) {
  auto written =
      credential
          ? db_.run(
                "INSERT INTO ppp_credentials (account_id, nt_hash, password) VALUES ($1, $2, $3) "
                "ON CONFLICT (account_id) DO UPDATE SET nt_hash = excluded.nt_hash, "
                "password = excluded.password",
                pg::Params()
                    .add(id)
                    .add(std::span<const std::byte>(credential->nt_hash.bytes()))
                    .add(credential->password))
          : db_.run("DELETE FROM ppp_credentials WHERE account_id = $1", pg::Params().add(id));
  if (!written) return written;
  return touch(id, at);
}

StoreResult<Ok> PostgresTables::record_event(std::int64_t at, const std::string& kind,
                                             const std::string& account,
                                             const std::string& detail) {
  return db_.run("INSERT INTO events (at, kind, account, detail) VALUES ($1, $2, $3, $4)",
                 pg::Params().add(at).add(kind).add(account).add(detail));
}

}  // namespace tandem::store::postgres
