// From the store to the gateway's hybrid::AccountTable: what the daemon builds its router,
// WireGuard peers and PPP logins from. The store's leases go in as the table's remembered leases
// (not as fixed addresses), so the table still marks them leased and, given the same address
// plan, hands every account the address the store holds for it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hybrid/accounts.hpp"
#include "store/records.hpp"

namespace tandem::store {

struct AccountTableInput {
  std::vector<hybrid::AccountSpec> specs;
  std::map<std::string, std::vector<IpAddress>> remembered;  // the store's leases by account
};

// A record as the table sees it at `now`: keys past their not_after left out, a revoked account
// disabled (kept with its addresses, refused).
hybrid::AccountSpec to_account_spec(const AccountRecord& record, WallTime now);

AccountTableInput to_account_table_input(const std::vector<AccountRecord>& records, WallTime now);

// The table for `records` (as list_accounts() returns them) under `plan`, the plan the store
// was opened with.
Result<hybrid::AccountTable, std::string> build_account_table(
    const std::vector<AccountRecord>& records, const hybrid::AddressPlan& plan, WallTime now);

// The earliest not_after after `now` among the records' keys: when the table must be built again
// for an overlapping key to stop counting. None: no key ends.
std::optional<WallTime> next_key_expiry(const std::vector<AccountRecord>& records, WallTime now);

}  // namespace tandem::store
