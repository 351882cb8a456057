#include "daemon/gateway_account_view.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

using json = nlohmann::json;

json gateway() {
  return json::parse(R"({"accounts": [
    {"name": "alice", "ipv4": "10.86.0.2", "paths": ["wireguard", "l2tp-ipsec"]},
    {"name": "bob", "ipv4": "10.86.0.3", "paths": ["ipsec"]},
    {"name": "carol", "ipv4": "10.86.0.4", "paths": []}]})");
}

TEST(GatewayAccountView, EachAccountGetsWhatEachProtocolKnowsOfIt) {
  json doc = gateway();
  const json wireguard = json::parse(R"({"peers": [
    {"name": "alice", "public_key": "old=", "endpoint": "192.0.2.1:1", "latest_handshake_unix": 100,
     "rx_bytes": 1, "tx_bytes": 2, "mtu": 1420},
    {"name": "alice", "public_key": "new=", "endpoint": "192.0.2.1:2", "latest_handshake_unix": 200,
     "rx_bytes": 10, "tx_bytes": 20, "mtu": 1340},
    {"name": "carol", "public_key": "c=", "endpoint": "", "latest_handshake_unix": 0,
     "rx_bytes": 0, "tx_bytes": 0}]})");
  const json l2tp = json::parse(R"({"sessions": [
    {"user": "alice", "peer": "192.0.2.1:1701", "up": true, "remote": "10.86.0.2", "mtu": 1400,
     "rx_bytes": 5, "tx_bytes": 6, "last_echo_reply_ms_ago": 3000}]})");
  const json ipsec = json::parse(R"({"ipsec": {"child_sas": [
    {"peer": "192.0.2.9:4500", "remote": "10.86.0.3", "bytes_in": 7, "bytes_out": 8},
    {"peer": "192.0.2.9:4500", "remote": "10.86.0.3[17]", "bytes_in": 1, "bytes_out": 1},
    {"peer": "192.0.2.8:4500", "remote": "10.86.0.0-10.86.0.255", "bytes_in": 99,
     "bytes_out": 99}]}})");
  join_account_sessions(doc, wireguard, l2tp, ipsec);
  const auto& alice = doc["accounts"][0];
  EXPECT_EQ(alice["wireguard"]["public_key"], "new=");  // the key that shook hands last
  EXPECT_EQ(alice["wireguard"]["mtu"], 1340);
  EXPECT_EQ(alice["l2tp"]["endpoint"], "192.0.2.1:1701");
  EXPECT_EQ(alice["l2tp"]["last_echo_reply_ms_ago"], 3000);
  EXPECT_FALSE(alice.contains("ikev2"));
  const auto& bob = doc["accounts"][1];
  EXPECT_FALSE(bob.contains("wireguard"));
  EXPECT_EQ(bob["ikev2"]["child_sas"], 2);
  EXPECT_EQ(bob["ikev2"]["rx_bytes"], 8);
  EXPECT_EQ(bob["ikev2"]["endpoint"], "192.0.2.9:4500");
  const auto& carol = doc["accounts"][2];
  EXPECT_EQ(carol["wireguard"]["latest_handshake_unix"], 0);
  EXPECT_FALSE(carol.contains("l2tp"));
}

TEST(GatewayAccountView, MissingOrOddDocumentsAddNothing) {
  json doc = gateway();
  join_account_sessions(doc, json(), json(), json::array());
  for (const auto& a : doc["accounts"]) {
    EXPECT_FALSE(a.contains("wireguard"));
    EXPECT_FALSE(a.contains("l2tp"));
    EXPECT_FALSE(a.contains("ikev2"));
  }
  json client = json::parse(R"({"role": "client"})");
  join_account_sessions(client, json(), json(), json());
  EXPECT_EQ(client, json::parse(R"({"role": "client"})"));
}

}  // namespace
}  // namespace tandem::daemon
