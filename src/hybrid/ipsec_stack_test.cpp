// Two IPsec stacks back to back in memory with a fake clock: an IKEv1 L2TP/IPsec client and
// gateway (transport mode, UDP 1701, ESP in UDP 4500) and an IKEv2 site-to-site pair (tunnel
// mode). Payloads sealed at one end come out at the other with the right peer, traffic outside
// the policy is dropped, the first datagram on port 4500 carries the non-ESP marker, and closing
// takes every Child SA down on both sides.
#include "hybrid/ipsec_stack.hpp"

#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"
#include "ipsec/ike/v1/config.hpp"
#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::hybrid {
namespace {

using namespace std::chrono_literals;
using ipsec::ike::kIkePort;
using ipsec::ike::kNatTraversalPort;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

const std::vector<std::byte> kPsk{std::byte{'k'}, std::byte{'e'}, std::byte{'y'}};

struct Node {
  IpAddress address;
  std::unique_ptr<IpsecStack> stack;
  IpsecOutput out;
  std::vector<std::vector<std::byte>> transport;  // payloads delivered, copied
  std::vector<Endpoint> transport_peers;
  std::vector<std::vector<std::byte>> tunnel;
  int children_up = 0;
  int children_down = 0;
  std::vector<int> child_versions;  // the IKE version of each SA change, in order
  std::vector<int> event_versions;
};

class Link {
 public:
  Link(Node& a, Node& b) : a_(a), b_(b) {}
  TimePoint now{std::chrono::seconds(1000)};

  // Moves datagrams until neither side has anything left to send.
  void run() {
    for (int round = 0; round < 50; ++round) {
      collect(a_);
      collect(b_);
      auto from_a = std::move(a_.out.datagrams);
      auto from_b = std::move(b_.out.datagrams);
      a_.out.datagrams.clear();
      b_.out.datagrams.clear();
      if (from_a.empty() && from_b.empty()) return;
      for (auto& d : from_a) deliver(a_, b_, d);
      for (auto& d : from_b) deliver(b_, a_, d);
    }
    FAIL() << "the stacks never went quiet";
  }
  // Sends a sealed packet from one node to the other, as a socket would.
  void send_packet(Node& from, Node& to, const Packet& p) {
    IpsecDatagram d{kNatTraversalPort, p.endpoint, {p.bytes().begin(), p.bytes().end()}};
    deliver(from, to, d);
    collect(to);
  }
  std::vector<IpsecDatagram> wire;

 private:
  void collect(Node& n) {
    for (const auto& t : n.out.transport) {
      n.transport.emplace_back(t.payload.begin(), t.payload.end());
      n.transport_peers.push_back(t.peer);
    }
    for (const auto& t : n.out.tunnel) n.tunnel.emplace_back(t.begin(), t.end());
    for (const auto& c : n.out.children) {
      (c.up ? n.children_up : n.children_down)++;
      n.child_versions.push_back(c.ike_version);
    }
    for (const auto& e : n.out.events) n.event_versions.push_back(e.ike_version);
    for (const auto& e : n.out.errors) ADD_FAILURE() << e;
    n.out.events.clear();
    n.out.transport.clear();
    n.out.tunnel.clear();
    n.out.children.clear();
    n.out.errors.clear();
  }
  void deliver(Node& from, Node& to, IpsecDatagram& d) {
    wire.push_back(d);
    slot_.assign(d.bytes.size() + 128, std::byte{0});
    std::copy(d.bytes.begin(), d.bytes.end(), slot_.begin() + 64);
    Packet p{slot_.data(), slot_.size(), 64, d.bytes.size(), {from.address, d.local_port}};
    to.stack->on_datagram(p, {to.address, d.to.port}, now, to.out);
    collect(to);
  }
  Node& a_;
  Node& b_;
  std::vector<std::byte> slot_;
};

// A payload in a slot with the stack's headroom.
struct Slot {
  explicit Slot(const std::vector<std::byte>& payload) : storage(1024) {
    std::copy(payload.begin(), payload.end(), storage.begin() + 128);
    packet = Packet{storage.data(), storage.size(), 128, payload.size(), {}};
  }
  std::vector<std::byte> storage;
  Packet packet;
};

struct L2tpIpsecPair {
  SeededRng client_rng{1};
  SeededRng gateway_rng{2};
  Node client{ip("10.1.0.2"), {}, {}, {}, {}, {}, 0, 0, {}, {}};
  Node gateway{ip("192.0.2.1"), {}, {}, {}, {}, {}, 0, 0, {}, {}};
  Link link{client, gateway};

  explicit L2tpIpsecPair(bool force_udp = true) {
    ipsec::ike::v1::PeerConfig to_gateway;
    to_gateway.force_udp_encapsulation = force_udp;
    to_gateway.name = "gateway";
    to_gateway.address = gateway.address;
    to_gateway.psk = kPsk;
    ipsec::ike::v1::PeerConfig clients = to_gateway;
    clients.name = "clients";
    clients.address.reset();
    ipsec::ike::v1::Config c;
    c.peers = {to_gateway};
    ipsec::ike::v1::Config g;
    g.peers = {clients};
    client.stack =
        std::make_unique<IpsecStack>(ipsec::ike::make_ikev1_engine(c, client_rng), client_rng);
    gateway.stack =
        std::make_unique<IpsecStack>(ipsec::ike::make_ikev1_engine(g, gateway_rng), gateway_rng);
  }
  void connect() {
    ASSERT_TRUE(
        client.stack->initiate(1, "gateway", {client.address, kIkePort}, link.now, client.out));
    link.run();
  }
};

const std::vector<std::byte> kL2tp{std::byte{0xc8}, std::byte{0x02}, std::byte{0}, std::byte{12},
                                   std::byte{0},    std::byte{1},    std::byte{0}, std::byte{0},
                                   std::byte{0},    std::byte{0},    std::byte{0}, std::byte{0}};

TEST(IpsecStack, L2tpOverIkev1TransportModeBothWays) {
  L2tpIpsecPair pair;
  pair.connect();
  ASSERT_EQ(pair.client.children_up, 1);
  ASSERT_EQ(pair.gateway.children_up, 1);
  ASSERT_EQ(pair.client.stack->sad().size(), 1U);

  // The client names the gateway by its L2TP endpoint; ESP goes to port 4500.
  Slot up(kL2tp);
  ASSERT_TRUE(pair.client.stack->seal_transport(up.packet, {pair.gateway.address, 1701}, 1701, 1701,
                                                pair.link.now, pair.client.out));
  EXPECT_EQ(up.packet.endpoint, (Endpoint{pair.gateway.address, kNatTraversalPort}));
  pair.link.send_packet(pair.client, pair.gateway, up.packet);
  ASSERT_EQ(pair.gateway.transport.size(), 1U);
  EXPECT_EQ(pair.gateway.transport[0], kL2tp);
  const Endpoint client_peer = pair.gateway.transport_peers[0];
  EXPECT_EQ(client_peer, (Endpoint{pair.client.address, kNatTraversalPort}));

  // The gateway answers the peer it was given.
  Slot down(kL2tp);
  ASSERT_TRUE(pair.gateway.stack->seal_transport(down.packet, client_peer, 1701, 1701,
                                                 pair.link.now, pair.gateway.out));
  pair.link.send_packet(pair.gateway, pair.client, down.packet);
  ASSERT_EQ(pair.client.transport.size(), 1U);
  EXPECT_EQ(pair.client.transport[0], kL2tp);
  EXPECT_EQ(pair.client.stack->stats().esp_delivered, 1U);

  // Nothing carries traffic to a stranger.
  Slot lost(kL2tp);
  EXPECT_FALSE(pair.gateway.stack->seal_transport(lost.packet, {ip("10.9.9.9"), 1701}, 1701, 1701,
                                                  pair.link.now, pair.gateway.out));
  EXPECT_EQ(pair.gateway.stack->stats().no_sa, 1U);
}

TEST(IpsecStack, WithoutANatEspTravelsAsIpProtocol50) {
  // Neither side forces UDP encapsulation and no NAT is found: ESP is sent unencapsulated (port
  // 0 tells the caller to use its raw socket) and arrives through on_raw_esp().
  L2tpIpsecPair pair(false);
  pair.connect();
  ASSERT_EQ(pair.client.children_up, 1);
  EXPECT_FALSE(pair.client.stack->sad().entries().at(0)->udp_encapsulated);
  Slot up(kL2tp);
  ASSERT_TRUE(pair.client.stack->seal_transport(up.packet, {pair.gateway.address, 1701}, 1701, 1701,
                                                pair.link.now, pair.client.out));
  EXPECT_EQ(up.packet.endpoint, (Endpoint{pair.gateway.address, 0}));
  up.packet.endpoint = {pair.client.address, 0};  // as the raw socket reports the sender
  pair.gateway.stack->on_raw_esp(up.packet, pair.link.now, pair.gateway.out);
  ASSERT_EQ(pair.gateway.out.transport.size(), 1U);
  EXPECT_EQ(std::vector<std::byte>(pair.gateway.out.transport[0].payload.begin(),
                                   pair.gateway.out.transport[0].payload.end()),
            kL2tp);
  // The gateway knows its peer by the endpoint IKE used, and answers it the same way.
  Slot down(kL2tp);
  ASSERT_TRUE(pair.gateway.stack->seal_transport(down.packet, pair.gateway.out.transport[0].peer,
                                                 1701, 1701, pair.link.now, pair.gateway.out));
  EXPECT_EQ(down.packet.endpoint, (Endpoint{pair.client.address, 0}));
}

TEST(IpsecStack, IkeOnPort4500CarriesTheNonEspMarkerAndKeepalivesAreDropped) {
  L2tpIpsecPair pair;
  pair.connect();
  bool ike_on_4500 = false;
  for (const auto& d : pair.link.wire)
    if (d.local_port == kNatTraversalPort && d.bytes.size() > 4) {
      ike_on_4500 = true;
      EXPECT_EQ(d.bytes[0], std::byte{0});
      EXPECT_EQ(d.bytes[3], std::byte{0});
    }
  EXPECT_TRUE(ike_on_4500);  // forced UDP encapsulation floats IKE to 4500 after MM4

  std::vector<std::byte> slot(64, std::byte{0});
  slot[32] = std::byte{0xff};
  Packet keepalive{slot.data(), slot.size(), 32, 1, {pair.client.address, kNatTraversalPort}};
  pair.gateway.stack->on_datagram(keepalive, {pair.gateway.address, kNatTraversalPort},
                                  pair.link.now, pair.gateway.out);
  EXPECT_EQ(pair.gateway.stack->stats().keepalives, 1U);
  EXPECT_TRUE(pair.gateway.out.transport.empty());
}

TEST(IpsecStack, AuthenticTrafficOutsideTheNegotiatedPortIsDropped) {
  L2tpIpsecPair pair;
  pair.connect();
  // UDP 53 inside the L2TP/IPsec SA: sealed (the sender does not check), refused on arrival.
  Slot dns(kL2tp);
  ASSERT_TRUE(pair.client.stack->seal_transport(dns.packet, {pair.gateway.address, 1701}, 1701, 53,
                                                pair.link.now, pair.client.out));
  pair.link.send_packet(pair.client, pair.gateway, dns.packet);
  EXPECT_TRUE(pair.gateway.transport.empty());
  EXPECT_EQ(pair.gateway.stack->sad().stats().policy_dropped, 1U);
  EXPECT_EQ(pair.gateway.stack->stats().esp_dropped, 1U);
}

TEST(IpsecStack, ClosingTakesEveryChildSaDownOnBothSides) {
  L2tpIpsecPair pair;
  pair.connect();
  pair.client.stack->close_all(pair.link.now, pair.client.out);
  pair.link.run();
  EXPECT_EQ(pair.client.children_down, 1);
  EXPECT_EQ(pair.gateway.children_down, 1);
  EXPECT_EQ(pair.client.stack->sad().size(), 0U);
  EXPECT_EQ(pair.gateway.stack->sad().size(), 0U);
  EXPECT_TRUE(pair.client.stack->engine().summaries().empty());
}

TEST(IpsecStack, SequenceNumbersRunningOutTriggerARekeyThatTakesOverTheTraffic) {
  L2tpIpsecPair pair;
  pair.connect();
  const auto first = pair.client.stack->sad().entries().at(0)->inbound.spi();
  pair.client.stack->sad_for_test().find(first)->outbound.skip_to_sequence_for_test(
      ipsec::esp::OutboundSa::kRekeyAt);
  // This packet still goes out on the old SA, and asks the engine for a new one.
  Slot last(kL2tp);
  ASSERT_TRUE(pair.client.stack->seal_transport(last.packet, {pair.gateway.address, 1701}, 1701,
                                                1701, pair.link.now, pair.client.out));
  EXPECT_EQ(ipsec::esp::spi_of(last.packet.bytes()),
            pair.client.stack->sad().entries().at(0)->outbound.spi());
  EXPECT_FALSE(pair.client.out.datagrams.empty());  // Quick Mode started
  pair.link.run();
  EXPECT_EQ(pair.client.children_up, 2);
  EXPECT_EQ(pair.gateway.children_up, 2);
  // The new SA carries what follows, and it arrives.
  Slot next(kL2tp);
  ASSERT_TRUE(pair.client.stack->seal_transport(next.packet, {pair.gateway.address, 1701}, 1701,
                                                1701, pair.link.now, pair.client.out));
  const auto* carrier =
      pair.client.stack->sad_for_test().transport_for({pair.gateway.address, kNatTraversalPort});
  ASSERT_NE(carrier, nullptr);
  EXPECT_NE(carrier->inbound.spi(), first);
  pair.link.send_packet(pair.client, pair.gateway, next.packet);
  ASSERT_EQ(pair.gateway.transport.size(), 1U);
  EXPECT_EQ(pair.gateway.transport[0], kL2tp);
}

TEST(IpsecStack, Ikev2TunnelModeCarriesInnerPacketsBetweenSubnets) {
  namespace v2t = ipsec::ike::v2::testing;
  SeededRng a_rng(3), b_rng(4);
  Node a{ip("192.0.2.1"), {}, {}, {}, {}, {}, 0, 0, {}, {}};
  Node b{ip("198.51.100.1"), {}, {}, {}, {}, {}, 0, 0, {}, {}};
  // Only the initiator forces UDP encapsulation; its faked NAT-D moves both sides to 4500.
  auto initiator = v2t::initiator_config();
  initiator.force_udp_encapsulation = true;
  a.stack = std::make_unique<IpsecStack>(ipsec::ike::make_ikev2_engine(initiator, a_rng), a_rng);
  b.stack = std::make_unique<IpsecStack>(
      ipsec::ike::make_ikev2_engine(v2t::responder_config(), b_rng), b_rng);
  Link link(a, b);
  ASSERT_TRUE(a.stack->initiate(2, "gw", {a.address, kIkePort}, link.now, a.out));
  link.run();
  ASSERT_EQ(a.children_up, 1);
  ASSERT_EQ(b.children_up, 1);
  EXPECT_EQ(a.stack->engine().version(), 2);

  // 10.1.0.7 -> 10.2.0.9, UDP.
  const std::vector<std::byte> inner{
      std::byte{0x45}, std::byte{0}, std::byte{0},  std::byte{28}, std::byte{0},  std::byte{0},
      std::byte{0},    std::byte{0}, std::byte{64}, std::byte{17}, std::byte{0},  std::byte{0},
      std::byte{10},   std::byte{1}, std::byte{0},  std::byte{7},  std::byte{10}, std::byte{2},
      std::byte{0},    std::byte{9}, std::byte{16}, std::byte{0},  std::byte{0},  std::byte{53},
      std::byte{0},    std::byte{8}, std::byte{0},  std::byte{0}};
  Slot s(inner);
  ASSERT_TRUE(a.stack->seal_tunnel(s.packet, link.now, a.out));
  EXPECT_EQ(s.packet.endpoint, (Endpoint{b.address, kNatTraversalPort}));
  link.send_packet(a, b, s.packet);
  ASSERT_EQ(b.tunnel.size(), 1U);
  EXPECT_EQ(b.tunnel[0], inner);
  // The reverse direction's selectors do not take a packet from 10.1/16.
  Slot wrong(inner);
  EXPECT_FALSE(b.stack->seal_tunnel(wrong.packet, link.now, b.out));
}

// 10.1.0.7 -> 10.2.0.9, UDP: inside the IKEv2 test pair's selectors.
std::vector<std::byte> inner_udp_packet() {
  return {std::byte{0x45}, std::byte{0}, std::byte{0},  std::byte{28}, std::byte{0},  std::byte{0},
          std::byte{0},    std::byte{0}, std::byte{64}, std::byte{17}, std::byte{0},  std::byte{0},
          std::byte{10},   std::byte{1}, std::byte{0},  std::byte{7},  std::byte{10}, std::byte{2},
          std::byte{0},    std::byte{9}, std::byte{16}, std::byte{0},  std::byte{0},  std::byte{53},
          std::byte{0},    std::byte{8}, std::byte{0},  std::byte{0}};
}

// One gateway stack on one pair of ports runs an IKEv1 engine for L2TP/IPsec clients and an
// IKEv2 engine for road warriors: each client's messages reach the engine of its version, both
// SAs share the database, everything the stack reports says which version it came from, and
// closing one version leaves the other's SAs standing.
TEST(IpsecStack, OneGatewayServesIkev1AndIkev2OnTheSamePorts) {
  namespace v2t = ipsec::ike::v2::testing;
  SeededRng l2tp_rng(5), road_rng(6), gateway_rng(7);
  Node gateway{ip("198.51.100.1"), {}, {}, {}, {}, {}, 0, 0, {}, {}};
  Node l2tp_client{ip("10.1.0.2"), {}, {}, {}, {}, {}, 0, 0, {}, {}};
  Node road_warrior{ip("192.0.2.1"), {}, {}, {}, {}, {}, 0, 0, {}, {}};

  ipsec::ike::v1::PeerConfig clients;
  clients.name = "clients";
  clients.psk = kPsk;
  ipsec::ike::v1::Config v1_gateway;
  v1_gateway.peers = {clients};
  std::vector<std::unique_ptr<ipsec::ike::Engine>> engines;
  engines.push_back(ipsec::ike::make_ikev1_engine(v1_gateway, gateway_rng));
  engines.push_back(ipsec::ike::make_ikev2_engine(v2t::responder_config(), gateway_rng));
  gateway.stack = std::make_unique<IpsecStack>(std::move(engines), gateway_rng);
  EXPECT_EQ(gateway.stack->engine(1)->version(), 1);
  EXPECT_EQ(gateway.stack->engine(2)->version(), 2);

  ipsec::ike::v1::PeerConfig to_gateway = clients;
  to_gateway.name = "gateway";
  to_gateway.address = gateway.address;
  ipsec::ike::v1::Config v1_client;
  v1_client.peers = {to_gateway};
  l2tp_client.stack =
      std::make_unique<IpsecStack>(ipsec::ike::make_ikev1_engine(v1_client, l2tp_rng), l2tp_rng);
  auto v2_client = v2t::initiator_config();
  v2_client.force_udp_encapsulation = true;
  road_warrior.stack =
      std::make_unique<IpsecStack>(ipsec::ike::make_ikev2_engine(v2_client, road_rng), road_rng);
  // Asking the wrong engine for a peer is an error, not a silent IKEv1 attempt.
  EXPECT_FALSE(l2tp_client.stack->initiate(2, "gateway", {l2tp_client.address, kIkePort}, {},
                                           l2tp_client.out));

  Link l2tp_link(l2tp_client, gateway);
  ASSERT_TRUE(l2tp_client.stack->initiate(1, "gateway", {l2tp_client.address, kIkePort},
                                          l2tp_link.now, l2tp_client.out));
  l2tp_link.run();
  Link road_link(road_warrior, gateway);
  ASSERT_TRUE(road_warrior.stack->initiate(2, "gw", {road_warrior.address, kIkePort}, road_link.now,
                                           road_warrior.out));
  road_link.run();
  ASSERT_EQ(l2tp_client.children_up, 1);
  ASSERT_EQ(road_warrior.children_up, 1);
  ASSERT_EQ(gateway.children_up, 2);
  EXPECT_EQ(gateway.child_versions, (std::vector<int>{1, 2}));
  EXPECT_EQ(gateway.stack->sad().size(), 2U);
  EXPECT_EQ(gateway.stack->engine(1)->summaries().size(), 1U);
  EXPECT_EQ(gateway.stack->engine(2)->summaries().size(), 1U);
  ASSERT_FALSE(gateway.event_versions.empty());
  EXPECT_EQ(gateway.event_versions.front(), 1);
  EXPECT_EQ(gateway.event_versions.back(), 2);

  // Each SA carries its own kind of traffic through the shared database.
  Slot up(kL2tp);
  ASSERT_TRUE(l2tp_client.stack->seal_transport(up.packet, {gateway.address, 1701}, 1701, 1701,
                                                l2tp_link.now, l2tp_client.out));
  l2tp_link.send_packet(l2tp_client, gateway, up.packet);
  ASSERT_EQ(gateway.transport.size(), 1U);
  EXPECT_EQ(gateway.transport[0], kL2tp);
  Slot inner(inner_udp_packet());
  ASSERT_TRUE(road_warrior.stack->seal_tunnel(inner.packet, road_link.now, road_warrior.out));
  road_link.send_packet(road_warrior, gateway, inner.packet);
  ASSERT_EQ(gateway.tunnel.size(), 1U);
  EXPECT_EQ(gateway.tunnel[0], inner_udp_packet());

  // A refused packet counts against the version whose SA refused it.
  Slot dns(kL2tp);
  ASSERT_TRUE(l2tp_client.stack->seal_transport(dns.packet, {gateway.address, 1701}, 1701, 53,
                                                l2tp_link.now, l2tp_client.out));
  l2tp_link.send_packet(l2tp_client, gateway, dns.packet);
  EXPECT_EQ(gateway.stack->policy_dropped(1), 1U);
  EXPECT_EQ(gateway.stack->policy_dropped(2), 0U);

  // Closing IKEv1 (the L2TP side shutting down) leaves the road warrior's SA alone; the count of
  // refused packets outlives the SA that refused them.
  gateway.stack->close_all(l2tp_link.now, gateway.out, 1);
  l2tp_link.run();
  EXPECT_EQ(gateway.children_down, 1);
  EXPECT_EQ(l2tp_client.children_down, 1);
  EXPECT_EQ(road_warrior.children_down, 0);
  EXPECT_EQ(gateway.stack->sad().size(), 1U);
  EXPECT_EQ(gateway.stack->policy_dropped(1), 1U);

  // A message of a version no engine speaks is counted and dropped.
  std::vector<std::byte> v3(64, std::byte{0});
  v3[17] = std::byte{0x30};
  Packet odd{v3.data(), v3.size(), 0, 40, {road_warrior.address, kIkePort}};
  gateway.stack->on_datagram(odd, {gateway.address, kIkePort}, road_link.now, gateway.out);
  EXPECT_EQ(gateway.stack->stats().unknown_version, 1U);
  EXPECT_TRUE(gateway.out.datagrams.empty());
}

}  // namespace
}  // namespace tandem::hybrid
