// Two devices back to back in memory with a fake clock: handshakes, data, loss, reordering,
// replays, rekeying, expiry, roaming and cookies.
#include "wireguard/device.hpp"

#include <gtest/gtest.h>

#include <random>

#include "wireguard/test_network.hpp"

namespace tandem::wireguard {
namespace {

using testing::Datagram;
using testing::ipv4_packet;
using testing::Node;
using testing::TestNetwork;
using Kind = DeviceEvent::Kind;

class DevicePair : public ::testing::Test {
 protected:
  DevicePair() : a(net.add_node("a", "127.0.1.1:51820")), b(net.add_node("b", "127.0.1.2:51821")) {}

  void connect(bool both_endpoints = false, const std::optional<Key>& psk = std::nullopt) {
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32", both_endpoints, psk);
  }
  std::vector<std::byte> a_to_b(std::size_t n = 100, std::uint8_t marker = 1) {
    return ipv4_packet("10.0.0.1", "10.0.0.2", n, marker);
  }
  std::vector<std::byte> b_to_a(std::size_t n = 100, std::uint8_t marker = 2) {
    return ipv4_packet("10.0.0.2", "10.0.0.1", n, marker);
  }
  const Peer& peer_of(Node& at, Node& other) {
    return *at.device.peer(*at.device.find_peer(other.public_key));
  }
  static int count_refusals(const Node& n) {
    return n.count_events(Kind::kResponseNotAuthenticated) +
           n.count_events(Kind::kInitiationFromUnknownKey) +
           n.count_events(Kind::kInitiationReplayed) + n.count_events(Kind::kInitiationNotForUs);
  }
  static const DeviceEvent* find_event(const Node& n, Kind kind) {
    for (const auto& e : n.events)
      if (e.kind == kind) return &e;
    return nullptr;
  }

  TestNetwork net;
  Node& a;
  Node& b;
};

TEST_F(DevicePair, FirstPacketWaitsForHandshakeThenArrives) {
  connect();
  const auto packet = a_to_b();
  a.send_inner(packet);
  EXPECT_EQ(a.sent_initiations, 1);
  net.pump();
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.delivered[0], packet);
  EXPECT_EQ(a.count_events(Kind::kHandshakeCompleted), 1);
  EXPECT_EQ(b.count_events(Kind::kHandshakeCompleted), 1);
  EXPECT_TRUE(peer_of(a, b).last_handshake.has_value());
  EXPECT_TRUE(peer_of(b, a).last_handshake.has_value());
}

TEST_F(DevicePair, ResponderLearnsEndpointAndRepliesWithoutHandshake) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  b.send_inner(b_to_a());
  net.pump();
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.delivered[0], b_to_a());
  EXPECT_EQ(b.sent_initiations, 0);
  EXPECT_EQ(peer_of(b, a).endpoint, a.address);
}

TEST_F(DevicePair, ByteCountersAgreeAcrossTheLink) {
  connect();
  for (int i = 0; i < 5; ++i) a.send_inner(a_to_b(200 + static_cast<std::size_t>(i)));
  net.pump();
  b.send_inner(b_to_a(300));
  net.pump();
  EXPECT_GT(peer_of(a, b).tx_bytes, 5u * 200);
  EXPECT_EQ(peer_of(a, b).tx_bytes, peer_of(b, a).rx_bytes);
  EXPECT_EQ(peer_of(b, a).tx_bytes, peer_of(a, b).rx_bytes);
}

TEST_F(DevicePair, PresharedKeyOnBothSidesWorks) {
  Key psk;
  for (std::size_t i = 0; i < psk.size(); ++i) psk.bytes()[i] = std::byte(i);
  connect(false, psk);
  a.send_inner(a_to_b());
  net.pump();
  EXPECT_EQ(b.delivered.size(), 1u);
}

TEST_F(DevicePair, MismatchedPresharedKeyNeverCompletes) {
  connect();
  Key psk;
  psk.bytes()[0] = std::byte{1};
  b.device.set_preshared_key(*b.device.find_peer(a.public_key), psk);
  a.send_inner(a_to_b());
  net.pump();
  EXPECT_TRUE(b.delivered.empty());
  EXPECT_EQ(a.device.drops(DropReason::kHandshakeDecryptFailed), 1u);
}

TEST_F(DevicePair, MismatchedPresharedKeyIsReportedByTheInitiatorOnEveryAttempt) {
  connect();
  Key psk;
  psk.bytes()[0] = std::byte{1};
  b.device.set_preshared_key(*b.device.find_peer(a.public_key), psk);
  a.send_inner(a_to_b());
  net.pump();
  ASSERT_EQ(a.count_events(Kind::kResponseNotAuthenticated), 1);
  const DeviceEvent* e = find_event(a, Kind::kResponseNotAuthenticated);
  EXPECT_EQ(e->peer, *a.device.find_peer(b.public_key));
  EXPECT_EQ(e->endpoint, b.address);
  EXPECT_EQ(count_refusals(a), 1);
  // The responder cannot tell: the PSK enters Noise IKpsk2 only at the response.
  EXPECT_EQ(count_refusals(b), 0);
  net.advance(kRekeyTimeout + std::chrono::seconds(1));
  EXPECT_EQ(a.count_events(Kind::kResponseNotAuthenticated), 2);
}

TEST_F(DevicePair, SuccessfulHandshakesReportNoRefusal) {
  connect(true);
  a.send_inner(a_to_b());
  net.pump();
  b.send_inner(b_to_a());
  net.pump();
  net.advance(kRekeyAfterTime + std::chrono::seconds(1));
  a.send_inner(a_to_b());
  net.pump();
  EXPECT_GE(a.count_events(Kind::kHandshakeCompleted), 2);
  EXPECT_EQ(count_refusals(a), 0);
  EXPECT_EQ(count_refusals(b), 0);
}

TEST_F(DevicePair, InitiationFromUnknownKeyIsReportedWithThatKey) {
  connect();
  Node& stranger = net.add_node("s", "127.0.1.3:1000");
  const PeerId id = stranger.device.add_peer(b.public_key);
  stranger.device.set_endpoint(id, b.address);
  stranger.device.add_allowed_ip(id, *IpPrefix::parse("0.0.0.0/0"));
  stranger.send_inner(a_to_b());
  net.pump();
  ASSERT_EQ(b.count_events(Kind::kInitiationFromUnknownKey), 1);
  const DeviceEvent* e = find_event(b, Kind::kInitiationFromUnknownKey);
  EXPECT_EQ(e->peer, 0u);
  EXPECT_EQ(e->public_key, stranger.public_key);
  EXPECT_EQ(e->endpoint, stranger.address);
  EXPECT_EQ(count_refusals(b), 1);
}

TEST_F(DevicePair, InitiationMadeForAnotherKeyIsReportedAsNotForUs) {
  connect();
  Node& stranger = net.add_node("s", "127.0.1.3:1000");
  // The stranger believes b has a's public key: its mac1 and DH are for a, not b.
  const PeerId id = stranger.device.add_peer(a.public_key);
  stranger.device.set_endpoint(id, b.address);
  stranger.device.add_allowed_ip(id, *IpPrefix::parse("0.0.0.0/0"));
  stranger.send_inner(a_to_b());
  net.pump();
  ASSERT_EQ(b.count_events(Kind::kInitiationNotForUs), 1);
  const DeviceEvent* e = find_event(b, Kind::kInitiationNotForUs);
  EXPECT_EQ(e->peer, 0u);
  EXPECT_EQ(e->endpoint, stranger.address);
  EXPECT_EQ(count_refusals(b), 1);
  EXPECT_EQ(count_refusals(stranger), 0);
}

TEST_F(DevicePair, UnknownInitiatorIsDropped) {
  Node& stranger = net.add_node("s", "127.0.1.3:1000");
  const PeerId id = stranger.device.add_peer(b.public_key);
  stranger.device.set_endpoint(id, b.address);
  stranger.device.add_allowed_ip(id, *IpPrefix::parse("0.0.0.0/0"));
  stranger.send_inner(a_to_b());
  net.pump();
  EXPECT_EQ(b.device.drops(DropReason::kUnknownPeer), 1u);
  EXPECT_TRUE(b.delivered.empty());
}

TEST_F(DevicePair, ReplayedTransportDatagramIsRejected) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  a.send_inner(a_to_b(50, 9));
  ASSERT_EQ(net.in_flight.size(), 1u);
  const Datagram copy = net.in_flight.front();
  net.pump();
  b.receive(copy);
  EXPECT_EQ(b.delivered.size(), 2u);
  EXPECT_EQ(b.device.drops(DropReason::kReplayedCounter), 1u);
}

TEST_F(DevicePair, ReplayedInitiationIsRejected) {
  connect();
  a.send_inner(a_to_b());
  const Datagram initiation = net.in_flight.front();
  net.pump();
  EXPECT_EQ(count_refusals(b), 0);
  b.receive(initiation);
  EXPECT_EQ(b.device.drops(DropReason::kReplayedTimestamp), 1u);
  ASSERT_EQ(b.count_events(Kind::kInitiationReplayed), 1);
  EXPECT_EQ(find_event(b, Kind::kInitiationReplayed)->peer, *b.device.find_peer(a.public_key));
  EXPECT_EQ(count_refusals(b), 1);
}

TEST_F(DevicePair, ReorderedDatagramsAreAllDelivered) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  for (std::uint8_t i = 0; i < 20; ++i) a.send_inner(a_to_b(64, i));
  std::reverse(net.in_flight.begin(), net.in_flight.end());
  net.pump();
  EXPECT_EQ(b.delivered.size(), 21u);
  EXPECT_EQ(b.device.total_drops(), 0u);
}

TEST_F(DevicePair, TamperedDatagramFailsAuthentication) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  a.send_inner(a_to_b());
  net.in_flight.front().bytes[40] ^= std::byte{1};
  net.pump();
  EXPECT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.device.drops(DropReason::kDecryptFailed), 1u);
}

TEST_F(DevicePair, HandshakeSurvivesHeavyLoss) {
  connect();
  std::mt19937 loss(5);
  net.link_filter = [&](const Datagram&) { return loss() % 2 == 0; };  // half of all lost
  a.send_inner(a_to_b());
  net.advance(std::chrono::seconds(60));
  net.link_filter = nullptr;
  a.send_inner(a_to_b(10, 7));
  net.pump();
  EXPECT_GE(a.count_events(Kind::kHandshakeCompleted), 1);
  EXPECT_FALSE(b.delivered.empty());
  EXPECT_EQ(b.delivered.back(), a_to_b(10, 7));
}

TEST_F(DevicePair, RetransmitsEveryRekeyTimeoutThenGivesUp) {
  connect();
  net.link_filter = [](const Datagram&) { return false; };
  a.send_inner(a_to_b());
  net.advance(std::chrono::seconds(80));
  const int after_80s = a.sent_initiations;
  // One every REKEY_TIMEOUT plus up to a third of a second of jitter.
  EXPECT_GE(after_80s, 14);
  EXPECT_LE(after_80s, 17);
  net.advance(std::chrono::seconds(60));
  EXPECT_EQ(a.sent_initiations, 2 + kMaxTimerHandshakes);
  EXPECT_EQ(a.count_events(Kind::kHandshakeGaveUp), 1);
  EXPECT_TRUE(peer_of(a, b).staged.empty());
}

TEST_F(DevicePair, InitiatorRekeysAfterRekeyAfterTime) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  for (int s = 0; s < 130; ++s) {
    net.advance(std::chrono::seconds(1));
    a.send_inner(a_to_b(20, static_cast<std::uint8_t>(s)));
    b.send_inner(b_to_a(20, static_cast<std::uint8_t>(s)));
    net.pump();
  }
  EXPECT_EQ(a.count_events(Kind::kHandshakeCompleted), 2);
  EXPECT_EQ(b.delivered.size(), 131u);
  EXPECT_EQ(a.delivered.size(), 130u);
  EXPECT_NE(peer_of(a, b).previous, nullptr);
}

TEST_F(DevicePair, ExpiredSessionIsNotUsedAndANewHandshakeStarts) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  net.link_filter = [](const Datagram&) { return false; };
  net.advance(kRejectAfterTime + std::chrono::seconds(1));
  net.link_filter = nullptr;
  const int before = a.sent_initiations;
  a.send_inner(a_to_b(30, 3));
  EXPECT_EQ(a.sent_initiations, before + 1);
  net.pump();
  EXPECT_EQ(b.delivered.back(), a_to_b(30, 3));
}

TEST_F(DevicePair, KeyMaterialIsZeroedAfterThreeRejectAfterTimes) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  net.advance(3 * kRejectAfterTime + std::chrono::seconds(1));
  EXPECT_EQ(a.count_events(Kind::kKeysZeroed), 1);
  EXPECT_EQ(peer_of(a, b).current, nullptr);
  EXPECT_EQ(peer_of(b, a).current, nullptr);
}

TEST_F(DevicePair, ReceiverSendsKeepaliveWhenItHasNothingToSay) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  const auto sent_before = net.all_sent.size();
  net.advance(kKeepaliveTimeout + std::chrono::milliseconds(1));
  ASSERT_EQ(net.all_sent.size(), sent_before + 1);
  EXPECT_EQ(net.all_sent.back().from, b.address);
  EXPECT_EQ(net.all_sent.back().bytes.size(), TransportLayout::kMinSize);
}

TEST_F(DevicePair, SilentPeerAfterDataTriggersNewHandshake) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  net.link_filter = [](const Datagram&) { return false; };
  a.send_inner(a_to_b());
  const int before = a.sent_initiations;
  net.advance(kKeepaliveTimeout + kRekeyTimeout + std::chrono::seconds(1));
  EXPECT_EQ(a.sent_initiations, before + 1);
}

TEST_F(DevicePair, PersistentKeepaliveKeepsSending) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  const PeerId id = *a.device.find_peer(b.public_key);
  a.device.set_persistent_keepalive(id, 25, net.now, a);
  net.pump();
  const auto from_a = [&] {
    return std::count_if(net.all_sent.begin(), net.all_sent.end(), [&](const Datagram& d) {
      return d.from == a.address && d.bytes.size() == TransportLayout::kMinSize;
    });
  };
  const auto before = from_a();
  // b's own keepalive (10 s after a's data) also counts as traffic, so a's interval restarts
  // then: keepalives at 35, 60, 85 and 110 s.
  net.advance(std::chrono::seconds(111));
  EXPECT_EQ(from_a() - before, 4);
}

TEST_F(DevicePair, PeerRoamingMovesTheEndpoint) {
  connect(true);
  a.send_inner(a_to_b());
  net.pump();
  b.address = *Endpoint::parse("127.0.9.9:4000");
  b.send_inner(b_to_a());
  net.pump();
  EXPECT_EQ(peer_of(a, b).endpoint, b.address);
  EXPECT_EQ(a.count_events(Kind::kEndpointChanged), 1);
  a.send_inner(a_to_b(10, 5));
  ASSERT_FALSE(net.in_flight.empty());
  EXPECT_EQ(net.in_flight.back().to, b.address);
  net.pump();
  EXPECT_EQ(b.delivered.back(), a_to_b(10, 5));
}

TEST_F(DevicePair, SourceOutsideAllowedIpsIsDropped) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  b.send_inner(ipv4_packet("10.0.0.2", "10.0.0.1", 10));
  net.pump();
  ASSERT_EQ(a.delivered.size(), 1u);
  // b allows a's /32 only, so it routes; but a only accepts 10.0.0.2 from b.
  const PeerId a_at_b = *b.device.find_peer(a.public_key);
  b.device.add_allowed_ip(a_at_b, *IpPrefix::parse("10.9.0.0/16"));
  b.send_inner(ipv4_packet("10.0.0.77", "10.9.0.1", 10));
  net.pump();
  EXPECT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.device.drops(DropReason::kSourceNotAllowed), 1u);
}

TEST_F(DevicePair, PacketWithoutRouteIsDropped) {
  connect();
  a.send_inner(ipv4_packet("10.0.0.1", "10.0.0.99", 10));
  EXPECT_EQ(a.device.drops(DropReason::kNoRouteToPeer), 1u);
  EXPECT_TRUE(net.in_flight.empty());
}

TEST_F(DevicePair, UnderLoadResponderDemandsCookieThenAccepts) {
  connect();
  b.device.force_under_load(true);
  a.send_inner(a_to_b());
  net.pump();
  EXPECT_EQ(b.device.drops(DropReason::kCookieRequired), 1u);
  EXPECT_EQ(a.count_events(Kind::kCookieReplyReceived), 1);
  EXPECT_TRUE(b.delivered.empty());
  net.advance(kRekeyTimeout + std::chrono::seconds(1));
  EXPECT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.device.drops(DropReason::kCookieRequired), 1u);
}

TEST_F(DevicePair, SimultaneousInitiationsEndInAWorkingSession) {
  connect(true);
  a.send_inner(a_to_b());
  b.send_inner(b_to_a());
  net.pump();
  net.advance(std::chrono::seconds(20));
  a.send_inner(a_to_b(10, 0x11));
  b.send_inner(b_to_a(10, 0x22));
  net.pump();
  ASSERT_FALSE(a.delivered.empty());
  ASSERT_FALSE(b.delivered.empty());
  EXPECT_EQ(a.delivered.back(), b_to_a(10, 0x22));
  EXPECT_EQ(b.delivered.back(), a_to_b(10, 0x11));
}

TEST_F(DevicePair, GarbageDatagramsAreCountedAndDropped) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  const std::vector<std::vector<std::byte>> garbage = {
      {},
      {std::byte{1}},
      std::vector<std::byte>(147, std::byte{0}),
      [] {
        std::vector<std::byte> v(148, std::byte{0});
        v[0] = std::byte{1};
        return v;
      }(),
      [] {
        std::vector<std::byte> v(31, std::byte{0});
        v[0] = std::byte{4};
        return v;
      }(),
      [] {
        std::vector<std::byte> v(1500, std::byte{0x5a});
        v[0] = std::byte{4};
        v[1] = v[2] = v[3] = std::byte{0};
        return v;
      }(),
      std::vector<std::byte>(64, std::byte{0xff}),
  };
  for (const auto& g : garbage) b.receive({a.address, b.address, g});
  EXPECT_EQ(b.device.total_drops(), garbage.size());
  EXPECT_EQ(b.device.drops(DropReason::kBadMac1), 1u);
  a.send_inner(a_to_b(10, 0x33));
  net.pump();
  EXPECT_EQ(b.delivered.back(), a_to_b(10, 0x33));
}

TEST_F(DevicePair, ChangingPrivateKeyEndsSessions) {
  connect();
  a.send_inner(a_to_b());
  net.pump();
  b.device.set_private_key(crypto::x25519_generate_private(b.rng));
  EXPECT_EQ(peer_of(b, a).current, nullptr);
  a.send_inner(a_to_b());
  net.pump();
  EXPECT_EQ(b.delivered.size(), 1u);
}

// The static-static DH is not computed when a peer is added (start-up with many peers), but by
// the first handshake that needs it, in either role.
TEST_F(DevicePair, PeersAddedWithoutStaticStaticHandshakeAsInitiatorAndResponder) {
  connect();
  using Dh = RemoteStatic::Dh;
  EXPECT_EQ(peer_of(a, b).remote.static_static_state, Dh::kNotComputed);
  EXPECT_EQ(peer_of(b, a).remote.static_static_state, Dh::kNotComputed);
  a.send_inner(a_to_b());
  net.pump();
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(a.count_events(Kind::kHandshakeCompleted), 1);
  EXPECT_EQ(b.count_events(Kind::kHandshakeCompleted), 1);
  EXPECT_EQ(peer_of(a, b).remote.static_static_state, Dh::kOk);
  EXPECT_EQ(peer_of(b, a).remote.static_static_state, Dh::kOk);
}

// A DH cached under the old private key would make every later handshake fail.
TEST_F(DevicePair, NewPrivateKeyRecomputesStaticStaticInBothRoles) {
  connect(/*both_endpoints=*/true);
  a.send_inner(a_to_b());
  net.pump();
  ASSERT_EQ(b.delivered.size(), 1u);
  const PublicKey old_b = b.public_key;
  b.private_key = crypto::x25519_generate_private(b.rng);
  b.public_key = crypto::x25519_public_key(b.private_key);
  b.device.set_private_key(b.private_key);
  EXPECT_EQ(peer_of(b, a).remote.static_static_state, RemoteStatic::Dh::kNotComputed);
  // a learns b's new key: a new peer, whose DH is computed afresh.
  a.device.remove_peer(*a.device.find_peer(old_b));
  const PeerId b_at_a = a.device.add_peer(b.public_key);
  a.device.add_allowed_ip(b_at_a, *IpPrefix::parse("10.0.0.2/32"));
  a.device.set_endpoint(b_at_a, b.address);
  net.advance(kRekeyTimeout);  // b answered a's initiation just now: one per REKEY_TIMEOUT
  b.send_inner(b_to_a());      // b initiates with the recomputed DH
  net.pump();
  ASSERT_EQ(a.delivered.size(), 1u);
  net.advance(std::chrono::seconds(200));  // past REJECT_AFTER_TIME: the sessions are gone
  a.send_inner(a_to_b(100, 7));            // and now b responds with it
  net.pump();
  ASSERT_EQ(b.delivered.size(), 2u);
  EXPECT_EQ(b.delivered.back(), a_to_b(100, 7));
  EXPECT_EQ(count_refusals(a) + count_refusals(b), 0);
}

// A peer key of small order gives an all-zero DH (Noise requires refusing it): no initiation is
// sent to it, and an initiation claiming it is refused, however late the DH is computed.
TEST_F(DevicePair, LowOrderPeerKeyIsRefusedInBothRoles) {
  const PublicKey low_order{};  // the all-zero point
  const PeerId bad_at_a = a.device.add_peer(low_order);
  a.device.add_allowed_ip(bad_at_a, *IpPrefix::parse("10.0.0.2/32"));
  a.device.set_endpoint(bad_at_a, b.address);
  a.send_inner(a_to_b());
  EXPECT_EQ(a.sent_initiations, 0);
  EXPECT_EQ(a.device.peer(bad_at_a)->remote.static_static_state, RemoteStatic::Dh::kZero);

  // An initiator holding that key would mix a DH of zeros; b must not accept it.
  b.device.add_peer(low_order);
  StaticIdentity forger = make_static_identity(crypto::x25519_generate_private(b.rng));
  forger.public_key = low_order;
  RemoteStatic b_seen_by_forger = make_remote_static(b.public_key, Key{});
  b_seen_by_forger.static_static_state = RemoteStatic::Dh::kOk;  // zeros, as the DH would give
  Handshake hs;
  std::array<std::byte, InitiationLayout::kSize> msg{};
  ASSERT_TRUE(create_initiation(forger, b_seen_by_forger, hs, 1, b.rng, net.wall.now, msg));
  CookieMaker cookie;
  cookie.add_macs(msg, b_seen_by_forger, net.now);
  b.receive(Datagram{a.address, b.address, {msg.begin(), msg.end()}});
  EXPECT_EQ(b.device.drops(DropReason::kHandshakeDecryptFailed), 1u);
  EXPECT_TRUE(net.in_flight.empty());  // no response
  EXPECT_EQ(b.device.peer(*b.device.find_peer(low_order))->remote.static_static_state,
            RemoteStatic::Dh::kZero);
}

}  // namespace
}  // namespace tandem::wireguard

namespace tandem::wireguard {
namespace {

// A gateway's peers are found by key (every handshake does it) through an index that must stay
// right as peers come and go, many thousands of them.
TEST(DevicePeers, FindsEachOfManyPeersByKeyAsTheyComeAndGo) {
  SeededRng rng(7);
  testing::FakeWallClock wall;
  Device device(rng, wall);
  constexpr std::size_t kPeers = 20000;
  std::vector<PublicKey> keys(kPeers);
  std::vector<PeerId> ids(kPeers);
  for (std::size_t i = 0; i < kPeers; ++i) {
    rng.fill(std::span(keys[i]));
    ids[i] = device.add_peer(keys[i]);
  }
  EXPECT_EQ(device.peer_count(), kPeers);
  EXPECT_EQ(device.add_peer(keys[123]), ids[123]);  // adding again finds the same peer
  for (std::size_t i = 0; i < kPeers; ++i) ASSERT_EQ(device.find_peer(keys[i]), ids[i]) << i;
  for (std::size_t i = 0; i < kPeers; i += 2) device.remove_peer(ids[i]);
  for (std::size_t i = 0; i < kPeers; ++i)
    ASSERT_EQ(device.find_peer(keys[i]), i % 2 == 0 ? std::nullopt : std::optional(ids[i])) << i;
  const PeerId again = device.add_peer(keys[0]);
  EXPECT_NE(again, ids[0]);  // a new peer, with a new id
  EXPECT_EQ(device.find_peer(keys[0]), again);
  device.remove_all_peers();
  EXPECT_EQ(device.peer_count(), 0u);
  EXPECT_FALSE(device.find_peer(keys[1]).has_value());
}

}  // namespace
}  // namespace tandem::wireguard
