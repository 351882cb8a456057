// Reliability back to back: each lost message of the handshake is recovered by retransmission
// (a retransmitted request gets the cached response), liveness checks find a vanished peer dead
// and stay quiet while ESP arrives, close() deletes on both sides, and garbage is dropped and
// counted.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::Pair;
using testing::responder_config;

class LoseOneMessage : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LoseOneMessage, HandshakeRecoversByRetransmission) {
  Pair pair(initiator_config(), responder_config());
  const std::size_t victim = GetParam();
  pair.lose = [victim](const Pair::Flight&, std::size_t n) { return n == victim; };
  const auto id = pair.initiate();
  pair.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(pair.a.ike_sa(id));
  EXPECT_EQ(pair.a.ike_sa(id)->state, IkeSaState::kEstablished);
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaUp), 1u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 1u);
  // Exactly one Child SA per side, however often a request arrived.
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  EXPECT_EQ(pair.a.stats().retransmissions, 1u);
  // A lost response means the responder saw the request twice and answered from its cache.
  EXPECT_EQ(pair.b.stats().responses_resent, victim % 2 == 1 ? 1u : 0u);
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, pair.log_a.installs[0]);
}

// 0: IKE_SA_INIT request, 1: its response, 2: IKE_AUTH request, 3: its response.
INSTANTIATE_TEST_SUITE_P(Ikev2Reliability, LoseOneMessage, ::testing::Values(0u, 1u, 2u, 3u));

TEST(Ikev2Reliability, RetransmissionsBackOffAndGiveUp) {
  Pair pair(initiator_config(), responder_config());
  pair.b_reachable = false;
  const auto id = pair.initiate();
  pair.run_for(std::chrono::milliseconds(30900));
  EXPECT_TRUE(pair.a.ike_sa(id));
  EXPECT_EQ(pair.log_a.datagrams, 5u);  // at 0, 1, 3, 7 and 15 s
  pair.run_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_EQ(pair.log_a.count(EventType::kRetransmitGaveUp), 1u);
}

TEST(Ikev2Reliability, LivenessCheckDeclaresAVanishedPeerDead) {
  Pair pair(initiator_config(), responder_config());
  const auto id = pair.initiate();
  const std::uint32_t spi = pair.log_a.installs.at(0).inbound_spi;
  // While the peer answers, liveness checks keep everything up.
  pair.run_for(std::chrono::seconds(95));
  EXPECT_GE(pair.log_a.datagrams, 2u + 3u);
  EXPECT_EQ(pair.log_a.count(EventType::kDeadPeer), 0u);
  pair.b_reachable = false;
  pair.run_for(std::chrono::seconds(30 + 31 + 1));
  EXPECT_EQ(pair.log_a.count(EventType::kDeadPeer), 1u);
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaDown), 1u);
  EXPECT_TRUE(pair.log_a.removed(spi));
  EXPECT_FALSE(pair.a.ike_sa(id));
}

TEST(Ikev2Reliability, InboundEspMakesLivenessChecksUnnecessary) {
  Pair pair(initiator_config(), responder_config());
  pair.initiate();
  const std::size_t a_sent = pair.log_a.datagrams;
  const std::size_t b_sent = pair.log_b.datagrams;
  for (int i = 0; i < 20; ++i) {
    pair.run_for(std::chrono::seconds(10));
    pair.a.note_inbound_esp(pair.log_a.installs.at(0).inbound_spi, pair.now);
    pair.b.note_inbound_esp(pair.log_b.installs.at(0).inbound_spi, pair.now);
  }
  EXPECT_EQ(pair.log_a.datagrams, a_sent);
  EXPECT_EQ(pair.log_b.datagrams, b_sent);
}

TEST(Ikev2Reliability, CloseDeletesOnBothSides) {
  Pair pair(initiator_config(), responder_config());
  const auto id = pair.initiate();
  const std::uint32_t ours = pair.log_a.installs.at(0).inbound_spi;
  const std::uint32_t theirs = pair.log_b.installs.at(0).inbound_spi;
  Actions act;
  pair.a.close(id, pair.now, act);
  // The Child SAs go at once; the Delete is on its way.
  EXPECT_EQ(act.removals.size(), 1u);
  EXPECT_EQ(act.datagrams.size(), 1u);
  pair.absorb(0, act);
  pair.deliver_all();
  EXPECT_TRUE(pair.log_a.removed(ours));
  EXPECT_TRUE(pair.log_b.removed(theirs));
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaDown), 1u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaDown), 1u);
  EXPECT_EQ(pair.log_b.count(EventType::kChildSaDown), 1u);
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.a.next_deadline(), TimePoint::max());
}

TEST(Ikev2Reliability, ResponderCanCloseToo) {
  Pair pair(initiator_config(), responder_config());
  const auto id = pair.initiate();
  Actions act;
  pair.b.close(pair.b.ike_sas().at(0).id, pair.now, act);
  pair.absorb(1, act);
  pair.deliver_all();
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.log_a.removals.size(), 1u);
}

TEST(Ikev2Reliability, GarbageAndForgeriesAreDroppedAndCounted) {
  Pair pair(initiator_config(), responder_config());
  const auto id = pair.initiate();
  const auto info = pair.b.ike_sas().at(0);
  Actions act;
  const Endpoint local{pair.address_b, 500};
  const Endpoint from{pair.address_a, 500};
  pair.b.on_datagram(std::vector<std::byte>(5), local, from, pair.now, act);
  // A well-formed header for the IKE SA whose SK payload does not check.
  Message m;
  m.header = {id, info.id, ExchangeType::kInformational, true, false, 2};
  m.payloads.push_back(EncryptedPayload{PayloadType::kNone, std::vector<std::byte>(64)});
  pair.b.on_datagram(encode_message(m), local, from, pair.now, act);
  // An unknown SPI, and a response nobody asked for.
  m.header.responder_spi = 12345;
  pair.b.on_datagram(encode_message(m), local, from, pair.now, act);
  m.header = {id, info.id, ExchangeType::kInformational, true, true, 7};
  pair.b.on_datagram(encode_message(m), local, from, pair.now, act);
  EXPECT_TRUE(act.datagrams.empty());
  EXPECT_TRUE(act.events.empty());
  const NodeStats& s = pair.b.stats();
  EXPECT_EQ(s.drops_of(DropReason::kMalformed), 1u);
  EXPECT_EQ(s.drops_of(DropReason::kIntegrity), 1u);
  EXPECT_EQ(s.drops_of(DropReason::kUnknownSpi), 1u);
  EXPECT_EQ(s.drops_of(DropReason::kUnexpectedResponse), 1u);
  EXPECT_EQ(pair.b.ike_sas().at(0).state, IkeSaState::kEstablished);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
