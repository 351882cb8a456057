// What every backend's mutations say, so that SQLite and PostgreSQL refuse alike and write the
// same events: the refusals (naming the account and the fix) and the events' JSON details, which
// name keys and addresses but never carry a secret.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/batch_check.hpp"
#include "store/records.hpp"

namespace tandem::store {

std::string quote_name(const std::string& name);

// Refusals.
Error not_found(const std::string& name);
Error key_not_found(const std::string& name, const crypto::PublicKey& key);
// `owner` already has `key`, which `name` was to get.
Error key_taken(const std::string& name, const crypto::PublicKey& key, const std::string& owner);
Error revoked_is_final(const std::string& name);
Error rejected(const std::string& name, const Rejection& rejection);

// Checks made before a transaction starts.
StoreResult<Ok> check_ike(const std::string& name, const std::optional<std::string>& ike_id,
                          const std::optional<std::string>& ike_psk);
StoreResult<Ok> check_account_class(const std::string& name,
                                    const std::optional<std::string>& account_class);
StoreResult<std::optional<PppCredential>> credential_or_refusal(const std::string& name,
                                                                const std::optional<PppLogin>&);
StoreResult<Ok> check_event(const std::string& kind, const std::string& detail_json);

// Event details.
std::string added_detail(const PlannedAccount& planned);
std::string removed_detail(const std::vector<IpAddress>& released);
std::string state_detail(AccountState was);
std::string subnets_detail(const std::vector<IpPrefix>& subnets);
std::string ike_detail(bool has_psk);
std::string mtu_probe_target_detail(const std::optional<IpAddress>& target);
std::string account_class_detail(const std::optional<std::string>& account_class);
std::string key_detail(const crypto::PublicKey& key);
std::string rotated_detail(const crypto::PublicKey& previous, const crypto::PublicKey& next,
                           std::int64_t previous_not_after_ms);
std::string ppp_detail(const std::optional<PppCredential>& credential);

}  // namespace tandem::store
