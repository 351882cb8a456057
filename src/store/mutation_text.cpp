#include "store/mutation_text.hpp"

#include <nlohmann/json.hpp>

#include "crypto/key_encoding.hpp"
#include "hybrid/account_class.hpp"

namespace tandem::store {

std::string quote_name(const std::string& name) {
  return "'" + name + "'";
}

Error not_found(const std::string& name) {
  return {Error::Code::kNotFound,
          "no account named " + quote_name(name) + ": check the name (names are case-sensitive)"};
}

Error key_not_found(const std::string& name, const crypto::PublicKey& key) {
  return {Error::Code::kNotFound,
          "account " + quote_name(name) + " has no WireGuard key " + crypto::base64_encode(key)};
}

Error key_taken(const std::string& name, const crypto::PublicKey& key, const std::string& owner) {
  return {Error::Code::kConflict,
          "account " + quote_name(name) + ": WireGuard key " + crypto::base64_encode(key) +
              " is already " + (owner == name ? "its own" : "account " + quote_name(owner) + "'s")};
}

Error revoked_is_final(const std::string& name) {
  return {Error::Code::kInvalid, "account " + quote_name(name) +
                                     " is revoked, which is final: add a new account for its user"};
}

Error rejected(const std::string& name, const Rejection& rejection) {
  return {rejection.code, "account " + quote_name(name) + ": " + rejection.reason};
}

StoreResult<Ok> check_ike(const std::string& name, const std::optional<std::string>& ike_id,
                          const std::optional<std::string>& ike_psk) {
  if ((ike_id && ike_id->empty()) || (ike_psk && ike_psk->empty()))
    return Err(Error{Error::Code::kInvalid,
                     "account " + quote_name(name) +
                         ": an empty IKE identity or pre-shared key; leave it out instead"});
  return Ok{};
}

StoreResult<Ok> check_account_class(const std::string& name,
                                    const std::optional<std::string>& account_class) {
  if (account_class)
    if (auto problem = hybrid::account_class_problem(*account_class))
      return Err(Error{Error::Code::kInvalid, "account " + quote_name(name) + ": " + *problem});
  return Ok{};
}

StoreResult<std::optional<PppCredential>> credential_or_refusal(
    const std::string& name, const std::optional<PppLogin>& login) {
  if (!login) return std::optional<PppCredential>{};
  auto made = credential_for(*login);
  if (!made)
    return Err(Error{Error::Code::kInvalid, "account " + quote_name(name) + ": " + made.error()});
  return std::optional<PppCredential>(std::move(*made));
}

StoreResult<Ok> check_event(const std::string& kind, const std::string& detail_json) {
  if (kind.empty())
    return Err(Error{Error::Code::kInvalid, "an event needs a kind, such as \"auth.failed\""});
  if (!nlohmann::json::accept(detail_json))
    return Err(Error{Error::Code::kInvalid,
                     "an event's detail must be a JSON document; \"{}\" when there is none"});
  return Ok{};
}

std::string added_detail(const PlannedAccount& planned) {
  const NewAccount& row = *planned.row;
  nlohmann::json detail = {{"state", state_name(row.state)},
                           {"wireguard_keys", row.wireguard_keys.size()},
                           {"ppp", planned.ppp.has_value()},
                           {"ike", row.ike_psk.has_value()}};
  if (planned.ipv4) detail["ipv4"] = planned.ipv4->to_string();
  if (planned.ipv6) detail["ipv6"] = planned.ipv6->to_string();
  return detail.dump();
}

std::string removed_detail(const std::vector<IpAddress>& released) {
  nlohmann::json addresses = nlohmann::json::array();
  for (const auto& address : released) addresses.push_back(address.to_string());
  return nlohmann::json{{"released", std::move(addresses)}}.dump();
}

std::string state_detail(AccountState was) {
  return nlohmann::json{{"was", state_name(was)}}.dump();
}

std::string subnets_detail(const std::vector<IpPrefix>& subnets) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& subnet : subnets) list.push_back(subnet.to_string());
  return nlohmann::json{{"subnets", std::move(list)}}.dump();
}

std::string ike_detail(bool has_psk) {
  return nlohmann::json{{"ike", has_psk}}.dump();
}

std::string mtu_probe_target_detail(const std::optional<IpAddress>& target) {
  return nlohmann::json{
      {"mtu_probe_target", target ? nlohmann::json(target->to_string()) : nlohmann::json(nullptr)}}
      .dump();
}

std::string account_class_detail(const std::optional<std::string>& account_class) {
  return nlohmann::json{
      {"class", account_class ? nlohmann::json(*account_class) : nlohmann::json(nullptr)}}
      .dump();
}

std::string key_detail(const crypto::PublicKey& key) {
  return nlohmann::json{{"public_key", crypto::base64_encode(key)}}.dump();
}

std::string rotated_detail(const crypto::PublicKey& previous, const crypto::PublicKey& next,
                           std::int64_t previous_not_after_ms) {
  return nlohmann::json{{"previous", crypto::base64_encode(previous)},
                        {"public_key", crypto::base64_encode(next)},
                        {"previous_not_after_ms", previous_not_after_ms}}
      .dump();
}

std::string ppp_detail(const std::optional<PppCredential>& credential) {
  return nlohmann::json{{"cleartext_kept", credential && credential->password.has_value()}}.dump();
}

}  // namespace tandem::store
