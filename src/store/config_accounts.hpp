// A gateway whose accounts live in a state store ([accounts] store): the store opened with the
// plan the config gives, and its accounts in the form the daemon reads [[account]] sections in,
// so that start-up and a live change take the same path as a config file does.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "control/config.hpp"
#include "hybrid/accounts.hpp"
#include "store/store.hpp"

namespace tandem::store {

// Where leases come from: [accounts] pool and pool6; the [interface] addresses are never leased.
hybrid::AddressPlan address_plan(const control::NodeConfig& config);

// Whether [accounts] store names a PostgreSQL database (a postgresql:// URI) rather than a file.
bool is_postgres_store(std::string_view store);

// Opens the store `config` names in [accounts] store: a SQLite file (created mode 0600), or a
// PostgreSQL database shared by a fleet of gateways.
StoreResult<std::unique_ptr<Store>> open_account_store(const control::NodeConfig& config);

// Each record as an [[account]] section would give it, leased addresses written as fixed ones
// (the store holds the lease). A revoked or disabled account is disabled; a WireGuard key past
// its end (a rotation's overlap over) is left out; the first valid key's pre-shared key is the
// account's.
std::vector<control::AccountConfig> config_accounts(const std::vector<AccountRecord>& records,
                                                    WallTime now);

// `running` after a change to the accounts named in `changed`: each replaced by its entry in
// `now` (those of them the store still has, as config_accounts() gives them) or dropped where the
// store has it no more. An account keeps its place; a new one goes last. What a gateway applies
// when a few accounts changed, instead of reading every account again.
std::vector<control::AccountConfig> with_changes(std::vector<control::AccountConfig> running,
                                                 const std::vector<std::string>& changed,
                                                 std::vector<control::AccountConfig> now);

}  // namespace tandem::store
