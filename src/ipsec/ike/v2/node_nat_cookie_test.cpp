// NAT traversal and cookies back to back: a NAT in front of the initiator is detected, IKE moves
// to port 4500, the Child SAs are UDP-encapsulated and the side behind the NAT sends keepalives;
// past the half-open threshold the responder asks for a cookie and the initiator repeats its
// request with it.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::ip;
using testing::Pair;
using testing::responder_config;

TEST(Ikev2Nat, NatInFrontOfTheInitiatorMovesIkeAndEspToPort4500) {
  Pair pair(initiator_config(), responder_config());
  pair.nat_address = ip("203.0.113.7");
  const auto id = pair.initiate();
  ASSERT_EQ(pair.log_a.count(EventType::kIkeSaUp), 1u);
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  const auto ours = pair.a.ike_sa(id);
  ASSERT_TRUE(ours);
  EXPECT_TRUE(ours->nat_local);
  EXPECT_FALSE(ours->nat_remote);
  const auto theirs = pair.b.ike_sas().at(0);
  EXPECT_TRUE(theirs.nat_remote);
  EXPECT_FALSE(theirs.nat_local);
  // IKE_SA_INIT from 500, IKE_AUTH from 4500, on both sides.
  EXPECT_EQ(pair.log_a.ports_used, (std::vector<std::uint16_t>{500, 4500}));
  EXPECT_EQ(pair.log_b.ports_used, (std::vector<std::uint16_t>{500, 4500}));
  const ChildSa& ca = pair.log_a.installs[0];
  EXPECT_TRUE(ca.udp_encapsulated);
  EXPECT_EQ(ca.peer, (Endpoint{ip("198.51.100.1"), 4500}));
  EXPECT_EQ(ca.local_endpoint.port, 4500);
  const ChildSa& cb = pair.log_b.installs.at(0);
  EXPECT_TRUE(cb.udp_encapsulated);
  // The gateway sends ESP to the NAT's mapping of our port 4500.
  EXPECT_EQ(cb.peer, (Endpoint{ip("203.0.113.7"), 44500}));
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, ca);
}

TEST(Ikev2Nat, OnlyTheSideBehindTheNatSendsKeepalives) {
  Pair pair(initiator_config(), responder_config());
  pair.nat_address = ip("203.0.113.7");
  const auto id = pair.initiate();
  // ESP keeps arriving on both sides, so no liveness checks; only keepalives are due.
  for (int i = 0; i < 10; ++i) {
    pair.run_for(std::chrono::seconds(10));
    pair.a.note_inbound_esp(pair.log_a.installs.at(0).inbound_spi, pair.now);
    pair.b.note_inbound_esp(pair.log_b.installs.at(0).inbound_spi, pair.now);
  }
  EXPECT_GE(pair.log_a.keepalives, 4u);
  EXPECT_LE(pair.log_a.keepalives, 6u);
  EXPECT_EQ(pair.log_b.keepalives, 0u);
  EXPECT_TRUE(pair.a.ike_sa(id));
}

TEST(Ikev2Nat, NoNatMeansNoEncapsulationAndNoKeepalives) {
  Pair pair(initiator_config(), responder_config());
  pair.initiate();
  pair.run_for(std::chrono::seconds(100));
  EXPECT_FALSE(pair.log_a.installs.at(0).udp_encapsulated);
  EXPECT_EQ(pair.log_a.keepalives, 0u);
  EXPECT_EQ(pair.log_a.ports_used.front(), 500);
}

TEST(Ikev2Cookie, HalfOpenFloodMakesTheResponderAskForACookie) {
  Config rc = responder_config();
  rc.cookie_threshold = 2;
  Pair pair(initiator_config(), rc);
  // Two initiators whose IKE_AUTH never arrives leave two half-open SAs behind.
  pair.lose = [](const Pair::Flight& f, std::size_t) {
    return f.from == 0 && f.d.bytes.size() > 17 &&
           static_cast<std::uint8_t>(f.d.bytes[18]) == 35;  // IKE_AUTH
  };
  Actions act;
  ASSERT_TRUE(pair.a.initiate("gw", pair.now, act));
  ASSERT_TRUE(pair.a.initiate("gw", pair.now, act));
  pair.absorb(0, act);
  pair.deliver_all();
  ASSERT_EQ(pair.b.ike_sas().size(), 2u);
  EXPECT_EQ(pair.b.stats().cookies_sent, 0u);

  pair.lose = nullptr;
  const std::size_t before = pair.log_a.datagrams;
  const auto id = pair.initiate();
  EXPECT_EQ(pair.b.stats().cookies_sent, 1u);
  ASSERT_TRUE(pair.a.ike_sa(id));
  EXPECT_EQ(pair.a.ike_sa(id)->state, IkeSaState::kEstablished);
  // IKE_SA_INIT, again with the cookie, then IKE_AUTH.
  EXPECT_EQ(pair.log_a.datagrams - before, 3u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 1u);
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, pair.log_a.installs.at(0));
}

TEST(Ikev2Cookie, HalfOpenSasExpire) {
  Config rc = responder_config();
  Pair pair(initiator_config(), rc);
  pair.b_reachable = true;
  pair.lose = [](const Pair::Flight& f, std::size_t) {
    return f.from == 0 && f.d.bytes[18] == std::byte{35};
  };
  Actions act;
  ASSERT_TRUE(pair.a.initiate("gw", pair.now, act));
  pair.absorb(0, act);
  pair.deliver_all();
  EXPECT_EQ(pair.b.ike_sas().size(), 1u);
  pair.run_for(std::chrono::seconds(31));
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.b.stats().half_open_expired, 1u);
  // The initiator gave up on its own after its retransmissions.
  EXPECT_EQ(pair.log_a.count(EventType::kRetransmitGaveUp), 1u);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
