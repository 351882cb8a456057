#include "store/mutations.hpp"

#include "store/millis.hpp"
#include "store/mutation_text.hpp"

namespace tandem::store {

StoreResult<Ok> Tables::insert_account(const PlannedAccount& planned, std::int64_t at) {
  const NewAccount& row = *planned.row;
  auto id = insert_account_row(row, at);
  if (!id) return Err(id.error());
  auto subnets = replace_subnets(*id, row.subnets, at);
  if (!subnets) return subnets;
  for (const auto& key : row.wireguard_keys) {
    auto inserted = insert_key(*id, key, at);
    if (!inserted) return inserted;
  }
  if (planned.ppp) {
    auto written = replace_credential(*id, planned.ppp, at);
    if (!written) return written;
  }
  const std::pair<const std::optional<IpAddress>*, bool> addresses[] = {
      {&planned.ipv4, planned.ipv4_leased}, {&planned.ipv6, planned.ipv6_leased}};
  for (const auto& [address, leased] : addresses) {
    if (!*address) continue;
    auto inserted = insert_address(*id, **address, leased, at);
    if (!inserted) return inserted;
  }
  return Ok{};
}

StoreResult<Ok> Tables::insert_accounts(const std::vector<PlannedAccount>& planned,
                                        std::int64_t at) {
  for (const auto& account : planned) {
    auto inserted = insert_account(account, at);
    if (!inserted) return inserted;
    auto recorded = record_event(at, "account.added", account.row->name, added_detail(account));
    if (!recorded) return recorded;
  }
  return Ok{};
}

std::int64_t MutatingStore::now_ms() const {
  return now_millis(clock_);
}

StoreResult<std::int64_t> MutatingStore::id_of(Tables& tables, const std::string& name) {
  auto found = tables.account(name);
  if (!found) return Err(found.error());
  if (!*found) return Err(not_found(name));
  return (*found)->first;
}

StoreResult<ImportReport> MutatingStore::import_accounts(const std::vector<NewAccount>& rows) {
  ImportReport report;
  auto done = write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    report = {};
    auto prefetched = tables.prefetch(rows);
    if (!prefetched) return prefetched;
    auto plan = check_batch(rows, plan_, tables);
    if (!plan) return Err(plan.error());
    if (!plan->rejections.empty()) {
      report.rejections = std::move(plan->rejections);
      return Ok{};  // nothing written, nothing touched: the commit is empty
    }
    auto inserted = tables.insert_accounts(plan->accounts, m.now);
    if (!inserted) return inserted;
    for (const auto& planned : plan->accounts) m.touched.push_back(planned.row->name);
    report.imported = rows.size();
    return Ok{};
  });
  if (!done) return Err(done.error());
  return report;
}

StoreResult<AccountRecord> MutatingStore::add_account(const NewAccount& account) {
  auto report = import_accounts({account});
  if (!report) return Err(report.error());
  if (!report->rejections.empty()) return Err(rejected(account.name, report->rejections.front()));
  auto record = find_account(account.name);
  if (!record) return Err(record.error());
  if (!*record) return Err(not_found(account.name));  // removed by another writer since
  return std::move(**record);
}

StoreResult<Ok> MutatingStore::remove_account(const std::string& name) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto released = tables.delete_account(*id);
    if (!released) return Err(released.error());
    m.touched.push_back(name);
    return tables.record_event(m.now, "account.removed", name, removed_detail(*released));
  });
}

StoreResult<Ok> MutatingStore::set_state(const std::string& name, AccountState state) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto found = tables.account(name);
    if (!found) return Err(found.error());
    if (!*found) return Err(not_found(name));
    const auto [id, current] = **found;
    if (current == state) return Ok{};
    if (current == AccountState::kRevoked) return Err(revoked_is_final(name));
    auto updated = tables.update_state(id, state, m.now);
    if (!updated) return updated;
    m.touched.push_back(name);
    return tables.record_event(m.now, "account." + std::string(state_name(state)), name,
                               state_detail(current));
  });
}

StoreResult<Ok> MutatingStore::set_subnets(const std::string& name,
                                           const std::vector<IpPrefix>& subnets) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto verdict = check_subnets(name, subnets, plan_, tables);
    if (!verdict) return Err(verdict.error());
    if (*verdict) return Err(rejected(name, **verdict));
    auto replaced = tables.replace_subnets(*id, subnets, m.now);
    if (!replaced) return replaced;
    m.touched.push_back(name);
    return tables.record_event(m.now, "account.subnets", name, subnets_detail(subnets));
  });
}

StoreResult<Ok> MutatingStore::set_ike(const std::string& name, std::optional<std::string> ike_id,
                                       std::optional<std::string> ike_psk) {
  auto valid = check_ike(name, ike_id, ike_psk);
  if (!valid) return valid;
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto updated = tables.update_ike(*id, ike_id, ike_psk, m.now);
    if (!updated) return updated;
    m.touched.push_back(name);
    return tables.record_event(m.now, "account.ike", name, ike_detail(ike_psk.has_value()));
  });
}

StoreResult<Ok> MutatingStore::set_mtu_probe_target(const std::string& name,
                                                    std::optional<IpAddress> target) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto updated = tables.update_mtu_probe_target(*id, target_text(target), m.now);
    if (!updated) return updated;
    m.touched.push_back(name);
    return tables.record_event(m.now, "account.mtu_probe_target", name,
                               mtu_probe_target_detail(target));
  });
}

StoreResult<Ok> MutatingStore::set_account_class(const std::string& name,
                                                 std::optional<std::string> account_class) {
  auto valid = check_account_class(name, account_class);
  if (!valid) return valid;
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto updated = tables.update_account_class(*id, account_class, m.now);
    if (!updated) return updated;
    m.touched.push_back(name);
    return tables.record_event(m.now, "account.class", name, account_class_detail(account_class));
  });
}

StoreResult<Ok> MutatingStore::add_key_checked(Tables& tables, std::int64_t id,
                                               const std::string& name, const NewWireguardKey& key,
                                               std::int64_t at) {
  auto owner = tables.key_owner(key.public_key);
  if (!owner) return Err(owner.error());
  if (*owner) return Err(key_taken(name, key.public_key, **owner));
  return tables.insert_key(id, key, at);
}

StoreResult<Ok> MutatingStore::add_wireguard_key(const std::string& name,
                                                 const NewWireguardKey& key) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto added = add_key_checked(tables, *id, name, key, m.now);
    if (!added) return added;
    m.touched.push_back(name);
    return tables.record_event(m.now, "wireguard_key.added", name, key_detail(key.public_key));
  });
}

StoreResult<Ok> MutatingStore::remove_wireguard_key(const std::string& name,
                                                    const crypto::PublicKey& key) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto removed = tables.delete_key(*id, key);
    if (!removed) return Err(removed.error());
    if (!*removed) return Err(key_not_found(name, key));
    m.touched.push_back(name);
    return tables.record_event(m.now, "wireguard_key.removed", name, key_detail(key));
  });
}

StoreResult<Ok> MutatingStore::rotate_wireguard_key(const std::string& name,
                                                    const crypto::PublicKey& previous,
                                                    const NewWireguardKey& next, Duration overlap) {
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    const std::int64_t end =
        m.now + std::chrono::duration_cast<std::chrono::milliseconds>(overlap).count();
    auto ended = tables.end_key(*id, previous, end);
    if (!ended) return Err(ended.error());
    if (!*ended) return Err(key_not_found(name, previous));
    auto added = add_key_checked(tables, *id, name, next, m.now);
    if (!added) return added;
    m.touched.push_back(name);
    return tables.record_event(m.now, "wireguard_key.rotated", name,
                               rotated_detail(previous, next.public_key, end));
  });
}

StoreResult<Ok> MutatingStore::set_ppp_login(const std::string& name,
                                             std::optional<PppLogin> login) {
  auto made = credential_or_refusal(name, login);
  if (!made) return Err(made.error());
  const std::optional<PppCredential>& credential = *made;
  return write([&](Tables& tables, Mutation& m) -> StoreResult<Ok> {
    auto id = id_of(tables, name);
    if (!id) return Err(id.error());
    auto replaced = tables.replace_credential(*id, credential, m.now);
    if (!replaced) return replaced;
    m.touched.push_back(name);
    return tables.record_event(m.now, credential ? "ppp.set" : "ppp.removed", name,
                               ppp_detail(credential));
  });
}

StoreResult<Ok> MutatingStore::append_event(const std::string& kind, const std::string& account,
                                            const std::string& detail_json) {
  auto valid = check_event(kind, detail_json);
  if (!valid) return valid;
  return append(now_ms(), kind, account, detail_json);
}

}  // namespace tandem::store
