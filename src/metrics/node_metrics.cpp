// From status documents to metric families (node_metrics.hpp).
#include "metrics/node_metrics.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "ipsec/ike/engine.hpp"
#include "metrics/exposition.hpp"

namespace tandem::metrics {
namespace {

using nlohmann::json;
constexpr auto kCounter = MetricType::kCounter;
constexpr auto kGauge = MetricType::kGauge;

// WireGuard's Reject-After-Time: a session older than this carries nothing.
constexpr std::int64_t kRejectAfterTimeSeconds = 180;

void declare(Exposition& e) {
  e.family("wireguard_sent_bytes_total", kCounter, "Bytes sent to the peer");
  e.family("wireguard_received_bytes_total", kCounter, "Bytes received from the peer");
  e.family("wireguard_latest_handshake_seconds", kGauge,
           "UNIX timestamp seconds of the last handshake with the peer (0: never)");
  e.family("tandem_wireguard_peer_up", kGauge,
           "1 while the peer has a current session (a handshake within 180 s), else 0");
  e.family("tandem_path_mtu_bytes", kGauge,
           "Inner MTU of a path: configured (the device's or the session's), effective (what "
           "packets are held to now) or probed (what path MTU probing found)");
  e.family("tandem_mtu_probes_sent_total", kCounter, "Path MTU probes sent");
  e.family("tandem_mtu_probes_acked_total", kCounter, "Path MTU probes the far end acknowledged");
  e.family("tandem_mtu_probe_bytes_total", kCounter, "Bytes of path MTU probes sent");
  e.family("tandem_mtu_probe_changes_total", kCounter,
           "Changes of the MTU path MTU probing holds the path to");
  e.family("tandem_mtu_probe_searching", kGauge,
           "1 while path MTU probing is searching or confirming, 0 once settled or off");
  e.family("tandem_hybrid_active_path", kGauge,
           "1 for the path that carries the traffic (a client's fallback; a gateway's account)");
  e.family("tandem_hybrid_path_healthy", kGauge, "1 while the fallback judges the path healthy");
  e.family("tandem_hybrid_path_protocol_up", kGauge, "1 while the path's protocol says it is up");
  e.family("tandem_hybrid_path_probe_loss_ratio", kGauge, "Share of health probes lost");
  e.family("tandem_hybrid_failovers_total", kCounter,
           "Switches of the traffic from the primary (WireGuard) to the secondary path");
  e.family("tandem_hybrid_failbacks_total", kCounter,
           "Switches of the traffic back to the primary path");
  e.family("tandem_hybrid_secondary_active_seconds_total", kCounter,
           "Seconds the secondary (fallback) path has carried the traffic");
  e.family("tandem_path_sent_bytes_total", kCounter, "Inner bytes sent on a path");
  e.family("tandem_path_received_bytes_total", kCounter, "Inner bytes received on a path");
  e.family("tandem_path_sent_packets_total", kCounter, "Inner packets sent on a path");
  e.family("tandem_path_received_packets_total", kCounter, "Inner packets received on a path");
  e.family("tandem_account_up", kGauge, "1 while the account has a live path, else 0");
  e.family("tandem_account_path_up", kGauge,
           "1 while the account is connected on the path (a gateway's view), else 0");
  e.family("tandem_drops_total", kCounter, "Packets dropped, by reason");
  e.family("tandem_l2tp_tunnels", kGauge, "L2TP tunnels established");
  e.family("tandem_ppp_session_up", kGauge, "1 while the PPP session over L2TP is open");
  e.family("tandem_ppp_sent_bytes_total", kCounter,
           "Inner bytes sent into the PPP session, since it began");
  e.family("tandem_ppp_received_bytes_total", kCounter,
           "Inner bytes received from the PPP session, since it began");
  e.family("tandem_ppp_sent_packets_total", kCounter, "Inner packets sent into the PPP session");
  e.family("tandem_ppp_received_packets_total", kCounter,
           "Inner packets received from the PPP session");
  e.family("tandem_l2tp_data_packets_total", kCounter, "L2TP data messages, by direction");
  e.family("tandem_ike_sas", kGauge, "IKE SAs, by state (established or connecting)");
  e.family("tandem_esp_sas", kGauge, "ESP (Child) SA pairs installed");
  e.family("tandem_esp_bytes_total", kCounter, "ESP payload bytes, by direction");
  e.family("tandem_authentication_failures_total", kCounter,
           "Packets refused as not authentic: WireGuard handshakes from unknown or wrong keys and "
           "data failing its tag (protocol wireguard), ESP failing its integrity check (esp)");
  e.family("tandem_auth_failures_total", kCounter,
           "Logins and handshakes refused, by protocol (wireguard, ikev1, ikev2, ppp_pap, "
           "ppp_chap, ppp_mschapv2) and reason (unknown_key, wrong_key, wrong_password, "
           "unknown_user, ...)");
  e.family("tandem_spoofed_packets_total", kCounter,
           "Inner packets from a source their account or peer does not own, by protocol");
  e.family("tandem_ike_events_total", kCounter,
           "IKE messages retransmitted, resent, refused or dropped, by event");
  e.family("tandem_ipsec_connection_up", kGauge,
           "1 while a configured site-to-site connection has an ESP SA pair, else 0");
  e.family("tandem_dns_queries_total", kCounter, "DNS queries the split-DNS forwarder received");
  e.family("tandem_dns_answers_total", kCounter, "Upstream answers relayed to DNS clients");
  e.family("tandem_dns_servfail_total", kCounter,
           "SERVFAIL answers after every server of a query's group failed");
  e.family("tandem_dns_upstream_failures_total", kCounter,
           "Upstream tries that failed, by reason (timeout, error: ICMP or a refused connection)");
  e.family("tandem_dns_dropped_total", kCounter,
           "DNS messages dropped or refused by the forwarder, by reason");
}

std::uint64_t u64(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}
bool flag(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
std::string text(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A path's MTUs and its probing, under `labels` (which name the interface, path and peer).
void add_mtu(Exposition& e, const Labels& labels, std::optional<std::uint64_t> configured,
             std::optional<std::uint64_t> effective, const json& probe) {
  const auto with_kind = [&](const char* kind) {
    Labels l = labels;
    l.emplace_back("kind", kind);
    return l;
  };
  if (configured) e.add("tandem_path_mtu_bytes", with_kind("configured"), double(*configured));
  if (effective) e.add("tandem_path_mtu_bytes", with_kind("effective"), double(*effective));
  if (!probe.is_object()) return;
  if (probe.contains("probed"))
    e.add("tandem_path_mtu_bytes", with_kind("probed"), double(u64(probe, "probed")));
  const std::string state = text(probe, "state");
  e.add("tandem_mtu_probe_searching", labels,
        state == "searching" || state == "confirming" ? 1 : 0);
  if (state == "off") return;
  e.add("tandem_mtu_probes_sent_total", labels, double(u64(probe, "probes_sent")));
  e.add("tandem_mtu_probes_acked_total", labels, double(u64(probe, "probes_acked")));
  e.add("tandem_mtu_probe_bytes_total", labels, double(u64(probe, "probe_bytes")));
  e.add("tandem_mtu_probe_changes_total", labels, double(u64(probe, "changes")));
}

void add_wireguard(Exposition& e, const control::InterfaceStatus& s, std::int64_t now) {
  for (const control::PeerStatus& p : s.peers) {
    std::string allowed;
    for (const auto& a : p.allowed_ips) allowed += (allowed.empty() ? "" : ",") + a;
    const Labels l{{"interface", s.name},
                   {"public_key", p.public_key},
                   {"allowed_ips", allowed},
                   {"friendly_name", p.name}};
    e.add("wireguard_sent_bytes_total", l, double(p.tx_bytes));
    e.add("wireguard_received_bytes_total", l, double(p.rx_bytes));
    e.add("wireguard_latest_handshake_seconds", l, double(p.last_handshake_sec));
    const bool up =
        p.last_handshake_sec > 0 && now - p.last_handshake_sec < kRejectAfterTimeSeconds;
    e.add("tandem_wireguard_peer_up", l, up ? 1 : 0);
    add_mtu(e, {{"interface", s.name}, {"path", "wireguard"}, {"peer", p.name}}, p.configured_mtu,
            p.mtu, p.mtu_probe);
  }
  std::uint64_t not_authentic = 0;
  for (const auto& [reason, count] : s.drops) {
    e.add("tandem_drops_total", {{"interface", s.name}, {"reason", "wireguard_" + reason}},
          double(count));
    if (reason == "unknown_peer" || reason == "handshake_decrypt_failed" ||
        reason == "decrypt_failed")
      not_authentic += count;
  }
  if (!s.drops.empty())
    e.add("tandem_authentication_failures_total",
          {{"interface", s.name}, {"protocol", "wireguard"}}, double(not_authentic));
  // Handshake initiations refused: from a key no peer has (a revoked or removed account), not
  // authentic (a wrong key or preshared key), or replaying an older handshake.
  for (const auto& [drop_name, reason] : {std::pair{"unknown_peer", "unknown_key"},
                                          std::pair{"handshake_decrypt_failed", "not_authentic"},
                                          std::pair{"replayed_timestamp", "replayed_handshake"}}) {
    // A copy for the lambda: clang 14 cannot capture a structured binding.
    const std::string_view drop = drop_name;
    const auto it = std::find_if(s.drops.begin(), s.drops.end(),
                                 [&](const auto& d) { return d.first == drop; });
    e.add("tandem_auth_failures_total",
          {{"interface", s.name}, {"protocol", "wireguard"}, {"reason", reason}},
          it == s.drops.end() ? 0 : double(it->second));
  }
}

void add_drops(Exposition& e, const std::string& iface, const json& counters,
               std::initializer_list<std::pair<const char*, const char*>> reasons) {
  for (const auto& [key, reason] : reasons)
    if (counters.contains(key))
      e.add("tandem_drops_total", {{"interface", iface}, {"reason", reason}},
            double(u64(counters, key)));
}

// The split-DNS forwarder's counters (daemon/dns_service.hpp), when the interface runs one.
void add_dns(Exposition& e, const std::string& iface, const json& dns) {
  if (!dns.is_object()) return;
  const Labels l{{"interface", iface}};
  e.add("tandem_dns_queries_total", l, double(u64(dns, "queries")));
  e.add("tandem_dns_answers_total", l, double(u64(dns, "answered")));
  e.add("tandem_dns_servfail_total", l, double(u64(dns, "servfail")));
  for (const char* reason : {"timeouts", "upstream_errors"})
    e.add("tandem_dns_upstream_failures_total",
          {{"interface", iface}, {"reason", reason[0] == 't' ? "timeout" : "error"}},
          double(u64(dns, reason)));
  const auto dropped = dns.find("dropped");
  if (dropped == dns.end() || !dropped->is_object()) return;
  for (const auto& [reason, count] : dropped->items())
    if (count.is_number_unsigned())
      e.add("tandem_dns_dropped_total", {{"interface", iface}, {"reason", reason}},
            double(count.get<std::uint64_t>()));
}

void add_path_traffic(Exposition& e, const Labels& l, const json& p) {
  e.add("tandem_path_sent_bytes_total", l, double(u64(p, "tx_bytes")));
  e.add("tandem_path_received_bytes_total", l, double(u64(p, "rx_bytes")));
  e.add("tandem_path_sent_packets_total", l, double(u64(p, "tx_packets")));
  e.add("tandem_path_received_packets_total", l, double(u64(p, "rx_packets")));
}

void add_hybrid_client(Exposition& e, const std::string& iface, const json& d) {
  for (const json& p : d.value("paths", json::array())) {
    const std::string path = text(p, "path");
    const Labels l{{"interface", iface}, {"path", path}};
    e.add("tandem_hybrid_active_path", l, flag(p, "active") ? 1 : 0);
    e.add("tandem_hybrid_path_healthy", l, flag(p, "healthy") ? 1 : 0);
    e.add("tandem_hybrid_path_protocol_up", l, flag(p, "protocol_up") ? 1 : 0);
    e.add("tandem_hybrid_path_probe_loss_ratio", l, double(p.value("loss_percent", 0)) / 100.0);
    add_path_traffic(e, l, p);
    add_mtu(e, {{"interface", iface}, {"path", path}, {"peer", ""}}, std::nullopt, u64(p, "mtu"),
            p.value("mtu_probe", json()));
  }
  const Labels l{{"interface", iface}};
  e.add("tandem_hybrid_failovers_total", l, double(u64(d, "failovers")));
  e.add("tandem_hybrid_failbacks_total", l, double(u64(d, "failbacks")));
  e.add("tandem_hybrid_secondary_active_seconds_total", l,
        double(u64(d, "secondary_active_ms")) / 1000.0);
}

void add_hybrid_gateway(Exposition& e, const std::string& iface, const json& d) {
  std::vector<std::string> kinds;
  for (const json& p : d.value("paths", json::array())) {
    const std::string path = text(p, "path");
    kinds.push_back(path);
    add_path_traffic(e, {{"interface", iface}, {"path", path}}, p);
    add_mtu(e, {{"interface", iface}, {"path", path}, {"peer", ""}}, std::nullopt, u64(p, "mtu"),
            json());
  }
  for (const json& a : d.value("accounts", json::array())) {
    const std::string account = text(a, "name");
    const json live = a.value("paths", json::array());
    const std::string active = text(a, "return_path");  // where its traffic goes now
    e.add("tandem_account_up", {{"interface", iface}, {"account", account}}, live.empty() ? 0 : 1);
    for (const auto& kind : kinds) {
      const Labels l{{"interface", iface}, {"account", account}, {"path", kind}};
      e.add("tandem_hybrid_active_path", l, kind == active ? 1 : 0);
      e.add("tandem_account_path_up", l,
            std::find(live.begin(), live.end(), kind) != live.end() ? 1 : 0);
    }
    // Its IKEv2 road warrior's path, which the gateway probes itself (road_warrior_probers.hpp).
    if (const json ikev2 = a.value("ikev2_mtu", json()); ikev2.is_object())
      add_mtu(e, {{"interface", iface}, {"path", "ipsec"}, {"peer", account}},
              u64(ikev2, "configured_mtu"), u64(ikev2, "mtu"), ikev2.value("mtu_probe", json()));
  }
  add_drops(e, iface, d.value("router", json::object()),
            {{"no_account", "no_account"},
             {"no_live_path", "no_live_path"},
             {"disabled", "account_disabled"},
             {"unknown_path", "unknown_path"}});
}

void add_hybrid(Exposition& e, const json& d) {
  const std::string iface = text(d, "interface");
  const auto spoofed = d.find("spoofed");
  if (spoofed != d.end() && spoofed->is_object())
    for (const auto& [protocol, count] : spoofed->items())
      if (count.is_number_unsigned())
        e.add("tandem_spoofed_packets_total", {{"interface", iface}, {"protocol", protocol}},
              double(count.get<std::uint64_t>()));
  if (text(d, "role") == "client")
    add_hybrid_client(e, iface, d);
  else
    add_hybrid_gateway(e, iface, d);
  add_drops(e, iface, d.value("counters", json::object()),
            {{"dropped_no_route", "no_route"},
             {"dropped_spoofed", "spoofed_source"},
             {"dropped_queue_full", "queue_full"},
             {"dropped_policy", "policy"},
             {"dropped_too_big", "too_big"}});
}

void add_ipsec(Exposition& e, const std::string& iface, const json& d) {
  std::uint64_t established = 0, connecting = 0;
  for (const json& s : d.value("ike_sas", json::array()))
    ++(flag(s, "established") ? established : connecting);
  e.add("tandem_ike_sas", {{"interface", iface}, {"state", "established"}}, double(established));
  e.add("tandem_ike_sas", {{"interface", iface}, {"state", "connecting"}}, double(connecting));
  const json children = d.value("child_sas", json::array());
  e.add("tandem_esp_sas", {{"interface", iface}}, double(children.size()));
  std::uint64_t in = 0, out = 0;
  for (const json& c : children) {
    in += u64(c, "bytes_in");
    out += u64(c, "bytes_out");
  }
  // Over the SAs alive now: a rekey starts a new SA at zero, which Prometheus takes as a reset.
  e.add("tandem_esp_bytes_total", {{"interface", iface}, {"direction", "in"}}, double(in));
  e.add("tandem_esp_bytes_total", {{"interface", iface}, {"direction", "out"}}, double(out));
  const json counters = d.value("counters", json::object());
  e.add("tandem_authentication_failures_total", {{"interface", iface}, {"protocol", "esp"}},
        double(u64(counters, "authentication_failed")));
  const std::string refused = "ike_" + std::string(ipsec::ike::kAuthFailedPrefix);
  const std::string protocol = "ikev" + std::to_string(u64(d, "ike_version"));
  for (const auto& [key, count] : counters.items()) {
    if (!count.is_number_unsigned()) continue;
    if (key.starts_with(refused))
      e.add("tandem_auth_failures_total",
            {{"interface", iface}, {"protocol", protocol}, {"reason", key.substr(refused.size())}},
            double(count.get<std::uint64_t>()));
    else if (key.starts_with("ike_"))
      e.add("tandem_ike_events_total", {{"interface", iface}, {"event", key.substr(4)}},
            double(count.get<std::uint64_t>()));
  }
  add_drops(e, iface, counters,
            {{"esp_dropped", "esp"},
             {"no_sa", "no_sa"},
             {"invalid", "esp_invalid"},
             {"unknown_spi", "unknown_spi"},
             {"replayed", "replayed"},
             {"authentication_failed", "esp_authentication_failed"},
             {"policy_dropped", "ipsec_policy"}});
}

// The protocol label of a PPP authentication method as the L2TP status names it (ppp::
// auth_method_name).
std::string ppp_protocol(const std::string& method) {
  if (method == "PAP") return "ppp_pap";
  if (method == "CHAP-MD5") return "ppp_chap";
  if (method == "MS-CHAPv2") return "ppp_mschapv2";
  return "ppp";
}

void add_l2tp(Exposition& e, const json& d) {
  const std::string iface = text(d, "interface");
  e.add("tandem_l2tp_tunnels", {{"interface", iface}}, double(u64(d, "tunnels")));
  const json stats = d.value("stats", json::object());
  e.add("tandem_l2tp_data_packets_total", {{"interface", iface}, {"direction", "received"}},
        double(u64(stats, "data_received")));
  e.add("tandem_l2tp_data_packets_total", {{"interface", iface}, {"direction", "sent"}},
        double(u64(stats, "data_sent")));
  add_drops(e, iface, stats,
            {{"no_route", "no_route"},
             {"spoofed", "spoofed_source"},
             {"not_ipv4", "not_ipv4"},
             {"pool_exhausted", "pool_exhausted"}});
  const json sessions = d.value("sessions", json::array());
  // A client (LAC) always has its one session, down until PPP opens.
  if (sessions.empty() && text(d, "role") == "lac")
    e.add("tandem_ppp_session_up", {{"interface", iface}, {"user", ""}, {"peer", ""}}, 0);
  for (const json& s : sessions) {
    const Labels l{{"interface", iface}, {"user", text(s, "user")}, {"peer", text(s, "peer")}};
    e.add("tandem_ppp_session_up", l, flag(s, "up") ? 1 : 0);
    e.add("tandem_ppp_sent_bytes_total", l, double(u64(s, "tx_bytes")));
    e.add("tandem_ppp_received_bytes_total", l, double(u64(s, "rx_bytes")));
    e.add("tandem_ppp_sent_packets_total", l, double(u64(s, "tx_packets")));
    e.add("tandem_ppp_received_packets_total", l, double(u64(s, "rx_packets")));
    add_mtu(e, {{"interface", iface}, {"path", "l2tp"}, {"peer", text(s, "user")}},
            u64(s, "configured_mtu"), u64(s, "mtu"), s.value("mtu_probe", json()));
  }
  for (const json& f : d.value("login_failures", json::array()))
    e.add("tandem_auth_failures_total",
          {{"interface", iface},
           {"protocol", ppp_protocol(text(f, "method"))},
           {"reason", text(f, "reason")}},
          double(u64(f, "count")));
  if (d.contains("ipsec")) add_ipsec(e, iface, d["ipsec"]);
}

void add_ipsec_interface(Exposition& e, const json& d) {
  const std::string iface = text(d, "interface");
  const json ipsec = d.value("ipsec", json::object());
  add_ipsec(e, iface, ipsec);
  e.add("tandem_path_mtu_bytes",
        {{"interface", iface}, {"path", "ipsec"}, {"peer", ""}, {"kind", "effective"}},
        double(u64(d, "mtu")));
  const json children = ipsec.value("child_sas", json::array());
  for (const json& c : d.value("connections", json::array())) {
    const std::string remote = text(c, "remote_address");
    bool up = false;
    for (const json& sa : children) up = up || text(sa, "peer").starts_with(remote);
    e.add("tandem_ipsec_connection_up", {{"interface", iface}, {"connection", text(c, "name")}},
          up && !remote.empty() ? 1 : 0);
  }
}

}  // namespace

std::string node_metrics_text(const NodeStatus& status) {
  Exposition e;
  declare(e);
  for (const auto& s : status.wireguard) {
    add_wireguard(e, s, status.now_unix);
    add_dns(e, s.name, s.dns);
  }
  for (const json& d : status.documents) {
    if (!d.is_object() || !d.contains("interface")) continue;  // "{}": a path hung up
    if (d.contains("dns")) add_dns(e, text(d, "interface"), d["dns"]);
    if (d.contains("role") && d.contains("counters"))
      add_hybrid(e, d);
    else if (text(d, "kind") == "ipsec")
      add_ipsec_interface(e, d);
    else
      add_l2tp(e, d);
  }
  return e.text();
}

}  // namespace tandem::metrics
