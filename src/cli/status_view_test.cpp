#include "cli/status_view.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tandem::cli {
namespace {

// Private key a8..., public key as `wg pubkey` derives it (RFC 7748 6.1 Alice).
constexpr const char* kReply =
    "private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a\n"
    "listen_port=51820\n"
    "public_key=de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "endpoint=192.0.2.7:51820\n"
    "last_handshake_time_sec=1000\n"
    "last_handshake_time_nsec=5\n"
    "tx_bytes=2048\n"
    "rx_bytes=1572864\n"
    "persistent_keepalive_interval=25\n"
    "allowed_ip=10.0.0.2/32\n"
    "allowed_ip=fd00::2/128\n"
    "errno=0\n\n";

TEST(StatusView, ParsesUapiGetReply) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(st->public_key, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
  EXPECT_EQ(st->listen_port, 51820u);
  ASSERT_EQ(st->peers.size(), 1u);
  const auto& p = st->peers[0];
  EXPECT_EQ(p.public_key, "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=");
  EXPECT_FALSE(p.has_preshared_key);
  EXPECT_EQ(p.endpoint, "192.0.2.7:51820");
  EXPECT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_EQ(p.last_handshake_sec, 1000);
  EXPECT_EQ(p.rx_bytes, 1572864u);
  EXPECT_EQ(p.persistent_keepalive, 25u);
}

TEST(StatusView, RejectsErrorRepliesAndGarbage) {
  EXPECT_FALSE(parse_uapi_get("x", "errno=22\n\n").ok());
  EXPECT_FALSE(parse_uapi_get("x", "listen_port=1\n\n").ok());
  EXPECT_FALSE(parse_uapi_get("x", "listen_port=abc\nerrno=0\n\n").ok());
  EXPECT_FALSE(parse_uapi_get("x", "nonsense\nerrno=0\n\n").ok());
}

TEST(StatusView, RendersHandshakeAgeAndTransfer) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok());
  const auto text = render_text({*st}, 1065);
  EXPECT_NE(text.find("latest handshake: 1 minute, 5 seconds ago"), std::string::npos) << text;
  EXPECT_NE(text.find("transfer: 1.50 MiB received, 2.00 KiB sent"), std::string::npos) << text;
  EXPECT_NE(text.find("persistent keepalive: every 25 seconds"), std::string::npos) << text;
  const auto json = render_json({*st}, 1065);
  EXPECT_NE(json.find("\"latest_handshake_age_seconds\": 65"), std::string::npos) << json;
}

TEST(StatusView, ShowsEachPeersMtuAndItsProbingFromTheStatusReply) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok());
  merge_peer_mtus(*st, R"({"interface": "tdm0", "mtu": 1420, "peers": [
    {"public_key": "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=", "mtu": 1340,
     "configured_mtu": 1420, "mtu_probe_target": "10.0.0.2",
     "mtu_probe": {"state": "complete", "probed": 1340, "max": 1420, "probes_sent": 25,
                   "probes_acked": 20}}]})"
                       "\n\n");
  const auto text = render_text({*st}, 1065);
  EXPECT_NE(text.find("    mtu: 1340 (the device's 1420)\n    path MTU probing: complete, 1340 "
                      "probed (searched up to 1420), 25 probes sent, 20 answered; pinging "
                      "10.0.0.2\n"),
            std::string::npos)
      << text;
  const auto json = nlohmann::json::parse(render_json({*st}, 1065));
  const auto& peer = json[0]["peers"][0];
  EXPECT_EQ(peer["mtu"], 1340);
  EXPECT_EQ(peer["configured_mtu"], 1420);
  EXPECT_EQ(peer["mtu_probe_target"], "10.0.0.2");
  EXPECT_EQ(peer["mtu_probe"], nlohmann::json::parse(R"({"state": "complete", "probed": 1340,
    "max": 1420, "probes_sent": 25, "probes_acked": 20})"));
}

TEST(StatusView, TheAdminSocketsDocumentReadsBackAsTheSameInterface) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok());
  merge_peer_mtus(*st, R"({"peers": [{"public_key": "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=",
    "name": "alice", "mtu": 1340, "configured_mtu": 1420, "mtu_probe_target": "10.0.0.2",
    "mtu_probe": {"state": "searching"}}], "drops": {"replay": 3}})");
  const auto doc = control::interface_status_json(*st, 1065);
  auto back = control::interface_status_from_json(doc);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(render_text({*back}, 1065), render_text({*st}, 1065));
  EXPECT_EQ(control::interface_status_json(*back, 1065), doc);
  EXPECT_EQ(back->peers[0].name, "alice");
  ASSERT_EQ(back->drops.size(), 1u);
  EXPECT_EQ(back->drops[0].second, 3u);
  auto broken = doc;
  broken["peers"][0]["rx_bytes"] = "many";
  EXPECT_FALSE(control::interface_status_from_json(broken).ok());
  EXPECT_FALSE(control::interface_status_from_json(nlohmann::json::array()).ok());
}

TEST(StatusView, CarriesTheDnsForwarderThroughTheAdminDocument) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok());
  auto doc = control::interface_status_json(*st, 1065);
  EXPECT_FALSE(doc.contains("dns"));
  doc["dns"] = {{"listen", {"10.0.0.2:53"}},
                {"queries", 7},
                {"answered", 6},
                {"servfail", 1},
                {"timeouts", 1}};
  auto back = control::interface_status_from_json(doc);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(control::interface_status_json(*back, 1065), doc);
  EXPECT_NE(render_text({*back}, 1065)
                .find("  dns forwarder: 10.0.0.2:53 (7 queries, 6 answered, 1 SERVFAIL, 1 "
                      "timeouts)\n"),
            std::string::npos);
}

TEST(StatusView, SaysWhyProbingIsOff) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok());
  merge_peer_mtus(*st, R"({"peers": [{"public_key": "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=",
    "mtu": 1420, "configured_mtu": 1420, "mtu_probe": {"state": "off",
    "reason": "no mtu_probe_target for this peer"}}]})");
  const auto text = render_text({*st}, 1065);
  EXPECT_NE(text.find("    mtu: 1420\n    path MTU probing: off (no mtu_probe_target for this "
                      "peer)\n"),
            std::string::npos)
      << text;
  const auto json = nlohmann::json::parse(render_json({*st}, 1065));
  EXPECT_EQ(json[0]["peers"][0]["mtu_probe"]["reason"], "no mtu_probe_target for this peer");
  EXPECT_FALSE(json[0]["peers"][0]["mtu_probe"].contains("probed"));
}

TEST(StatusView, AReplyThatIsNoStatusDocumentChangesNothing) {
  auto st = parse_uapi_get("tdm0", kReply);
  ASSERT_TRUE(st.ok());
  merge_peer_mtus(*st, "errno=22\n\n");
  EXPECT_FALSE(st->peers[0].mtu);
  EXPECT_EQ(render_text({*st}, 1065).find("mtu"), std::string::npos);
  EXPECT_EQ(render_json({*st}, 1065).find("mtu"), std::string::npos);
}

TEST(StatusView, DescribesAgesLikeWgShow) {
  EXPECT_EQ(describe_age(1), "1 second ago");
  EXPECT_EQ(describe_age(3661), "1 hour, 1 minute, 1 second ago");
  EXPECT_EQ(describe_age(86400 * 2), "2 days ago");
  EXPECT_EQ(describe_bytes(100), "100 B");
}

}  // namespace
}  // namespace tandem::cli
