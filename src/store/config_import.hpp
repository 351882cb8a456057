// Moving a gateway's accounts from tandem.toml into the store: the [[account]] entries become
// store rows, imported in one transaction (all or none). The store must be opened with the plan
// the daemon builds from the same file ([accounts] pool/pool6, the [interface] addresses
// reserved), so that leases land where the file's table would put them.
//
// A password from the file is kept only as its NT hash unless the operator asks otherwise:
// MS-CHAPv2 and PAP log in with the hash, CHAP-MD5 needs the clear password.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "store/store.hpp"

namespace tandem::store {

struct ConfigImportOptions {
  // Keep clear passwords for CHAP-MD5 clients (otherwise only their NT hashes).
  bool keep_cleartext_passwords = false;
  // The running gateway's leases (hybrid::AccountTable::leases()), so that every account keeps
  // the address its clients hold when it still fits the store's pools.
  std::map<std::string, std::vector<IpAddress>> remembered;
};

std::vector<NewAccount> accounts_from_config(const std::vector<control::AccountConfig>& accounts,
                                             const ConfigImportOptions& options);

// Imports every [[account]] of `config`; a rejection names the row as the account's position
// among the file's [[account]] entries.
StoreResult<ImportReport> import_config_accounts(Store& store, const control::NodeConfig& config,
                                                 const ConfigImportOptions& options = {});

}  // namespace tandem::store
