// The UAPI as the stock `wg` tool speaks it.
#include "control/uapi.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::control {
namespace {

const std::string kKeyA(64, 'a');
const std::string kKeyB = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";

TEST(Uapi, ParsesGet) {
  auto r = parse_uapi_request("get=1\n\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<UapiGet>(*r));
}

TEST(Uapi, ParsesASetAsWgSetconfSendsIt) {
  const std::string req = "set=1\nprivate_key=" + kKeyA +
                          "\nlisten_port=51820\nfwmark=0\nreplace_peers=true\npublic_key=" + kKeyB +
                          "\npreshared_key=" + kKeyA +
                          "\nendpoint=[fd00::1]:51821\npersistent_keepalive_interval=25\n"
                          "replace_allowed_ips=true\nallowed_ip=10.0.0.2/32\n"
                          "allowed_ip=fd00:1::/64\n\n";
  auto r = parse_uapi_request(req);
  ASSERT_TRUE(r) << r.error().message;
  const auto& set = std::get<UapiSet>(*r);
  EXPECT_TRUE(set.private_key);
  EXPECT_EQ(set.listen_port, 51820);
  EXPECT_EQ(set.fwmark, 0u);
  EXPECT_TRUE(set.replace_peers);
  ASSERT_EQ(set.peers.size(), 1u);
  const auto& p = set.peers[0];
  EXPECT_EQ(p.endpoint->to_string(), "[fd00::1]:51821");
  EXPECT_EQ(p.persistent_keepalive_interval, 25);
  EXPECT_TRUE(p.replace_allowed_ips);
  ASSERT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_EQ(p.allowed_ips[1].to_string(), "fd00:1::/64");
}

TEST(Uapi, PeerRemovalAndUpdateOnly) {
  auto r = parse_uapi_request("set=1\npublic_key=" + kKeyB + "\nremove=true\npublic_key=" + kKeyA +
                              "\nupdate_only=true\n\n");
  ASSERT_TRUE(r);
  const auto& set = std::get<UapiSet>(*r);
  ASSERT_EQ(set.peers.size(), 2u);
  EXPECT_TRUE(set.peers[0].remove);
  EXPECT_TRUE(set.peers[1].update_only);
}

TEST(Uapi, RejectsMalformedRequestsWithEinval) {
  for (std::string bad : std::vector<std::string>{
           "set=1\nlisten_port=70000\n\n", "set=1\nprivate_key=abc\n\n", "set=1\nbogus=1\n\n",
           "set=1\npublic_key=" + kKeyB + "\nendpoint=x\n\n",
           "set=1\npublic_key=" + kKeyB + "\nprotocol_version=2\n\n",
           "set=1\npublic_key=" + kKeyB + "\nallowed_ip=10.0.0.1\n\n", "get=2\n\n",
           "set=1\nnoequals\n\n", "get=1\n", ""}) {
    auto r = parse_uapi_request(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().errno_value, 22) << bad;
  }
}

TEST(Uapi, FormatsGetInWireguardGoOrder) {
  UapiDeviceState s;
  s.listen_port = 51820;
  UapiPeerState p;
  p.public_key[0] = std::byte{0xe8};
  p.endpoint = Endpoint::parse("192.0.2.1:1");
  p.last_handshake_time_sec = 5;
  p.rx_bytes = 7;
  p.tx_bytes = 9;
  p.allowed_ips.push_back(*IpPrefix::parse("10.0.0.2/32"));
  s.peers.push_back(p);
  EXPECT_EQ(format_uapi_get(s),
            "listen_port=51820\npublic_key=e8" + std::string(62, '0') +
                "\nprotocol_version=1\nendpoint=192.0.2.1:1\nlast_handshake_time_sec=5\n"
                "last_handshake_time_nsec=0\ntx_bytes=9\nrx_bytes=7\n"
                "persistent_keepalive_interval=0\nallowed_ip=10.0.0.2/32\nerrno=0\n\n");
  EXPECT_EQ(format_uapi_errno(0), "errno=0\n\n");
}

}  // namespace
}  // namespace tandem::control
