// The text of a hybrid interface's status: a site's paths with their state, MTU and counters,
// the last switch; a gateway's accounts and paths, and the sources each protocol's own check
// refused.
#include "cli/hybrid_status_view.hpp"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

TEST(HybridStatusView, ASiteShowsEachPathWithItsCountersAndTheLastSwitch) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "site0", "role": "client", "secondary": "ipsec", "active": "ipsec",
    "paths": [
      {"path": "wireguard", "role": "primary", "active": false, "protocol_up": true,
       "healthy": false, "forced_down": false, "loss_percent": 100, "probes_sent": 40,
       "probes_answered": 0, "mtu": 1220, "tx_packets": 1200, "tx_bytes": 1500000,
       "rx_packets": 900, "rx_bytes": 80000, "underlay_path_mtu": {"gateway": 1280},
       "mtu_probe": {"state": "complete", "live": false, "probed": 1340, "max": 1420,
                     "probes_sent": 14, "probes_acked": 11}},
      {"path": "ipsec", "role": "secondary", "active": true, "protocol_up": true,
       "healthy": true, "forced_down": false, "loss_percent": 0, "probes_sent": 40,
       "probes_answered": 40, "rtt_us": 1500, "mtu": 1420, "tx_packets": 300,
       "tx_bytes": 400000, "rx_packets": 250, "rx_bytes": 20000,
       "mtu_probe": {"state": "off", "reason": "mtu_probing = false in [fallback]"}}],
    "last_switch": {"from": "wireguard", "to": "ipsec", "reason": "primary down",
                    "silent_for_ms": 700, "ms_ago": 2000},
    "failback_hold_ms": 5000,
    "counters": {"to_wireguard": 1200, "to_secondary": 300, "delivered": 1150}})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("hybrid site: traffic on ipsec"), std::string::npos) << text;
  EXPECT_NE(text.find("path wireguard (primary): unhealthy, standby; probes 40 sent, 0 answered, "
                      "100% lost\n    mtu 1220; sent 1200 packets (1500.0 KB), received 900 "
                      "packets (80.0 KB)\n    the underlay to gateway carries 1280 bytes (ICMP)\n"
                      "    path MTU probing: complete while the path is down, 1340 probed "
                      "(searched up to 1420), 14 probes sent, 11 answered\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    path MTU probing: off (mtu_probing = false in [fallback])\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("path ipsec (secondary): healthy, active; probes 40 sent, 40 answered, 0% "
                      "lost, rtt 1.5 ms\n    mtu 1420; sent 300 packets"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("last switch: wireguard -> ipsec, 2.0 s ago: primary down"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("1200 to WireGuard, 300 to IPsec, 1150 delivered"), std::string::npos)
      << text;
}

TEST(HybridStatusView, AGatewayShowsItsPathsAndAccounts) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "gw0", "role": "gateway",
    "paths": [{"path": "wireguard", "mtu": 1420, "tx_packets": 5, "tx_bytes": 500,
               "rx_packets": 6, "rx_bytes": 600},
              {"path": "l2tp-ipsec", "mtu": 1400, "tx_packets": 7, "tx_bytes": 700,
               "rx_packets": 8, "rx_bytes": 800}],
    "accounts": [{"name": "alice", "ipv4": "10.77.0.2", "disabled": false,
                  "paths": ["wireguard", "l2tp-ipsec"], "return_path": "l2tp-ipsec"},
                 {"name": "bob", "class": "contractors", "ipv4": "10.77.0.3",
                  "disabled": false, "paths": []}],
    "counters": {"to_wireguard": 5, "to_secondary": 7, "delivered": 14}})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("path l2tp-ipsec\n    mtu 1400; sent 7 packets (0.7 KB), received 8 "
                      "packets (0.8 KB)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("account alice: 10.77.0.2; paths wireguard,l2tp-ipsec; traffic returns on "
                      "l2tp-ipsec"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("account bob (class contractors): 10.77.0.3; paths none"), std::string::npos)
      << text;
  EXPECT_NE(text.find("5 to WireGuard, 7 to L2TP/IPsec"), std::string::npos) << text;
}

TEST(HybridStatusView, EachAccountShowsItsSessionOnEachProtocol) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "gw0", "role": "gateway",
    "accounts": [{"name": "alice", "ipv4": "10.77.0.2", "paths": ["wireguard", "l2tp-ipsec"],
                  "return_path": "wireguard", "path_moves": 3,
                  "wireguard": {"endpoint": "192.0.2.7:51820", "latest_handshake_unix": 1000,
                                "latest_handshake_age_seconds": 65, "rx_bytes": 1572864,
                                "tx_bytes": 2048, "mtu": 1340},
                  "l2tp": {"endpoint": "192.0.2.7:1701", "up": true, "last_echo_reply_ms_ago": 4200,
                           "rx_bytes": 10, "tx_bytes": 20, "mtu": 1400}},
                 {"name": "bob", "ipv4": "10.77.0.3", "paths": [],
                  "wireguard": {"endpoint": "", "latest_handshake_unix": 0, "rx_bytes": 0,
                                "tx_bytes": 0}},
                 {"name": "carol", "ipv4": "10.77.0.4", "paths": ["ipsec"],
                  "ikev2": {"endpoint": "192.0.2.9:4500", "child_sas": 1, "rx_bytes": 3,
                            "tx_bytes": 4}}]})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("traffic returns on wireguard (moved 3 times)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    wireguard: 192.0.2.7:51820, handshake 1 minute, 5 seconds ago, 1.50 "
                      "MiB received, 2.00 KiB sent, mtu 1340\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    l2tp-ipsec: 192.0.2.7:1701, LCP echo answered 4 seconds ago, 10 B "
                      "received, 20 B sent, mtu 1400\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    wireguard: (no endpoint yet), no handshake yet, 0 B received"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    ikev2: 192.0.2.9:4500, 1 Child SAs, 3 B received, 4 B sent\n"),
            std::string::npos)
      << text;
}

TEST(HybridStatusView, AGatewayShowsEachAccountsPathMtuProbingOrWhyItIsOff) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "hyb0", "role": "gateway",
    "accounts": [
      {"name": "alice", "ipv4": "10.88.0.2", "disabled": false, "paths": ["wireguard"],
       "return_path": "wireguard", "mtu_probe_target": "10.88.0.2", "wireguard_mtu": 1340,
       "mtu_probe": {"state": "complete", "live": true, "probed": 1340, "max": 1420,
                     "probes_sent": 9, "probes_acked": 6}},
      {"name": "carol", "ipv4": "10.88.0.3", "disabled": false, "paths": [],
       "mtu_probe": {"state": "off", "reason": "the account has no WireGuard key"},
       "ikev2_mtu": {"mtu": 1318, "configured_mtu": 1420, "mtu_probe_target": "10.88.0.3",
                     "mtu_probe": {"state": "complete", "live": true, "probed": 1318,
                                   "max": 1420, "probes_sent": 46, "probes_acked": 6}}}]})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("account alice: 10.88.0.2; paths wireguard; traffic returns on wireguard\n"
                      "    path MTU probing: complete, 1340 probed (searched up to 1420), 9 probes "
                      "sent, 6 answered, echoes to 10.88.0.2; WireGuard packets held to 1340\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("account carol: 10.88.0.3; paths none; traffic returns on none\n"
                      "    path MTU probing: off (the account has no WireGuard key)\n"
                      "    ikev2 path MTU probing: complete, 1318 probed (searched up to 1420), "
                      "46 probes sent, 6 answered, echoes to 10.88.0.3; ESP packets held to 1318 "
                      "(configured 1420)\n"),
            std::string::npos)
      << text;
}

TEST(HybridStatusView, AGatewayShowsItsRoadWarriorsPathAndTheSpoofedCounts) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "hyb0", "role": "gateway",
    "spoofed": {"wireguard": 2, "ipsec": 5},
    "accounts": [
      {"name": "alice", "ipv4": "10.88.0.2", "disabled": false, "paths": ["wireguard"],
       "return_path": "wireguard"},
      {"name": "carol", "ipv4": "10.88.0.3", "disabled": false, "paths": ["ipsec"],
       "return_path": "ipsec"}],
    "counters": {"to_wireguard": 10, "to_secondary": 7, "delivered": 17, "dropped_no_route": 0,
                 "dropped_spoofed": 1, "dropped_queue_full": 0, "dropped_policy": 0,
                 "too_big_icmp": 3, "fragmented": 2, "dropped_too_big": 0}})");
  EXPECT_EQ(render_hybrid_text(status),
            "interface: hyb0\n"
            "  hybrid gateway\n"
            "  account alice: 10.88.0.2; paths wireguard; traffic returns on wireguard\n"
            "  account carol: 10.88.0.3; paths ipsec; traffic returns on ipsec\n"
            "  packets: 10 to WireGuard, 7 to IPsec, 17 delivered; dropped: 0 without a route, "
            "1 spoofed, 0 queue full, 0 by a fail-closed rule\n"
            "  too big for their path: 3 answered with ICMP, 2 fragmented, 0 dropped\n"
            "  spoofed sources refused: ipsec 5, wireguard 2\n");
}

TEST(HybridStatusView, AGatewayServingBothNamesBothControlPaths) {
  const auto status = nlohmann::json::parse(
      R"({"interface": "hyb0", "role": "gateway", "spoofed": {"wireguard": 0, "l2tp": 1,
          "ipsec": 2}, "accounts": [], "counters": {"to_secondary": 4}})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("4 to L2TP/IPsec and IPsec"), std::string::npos) << text;
  EXPECT_NE(text.find("spoofed sources refused: ipsec 2, l2tp 1, wireguard 0"), std::string::npos)
      << text;
}

TEST(HybridStatusView, AClientShowsEachTrafficRule) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "hyb0", "role": "client", "secondary": "l2tp-ipsec", "active": "wireguard",
    "paths": [], "failback_hold_ms": 5000,
    "policy": [{"name": "bulk", "path": "l2tp-ipsec", "on_down": "other", "packets": 9000,
                "rerouted": 12, "dropped": 0},
               {"name": "payroll", "path": "wireguard", "on_down": "drop", "packets": 40,
                "rerouted": 0, "dropped": 7}],
    "counters": {"dropped_policy": 7}})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("  policy bulk on l2tp-ipsec (on_down other): 9000 packets, 12 rerouted, 0 "
                      "dropped\n  policy payroll on wireguard (on_down drop): 40 packets, 0 "
                      "rerouted, 7 dropped\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("7 by a fail-closed rule"), std::string::npos) << text;
}

TEST(HybridStatusView, AnL2tpGatewaysControlPathIsNamedSo) {
  const auto status = nlohmann::json::parse(
      R"({"interface": "hyb0", "role": "gateway", "spoofed": {"wireguard": 0, "l2tp": 0},
          "accounts": [], "counters": {}})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("0 to L2TP/IPsec"), std::string::npos) << text;
  EXPECT_NE(text.find("spoofed sources refused: l2tp 0, wireguard 0"), std::string::npos) << text;
}

TEST(HybridStatusView, ANestedStackShowsWhatRidesInsideWhatAndTheCarriedDatagrams) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "nest0", "role": "nested", "outer": "l2tp-ipsec", "inner": "wireguard",
    "mtu": 1340, "outer_up": true, "outer_address": "10.86.0.10",
    "counters": {"carried_out": 1500, "carried_in": 1400, "inner_sent": 1501, "delivered": 1399,
                 "dropped_outer_down": 3, "dropped_queue_full": 0, "dropped_not_nested": 2,
                 "dropped_too_big": 0}})");
  EXPECT_EQ(render_hybrid_text(status),
            "interface: nest0\n"
            "  nested: wireguard inside l2tp-ipsec, MTU 1340\n"
            "  outer l2tp-ipsec: up, this node 10.86.0.10\n"
            "  datagrams carried: 1500 out, 1400 in; packets: 1501 into the stack, 1399 "
            "delivered\n"
            "  dropped: 3 while the outer path was down, 0 queue full, 2 not for the inner "
            "protocol, 0 too big\n");
}

}  // namespace
}  // namespace tandem::cli
