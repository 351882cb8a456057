// Establishing IKE SAs and their first Child SA back to back: every IKE suite and DH group, ESP
// keys that really work in both directions, tunnel and transport mode, traffic selector
// narrowing, and inner addresses from the responder's pool.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::ip;
using testing::Pair;
using testing::range;
using testing::responder_config;

struct SuiteCase {
  const char* name;
  Suite ike;
  Suite esp;
};

class EachSuite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(EachSuite, EstablishesAndInstallsWorkingEspKeys) {
  Config ic = initiator_config();
  Config rc = responder_config();
  ic.peers[0].ike_suites = {GetParam().ike};
  ic.peers[0].esp_suites = {GetParam().esp};
  // The responder prefers something else but accepts the initiator's choice.
  rc.peers[0].ike_suites = default_ike_suites();
  rc.peers[0].ike_suites.push_back(GetParam().ike);
  rc.peers[0].esp_suites = default_esp_suites();
  rc.peers[0].esp_suites.push_back(GetParam().esp);
  Pair pair(ic, rc);
  const auto id = pair.initiate();

  ASSERT_EQ(pair.log_a.count(EventType::kIkeSaUp), 1u);
  ASSERT_EQ(pair.log_b.count(EventType::kIkeSaUp), 1u);
  EXPECT_EQ(pair.log_a.count(EventType::kChildSaUp), 1u);
  EXPECT_EQ(pair.log_b.count(EventType::kChildSaUp), 1u);
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  const ChildSa& ca = pair.log_a.installs[0];
  EXPECT_EQ(ca.ike_sa, id);
  EXPECT_EQ(ca.mode, EspMode::kTunnel);
  EXPECT_FALSE(ca.udp_encapsulated);
  EXPECT_EQ(ca.lifetime, std::chrono::hours(1));
  EXPECT_EQ(ca.local, std::vector{range("10.1.0.0", "10.1.255.255")});
  EXPECT_EQ(ca.remote, std::vector{range("10.2.0.0", "10.2.255.255")});
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, ca);

  const auto info = pair.a.ike_sa(id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, IkeSaState::kEstablished);
  EXPECT_EQ(info->suite, ike_suite_name(GetParam().ike));
  EXPECT_EQ(info->peer, "gw");
  ASSERT_EQ(info->children.size(), 1u);
  EXPECT_EQ(info->children[0].suite, esp_suite_name(GetParam().esp));
  const auto theirs = pair.b.ike_sas();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].peer, "client");
  EXPECT_EQ(theirs[0].remote_id, Identity::fqdn("client.example"));
  // IKE_SA_INIT and IKE_AUTH, nothing else, all on port 500.
  EXPECT_EQ(pair.log_a.datagrams, 2u);
  EXPECT_EQ(pair.log_b.datagrams, 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Ikev2Node, EachSuite,
    ::testing::Values(SuiteCase{"gcm_ecp256", {20, 256, 5, 0, 19}, {20, 256, 0, 0, 0}},
                      SuiteCase{"gcm_modp2048", {20, 256, 5, 0, 14}, {20, 128, 0, 0, 0}},
                      SuiteCase{"gcm_ecp384", {20, 256, 5, 0, 20}, {20, 256, 0, 0, 0}},
                      SuiteCase{"cbc_sha256_ecp256", {12, 256, 5, 12, 19}, {12, 256, 0, 12, 0}},
                      SuiteCase{"cbc_sha1_modp2048", {12, 128, 2, 2, 14}, {12, 128, 0, 2, 0}},
                      SuiteCase{"cbc_sha256_ecp384", {12, 256, 5, 12, 20}, {12, 256, 0, 2, 0}}),
    [](const auto& c) { return std::string(c.param.name); });

TEST(Ikev2Node, TransportModeWhenBothAskForIt) {
  Config ic = initiator_config();
  Config rc = responder_config();
  for (Config* c : {&ic, &rc}) {
    c->peers[0].mode = EspMode::kTransport;
    c->peers[0].local_selectors.clear();
    c->peers[0].remote_selectors.clear();
  }
  Pair pair(ic, rc);
  pair.initiate();
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  const ChildSa& ca = pair.log_a.installs[0];
  EXPECT_EQ(ca.mode, EspMode::kTransport);
  EXPECT_EQ(pair.log_b.installs[0].mode, EspMode::kTransport);
  // Empty selector lists mean the two hosts themselves.
  EXPECT_EQ(ca.local, std::vector{testing::range("192.0.2.1", "192.0.2.1")});
  EXPECT_EQ(ca.remote, std::vector{testing::range("198.51.100.1", "198.51.100.1")});
  const ChildSa* cb = testing::peer_of(pair.log_b, ca);
  ASSERT_NE(cb, nullptr);
  EXPECT_TRUE(testing::esp_carries(ca, *cb, esp::kNextUdp));
  EXPECT_TRUE(testing::esp_carries(*cb, ca, esp::kNextUdp));
}

TEST(Ikev2Node, TunnelModeWhenOnlyTheInitiatorAsksForTransport) {
  Config ic = initiator_config();
  ic.peers[0].mode = EspMode::kTransport;
  Pair pair(ic, responder_config());
  pair.initiate();
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  EXPECT_EQ(pair.log_a.installs[0].mode, EspMode::kTunnel);
  EXPECT_EQ(pair.log_b.installs[0].mode, EspMode::kTunnel);
}

TEST(Ikev2Node, ResponderNarrowsTrafficSelectorsToItsPolicy) {
  Config ic = initiator_config();
  ic.peers[0].local_selectors = {range("10.0.0.0", "10.255.255.255")};
  ic.peers[0].remote_selectors = {range("0.0.0.0", "255.255.255.255")};
  Config rc = responder_config();
  rc.peers[0].local_selectors = {range("10.2.0.0", "10.2.255.255"),
                                 {ip("172.16.0.0"), ip("172.16.0.255"), 6, 443, 443}};
  Pair pair(ic, rc);
  pair.initiate();
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  const ChildSa& ca = pair.log_a.installs[0];
  EXPECT_EQ(ca.local, std::vector{range("10.1.0.0", "10.1.255.255")});
  const std::vector<Selector> gateway_side{range("10.2.0.0", "10.2.255.255"),
                                           {ip("172.16.0.0"), ip("172.16.0.255"), 6, 443, 443}};
  EXPECT_EQ(ca.remote, gateway_side);
  EXPECT_EQ(pair.log_b.installs[0].local, gateway_side);
  EXPECT_EQ(pair.log_b.installs[0].remote, std::vector{range("10.1.0.0", "10.1.255.255")});
}

TEST(Ikev2Node, RefusesTrafficSelectorsOutsideItsPolicy) {
  Config ic = initiator_config();
  ic.peers[0].remote_selectors = {range("10.9.0.0", "10.9.255.255")};
  Pair pair(ic, responder_config());
  const auto id = pair.initiate();
  EXPECT_TRUE(pair.log_a.installs.empty());
  EXPECT_TRUE(pair.log_b.installs.empty());
  const Event* refused = pair.log_b.find(EventType::kRefused);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->detail.find("TS_UNACCEPTABLE"), std::string::npos) << refused->detail;
  ASSERT_NE(pair.log_a.find(EventType::kRefused), nullptr);
  // Without a Child SA the initiator deletes the IKE SA again, on both sides.
  pair.run_for(std::chrono::seconds(1));
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_TRUE(pair.b.ike_sas().empty());
}

Config pool_responder() {
  Config rc = responder_config();
  rc.pool = AddressPoolConfig{ip("10.2.200.10"), 4, {ip("10.2.0.53")}, {}};
  rc.peers[0].remote_selectors.clear();
  return rc;
}

Config virtual_ip_initiator() {
  Config ic = initiator_config();
  ic.peers[0].request_virtual_ip = true;
  return ic;
}

TEST(Ikev2Node, HandsOutAPoolAddressAndUsesItAsTheInitiatorsSelector) {
  Pair pair(virtual_ip_initiator(), pool_responder());
  const auto id = pair.initiate();
  const auto info = pair.a.ike_sa(id);
  ASSERT_TRUE(info);
  ASSERT_TRUE(info->virtual_ip);
  EXPECT_EQ(*info->virtual_ip, ip("10.2.200.10"));
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  EXPECT_EQ(pair.log_a.installs[0].local, std::vector{range("10.2.200.10", "10.2.200.10")});
  EXPECT_EQ(pair.log_b.installs[0].remote, std::vector{range("10.2.200.10", "10.2.200.10")});
  EXPECT_EQ(pair.b.ike_sas()[0].virtual_ip, ip("10.2.200.10"));
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, pair.log_a.installs[0]);
}

TEST(Ikev2Node, GivesTheSameIdentityTheSameAddressBack) {
  Pair pair(virtual_ip_initiator(), pool_responder());
  const auto first = pair.initiate();
  ASSERT_TRUE(pair.a.ike_sa(first) && pair.a.ike_sa(first)->virtual_ip);
  const IpAddress address = *pair.a.ike_sa(first)->virtual_ip;
  Actions act;
  pair.a.close(first, pair.now, act);
  pair.absorb(0, act);
  pair.deliver_all();
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.b.pool().leased(), 0u);

  const auto second = pair.initiate();
  ASSERT_TRUE(pair.a.ike_sa(second) && pair.a.ike_sa(second)->virtual_ip);
  EXPECT_EQ(*pair.a.ike_sa(second)->virtual_ip, address);
  // A reconnect without a close (INITIAL_CONTACT) replaces the old SA and keeps the address.
  const auto third = pair.initiate();
  ASSERT_TRUE(pair.a.ike_sa(third) && pair.a.ike_sa(third)->virtual_ip);
  EXPECT_EQ(*pair.a.ike_sa(third)->virtual_ip, address);
  EXPECT_EQ(pair.b.ike_sas().size(), 1u);
  EXPECT_EQ(pair.b.pool().leased(), 1u);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
