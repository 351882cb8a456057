#include "store/config_import.hpp"

namespace tandem::store {

std::vector<NewAccount> accounts_from_config(const std::vector<control::AccountConfig>& accounts,
                                             const ConfigImportOptions& options) {
  std::vector<NewAccount> rows;
  rows.reserve(accounts.size());
  for (const auto& a : accounts) {
    NewAccount row;
    row.name = a.name;
    row.state = a.disabled ? AccountState::kDisabled : AccountState::kActive;
    for (const auto& key : a.public_keys) row.wireguard_keys.push_back({key, a.preshared_key, {}});
    if (a.password || a.nt_hash) {
      PppLogin login;
      login.keep_cleartext = options.keep_cleartext_passwords && a.password.has_value();
      // Both may be given in the file; the password then wins, as it can make the hash.
      if (a.password)
        login.password = a.password;
      else
        login.nt_hash = a.nt_hash;
      row.ppp = std::move(login);
    }
    row.ipv4 = a.ipv4;
    row.ipv6 = a.ipv6;
    row.subnets = a.subnets;
    row.mtu_probe_target = a.mtu_probe_target;
    row.account_class = a.account_class;
    if (a.ike_psk) {
      row.ike_id = a.ike_id;
      row.ike_psk = a.ike_psk;
    }
    if (const auto it = options.remembered.find(a.name); it != options.remembered.end())
      row.remembered = it->second;
    rows.push_back(std::move(row));
  }
  return rows;
}

StoreResult<ImportReport> import_config_accounts(Store& store, const control::NodeConfig& config,
                                                 const ConfigImportOptions& options) {
  return store.import_accounts(accounts_from_config(config.accounts, options));
}

}  // namespace tandem::store
