#include "cli/account_view.hpp"

#include <algorithm>
#include <ctime>
#include <sstream>

#include "crypto/key_encoding.hpp"

namespace tandem::cli {
namespace {

std::string utc(WallTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string or_dash(const std::optional<IpAddress>& a, bool leased) {
  if (!a) return "-";
  return a->to_string() + (leased ? "" : " (fixed)");
}

std::vector<std::string> logins(const store::AccountRecord& a, WallTime now) {
  std::vector<std::string> kinds;
  if (std::any_of(a.wireguard_keys.begin(), a.wireguard_keys.end(),
                  [&](const store::WireguardKey& k) { return k.valid_at(now); }))
    kinds.push_back("wireguard");
  if (a.ppp) kinds.push_back(a.ppp->password ? "l2tp (clear password kept)" : "l2tp");
  if (a.ike_psk) kinds.push_back("ikev2");
  return kinds;
}

std::string joined(const std::vector<std::string>& parts, const char* separator) {
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : separator) + p;
  return text.empty() ? "-" : text;
}

}  // namespace

nlohmann::json account_json(const store::AccountRecord& a, WallTime now) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : a.wireguard_keys) {
    nlohmann::json key = {{"public_key", crypto::base64_encode(k.public_key)},
                          {"preshared_key", k.preshared_key.has_value()},
                          {"valid", k.valid_at(now)},
                          {"created", utc(k.created_at)}};
    if (k.not_after) key["not_after"] = utc(*k.not_after);
    keys.push_back(std::move(key));
  }
  nlohmann::json subnets = nlohmann::json::array();
  for (const auto& s : a.subnets) subnets.push_back(s.to_string());
  nlohmann::json j = {{"name", a.name},
                      {"state", std::string(store::state_name(a.state))},
                      {"created", utc(a.created_at)},
                      {"updated", utc(a.updated_at)},
                      {"wireguard_keys", keys},
                      {"subnets", subnets},
                      {"logins", logins(a, now)}};
  if (a.ipv4) j["ipv4"] = {{"address", a.ipv4->to_string()}, {"leased", a.ipv4_leased}};
  if (a.ipv6) j["ipv6"] = {{"address", a.ipv6->to_string()}, {"leased", a.ipv6_leased}};
  if (a.revoked_at) j["revoked"] = utc(*a.revoked_at);
  if (a.ike_id) j["ike_id"] = *a.ike_id;
  if (a.mtu_probe_target) j["mtu_probe_target"] = a.mtu_probe_target->to_string();
  if (a.account_class) j["class"] = *a.account_class;
  return j;
}

std::string render_account_table(const std::vector<store::AccountRecord>& accounts, WallTime now) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "STATE", "IPV4", "IPV6", "KEYS", "LOGINS", "CLASS"}};
  for (const auto& a : accounts) {
    const auto valid = std::count_if(a.wireguard_keys.begin(), a.wireguard_keys.end(),
                                     [&](const store::WireguardKey& k) { return k.valid_at(now); });
    rows.push_back({a.name, std::string(store::state_name(a.state)),
                    a.ipv4 ? a.ipv4->to_string() : "-", a.ipv6 ? a.ipv6->to_string() : "-",
                    std::to_string(valid), joined(logins(a, now), ","),
                    a.account_class.value_or("-")});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line += i + 1 < row.size() ? row[i] + std::string(width[i] - row[i].size() + 2, ' ') : row[i];
    out << line << "\n";
  }
  return out.str();
}

std::string render_account(const store::AccountRecord& a, WallTime now) {
  std::ostringstream out;
  out << "account: " << a.name << "\n";
  out << "  state: " << store::state_name(a.state);
  if (a.revoked_at) out << " (since " << utc(*a.revoked_at) << ")";
  out << "\n  ipv4: " << or_dash(a.ipv4, a.ipv4_leased) << "\n";
  out << "  ipv6: " << or_dash(a.ipv6, a.ipv6_leased) << "\n";
  if (!a.subnets.empty()) {
    std::vector<std::string> subnets;
    for (const auto& s : a.subnets) subnets.push_back(s.to_string());
    out << "  subnets: " << joined(subnets, ", ") << "\n";
  }
  for (const auto& k : a.wireguard_keys) {
    out << "  wireguard key: " << crypto::base64_encode(k.public_key);
    if (k.preshared_key) out << ", with a pre-shared key";
    if (k.not_after) out << (k.valid_at(now) ? ", valid until " : ", ended ") << utc(*k.not_after);
    out << "\n";
  }
  out << "  logins: " << joined(logins(a, now), ", ") << "\n";
  if (a.ike_id) out << "  ike id: " << *a.ike_id << "\n";
  if (a.account_class) out << "  class: " << *a.account_class << "\n";
  if (a.mtu_probe_target)
    out << "  path MTU probed at: " << a.mtu_probe_target->to_string() << "\n";
  out << "  created: " << utc(a.created_at) << ", updated: " << utc(a.updated_at) << "\n";
  return out.str();
}

std::string render_events(const std::vector<store::Event>& events) {
  std::ostringstream out;
  for (const auto& e : events)
    out << utc(e.at) << "  " << e.kind << "  " << (e.account.empty() ? "-" : e.account) << "  "
        << e.detail << "\n";
  return out.str();
}

nlohmann::json events_json(const std::vector<store::Event>& events) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& e : events) {
    nlohmann::json detail = nlohmann::json::parse(e.detail, nullptr, false);
    all.push_back({{"time", utc(e.at)},
                   {"event", e.kind},
                   {"account", e.account},
                   {"detail", detail.is_discarded() ? nlohmann::json(e.detail) : detail}});
  }
  return all;
}

}  // namespace tandem::cli
