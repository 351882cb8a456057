#include "store/account_table.hpp"

namespace tandem::store {

hybrid::AccountSpec to_account_spec(const AccountRecord& record, WallTime now) {
  hybrid::AccountSpec spec;
  spec.name = record.name;
  for (const auto& key : record.wireguard_keys)
    if (key.valid_at(now)) spec.wireguard_keys.push_back(key.public_key);
  if (record.ppp) spec.ppp = ppp::LocalCredential{record.ppp->password, record.ppp->nt_hash};
  if (!record.ipv4_leased) spec.ipv4 = record.ipv4;
  if (!record.ipv6_leased) spec.ipv6 = record.ipv6;
  spec.subnets = record.subnets;
  spec.account_class = record.account_class;
  spec.disabled = record.state != AccountState::kActive;
  return spec;
}

AccountTableInput to_account_table_input(const std::vector<AccountRecord>& records, WallTime now) {
  AccountTableInput input;
  input.specs.reserve(records.size());
  for (const auto& record : records) {
    input.specs.push_back(to_account_spec(record, now));
    std::vector<IpAddress> leases;
    if (record.ipv4 && record.ipv4_leased) leases.push_back(*record.ipv4);
    if (record.ipv6 && record.ipv6_leased) leases.push_back(*record.ipv6);
    if (!leases.empty()) input.remembered.emplace(record.name, std::move(leases));
  }
  return input;
}

Result<hybrid::AccountTable, std::string> build_account_table(
    const std::vector<AccountRecord>& records, const hybrid::AddressPlan& plan, WallTime now) {
  auto input = to_account_table_input(records, now);
  return hybrid::AccountTable::create(std::move(input.specs), plan, input.remembered);
}

std::optional<WallTime> next_key_expiry(const std::vector<AccountRecord>& records, WallTime now) {
  std::optional<WallTime> next;
  for (const auto& record : records)
    for (const auto& key : record.wireguard_keys)
      if (key.not_after && *key.not_after > now && (!next || *key.not_after < *next))
        next = key.not_after;
  return next;
}

}  // namespace tandem::store
