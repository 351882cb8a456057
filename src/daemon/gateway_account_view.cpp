#include "daemon/gateway_account_view.hpp"

#include <string>
#include <string_view>

namespace tandem::daemon {
namespace {

using json = nlohmann::json;

// The array at `key`, or an empty one: a reference, since callers keep pointers into it.
const json& array_at(const json& doc, const char* key) {
  static const json kEmpty = json::array();
  if (doc.is_object() && doc.contains(key) && doc[key].is_array()) return doc[key];
  return kEmpty;
}

// Whether a selector list ("10.86.0.5", "10.0.0.0-10.0.0.255[6/443],...") is exactly `address`.
bool selects_only(std::string_view selectors, std::string_view address) {
  const auto bracket = selectors.find('[');
  if (bracket != std::string_view::npos) selectors = selectors.substr(0, bracket);
  return selectors == address;
}

json wireguard_of(const std::string& account, const json& wireguard) {
  const json* best = nullptr;
  for (const auto& p : array_at(wireguard, "peers")) {
    if (p.value("name", "") != account) continue;
    if (!best || p.value("latest_handshake_unix", std::int64_t{0}) >
                     best->value("latest_handshake_unix", std::int64_t{0}))
      best = &p;
  }
  if (!best) return nullptr;
  json out;
  for (const char* key : {"public_key", "endpoint", "latest_handshake_unix",
                          "latest_handshake_age_seconds", "rx_bytes", "tx_bytes", "mtu"})
    if (best->contains(key)) out[key] = (*best)[key];
  return out;
}

json l2tp_of(const std::string& account, const json& l2tp) {
  for (const auto& s : array_at(l2tp, "sessions")) {
    if (s.value("user", "") != account) continue;
    json out{{"endpoint", s.value("peer", "")}, {"up", s.value("up", false)}};
    for (const char* key : {"remote", "mtu", "rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
                            "last_echo_reply_ms_ago"})
      if (s.contains(key)) out[key] = s[key];
    return out;
  }
  return nullptr;
}

json ikev2_of(const json& account, const json& ipsec) {
  const std::string address = account.value("ipv4", "");
  if (address.empty() || !ipsec.is_object()) return nullptr;
  json out;
  std::uint64_t in = 0, sent = 0;
  unsigned children = 0;
  const json& sas = ipsec.contains("ipsec") ? ipsec["ipsec"] : ipsec;
  for (const auto& c : array_at(sas, "child_sas")) {
    if (!selects_only(c.value("remote", ""), address)) continue;
    ++children;
    out["endpoint"] = c.value("peer", "");
    in += c.value("bytes_in", std::uint64_t{0});
    sent += c.value("bytes_out", std::uint64_t{0});
  }
  if (children == 0) return nullptr;
  out["child_sas"] = children;
  out["rx_bytes"] = in;
  out["tx_bytes"] = sent;
  return out;
}

}  // namespace

void join_account_sessions(json& hybrid, const json& wireguard, const json& l2tp,
                           const json& ipsec) {
  if (!hybrid.is_object() || !hybrid.contains("accounts") || !hybrid["accounts"].is_array()) return;
  for (auto& a : hybrid["accounts"]) {
    const std::string name = a.value("name", "");
    if (auto wg = wireguard_of(name, wireguard); !wg.is_null()) a["wireguard"] = std::move(wg);
    if (auto session = l2tp_of(name, l2tp); !session.is_null()) a["l2tp"] = std::move(session);
    if (auto child = ikev2_of(a, ipsec); !child.is_null()) a["ikev2"] = std::move(child);
  }
}

}  // namespace tandem::daemon
