// IKEv1 back to back: a client node dials a gateway node in memory, with a fake clock.
#include "ipsec/ike/v1/node.hpp"

#include <gtest/gtest.h>

#include "ipsec/esp/sa.hpp"
#include "ipsec/ike/v1/test_pair.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

using testing::InFlight;
using testing::Pair;
using testing::Side;

PeerConfig with_psk(std::string psk = "correct horse battery staple") {
  PeerConfig p;
  p.psk.assign(reinterpret_cast<const std::byte*>(psk.data()),
               reinterpret_cast<const std::byte*>(psk.data() + psk.size()));
  return p;
}

// ESP from `from` opens at `to`: the two ends derived the same keys for that direction.
void expect_esp_flows(const ChildSa& from, const ChildSa& to) {
  ASSERT_EQ(from.outbound_spi, to.inbound_spi);
  auto out = esp::OutboundSa::create(from.outbound_spi, from.outbound_keys);
  auto in = esp::InboundSa::create(to.inbound_spi, to.inbound_keys);
  ASSERT_TRUE(out.ok() && in.ok());
  std::vector<std::byte> storage(256);
  const std::string text = "L2TP over UDP 1701";
  std::copy_n(reinterpret_cast<const std::byte*>(text.data()), text.size(), storage.begin() + 64);
  Packet p{storage.data(), storage.size(), 64, text.size(), {}};
  SeededRng rng(9);
  ASSERT_TRUE(out->seal(p, esp::kNextUdp, rng).ok());
  const auto next = in->open(p);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, esp::kNextUdp);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.bytes().data()), p.length), text);
}

void expect_connected(Pair& pair) {
  const auto c = pair.client().live();
  const auto g = pair.gateway().live();
  ASSERT_EQ(c.size(), 1U) << pair.client().events_text() << pair.gateway().events_text();
  ASSERT_EQ(g.size(), 1U) << pair.gateway().events_text();
  expect_esp_flows(c[0], g[0]);
  expect_esp_flows(g[0], c[0]);
}

TEST(Ikev1Node, EstablishesAnL2tpTransportSa) {
  Pair pair(with_psk(), with_psk());
  pair.start();
  expect_connected(pair);
  const ChildSa c = pair.client().live()[0];
  const ChildSa g = pair.gateway().live()[0];
  EXPECT_EQ(c.mode, EspMode::kTransport);
  EXPECT_EQ(c.local[0].ip_protocol, 17);
  EXPECT_EQ(c.local[0].start_port, 1701);
  EXPECT_EQ(g.remote[0].start, pair.client().address);
  EXPECT_TRUE(pair.client().has_event(EventType::kIkeSaUp));
  EXPECT_TRUE(pair.gateway().has_event(EventType::kIkeSaUp));
  // Six Main Mode messages and three Quick Mode messages, nothing repeated.
  EXPECT_EQ(pair.wire.size(), 9U);
  const auto status = pair.gateway().node->status();
  ASSERT_EQ(status.size(), 1U);
  EXPECT_TRUE(status[0].established);
  EXPECT_EQ(status[0].children.size(), 1U);
}

TEST(Ikev1Node, ARepeatedAnswerDoesNotBreakMainMode) {
  // The client's first message arrives twice (a retransmission that crossed the answer, or two
  // copies released at once by a path that had held them), so the gateway answers twice: the
  // second answer is a duplicate to the client, not a malformed message 4.
  Pair pair(with_psk(), with_psk());
  bool first = true;
  pair.duplicate = [&](const InFlight& f) {
    const bool again = f.from_client && first;
    first = false;
    return again;
  };
  pair.start();
  expect_connected(pair);
  EXPECT_EQ(pair.client().node->stats().malformed, 0U);
  EXPECT_GE(pair.client().node->stats().duplicates, 1U);
}

struct SuiteCase {
  const char* name;
  Phase1Suite phase1;
  Phase2Suite phase2;
};

class EachSuite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(EachSuite, NegotiatesAndKeysEsp) {
  PeerConfig client = with_psk();
  client.phase1 = {GetParam().phase1};
  client.phase2 = {GetParam().phase2};
  // The gateway prefers its defaults and accepts the case's suites after them.
  PeerConfig gateway = with_psk();
  gateway.phase1.push_back(GetParam().phase1);
  gateway.phase2.push_back(GetParam().phase2);
  Pair pair(client, gateway);
  pair.start();
  expect_connected(pair);
  EXPECT_EQ(pair.gateway().node->status()[0].suite, describe(GetParam().phase1));
  EXPECT_EQ(pair.gateway().live()[0].suite, describe(GetParam().phase2));
}

INSTANTIATE_TEST_SUITE_P(Ikev1Node, EachSuite,
                         ::testing::Values(SuiteCase{"aes256_sha256_modp2048_gcm",
                                                     {7, 256, Hash::kSha256, 14},
                                                     {kEspAesGcm16, 256, 0, 0}},
                                           SuiteCase{"aes128_sha1_modp2048_cbc_sha1",
                                                     {7, 128, Hash::kSha1, 14},
                                                     {kEspAesCbc, 128, kAuthHmacSha1, 0}},
                                           SuiteCase{"aes256_sha256_ecp256_cbc_sha256",
                                                     {7, 256, Hash::kSha256, 19},
                                                     {kEspAesCbc, 256, kAuthHmacSha256, 0}},
                                           SuiteCase{"aes256_sha384_ecp384_cbc_sha1",
                                                     {7, 256, Hash::kSha384, 20},
                                                     {kEspAesCbc, 256, kAuthHmacSha1, 0}},
                                           SuiteCase{"aes256_sha1_modp2048_pfs14",
                                                     {7, 256, Hash::kSha1, 14},
                                                     {kEspAesCbc, 256, kAuthHmacSha1, 14}},
                                           SuiteCase{"aes128_sha256_ecp256_gcm_pfs19",
                                                     {7, 128, Hash::kSha256, 19},
                                                     {kEspAesGcm16, 128, 0, 19}}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Ikev1Node, WrongPreSharedKeyIsRefusedAndNamed) {
  Pair pair(with_psk("one key"), with_psk("another key"));
  pair.start();
  EXPECT_TRUE(pair.client().live().empty());
  EXPECT_TRUE(pair.gateway().live().empty());
  ASSERT_TRUE(pair.gateway().has_event(EventType::kRefused));
  EXPECT_NE(pair.gateway().events_text().find("pre-shared key"), std::string::npos)
      << pair.gateway().events_text();
  EXPECT_TRUE(pair.gateway().node->status().empty());
}

TEST(Ikev1Node, NoCommonProposalIsRefusedNamingTheOffer) {
  PeerConfig client = with_psk();
  client.phase1 = {{7, 128, Hash::kSha1, 19}};
  PeerConfig gateway = with_psk();
  gateway.phase1 = {{7, 256, Hash::kSha256, 14}};
  Pair pair(client, gateway);
  pair.start();
  EXPECT_NE(pair.gateway().events_text().find("AES_CBC_128/PRF_HMAC_SHA1/ECP_256"),
            std::string::npos)
      << pair.gateway().events_text();
  // The client hears NO-PROPOSAL-CHOSEN at once instead of retransmitting into the void.
  EXPECT_TRUE(pair.client().has_event(EventType::kRefused)) << pair.client().events_text();
  EXPECT_TRUE(pair.client().node->status().empty());
}

TEST(Ikev1Node, Modp1024IsRefusedUnlessAllowed) {
  // What Android up to 11 offers: AES-CBC, SHA-1, MODP 1024.
  PeerConfig android = with_psk();
  android.phase1 = {{7, 256, Hash::kSha1, 2}};
  PeerConfig gateway = with_psk();
  gateway.phase1.push_back({7, 256, Hash::kSha1, 2});
  {
    Pair pair(android, gateway);
    pair.start();
    EXPECT_TRUE(pair.gateway().live().empty());
    EXPECT_NE(pair.gateway().events_text().find("MODP_1024"), std::string::npos)
        << pair.gateway().events_text();
  }
  Config allow;
  allow.allow_modp1024 = true;
  Pair pair(android, gateway, allow);
  pair.start();
  expect_connected(pair);
  EXPECT_EQ(pair.gateway().node->status()[0].suite, "AES_CBC_256/PRF_HMAC_SHA1/MODP_1024");
}

TEST(Ikev1Node, TripleDesIsNegotiatedForAnOldClientWhenListed) {
  // An old client offers only 3DES in phase 2; a gateway whose operator listed it agrees.
  PeerConfig client = with_psk();
  client.phase2 = {{kEsp3des, 0, kAuthHmacSha1, 0}};
  PeerConfig gateway = with_psk();
  gateway.phase2.push_back({kEsp3des, 0, kAuthHmacSha1, 0});
  Pair pair(client, gateway);
  pair.start();
  expect_connected(pair);
  const auto c = pair.client().live()[0];
  EXPECT_EQ(c.suite, "3DES_CBC/HMAC_SHA1_96");
  EXPECT_EQ(c.outbound_keys.cipher, esp::Cipher::kTripleDesCbc);
  EXPECT_EQ(c.outbound_keys.encryption.size(), 24U);
  // The offer carries no Key Length attribute (type 6) for 3DES: RFC 2451 fixes the key size.
  const auto offer = make_phase2_offer(client.phase2, 1, EspMode::kTransport, true, 1h);
  for (const auto& a : offer.proposals.at(0).transforms.at(0).attributes) EXPECT_NE(a.type, 6);
  EXPECT_EQ(offer.proposals.at(0).transforms.at(0).id, kEsp3des);
}

TEST(Ikev1Node, TripleDesIsRefusedUnlessListed) {
  PeerConfig client = with_psk();
  client.phase2 = {{kEsp3des, 0, kAuthHmacSha1, 0}};
  Pair pair(client, with_psk());
  pair.start();
  EXPECT_TRUE(pair.gateway().live().empty());
  EXPECT_NE(pair.gateway().events_text().find("3DES_CBC/HMAC_SHA1_96"), std::string::npos)
      << pair.gateway().events_text();
}

TEST(Ikev1Node, Phase2MismatchIsRefusedWithTheOffer) {
  PeerConfig client = with_psk();
  client.phase2 = {{kEspAesCbc, 128, kAuthHmacSha1, 0}};
  PeerConfig gateway = with_psk();
  gateway.phase2 = {{kEspAesGcm16, 256, 0, 0}};
  Pair pair(client, gateway);
  pair.start();
  EXPECT_TRUE(pair.gateway().live().empty());
  EXPECT_NE(pair.gateway().events_text().find("AES_CBC_128/HMAC_SHA1_96 (transport)"),
            std::string::npos)
      << pair.gateway().events_text();
}

TEST(Ikev1Node, AggressiveModeIsRefused) {
  Pair pair(with_psk(), with_psk());
  Message m;
  m.header = {0x1122334455667788, 0, ExchangeType::kAggressive, false, false, 0};
  m.payloads = {make_phase1_offer(default_phase1_suites(), 1h)};
  Actions a;
  pair.gateway().node->on_datagram(encode_message(m), {Pair::gateway_address(), 500},
                                   {testing::addr("10.1.0.2"), 500}, pair.now(), a);
  ASSERT_EQ(a.events.size(), 1U);
  EXPECT_EQ(a.events[0].type, EventType::kRefused);
  EXPECT_NE(a.events[0].detail.find("Aggressive Mode"), std::string::npos);
  EXPECT_TRUE(a.datagrams.empty());
  EXPECT_EQ(pair.gateway().node->stats().refused, 1U);
}

TEST(Ikev1Node, ANatMovesEverythingToPort4500) {
  PeerConfig client = with_psk();
  client.force_udp_encapsulation = false;
  PeerConfig gateway = with_psk();
  gateway.force_udp_encapsulation = false;
  Pair pair(client, gateway);
  pair.enable_nat();
  pair.start();
  expect_connected(pair);
  EXPECT_TRUE(pair.client().live()[0].udp_encapsulated);
  EXPECT_EQ(pair.client().live()[0].peer.port, kNatTraversalPort);
  // Messages 1-4 on 500, then 5 onwards on 4500 (both directions).
  ASSERT_EQ(pair.wire.size(), 9U);
  for (std::size_t i = 0; i < pair.wire.size(); ++i)
    EXPECT_EQ(pair.wire[i].d.local_port, i < 4 ? kIkePort : kNatTraversalPort) << i;
  // The gateway answers the NAT's mapping of the client's port 4500.
  EXPECT_EQ(pair.gateway().live()[0].peer.port, kNatTraversalPort + 30000);
}

TEST(Ikev1Node, WithoutNatAndWithoutForcingEspStaysPlain) {
  PeerConfig client = with_psk();
  client.force_udp_encapsulation = false;
  PeerConfig gateway = with_psk();
  gateway.force_udp_encapsulation = false;
  Pair pair(client, gateway);
  pair.start();
  expect_connected(pair);
  EXPECT_FALSE(pair.client().live()[0].udp_encapsulated);
  EXPECT_FALSE(pair.gateway().live()[0].udp_encapsulated);
}

TEST(Ikev1Node, ForcedEncapsulationUsesUdpWithoutANat) {
  Pair pair(with_psk(), with_psk());  // the default forces it
  pair.start();
  expect_connected(pair);
  EXPECT_TRUE(pair.client().live()[0].udp_encapsulated);
  EXPECT_TRUE(pair.gateway().live()[0].udp_encapsulated);
}

class LostMessage : public ::testing::TestWithParam<int> {};

TEST_P(LostMessage, IsRecoveredByRetransmission) {
  Pair pair(with_psk(), with_psk());
  int index = 0;
  const int lose = GetParam();
  pair.drop = [&](const testing::InFlight&) { return index++ == lose; };
  pair.start();
  pair.advance(40s);
  expect_connected(pair);
  EXPECT_FALSE(pair.client().has_event(EventType::kRetransmitGaveUp));
}

INSTANTIATE_TEST_SUITE_P(Ikev1Node, LostMessage, ::testing::Range(0, 9));

TEST(Ikev1Node, SilentGatewayIsGivenUpAfterTheLastRetransmission) {
  Pair pair(with_psk(), with_psk());
  pair.drop = [](const testing::InFlight& f) { return f.from_client; };
  pair.start();
  pair.advance(120s);
  EXPECT_TRUE(pair.client().has_event(EventType::kRetransmitGaveUp));
  EXPECT_TRUE(pair.client().node->status().empty());
  EXPECT_EQ(pair.client().node->stats().retransmitted, 5U);
}

TEST(Ikev1Node, ChildSaIsRekeyedBeforeItsLifetimeWithTrafficContinuing) {
  PeerConfig client = with_psk();
  client.phase2_lifetime = 10min;
  client.rekey_margin = 1min;
  PeerConfig gateway = with_psk();
  gateway.phase2_lifetime = 10min;
  Pair pair(client, gateway);
  pair.start();
  const auto first = pair.client().live()[0].inbound_spi;
  pair.advance(9min + 30s, 5s);
  // A second pair replaced the first before it expired, and the first is gone.
  const auto c = pair.client().live();
  ASSERT_EQ(c.size(), 1U) << pair.client().events_text();
  EXPECT_NE(c[0].inbound_spi, first);
  EXPECT_EQ(c[0].replaces, first);
  expect_connected(pair);
  EXPECT_EQ(pair.client().all.installs.size(), 2U);
  EXPECT_EQ(pair.gateway().all.installs.size(), 2U);
  EXPECT_FALSE(pair.client().has_event(EventType::kIkeSaDown));
}

TEST(Ikev1Node, Phase1IsRenewedAndKeepsItsChildSas) {
  PeerConfig client = with_psk();
  client.phase1_lifetime = 20min;
  client.rekey_margin = 2min;
  PeerConfig gateway = with_psk();
  Pair pair(client, gateway);
  pair.start();
  const auto spi = pair.client().live()[0].inbound_spi;
  const auto first = pair.client().node->status()[0].handle;
  pair.advance(19min, 10s);
  const auto status = pair.client().node->status();
  ASSERT_EQ(status.size(), 1U) << pair.client().events_text();
  EXPECT_NE(status[0].handle, first);
  ASSERT_EQ(status[0].children.size(), 1U);
  EXPECT_EQ(status[0].children[0].first, spi);
  EXPECT_TRUE(pair.client().all.removals.empty());
  // The new phase 1 SA still runs Quick Modes: delete the child from the gateway and redial.
  expect_connected(pair);
}

TEST(Ikev1Node, ARenewalThatOutlivesItsPredecessorStillNegotiatesEsp) {
  // The old phase 1 SA dies (here: closed, as DPD would) while its renewal is in flight; when
  // the renewal completes there are no Child SAs to take over, so it must run Quick Mode.
  PeerConfig client = with_psk();
  client.phase1_lifetime = 20min;
  client.rekey_margin = 2min;
  Pair pair(client, with_psk());
  pair.start();
  const auto old = pair.client().node->status()[0].handle;
  pair.advance(17min, 10s);
  pair.drop = [](const testing::InFlight& f) { return !f.from_client; };
  for (int i = 0; i < 120 && pair.client().node->status().size() < 2; ++i) pair.advance(1s);
  ASSERT_EQ(pair.client().node->status().size(), 2U) << "the renewal did not start";
  Actions a;
  pair.client().node->close(old, pair.now(), a);
  pair.take(true, a);
  EXPECT_TRUE(pair.client().live().empty());
  pair.drop = nullptr;
  pair.advance(40s);
  const auto status = pair.client().node->status();
  ASSERT_EQ(status.size(), 1U) << pair.client().events_text();
  EXPECT_TRUE(status[0].established);
  EXPECT_EQ(pair.client().live().size(), 1U) << pair.client().events_text();
}

TEST(Ikev1Node, DeadPeerIsDetectedWhenItVanishes) {
  PeerConfig client = with_psk();
  client.dpd_interval = 10s;
  client.dpd_timeout = 30s;
  Pair pair(client, with_psk());
  pair.start();
  expect_connected(pair);
  pair.drop = [](const testing::InFlight& f) { return !f.from_client; };  // gateway gone
  pair.advance(60s);
  EXPECT_TRUE(pair.client().has_event(EventType::kDeadPeer)) << pair.client().events_text();
  EXPECT_TRUE(pair.client().live().empty());
  EXPECT_TRUE(pair.client().node->status().empty());
}

TEST(Ikev1Node, LivenessChecksAreAnsweredWhileThePeerLives) {
  PeerConfig client = with_psk();
  client.dpd_interval = 10s;
  client.dpd_timeout = 30s;
  Pair pair(client, with_psk());
  pair.start();
  pair.advance(5min);
  EXPECT_FALSE(pair.client().has_event(EventType::kDeadPeer));
  EXPECT_FALSE(pair.gateway().has_event(EventType::kDeadPeer));
  expect_connected(pair);
  EXPECT_GT(pair.wire.size(), 20U);  // R-U-THERE and ACKs went both ways
}

TEST(Ikev1Node, CloseDeletesOnBothSides) {
  Pair pair(with_psk(), with_psk());
  const auto handle = pair.start();
  Actions a;
  pair.client().node->close(handle, pair.now(), a);
  pair.take(true, a);
  pair.pump();
  EXPECT_TRUE(pair.client().live().empty());
  EXPECT_TRUE(pair.gateway().live().empty()) << pair.gateway().events_text();
  EXPECT_TRUE(pair.gateway().has_event(EventType::kChildSaDown));
}

TEST(Ikev1Node, TunnelModeCarriesTheConfiguredSubnets) {
  const Selector client_net{testing::addr("10.10.0.0"), testing::addr("10.10.0.255"), 0, 0, 65535};
  const Selector gateway_net{testing::addr("10.20.0.0"), testing::addr("10.20.255.255"), 0, 0,
                             65535};
  PeerConfig client = with_psk();
  client.mode = EspMode::kTunnel;
  client.local_subnet = client_net;
  client.remote_subnet = gateway_net;
  PeerConfig gateway = with_psk();
  gateway.mode = EspMode::kTunnel;
  gateway.local_subnet = gateway_net;
  gateway.remote_subnet = client_net;
  Pair pair(client, gateway);
  pair.start();
  expect_connected(pair);
  const ChildSa g = pair.gateway().live()[0];
  EXPECT_EQ(g.mode, EspMode::kTunnel);
  EXPECT_EQ(g.remote[0], client_net);
  EXPECT_EQ(g.local[0], gateway_net);
}

TEST(Ikev1Node, TunnelModeRefusesSubnetsOutsideTheConfiguredOnes) {
  PeerConfig client = with_psk();
  client.mode = EspMode::kTunnel;
  client.local_subnet =
      Selector{testing::addr("10.99.0.0"), testing::addr("10.99.0.255"), 0, 0, 65535};
  client.remote_subnet =
      Selector{testing::addr("10.20.0.0"), testing::addr("10.20.0.255"), 0, 0, 65535};
  PeerConfig gateway = with_psk();
  gateway.mode = EspMode::kTunnel;
  gateway.local_subnet =
      Selector{testing::addr("10.20.0.0"), testing::addr("10.20.255.255"), 0, 0, 65535};
  gateway.remote_subnet =
      Selector{testing::addr("10.10.0.0"), testing::addr("10.10.0.255"), 0, 0, 65535};
  Pair pair(client, gateway);
  pair.start();
  EXPECT_TRUE(pair.gateway().live().empty());
  EXPECT_NE(pair.gateway().events_text().find("subnets"), std::string::npos);
}

TEST(Ikev1Node, InitialContactFromARestartedClientClearsItsOldSas) {
  Pair pair(with_psk(), with_psk());
  pair.start();
  ASSERT_EQ(pair.gateway().live().size(), 1U);
  // The client restarts: a new node, same address, dials again.
  PeerConfig client = with_psk();
  client.name = "gateway";
  client.address = Pair::gateway_address();
  Config c;
  c.peers = {client};
  SeededRng rng(77);
  pair.client().node = std::make_unique<Node>(c, rng);
  pair.client().all = {};
  pair.start();
  EXPECT_EQ(pair.gateway().live().size(), 1U) << pair.gateway().events_text();
  EXPECT_EQ(pair.gateway().node->status().size(), 1U);
  expect_connected(pair);
}

TEST(Ikev1Node, GarbageIsCountedNotAnswered) {
  Pair pair(with_psk(), with_psk());
  pair.start();
  Actions a;
  const std::vector<std::byte> junk(60, std::byte{0x5a});
  pair.gateway().node->on_datagram(junk, {Pair::gateway_address(), 500},
                                   {testing::addr("10.9.9.9"), 500}, pair.now(), a);
  EXPECT_TRUE(a.datagrams.empty());
  EXPECT_GT(pair.gateway().node->stats().malformed + pair.gateway().node->stats().unknown_sa, 0U);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v1
