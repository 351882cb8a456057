// The L2TP status view: a gateway inside IPsec shows its IKE and ESP SAs and no plain port; a
// plain one says that it is not encrypted.
#include "cli/l2tp_status_view.hpp"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(L2tpStatusView, ShowsIpsecSasAndNoPlainPort) {
  const auto doc = nlohmann::json::parse(R"({
    "interface": "l2tp0", "role": "lns", "tunnels": 1, "stats": {"to_tun": 5},
    "ipsec": {"ike_version": 1,
      "ike_sas": [{"remote": "192.0.2.7:4500", "peer": "clients", "established": true,
                   "suite": "AES_CBC_256/PRF_HMAC_SHA2_256/MODP_2048"}],
      "child_sas": [{"spi_in": "0a0b0c0d", "spi_out": "01020304", "peer": "192.0.2.7:4500",
                     "suite": "AES_GCM_16_256", "mode": "transport", "udp_encapsulated": true,
                     "local": "192.0.2.1[17/1701]", "remote": "10.0.0.5[17/1701]",
                     "carries_outbound": true, "packets_in": 12, "packets_out": 9,
                     "replayed": 1, "authentication_failed": 2, "policy_dropped": 3}]},
    "sessions": []})");
  const std::string text = render_l2tp_text(doc);
  EXPECT_TRUE(has(text, "L2TP/IPsec gateway (LNS) (IKEv1, ESP transport mode on UDP 1701)"));
  EXPECT_FALSE(has(text, "not encrypted"));
  EXPECT_TRUE(has(text, "IKE SA with 192.0.2.7:4500 (clients): established, AES_CBC_256"));
  EXPECT_TRUE(has(text,
                  "ESP SA 0a0b0c0d/01020304 with 192.0.2.7:4500: AES_GCM_16_256, "
                  "transport mode, in UDP"));
  EXPECT_TRUE(has(text, "traffic: 192.0.2.1[17/1701] <-> 10.0.0.5[17/1701]"));
  EXPECT_TRUE(has(text, "packets: 12 in, 9 out; dropped: 1 replayed, 2 forged, 3 off-policy"));
}

TEST(L2tpStatusView, ShowsTheMtuAndWhatTheUnderlaySaid) {
  const auto doc = nlohmann::json::parse(R"({
    "interface": "l2tp0", "role": "lac", "tunnels": 1, "mtu": 1200,
    "too_big": {"icmp": 4, "fragmented": 1, "dropped": 0},
    "ipsec": {"ike_version": 1, "underlay_path_mtu": {"192.0.2.1": 1280}}, "sessions": []})");
  EXPECT_TRUE(has(render_l2tp_text(doc),
                  "MTU: 1200; the underlay towards 192.0.2.1 carries 1280 bytes (ICMP); too big: "
                  "4 answered with ICMP, 1 fragmented, 0 dropped\n"));
  const auto plain = nlohmann::json::parse(
      R"({"interface": "l2tp0", "role": "lac", "udp_port": 1701, "mtu": 1220,
          "underlay_path_mtu": {"192.0.2.9": 1280}, "sessions": []})");
  EXPECT_TRUE(has(render_l2tp_text(plain),
                  "MTU: 1220; the underlay towards 192.0.2.9 carries 1280 bytes (ICMP)\n"));
  const auto quiet = nlohmann::json::parse(
      R"({"interface": "l2tp0", "role": "lac", "mtu": 1420, "ipsec": {}, "sessions": []})");
  EXPECT_TRUE(has(render_l2tp_text(quiet), "  MTU: 1420\n"));
}

TEST(L2tpStatusView, ShowsEachSessionsMtuAndWhatProbingFound) {
  const auto doc = nlohmann::json::parse(R"({
    "interface": "l2tp0", "role": "lac", "mtu": 1362, "ipsec": {}, "sessions": [
      {"tunnel": 3, "session": 4, "up": true, "configured_mtu": 1400, "mtu": 1362,
       "mtu_probe": {"state": "complete", "probed": 1362, "max": 1400, "probes_sent": 12,
                     "probes_acked": 9}},
      {"tunnel": 3, "session": 5, "up": true, "configured_mtu": 1400, "mtu": 1400,
       "mtu_probe": {"state": "error", "max": 1400, "probes_sent": 6, "probes_acked": 0}},
      {"tunnel": 3, "session": 6, "up": false, "configured_mtu": 1400, "mtu": 1400,
       "mtu_probe": {"state": "off", "reason": "the session is not up"}}]})");
  const std::string text = render_l2tp_text(doc);
  EXPECT_TRUE(has(text,
                  "  MTU: 1362 (configured 1400)\n  path MTU probing: complete, 1362 probed "
                  "(searched up to 1400), 12 probes sent, 9 answered\n"));
  EXPECT_TRUE(has(text,
                  "path MTU probing: error, no probe answered: the configured MTU holds "
                  "(searched up to 1400), 6 probes sent, 0 answered\n"));
  EXPECT_TRUE(has(text, "path MTU probing: off (the session is not up)\n"));
}

TEST(L2tpStatusView, PlainL2tpSaysItIsNotEncrypted) {
  const auto doc = nlohmann::json::parse(
      R"({"interface": "l2tp0", "role": "lac", "udp_port": 1701, "tunnels": 0, "sessions": []})");
  const std::string text = render_l2tp_text(doc);
  EXPECT_TRUE(has(text, "L2TP client (LAC) on UDP port 1701 (plain L2TP: not encrypted)"));
  EXPECT_FALSE(has(text, "IPsec"));
}

}  // namespace
}  // namespace tandem::cli
