#include "store/config_accounts.hpp"

#include <algorithm>

#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace tandem::store {

hybrid::AddressPlan address_plan(const control::NodeConfig& config) {
  hybrid::AddressPlan plan;
  plan.v4_first = config.account_pool.v4_first;
  plan.v4_last = config.account_pool.v4_last;
  plan.v6_pool = config.account_pool.v6;
  if (config.interface)
    for (const auto& a : config.interface->addresses) plan.reserved.push_back(a.address);
  return plan;
}

bool is_postgres_store(std::string_view store) {
  return store.starts_with("postgresql://") || store.starts_with("postgres://");
}

StoreResult<std::unique_ptr<Store>> open_account_store(const control::NodeConfig& config) {
  if (!config.account_pool.store)
    return Err(Error{Error::Code::kInvalid, "the config has no [accounts] store"});
  const std::string& where = *config.account_pool.store;
  if (is_postgres_store(where)) {
    PostgresOptions options;
    options.plan = address_plan(config);
    auto opened = PostgresStore::open(where, options);
    if (!opened) return Err(opened.error());
    return std::unique_ptr<Store>(std::move(*opened));
  }
  SqliteOptions options;
  options.plan = address_plan(config);
  auto opened = SqliteStore::open(where, options);
  if (!opened) return Err(opened.error());
  return std::unique_ptr<Store>(std::move(*opened));
}

std::vector<control::AccountConfig> config_accounts(const std::vector<AccountRecord>& records,
                                                    WallTime now) {
  std::vector<control::AccountConfig> accounts;
  accounts.reserve(records.size());
  for (const AccountRecord& r : records) {
    control::AccountConfig a{};
    a.name = r.name;
    const auto valid = [&](const WireguardKey& k) { return k.valid_at(now); };
    const auto first = std::find_if(r.wireguard_keys.begin(), r.wireguard_keys.end(), valid);
    if (first != r.wireguard_keys.end()) a.preshared_key = first->preshared_key;
    for (auto k = first; k != r.wireguard_keys.end(); ++k)
      if (valid(*k)) a.public_keys.push_back(k->public_key);
    if (r.ppp) {
      a.nt_hash = r.ppp->nt_hash;
      a.password = r.ppp->password;
    }
    a.ipv4 = r.ipv4;
    a.ipv4_leased = r.ipv4_leased;
    a.ipv6 = r.ipv6;
    a.subnets = r.subnets;
    a.ike_id = r.ike_id;
    a.ike_psk = r.ike_psk;
    a.mtu_probe_target = r.mtu_probe_target;
    a.account_class = r.account_class;
    a.disabled = r.state != AccountState::kActive;
    accounts.push_back(std::move(a));
  }
  return accounts;
}

std::vector<control::AccountConfig> with_changes(std::vector<control::AccountConfig> running,
                                                 const std::vector<std::string>& changed,
                                                 std::vector<control::AccountConfig> now) {
  const auto named = [](std::vector<control::AccountConfig>& list, const std::string& name) {
    return std::find_if(list.begin(), list.end(),
                        [&](const control::AccountConfig& a) { return a.name == name; });
  };
  for (const auto& name : changed) {
    const auto kept = named(running, name);
    const auto fresh = named(now, name);
    if (kept == running.end()) {
      if (fresh != now.end()) running.push_back(std::move(*fresh));
    } else if (fresh == now.end()) {
      running.erase(kept);
    } else {
      *kept = std::move(*fresh);
    }
  }
  return running;
}

}  // namespace tandem::store
