// A client stack and a gateway stack back to back in memory with a fake clock: sessions come up
// with each authentication method, inner packets are routed by address both ways, logins are
// refused for bad passwords or an empty pool, and the client survives loss and gateway restarts.
#include "hybrid/l2tp_stack.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <set>

#include "base/seeded_rng.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::hybrid {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

const Endpoint kGatewayEndpoint{ip("192.0.2.1"), 1701};
const Endpoint kClientEndpoint{ip("192.0.2.2"), 40000};

L2tpStackConfig gateway_config(std::vector<ppp::AuthMethod> auth) {
  L2tpStackConfig c;
  c.role = L2tpRole::kLns;
  c.node.host_name = "gateway";
  c.auth = std::move(auth);
  c.gateway_address = ip("10.77.0.1");
  c.pool_first = ip("10.77.0.10");
  c.pool_last = ip("10.77.0.250");
  c.dns = {ip("10.77.0.1")};
  return c;
}

L2tpStackConfig client_config(std::vector<L2tpCallCredentials> calls) {
  L2tpStackConfig c;
  c.role = L2tpRole::kLac;
  c.node.host_name = "client";
  c.auth = {ppp::AuthMethod::kMsChapV2, ppp::AuthMethod::kChapMd5, ppp::AuthMethod::kPap};
  c.server = kGatewayEndpoint;
  c.calls = std::move(calls);
  return c;
}

struct Side {
  Side(L2tpStackConfig config, std::uint64_t seed)
      : rng(seed), stack(std::make_unique<L2tpStack>(std::move(config), rng)) {}
  SeededRng rng;
  std::unique_ptr<L2tpStack> stack;
  std::vector<L2tpEvent> events;
  std::vector<TimePoint> event_times;
  std::vector<std::vector<std::byte>> tun;
  std::vector<std::size_t> tun_mtu;          // beside tun: the MTU of the session each came from
  std::optional<L2tpInnerRoute> last_route;  // where send_inner() sent the last packet
  std::vector<L2tpProbeReply> probe_replies;
  int count(L2tpEventType t) const {
    int n = 0;
    for (const auto& e : events) n += e.type == t ? 1 : 0;
    return n;
  }
  const L2tpEvent* last(L2tpEventType t) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == t) return &*it;
    return nullptr;
  }
};

// Datagrams in flight, delivered in order unless the filter drops them.
class Pair {
 public:
  Pair(L2tpStackConfig gateway_cfg, L2tpStackConfig client_cfg, std::uint64_t seed = 1)
      : gateway(std::move(gateway_cfg), seed), client(std::move(client_cfg), seed + 7) {}

  void start() {
    L2tpStackOutput out;
    client.stack->start(now, out);
    absorb(client, out);
    pump();
  }

  void absorb(Side& from, L2tpStackOutput& out) {
    const bool to_gateway = &from == &client;
    for (auto& d : out.datagrams) queue.push_back({to_gateway, std::move(d)});
    for (auto& e : out.events) {
      from.events.push_back(e);
      from.event_times.push_back(now);
    }
    for (const ByteView p : out.to_tun) from.tun.emplace_back(p.begin(), p.end());
    from.tun_mtu.insert(from.tun_mtu.end(), out.to_tun_mtu.begin(), out.to_tun_mtu.end());
    for (auto& t : out.auth_requests) pending_auth.push_back(std::move(t));
    for (const auto& r : out.probe_replies) from.probe_replies.push_back(r);
    out.clear();
  }

  void pump() {
    for (int guard = 0; guard < 100000 && (!queue.empty() || !pending_auth.empty()); ++guard) {
      if (!pending_auth.empty()) {
        L2tpAuthTicket t = std::move(pending_auth.front());
        pending_auth.pop_front();
        auto it = users.find(t.request.username);
        const ppp::AuthVerdict v = it == users.end() ? ppp::AuthVerdict{false, "", "unknown user"}
                                                     : ppp::verify_locally(t.request, it->second);
        L2tpStackOutput out;
        const auto fixed = assigned.find(t.request.username);
        const auto fixed6 = assigned6.find(t.request.username);
        gateway.stack->auth_verdict(
            t.ref, v, now, out,
            fixed == assigned.end() ? std::nullopt : std::optional<IpAddress>(fixed->second),
            fixed6 == assigned6.end() ? std::nullopt : std::optional<IpAddress>(fixed6->second));
        absorb(gateway, out);
        continue;
      }
      auto [to_gateway, d] = std::move(queue.front());
      queue.pop_front();
      if (drop && drop(to_gateway, d)) continue;
      last_datagram[to_gateway] = d.bytes;
      Side& to = to_gateway ? gateway : client;
      L2tpStackOutput out;
      to.stack->on_datagram(d.bytes, to_gateway ? kClientEndpoint : kGatewayEndpoint, now, out);
      absorb(to, out);
    }
  }

  void advance(Duration total, Duration step = milliseconds(100)) {
    const TimePoint end = now + total;
    while (now < end) {
      now += step;
      for (Side* s : {&gateway, &client})
        if (s->stack->next_deadline() <= now) {
          L2tpStackOutput out;
          s->stack->on_timer(now, out);
          absorb(*s, out);
        }
      pump();
    }
  }

  // Sends an IPv4 (or IPv6) UDP packet into `from`'s TUN side, its last byte `marker`; returns
  // whether the stack took it.
  bool send_inner(Side& from, const IpAddress& src, const IpAddress& dst, std::uint8_t marker) {
    const bool v4 = src.is_v4();
    const std::size_t size = v4 ? 28 : 48;
    std::vector<std::byte> slot(256);
    Packet p{slot.data(), slot.size(), 64, size, {}};
    auto b = p.bytes();
    std::fill(b.begin(), b.end(), std::byte{0});
    auto* raw = reinterpret_cast<std::uint8_t*>(b.data());
    if (v4) {
      b[0] = std::byte{0x45};
      b[3] = std::byte{28};
      b[8] = std::byte{64};
      b[9] = std::byte{17};
      std::copy(src.data(), src.data() + 4, raw + 12);
      std::copy(dst.data(), dst.data() + 4, raw + 16);
    } else {
      b[0] = std::byte{0x60};
      b[5] = std::byte{8};  // payload length: the UDP header
      b[6] = std::byte{17};
      b[7] = std::byte{64};
      std::copy(src.data(), src.data() + 16, raw + 8);
      std::copy(dst.data(), dst.data() + 16, raw + 24);
    }
    b[size - 1] = std::byte{marker};
    from.last_route = from.stack->on_inner_packet(p);
    if (!from.last_route) return false;
    const auto bytes = p.bytes();
    queue.push_back({&from == &client, {p.endpoint, {bytes.begin(), bytes.end()}}});
    pump();
    return true;
  }

  void replace_gateway(L2tpStackConfig cfg, std::uint64_t seed) {
    gateway.stack = std::make_unique<L2tpStack>(std::move(cfg), gateway.rng);
    gateway.rng = SeededRng(seed);
  }

  TimePoint now{};
  Side gateway;
  Side client;
  std::map<std::string, ppp::LocalCredential> users{
      {"alice", {std::string("correct horse"), std::nullopt}},
      {"bob", {std::string("battery staple"), std::nullopt}},
  };
  // Addresses the gateway hands these users instead of leasing one (a hybrid's accounts).
  std::map<std::string, IpAddress> assigned;
  std::map<std::string, IpAddress> assigned6;
  std::deque<std::pair<bool, l2tp::OutDatagram>> queue;
  std::deque<L2tpAuthTicket> pending_auth;
  std::function<bool(bool to_gateway, const l2tp::OutDatagram&)> drop;
  std::map<bool, std::vector<std::byte>> last_datagram;
};

class EachMethod : public ::testing::TestWithParam<ppp::AuthMethod> {};

TEST_P(EachMethod, BringsUpASessionAndCarriesPacketsBothWays) {
  Pair pair(gateway_config({GetParam()}), client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  ASSERT_EQ(pair.gateway.count(L2tpEventType::kLinkUp), 1);
  const L2tpEvent* up = pair.client.last(L2tpEventType::kLinkUp);
  EXPECT_EQ(up->local, ip("10.77.0.10"));
  EXPECT_EQ(up->remote, ip("10.77.0.1"));
  ASSERT_EQ(up->dns.size(), 1u);
  EXPECT_EQ(up->dns[0], ip("10.77.0.1"));
  const L2tpEvent* auth = pair.gateway.last(L2tpEventType::kAuthenticated);
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->user, "alice");
  EXPECT_EQ(auth->detail, ppp::auth_method_name(GetParam()));
  EXPECT_EQ(pair.gateway.last(L2tpEventType::kLinkUp)->remote, ip("10.77.0.10"));

  ASSERT_TRUE(pair.send_inner(pair.client, ip("10.77.0.10"), ip("10.77.0.1"), 0xa1));
  ASSERT_EQ(pair.gateway.tun.size(), 1u);
  EXPECT_EQ(pair.gateway.tun[0].size(), 28u);
  EXPECT_EQ(pair.gateway.tun[0][27], std::byte{0xa1});
  ASSERT_TRUE(pair.send_inner(pair.gateway, ip("10.77.0.1"), ip("10.77.0.10"), 0xb2));
  ASSERT_EQ(pair.client.tun.size(), 1u);
  EXPECT_EQ(pair.client.tun[0][27], std::byte{0xb2});
}

INSTANTIATE_TEST_SUITE_P(L2tpStack, EachMethod,
                         ::testing::Values(ppp::AuthMethod::kPap, ppp::AuthMethod::kChapMd5,
                                           ppp::AuthMethod::kMsChapV2),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case ppp::AuthMethod::kPap:
                               return std::string("Pap");
                             case ppp::AuthMethod::kChapMd5:
                               return std::string("ChapMd5");
                             default:
                               return std::string("MsChapV2");
                           }
                         });

TEST(L2tpStack, GatewayDropsPacketsFromAnAddressTheClientWasNotGiven) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  // Rewrite the source inside the datagram after the client wrapped it: L2TP 6 + PPP 4 bytes in.
  pair.drop = [&](bool to_gateway, const l2tp::OutDatagram& d) {
    if (!to_gateway || d.bytes.size() != 6 + 4 + 28) return false;
    auto forged = d.bytes;
    forged[6 + 4 + 15] = std::byte{99};
    L2tpStackOutput out;
    pair.gateway.stack->on_datagram(forged, kClientEndpoint, pair.now, out);
    pair.absorb(pair.gateway, out);
    return true;
  };
  ASSERT_TRUE(pair.send_inner(pair.client, ip("10.77.0.10"), ip("10.77.0.1"), 1));
  EXPECT_TRUE(pair.gateway.tun.empty());
  EXPECT_EQ(pair.gateway.stack->stats().spoofed, 1u);
}

TEST(L2tpStack, InnerPacketsWithoutASessionAreCountedNotSent) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  EXPECT_FALSE(pair.send_inner(pair.gateway, ip("10.77.0.1"), ip("10.77.0.77"), 1));
  EXPECT_EQ(pair.gateway.stack->stats().no_route, 1u);
}

TEST(L2tpStack, AClientWithOneSessionSendsWhateverIsRoutedToItAndTheGatewayChecksTheSource) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  // Like pppd's ppp0: the client does not filter sources; the gateway refuses the foreign one.
  EXPECT_TRUE(pair.send_inner(pair.client, ip("10.1.1.1"), ip("10.77.0.1"), 1));
  EXPECT_EQ(pair.client.stack->stats().no_route, 0u);
  EXPECT_EQ(pair.gateway.stack->stats().spoofed, 1u);
  EXPECT_TRUE(pair.gateway.tun.empty());
}

TEST(L2tpStack, AClientWithSeveralSessionsPicksTheSessionBySource) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}, {"bob", "battery staple"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 2);
  EXPECT_FALSE(pair.send_inner(pair.client, ip("10.1.1.1"), ip("10.77.0.1"), 1));
  EXPECT_EQ(pair.client.stack->stats().no_route, 1u);
}

TEST(L2tpStack, ASessionHeldToAProbedMtuCarriesItWithItsPacketsBothWays) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}, {"bob", "battery staple"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.gateway.count(L2tpEventType::kLinkUp), 2);
  std::map<std::string, std::pair<l2tp::SessionRef, IpAddress>> sessions;
  for (const auto& s : pair.gateway.stack->sessions()) sessions[s.user] = {s.ref, *s.remote};
  const auto [alice, alice_address] = sessions.at("alice");
  const auto [bob, bob_address] = sessions.at("bob");
  pair.gateway.stack->hold_session_mtu(alice, 1300);
  // Towards each client: the session it is routed to, and what that session carries.
  ASSERT_TRUE(pair.send_inner(pair.gateway, ip("10.77.0.1"), alice_address, 1));
  EXPECT_EQ(pair.gateway.last_route->ref, alice);
  EXPECT_EQ(pair.gateway.last_route->mtu, 1300u);
  ASSERT_TRUE(pair.send_inner(pair.gateway, ip("10.77.0.1"), bob_address, 2));
  EXPECT_EQ(pair.gateway.last_route->ref, bob);
  EXPECT_EQ(pair.gateway.last_route->mtu, 1400u);  // the MRU
  // From each client: delivered with its session's MTU beside it.
  ASSERT_TRUE(pair.send_inner(pair.client, alice_address, ip("10.77.0.1"), 3));
  ASSERT_TRUE(pair.send_inner(pair.client, bob_address, ip("10.77.0.1"), 4));
  ASSERT_EQ(pair.gateway.tun.size(), 2u);
  EXPECT_EQ(pair.gateway.tun_mtu, (std::vector<std::size_t>{1300, 1400}));
  // Released: the MRU again.
  pair.gateway.stack->hold_session_mtu(alice, std::nullopt);
  ASSERT_TRUE(pair.send_inner(pair.gateway, ip("10.77.0.1"), alice_address, 5));
  EXPECT_EQ(pair.gateway.last_route->mtu, 1400u);
}

TEST(L2tpStack, AnEchoProbeCrossesTheTunnelAtItsSizeAndItsReplyNamesTheSession) {
  auto gateway = gateway_config({ppp::AuthMethod::kMsChapV2});
  gateway.mru = 1500;
  Pair pair(gateway, client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  const auto sessions = pair.client.stack->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].peer_mru, 1500);
  // An inner packet of 28 bytes shows what the session puts in front of one (PPP and L2TP).
  std::vector<std::size_t> to_gateway_sizes;
  pair.drop = [&](bool to_gateway, const l2tp::OutDatagram& d) {
    if (to_gateway) to_gateway_sizes.push_back(d.bytes.size());
    return false;
  };
  ASSERT_TRUE(pair.send_inner(pair.client, *sessions[0].local, ip("10.77.0.1"), 1));
  ASSERT_EQ(to_gateway_sizes.size(), 1u);
  const std::size_t headers = to_gateway_sizes[0] - 28;
  to_gateway_sizes.clear();
  L2tpStackOutput out;
  ASSERT_TRUE(pair.client.stack->send_echo_probe(sessions[0].ref, 9, 1450, pair.now, out));
  EXPECT_FALSE(pair.client.stack->send_echo_probe(sessions[0].ref, 10, 1501, pair.now, out));
  pair.absorb(pair.client, out);
  pair.pump();
  // The probe's datagram is exactly what an IP packet of 1450 bytes would make.
  ASSERT_EQ(to_gateway_sizes.size(), 1u);
  EXPECT_EQ(to_gateway_sizes[0], headers + 1450);
  ASSERT_EQ(pair.client.probe_replies.size(), 1u);
  EXPECT_TRUE(pair.client.probe_replies[0].ref == sessions[0].ref);
  EXPECT_EQ(pair.client.probe_replies[0].reply.probe_id, 9u);
  EXPECT_EQ(pair.client.probe_replies[0].reply.size, 1450u);
}

TEST(L2tpStack, TheGatewayHandsTheAddressItIsGivenInsteadOfLeasingOne) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.assigned.emplace("alice", ip("10.77.0.222"));
  pair.start();
  pair.advance(seconds(3));
  const L2tpEvent* up = pair.client.last(L2tpEventType::kLinkUp);
  ASSERT_NE(up, nullptr);
  ASSERT_TRUE(up->local);
  EXPECT_EQ(*up->local, ip("10.77.0.222"));
  ASSERT_TRUE(pair.send_inner(pair.client, ip("10.77.0.222"), ip("10.77.0.1"), 7));
  ASSERT_EQ(pair.gateway.tun.size(), 1u);
  ASSERT_TRUE(pair.send_inner(pair.gateway, ip("10.77.0.1"), ip("10.77.0.222"), 8));
  ASSERT_EQ(pair.client.tun.size(), 1u);
}

TEST(L2tpStack, WithIpv6OnBothSidesAnAccountsIpv6AddressIsCarriedAndChecked) {
  L2tpStackConfig gateway = gateway_config({ppp::AuthMethod::kMsChapV2});
  L2tpStackConfig client = client_config({{"alice", "correct horse"}});
  gateway.ipv6 = client.ipv6 = true;
  Pair pair(gateway, client);
  pair.assigned.emplace("alice", ip("10.77.0.5"));
  pair.assigned6.emplace("alice", ip("fd77::5"));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  ASSERT_TRUE(pair.send_inner(pair.client, ip("fd77::5"), ip("fd77::1"), 0x61));
  ASSERT_EQ(pair.gateway.tun.size(), 1u);
  EXPECT_EQ(pair.gateway.tun[0].size(), 48u);
  EXPECT_EQ(pair.gateway.tun[0][47], std::byte{0x61});
  ASSERT_TRUE(pair.send_inner(pair.gateway, ip("fd77::1"), ip("fd77::5"), 0x62));
  ASSERT_EQ(pair.client.tun.size(), 1u);
  EXPECT_EQ(pair.client.tun[0][47], std::byte{0x62});
  // Another IPv6 source from the same session is refused, and nothing routes to a stranger.
  EXPECT_TRUE(pair.send_inner(pair.client, ip("fd77::99"), ip("fd77::1"), 0x63));
  EXPECT_EQ(pair.gateway.tun.size(), 1u);
  EXPECT_EQ(pair.gateway.stack->stats().spoofed, 1u);
  EXPECT_FALSE(pair.send_inner(pair.gateway, ip("fd77::1"), ip("fd77::99"), 0x64));
  // IPv4 goes on as before.
  ASSERT_TRUE(pair.send_inner(pair.client, ip("10.77.0.5"), ip("10.77.0.1"), 0x41));
  EXPECT_EQ(pair.gateway.tun.size(), 2u);
}

TEST(L2tpStack, AGatewayWithoutIpv6RefusesIpv6cpAndTheClientKeepsIpv4) {
  L2tpStackConfig client = client_config({{"alice", "correct horse"}});
  client.ipv6 = true;
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}), client);
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  EXPECT_FALSE(pair.send_inner(pair.client, ip("fd77::5"), ip("fd77::1"), 1));
  EXPECT_EQ(pair.client.stack->stats().no_route, 1u);
  EXPECT_TRUE(pair.send_inner(pair.client, ip("10.77.0.10"), ip("10.77.0.1"), 2));
  EXPECT_EQ(pair.gateway.tun.size(), 1u);
}

TEST(L2tpStack, WithoutIpv6AnIpv6PacketIsCountedNotSent) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  EXPECT_FALSE(pair.send_inner(pair.client, ip("fd77::5"), ip("fd77::1"), 1));
  EXPECT_EQ(pair.client.stack->stats().not_ipv4, 1u);
}

TEST(L2tpStack, AWrongPasswordIsRefusedAndRedialledWithGrowingPauses) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}), client_config({{"alice", "wrong"}}));
  pair.start();
  pair.advance(seconds(40));
  EXPECT_EQ(pair.gateway.count(L2tpEventType::kLinkUp), 0);
  EXPECT_EQ(pair.client.count(L2tpEventType::kLinkUp), 0);
  const L2tpEvent* down = pair.client.last(L2tpEventType::kLinkDown);
  ASSERT_NE(down, nullptr);
  EXPECT_NE(down->detail.find("authentication failed"), std::string::npos) << down->detail;
  std::vector<TimePoint> downs;
  for (std::size_t i = 0; i < pair.client.events.size(); ++i)
    if (pair.client.events[i].type == L2tpEventType::kLinkDown)
      downs.push_back(pair.client.event_times[i]);
  ASSERT_GE(downs.size(), 4u) << "the client should keep trying";
  EXPECT_LE(downs.size(), 8u) << "but not hammer the gateway";
  for (std::size_t i = 2; i < downs.size(); ++i)
    EXPECT_GE(downs[i] - downs[i - 1], downs[i - 1] - downs[i - 2]);
}

TEST(L2tpStack, TwoHundredCallsShareOneTunnelWithTheirOwnAddresses) {
  std::vector<L2tpCallCredentials> calls;
  for (int i = 0; i < 200; ++i)
    calls.push_back({i % 2 ? "alice" : "bob", i % 2 ? "correct horse" : "battery staple"});
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}), client_config(calls));
  pair.start();
  pair.advance(seconds(5));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 200);
  ASSERT_EQ(pair.gateway.count(L2tpEventType::kLinkUp), 200);
  EXPECT_EQ(pair.client.stack->node().tunnel_count(), 1u);
  EXPECT_EQ(pair.gateway.stack->node().tunnel_count(), 1u);
  std::set<IpAddress> addresses;
  for (const auto& s : pair.client.stack->sessions()) {
    ASSERT_TRUE(s.up && s.local);
    addresses.insert(*s.local);
  }
  EXPECT_EQ(addresses.size(), 200u);
  // Each gateway-to-client packet reaches the session that owns its destination.
  for (const auto& s : pair.client.stack->sessions()) {
    if (s.ref.session_id % 17 != 0) continue;
    ASSERT_TRUE(pair.send_inner(pair.gateway, ip("10.77.0.1"), *s.local, 7));
    const auto& d = pair.last_datagram[false];
    const auto session_id = static_cast<std::uint16_t>(std::to_integer<unsigned>(d[4]) << 8 |
                                                       std::to_integer<unsigned>(d[5]));
    EXPECT_EQ(session_id, s.ref.session_id);
  }
}

TEST(L2tpStack, AnEmptyPoolRefusesTheLogin) {
  auto gw = gateway_config({ppp::AuthMethod::kMsChapV2});
  gw.pool_last = ip("10.77.0.11");
  std::vector<L2tpCallCredentials> calls(3, {"alice", "correct horse"});
  auto cl = client_config(calls);
  cl.redial = false;
  Pair pair(gw, cl);
  pair.start();
  pair.advance(seconds(5));
  EXPECT_EQ(pair.client.count(L2tpEventType::kLinkUp), 2);
  EXPECT_EQ(pair.gateway.stack->stats().pool_exhausted, 1u);
  const L2tpEvent* down = pair.client.last(L2tpEventType::kLinkDown);
  ASSERT_NE(down, nullptr);
  EXPECT_NE(down->detail.find("no address available"), std::string::npos) << down->detail;
}

TEST(L2tpStack, AClientThatReconnectsKeepsItsAddress) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}, {"bob", "battery staple"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 2);
  std::map<std::string, IpAddress> before;
  for (const auto& s : pair.gateway.stack->sessions()) before[s.user] = *s.remote;

  L2tpStackOutput out;
  pair.client.stack->stop(pair.now, out);
  pair.absorb(pair.client, out);
  pair.pump();
  EXPECT_TRUE(pair.client.stack->done());
  EXPECT_EQ(pair.gateway.count(L2tpEventType::kLinkDown), 2);
  EXPECT_EQ(pair.gateway.count(L2tpEventType::kTunnelDown), 1);
  EXPECT_EQ(pair.gateway.stack->sessions().size(), 0u);

  // A fresh client with the calls in the other order: each user still gets its old address.
  pair.client.stack = std::make_unique<L2tpStack>(
      client_config({{"bob", "battery staple"}, {"alice", "correct horse"}}), pair.client.rng);
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.gateway.count(L2tpEventType::kLinkUp), 4);
  for (const auto& s : pair.gateway.stack->sessions()) EXPECT_EQ(*s.remote, before[s.user]);
}

TEST(L2tpStack, TheClientRedialsAfterTheGatewayRestarts) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  pair.replace_gateway(gateway_config({ppp::AuthMethod::kMsChapV2}), 99);
  // PPP echo (10 s x 5) or the L2TP HELLO notices the silence; then the client dials again.
  pair.advance(seconds(150));
  EXPECT_GE(pair.client.count(L2tpEventType::kLinkDown), 1);
  EXPECT_EQ(pair.client.count(L2tpEventType::kLinkUp), 2);
  EXPECT_EQ(pair.gateway.count(L2tpEventType::kLinkUp), 2);
  ASSERT_TRUE(pair.send_inner(pair.client, ip("10.77.0.10"), ip("10.77.0.1"), 3));
  EXPECT_EQ(pair.gateway.tun.size(), 1u);
}

TEST(L2tpStack, SessionsComeUpThroughLossAndStayUp) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
              client_config({{"alice", "correct horse"}, {"bob", "battery staple"}}), seed);
    SeededRng loss(seed * 31);
    pair.drop = [&](bool, const l2tp::OutDatagram&) { return loss.next_u32() % 100 < 20; };
    pair.start();
    pair.advance(seconds(90));
    pair.drop = nullptr;
    pair.advance(seconds(30));
    std::size_t up = 0;
    for (const auto& s : pair.client.stack->sessions()) up += s.up ? 1 : 0;
    EXPECT_EQ(up, 2u) << "seed " << seed;
    EXPECT_TRUE(pair.send_inner(pair.client, ip("10.77.0.10"), ip("10.77.0.1"), 1) ||
                pair.send_inner(pair.client, ip("10.77.0.11"), ip("10.77.0.1"), 1))
        << "seed " << seed;
  }
}

TEST(L2tpStack, AStoppingGatewayDoesNotTakeBackAClientThatRedials) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  ASSERT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  L2tpStackOutput out;
  pair.gateway.stack->stop(pair.now, out);
  pair.absorb(pair.gateway, out);
  pair.pump();
  // The client dials again after a second; the gateway, still draining, must not answer.
  pair.advance(seconds(10));
  EXPECT_EQ(pair.client.count(L2tpEventType::kLinkUp), 1);
  EXPECT_EQ(pair.gateway.stack->node().tunnel_count(), 0u);
  EXPECT_GE(pair.gateway.stack->node().stats().drops_of(l2tp::DropReason::kUnsolicitedSccrq), 1u);
}

TEST(L2tpStack, StoppingTheGatewayHangsUpEveryClient) {
  Pair pair(gateway_config({ppp::AuthMethod::kMsChapV2}),
            client_config({{"alice", "correct horse"}}));
  pair.start();
  pair.advance(seconds(3));
  L2tpStackOutput out;
  pair.gateway.stack->stop(pair.now, out);
  pair.absorb(pair.gateway, out);
  pair.pump();
  EXPECT_TRUE(pair.gateway.stack->done());
  EXPECT_EQ(pair.client.count(L2tpEventType::kTunnelDown), 1);
  EXPECT_EQ(pair.client.count(L2tpEventType::kLinkDown), 1);
  EXPECT_NE(pair.client.last(L2tpEventType::kLinkDown)->local, std::nullopt);
}

}  // namespace
}  // namespace tandem::hybrid
