// WireguardMtuProbing on two WireGuard devices wired back to back in memory (test_network.hpp),
// with a hop between them that drops large datagrams without a word, and hosts behind them that
// answer pings as a kernel does (the reply carries the request's data, so it is as large). What
// it must do: find the largest size that goes both ways and hold the peer to it, find a silent
// shrink while data flows and a hop that grew, search again after roaming, and leave every other
// packet alone.
#include "daemon/wireguard_mtu_probing.hpp"

#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"
#include "packet/icmp_echo.hpp"
#include "wireguard/test_network.hpp"

namespace tandem::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using wireguard::testing::ipv4_packet;
using wireguard::testing::Node;
using wireguard::testing::TestNetwork;

const IpAddress kOurs = *IpAddress::parse("10.0.0.1");
const IpAddress kFar = *IpAddress::parse("10.0.0.2");

// The echo reply host `self` sends for `request`: the same identifier, sequence and data back.
std::optional<std::vector<std::byte>> answer(ByteView request, const IpAddress& self) {
  const auto echo = packet::parse_icmp_echo(request);
  if (!echo || echo->kind != packet::IcmpEchoKind::kRequest || echo->destination != self)
    return std::nullopt;
  std::vector<std::byte> reply(echo->packet_size);
  packet::build_icmp_echo(reply, packet::IcmpEchoKind::kReply, echo->destination, echo->source,
                          echo->identifier, echo->sequence, echo->data, echo->packet_size);
  return reply;
}

class WireguardMtuProbingTest : public ::testing::Test {
 protected:
  WireguardMtuProbingTest()
      : a(net.add_node("a", "127.0.1.1:51820")),
        b(net.add_node("b", "127.0.1.2:51821")),
        probing(rng, names) {
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32");
    a.device.set_mtu(1420);
    b.device.set_mtu(1420);
    // The hop: an IPv4 underlay, so a datagram is 28 bytes more than its UDP payload.
    net.link_filter = [this](const wireguard::testing::Datagram& d) {
      return d.bytes.size() + 28 <= (d.from == b.address ? hop_back.value_or(hop) : hop);
    };
    probing.configure("wg0", {kOurs}, seconds(10));
    EXPECT_TRUE(probing.set_target(a.device, b.public_key, kFar));
  }

  wireguard::PeerId b_at_a() { return *a.device.find_peer(b.public_key); }
  const wireguard::Peer& peer() { return *a.device.peer(b_at_a()); }
  nlohmann::json status() { return probing.peer_status(a.device, peer()); }
  void handshake() {
    a.send_inner(ipv4_packet("10.0.0.1", "10.0.0.2", 10));
    net.pump();
  }

  // b probes a too, as a Tandem peer with a target of its own would.
  void probe_back() {
    b_probing.emplace(rng, names);
    b_probing->configure("wg1", {kFar}, seconds(10));
    EXPECT_TRUE(b_probing->set_target(b.device, a.public_key, kOurs));
  }
  const wireguard::Peer& a_at_b() { return *b.device.peer(*b.device.find_peer(a.public_key)); }

  // `node`'s prober's probes, into the network.
  void send_probes(Node& node, WireguardMtuProbing* prober) {
    if (!prober) return;
    // The device's events since the last run, as the interface hands them on.
    for (const auto& e : node.events) prober->on_event(node.device, e, net.now);
    node.events.clear();
    io::PacketBatch probes(64);
    prober->run(node.device, net.now, probes);
    for (Packet& p : probes) node.device.send_inner_packet(p, net.now, node);
    if (&node == &a) probes_sent += probes.size();
  }

  // What `node` delivered: its host (`self`) answers echo requests, its prober takes the replies
  // to its probes, and the rest reaches its TUN device (`passed`, for a).
  void serve(Node& node, const IpAddress& self, WireguardMtuProbing* prober, const Node& other) {
    net.pump();
    std::vector<std::vector<std::byte>> delivered;
    std::swap(delivered, node.delivered);
    const wireguard::PeerId from = *node.device.find_peer(other.public_key);
    for (const auto& packet : delivered) {
      if (auto reply = answer(packet, self))
        node.send_inner(*reply);
      else if ((!prober || !prober->take_reply(node.device, from, packet, net.now)) && &node == &a)
        passed.push_back(packet);
    }
    net.pump();
  }

  // Runs until a's first search has completed (at most `limit`).
  void run_until_complete(Duration limit, bool busy = false) {
    const TimePoint end = net.now + limit;
    while (net.now < end && status()["mtu_probe"]["state"] != "complete")
      run_for(milliseconds(10), busy);
  }

  // Runs everything for `d` in steps of 10 ms; with `busy`, a small data packet goes each step.
  void run_for(Duration d, bool busy = false) {
    WireguardMtuProbing* back = b_probing ? &*b_probing : nullptr;
    const TimePoint end = net.now + d;
    while (net.now < end) {
      if (busy) a.send_inner(ipv4_packet("10.0.0.1", "10.0.0.2", 100));
      send_probes(a, &probing);
      send_probes(b, back);
      serve(b, kFar, back, a);
      serve(a, kOurs, &probing, b);
      serve(b, kFar, back, a);
      net.advance(milliseconds(10));
    }
  }

  TestNetwork net;
  Node& a;
  Node& b;
  std::size_t hop = 1500;
  std::optional<std::size_t> hop_back;  // b to a, when it differs
  SeededRng rng{7};
  PeerEventLog names;
  WireguardMtuProbing probing;
  std::optional<WireguardMtuProbing> b_probing;
  std::size_t probes_sent = 0;
  std::vector<std::vector<std::byte>> passed;  // what reached a's TUN device
};

TEST_F(WireguardMtuProbingTest, NothingIsSentBeforeThereIsASession) {
  EXPECT_EQ(status()["mtu_probe"]["state"], "off") << "before the first run";
  run_for(seconds(5));
  EXPECT_EQ(probes_sent, 0u);
  EXPECT_EQ(status()["mtu_probe"]["live"], false);
  EXPECT_EQ(status()["mtu"], 1420);
  EXPECT_FALSE(status()["mtu_probe"].contains("probed"));
  handshake();
  run_for(milliseconds(10));
  EXPECT_EQ(status()["mtu_probe"]["live"], true);
  EXPECT_EQ(probes_sent, 1u) << "the base size first";
}

TEST_F(WireguardMtuProbingTest, APathThatCarriesTheDeviceMtuIsConfirmedAtOnce) {
  handshake();
  run_for(seconds(1));
  EXPECT_EQ(status()["mtu_probe"]["state"], "complete");
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1420);
  EXPECT_EQ(a.device.inner_mtu(peer()), 1420u);
  EXPECT_TRUE(passed.empty()) << "the replies never reach the TUN device";
}

// 1400 - 20 - 8 - 32 = 1340: the largest inner packet the hop carries, and a Tandem far end
// answers at exactly the size asked. The peer's packets are held to it (its MSS clamp and ICMP
// follow).
TEST_F(WireguardMtuProbingTest, FindsTheLargestSizeTheHopCarriesAndHoldsThePeerToIt) {
  hop = 1400;
  handshake();
  run_until_complete(seconds(30));
  EXPECT_EQ(status()["mtu_probe"]["state"], "complete");
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1340);
  EXPECT_EQ(status()["mtu"], 1340);
  EXPECT_EQ(a.device.inner_mtu(peer()), 1340u);
  EXPECT_EQ(status()["mtu_probe"]["max"], 1420);
  EXPECT_GT(status()["mtu_probe"]["probes_acked"].get<int>(), 0);
  EXPECT_TRUE(passed.empty());
}

TEST_F(WireguardMtuProbingTest, ASizeCountsOnlyWhenItsReplyComesBackToo) {
  hop = 1400;
  hop_back = 1380;  // a smaller way back: 1320 both ways
  handshake();
  run_until_complete(seconds(30));
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1320);
}

// Each end holds the other to 1340 from its own search; the hop then grows. Their replies to each
// other's probes are not held to what they found, so both see it.
TEST_F(WireguardMtuProbingTest, TwoEndsThatHoldEachOtherBothFindAHopThatGrew) {
  probe_back();
  hop = 1400;
  handshake();
  run_until_complete(seconds(30), true);
  ASSERT_EQ(status()["mtu_probe"]["probed"], 1340);
  ASSERT_EQ(b.device.inner_mtu(a_at_b()), 1340u);
  hop = 1500;
  run_for(seconds(15), true);
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1420);
  EXPECT_EQ(b.device.inner_mtu(a_at_b()), 1420u);
}

TEST_F(WireguardMtuProbingTest, AHopThatShrinksWhileDataFlowsIsFoundAsABlackHole) {
  handshake();
  run_for(seconds(2), true);
  ASSERT_EQ(status()["mtu_probe"]["probed"], 1420);
  hop = 1400;
  const TimePoint shrunk = net.now;
  bool fell_to_base = false;
  while (net.now - shrunk < seconds(60) && status()["mtu_probe"].value("probed", 0) != 1340) {
    run_for(milliseconds(10), true);
    fell_to_base = fell_to_base || status()["mtu_probe"].value("probed", 0) == 1280;
  }
  EXPECT_TRUE(fell_to_base) << "the base size holds at once when the black hole is found";
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1340);
  // A confirmation every confirm_interval (2 s), lost after 3 tries of 1 s, then the search from
  // the base in a few rounds of up to 3 s.
  EXPECT_LT(net.now - shrunk, seconds(16));
}

TEST_F(WireguardMtuProbingTest, AHopThatGrowsIsFoundByTheNextSearchUpwards) {
  hop = 1400;
  handshake();
  run_until_complete(seconds(30));
  ASSERT_EQ(status()["mtu_probe"]["probed"], 1340);
  hop = 1500;
  run_for(seconds(12), true);  // the raise interval is 10 s; data keeps the session
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1420);
}

TEST_F(WireguardMtuProbingTest, RoamingStartsASearchAgainKeepingWhatHeld) {
  handshake();
  run_for(seconds(2));
  ASSERT_EQ(status()["mtu_probe"]["state"], "complete");
  const auto sent = status()["mtu_probe"]["probes_sent"].get<int>();
  b.address = *Endpoint::parse("127.0.1.3:51821");  // b moves; a learns it from b's next packet
  b.send_inner(ipv4_packet("10.0.0.2", "10.0.0.1", 10));
  net.pump();
  ASSERT_EQ(peer().endpoint, b.address);
  run_for(milliseconds(10));
  EXPECT_NE(status()["mtu_probe"]["state"], "complete");
  EXPECT_EQ(status()["mtu_probe"]["probed"], 1420) << "held while the new path is searched";
  run_for(seconds(2));
  EXPECT_EQ(status()["mtu_probe"]["state"], "complete");
  EXPECT_GT(status()["mtu_probe"]["probes_sent"].get<int>(), sent);
}

TEST_F(WireguardMtuProbingTest, OrdinaryPingsAndOtherPacketsFromThePeerPassThrough) {
  handshake();
  run_for(seconds(2));
  std::vector<std::byte> ping(84);
  const std::array<std::byte, 8> data{};
  packet::build_icmp_echo(ping, packet::IcmpEchoKind::kReply, kFar, kOurs, 0x1234, 1, data, 84);
  b.send_inner(ping);
  b.send_inner(ipv4_packet("10.0.0.2", "10.0.0.1", 50));
  net.pump();
  ASSERT_EQ(a.delivered.size(), 2u);
  for (const auto& packet : a.delivered)
    EXPECT_FALSE(probing.take_reply(a.device, b_at_a(), packet, net.now));
}

TEST_F(WireguardMtuProbingTest, APeerWithoutATargetSaysWhyProbingIsOff) {
  ASSERT_TRUE(probing.set_target(a.device, b.public_key, std::nullopt));
  EXPECT_TRUE(probing.empty());
  handshake();
  run_for(seconds(2));
  EXPECT_EQ(probes_sent, 0u);
  EXPECT_EQ(
      status()["mtu_probe"],
      nlohmann::json::parse(R"({"state": "off", "reason": "no mtu_probe_target for this peer"})"));
}

// A run looks only at the peers that are due: none while the peer has no session (its handshake
// brings it back), and one look per confirm interval while a completed search idles, not one per
// run.
TEST_F(WireguardMtuProbingTest, ARunLooksOnlyAtThePeersThatAreDue) {
  run_for(seconds(5));
  EXPECT_EQ(probing.visits(), 1u) << "one look at first; without a session none after";
  EXPECT_EQ(probing.next_deadline(), std::nullopt);
  handshake();
  run_for(seconds(2));
  ASSERT_EQ(status()["mtu_probe"]["state"], "complete");
  const auto before = probing.visits();
  run_for(seconds(7));  // 700 runs, before the next search upwards (10 s)
  EXPECT_LE(probing.visits() - before, 5u);
  EXPECT_GE(probing.visits() - before, 3u) << "a look every 2 s for the session";
}

TEST_F(WireguardMtuProbingTest, ATargetNeedsAnAddressOfItsFamilyToSendFrom) {
  const auto refused = probing.set_target(a.device, b.public_key, *IpAddress::parse("fd00::2"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "no IPv6 address on the interface to send probes to fd00::2 from");
}

}  // namespace
}  // namespace tandem::daemon
