// A node's status documents as metric families: the exporter's WireGuard names, the hybrid
// paths, accounts, sessions and SAs, and down ones present with 0 rather than missing.
#include "metrics/node_metrics.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace tandem::metrics {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

control::InterfaceStatus wireguard_interface() {
  control::InterfaceStatus s;
  s.name = "wg0";
  control::PeerStatus up;
  up.public_key = "AAAA=";
  up.name = "laptop";
  up.allowed_ips = {"10.0.0.2/32", "fd00::2/128"};
  up.tx_bytes = 3208804;
  up.rx_bytes = 71420072;
  up.last_handshake_sec = 1'700'000'000;
  up.mtu = 1340;
  up.configured_mtu = 1420;
  up.mtu_probe = nlohmann::json::parse(
      R"({"state":"complete","live":true,"max":1420,"probes_sent":14,"probes_acked":11,
          "probe_bytes":17000,"probed":1340,"changes":2})");
  control::PeerStatus never;  // configured, never connected
  never.public_key = "BBBB=";
  never.name = "phone";
  never.allowed_ips = {"10.0.0.3/32"};
  s.peers = {up, never};
  s.drops = {{"unknown_peer", 2}, {"handshake_decrypt_failed", 1}, {"replayed_counter", 5}};
  return s;
}

TEST(NodeMetrics, WireGuardPeersUseTheExportersNamesAndLabels) {
  NodeStatus st{{wireguard_interface()}, {}, 1'700'000'060};
  const std::string text = node_metrics_text(st);
  const std::string labels =
      R"({interface="wg0",public_key="AAAA=",allowed_ips="10.0.0.2/32,fd00::2/128",)"
      R"(friendly_name="laptop"})";
  EXPECT_TRUE(has_line(text, "# TYPE wireguard_sent_bytes_total counter")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE wireguard_latest_handshake_seconds gauge")) << text;
  EXPECT_TRUE(has_line(text, "wireguard_sent_bytes_total" + labels + " 3208804")) << text;
  EXPECT_TRUE(has_line(text, "wireguard_received_bytes_total" + labels + " 71420072")) << text;
  EXPECT_TRUE(has_line(text, "wireguard_latest_handshake_seconds" + labels + " 1700000000"));
  EXPECT_TRUE(has_line(text, "tandem_wireguard_peer_up" + labels + " 1"));
}

TEST(NodeMetrics, CountsTheDnsForwarderOfAWireGuardOrHybridInterface) {
  control::InterfaceStatus wg = wireguard_interface();
  wg.dns = nlohmann::json::parse(
      R"({"queries":7,"answered":6,"servfail":1,"timeouts":1,"upstream_errors":0,
          "dropped":{"no_rule":2,"bad_id":0}})");
  const auto hybrid = nlohmann::json::parse(
      R"({"interface":"hyb0","kind":"hybrid","dns":{"queries":3,"answered":3}})");
  const std::string text = node_metrics_text({{wg}, {hybrid}, 1'700'000'060});
  EXPECT_TRUE(has_line(text, "# TYPE tandem_dns_queries_total counter")) << text;
  EXPECT_TRUE(has_line(text, R"(tandem_dns_queries_total{interface="wg0"} 7)")) << text;
  EXPECT_TRUE(has_line(text, R"(tandem_dns_answers_total{interface="wg0"} 6)")) << text;
  EXPECT_TRUE(has_line(text, R"(tandem_dns_servfail_total{interface="wg0"} 1)")) << text;
  EXPECT_TRUE(
      has_line(text, R"(tandem_dns_upstream_failures_total{interface="wg0",reason="timeout"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(tandem_dns_dropped_total{interface="wg0",reason="no_rule"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(tandem_dns_queries_total{interface="hyb0"} 3)")) << text;
}

TEST(NodeMetrics, APeerThatNeverConnectedIsDownNotMissing) {
  NodeStatus st{{wireguard_interface()}, {}, 1'700'000'060};
  const std::string text = node_metrics_text(st);
  const std::string labels =
      R"({interface="wg0",public_key="BBBB=",allowed_ips="10.0.0.3/32",friendly_name="phone"})";
  for (const char* family : {"wireguard_sent_bytes_total", "wireguard_received_bytes_total",
                             "wireguard_latest_handshake_seconds", "tandem_wireguard_peer_up"})
    EXPECT_TRUE(has_line(text, family + labels + " 0")) << family << "\n" << text;
}

TEST(NodeMetrics, WireGuardDropsByReasonAndItsAuthenticationFailures) {
  NodeStatus st{{wireguard_interface()}, {}, 0};
  const std::string text = node_metrics_text(st);
  EXPECT_TRUE(has_line(
      text, R"(tandem_drops_total{interface="wg0",reason="wireguard_replayed_counter"} 5)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(tandem_authentication_failures_total{interface="wg0",protocol="wireguard"} 3)"));
}

TEST(NodeMetrics, AStaleHandshakeIsDown) {
  NodeStatus st{{wireguard_interface()}, {}, 1'700'000'000 + 181};
  EXPECT_NE(
      node_metrics_text(st).find(R"(tandem_wireguard_peer_up{interface="wg0",public_key="AAAA=")"
                                 R"(,allowed_ips="10.0.0.2/32,fd00::2/128",)"
                                 R"(friendly_name="laptop"} 0)"),
      std::string::npos);
}

TEST(NodeMetrics, APeersMtusAreConfiguredEffectiveAndProbed) {
  NodeStatus st{{wireguard_interface()}, {}, 0};
  const std::string text = node_metrics_text(st);
  const std::string l = R"(interface="wg0",path="wireguard",peer="laptop")";
  EXPECT_TRUE(has_line(text, "tandem_path_mtu_bytes{" + l + R"(,kind="configured"} 1420)")) << text;
  EXPECT_TRUE(has_line(text, "tandem_path_mtu_bytes{" + l + R"(,kind="effective"} 1340)"));
  EXPECT_TRUE(has_line(text, "tandem_path_mtu_bytes{" + l + R"(,kind="probed"} 1340)"));
  EXPECT_TRUE(has_line(text, "tandem_mtu_probes_sent_total{" + l + "} 14"));
  EXPECT_TRUE(has_line(text, "tandem_mtu_probes_acked_total{" + l + "} 11"));
  EXPECT_TRUE(has_line(text, "tandem_mtu_probe_bytes_total{" + l + "} 17000"));
  EXPECT_TRUE(has_line(text, "tandem_mtu_probe_changes_total{" + l + "} 2"));
  EXPECT_TRUE(has_line(text, "tandem_mtu_probe_searching{" + l + "} 0"));
}

nlohmann::json hybrid_client() {
  return nlohmann::json::parse(R"({
    "interface": "hy0", "role": "client", "active": "l2tp", "spoofed": {"wireguard": 1, "l2tp": 2},
    "failovers": 2, "failbacks": 1, "secondary_active_ms": 12500,
    "paths": [
      {"path": "wireguard", "role": "primary", "active": false, "protocol_up": true,
       "healthy": false, "loss_percent": 100, "mtu": 1340, "tx_packets": 1, "tx_bytes": 100,
       "rx_packets": 2, "rx_bytes": 200,
       "mtu_probe": {"state": "searching", "live": true, "max": 1420, "probes_sent": 3,
                     "probes_acked": 1, "probe_bytes": 4000, "probed": 1340}},
      {"path": "l2tp", "role": "secondary", "active": true, "protocol_up": true,
       "healthy": true, "loss_percent": 0, "mtu": 1400, "tx_packets": 3, "tx_bytes": 300,
       "rx_packets": 4, "rx_bytes": 400,
       "mtu_probe": {"state": "off", "reason": "mtu_probing = false in [fallback]"}}],
    "counters": {"dropped_no_route": 5, "dropped_spoofed": 6, "dropped_queue_full": 0,
                 "dropped_policy": 0, "dropped_too_big": 7}})");
}

TEST(NodeMetrics, AHybridClientShowsTheActivePathFailoversAndTimeOnTheFallback) {
  NodeStatus st{{}, {hybrid_client()}, 0};
  const std::string text = node_metrics_text(st);
  EXPECT_TRUE(has_line(text, R"(tandem_hybrid_active_path{interface="hy0",path="wireguard"} 0)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(tandem_hybrid_active_path{interface="hy0",path="l2tp"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tandem_hybrid_path_healthy{interface="hy0",path="wireguard"} 0)"));
  EXPECT_TRUE(has_line(text, R"(tandem_hybrid_failovers_total{interface="hy0"} 2)"));
  EXPECT_TRUE(has_line(text, R"(tandem_hybrid_failbacks_total{interface="hy0"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(tandem_hybrid_secondary_active_seconds_total{interface="hy0"} 12.5)"));
  EXPECT_TRUE(has_line(text, R"(tandem_path_sent_bytes_total{interface="hy0",path="l2tp"} 300)"));
  EXPECT_TRUE(has_line(
      text,
      R"(tandem_path_mtu_bytes{interface="hy0",path="wireguard",peer="",kind="probed"} 1340)"));
  EXPECT_TRUE(
      has_line(text, R"(tandem_mtu_probe_searching{interface="hy0",path="wireguard",peer=""} 1)"));
  EXPECT_TRUE(has_line(text, R"(tandem_drops_total{interface="hy0",reason="too_big"} 7)"));
  EXPECT_TRUE(has_line(text, R"(tandem_drops_total{interface="hy0",reason="spoofed_source"} 6)"));
  EXPECT_TRUE(has_line(text, R"(tandem_spoofed_packets_total{interface="hy0",protocol="l2tp"} 2)"));
}

TEST(NodeMetrics, AGatewayShowsEveryAccountsPathDownOnesWithZero) {
  const auto doc = nlohmann::json::parse(R"({
    "interface": "gw0", "role": "gateway",
    "paths": [{"path": "wireguard", "mtu": 1420}, {"path": "l2tp", "mtu": 1400}],
    "accounts": [{"name": "alice", "disabled": false, "paths": ["wireguard", "l2tp"],
                  "return_path": "l2tp"},
                 {"name": "bob", "disabled": false, "paths": []},
                 {"name": "carol", "disabled": false, "paths": ["ipsec"],
                  "ikev2_mtu": {"mtu": 1318, "configured_mtu": 1420,
                                "mtu_probe": {"state": "complete", "probed": 1318,
                                              "probes_sent": 46, "probes_acked": 6}}}],
    "router": {"no_account": 3, "no_live_path": 4, "disabled": 0, "unknown_path": 0},
    "counters": {"dropped_no_route": 0}})");
  const std::string text = node_metrics_text({{}, {doc}, 0});
  EXPECT_TRUE(
      has_line(text, R"(tandem_hybrid_active_path{interface="gw0",account="alice",path="l2tp"} 1)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(tandem_hybrid_active_path{interface="gw0",account="alice",path="wireguard"} 0)"));
  EXPECT_TRUE(has_line(
      text, R"(tandem_hybrid_active_path{interface="gw0",account="bob",path="wireguard"} 0)"));
  EXPECT_TRUE(has_line(
      text, R"(tandem_account_path_up{interface="gw0",account="alice",path="wireguard"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(tandem_account_path_up{interface="gw0",account="bob",path="l2tp"} 0)"));
  EXPECT_TRUE(has_line(text, R"(tandem_account_up{interface="gw0",account="alice"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tandem_account_up{interface="gw0",account="bob"} 0)"));
  EXPECT_TRUE(has_line(text, R"(tandem_drops_total{interface="gw0",reason="no_live_path"} 4)"));
  // carol's IKEv2 road warrior, whose path the gateway probed.
  EXPECT_TRUE(has_line(
      text,
      R"(tandem_path_mtu_bytes{interface="gw0",path="ipsec",peer="carol",kind="probed"} 1318)"))
      << text;
  EXPECT_TRUE(has_line(
      text,
      R"(tandem_path_mtu_bytes{interface="gw0",path="ipsec",peer="carol",kind="configured"} 1420)"));
}

TEST(NodeMetrics, L2tpSessionsAndIpsecSasWithADownClientSessionPresent) {
  const auto lac = nlohmann::json::parse(R"({
    "interface": "l2tp0", "role": "lac", "tunnels": 0, "sessions": [],
    "stats": {"no_route": 1, "data_received": 0, "data_sent": 0},
    "ipsec": {"ike_sas": [{"established": false}], "child_sas": [],
              "counters": {"authentication_failed": 2}}})");
  const auto lns = nlohmann::json::parse(R"({
    "interface": "l2tp1", "role": "lns", "tunnels": 1,
    "sessions": [{"user": "alice", "peer": "192.0.2.7:1701", "up": true,
                  "configured_mtu": 1400, "mtu": 1380, "rx_bytes": 4242, "tx_bytes": 5151,
                  "rx_packets": 42, "tx_packets": 51,
                  "mtu_probe": {"state": "complete", "probed": 1380, "probes_sent": 9,
                                "probes_acked": 8, "probe_bytes": 9000}}],
    "stats": {"data_received": 10, "data_sent": 11},
    "ipsec": {"ike_sas": [{"established": true}],
              "child_sas": [{"peer": "192.0.2.7", "bytes_in": 500, "bytes_out": 600}],
              "counters": {}}})");
  const std::string text = node_metrics_text({{}, {lac, lns}, 0});
  EXPECT_TRUE(has_line(text, R"(tandem_ppp_session_up{interface="l2tp0",user="",peer=""} 0)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(tandem_l2tp_tunnels{interface="l2tp0"} 0)"));
  EXPECT_TRUE(has_line(text, R"(tandem_ike_sas{interface="l2tp0",state="connecting"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(tandem_authentication_failures_total{interface="l2tp0",protocol="esp"} 2)"));
  EXPECT_TRUE(has_line(
      text, R"(tandem_ppp_session_up{interface="l2tp1",user="alice",peer="192.0.2.7:1701"} 1)"));
  const std::string alice = R"({interface="l2tp1",user="alice",peer="192.0.2.7:1701"} )";
  EXPECT_TRUE(has_line(text, "tandem_ppp_sent_bytes_total" + alice + "5151"));
  EXPECT_TRUE(has_line(text, "tandem_ppp_received_bytes_total" + alice + "4242"));
  EXPECT_TRUE(has_line(text, "tandem_ppp_sent_packets_total" + alice + "51"));
  EXPECT_TRUE(has_line(text, "tandem_ppp_received_packets_total" + alice + "42"));
  EXPECT_TRUE(has_line(
      text,
      R"(tandem_path_mtu_bytes{interface="l2tp1",path="l2tp",peer="alice",kind="configured"} 1400)"));
  EXPECT_TRUE(has_line(text, R"(tandem_esp_sas{interface="l2tp1"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tandem_esp_bytes_total{interface="l2tp1",direction="out"} 600)"));
}

TEST(NodeMetrics, RefusedLoginsAndHandshakesAreCountedByProtocolAndReason) {
  const auto lns = nlohmann::json::parse(R"({
    "interface": "l2tp1", "role": "lns", "tunnels": 0, "sessions": [], "stats": {},
    "login_failures": [{"method": "MS-CHAPv2", "reason": "wrong_password", "count": 3},
                       {"method": "PAP", "reason": "unknown_user", "count": 1}],
    "ipsec": {"ike_version": 1, "ike_sas": [], "child_sas": [],
              "counters": {"ike_auth_failed_wrong_key": 2, "ike_refused": 4}}})");
  const auto road_warriors = nlohmann::json::parse(R"({
    "interface": "gw0", "kind": "ipsec", "mtu": 1400, "connections": [],
    "ipsec": {"ike_version": 2, "ike_sas": [], "child_sas": [],
              "counters": {"ike_auth_failed_unknown_identity": 5}}})");
  const std::string text = node_metrics_text({{wireguard_interface()}, {lns, road_warriors}, 0});
  const auto failures = [&](const char* iface, const char* protocol, const char* reason) {
    return std::string("tandem_auth_failures_total{interface=\"") + iface + "\",protocol=\"" +
           protocol + "\",reason=\"" + reason + "\"} ";
  };
  EXPECT_TRUE(has_line(text, "# TYPE tandem_auth_failures_total counter")) << text;
  EXPECT_TRUE(has_line(text, failures("l2tp1", "ppp_mschapv2", "wrong_password") + "3")) << text;
  EXPECT_TRUE(has_line(text, failures("l2tp1", "ppp_pap", "unknown_user") + "1"));
  EXPECT_TRUE(has_line(text, failures("l2tp1", "ikev1", "wrong_key") + "2"));
  EXPECT_TRUE(has_line(text, failures("gw0", "ikev2", "unknown_identity") + "5"));
  EXPECT_TRUE(has_line(text, failures("wg0", "wireguard", "unknown_key") + "2"));
  EXPECT_TRUE(has_line(text, failures("wg0", "wireguard", "not_authentic") + "1"));
  // A reason that never happened is there with 0, not missing.
  EXPECT_TRUE(has_line(text, failures("wg0", "wireguard", "replayed_handshake") + "0"));
  // Refusals are not IKE events as well; other IKE counters still are.
  EXPECT_EQ(text.find("event=\"auth_failed"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(tandem_ike_events_total{interface="l2tp1",event="refused"} 4)"));
}

TEST(NodeMetrics, EveryFamilyIsDeclaredOnceAndNoSeriesRepeats) {
  NodeStatus st{{wireguard_interface(), wireguard_interface()}, {hybrid_client()}, 0};
  const std::string text = node_metrics_text(st);
  std::set<std::string> types, series;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.starts_with("# TYPE ")) {
      EXPECT_TRUE(types.insert(l).second) << l;
    } else if (!l.starts_with("#")) {
      EXPECT_TRUE(series.insert(l.substr(0, l.rfind(' '))).second) << l;
    }
  }
  EXPECT_TRUE(has_line(text, "# TYPE tandem_hybrid_failovers_total counter"));
}

}  // namespace
}  // namespace tandem::metrics
