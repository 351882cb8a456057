// Two PPP links back to back: LCP, every authentication method in both outcomes, IPCP with DNS,
// IPV6CP, data, echo liveness, loss, and teardown.
#include "ppp/link.hpp"

#include <gtest/gtest.h>

#include <random>

#include "ppp/test_pair.hpp"

namespace tandem::ppp {
namespace {

using namespace std::chrono_literals;
using testing::client_config;
using testing::gateway_config;
using testing::Pair;

const std::vector<AuthMethod> kAll = {AuthMethod::kMsChapV2, AuthMethod::kChapMd5,
                                      AuthMethod::kPap};

Pair make_pair(AuthMethod method, const std::string& password, std::uint64_t seed = 1) {
  Pair p(gateway_config({method}), client_config(kAll, "alice", password), seed);
  p.users["alice"] = LocalCredential{std::string("wonderland"), std::nullopt};
  return p;
}

std::vector<std::byte> ipv4_packet(std::uint8_t marker) {
  std::vector<std::byte> p(40, std::byte{marker});
  p[0] = std::byte{0x45};
  return p;
}

void expect_up(const Pair& p) {
  EXPECT_TRUE(p.gateway.link->ipcp_open());
  EXPECT_TRUE(p.client.link->ipcp_open());
  EXPECT_EQ(p.client.link->ipcp().our_address(), IpAddress::parse("10.9.0.77")->v4_u32());
  EXPECT_EQ(p.client.link->ipcp().peer_address(), IpAddress::parse("10.9.0.1")->v4_u32());
  EXPECT_EQ(p.client.link->ipcp().primary_dns(), IpAddress::parse("10.9.0.53")->v4_u32());
  EXPECT_EQ(p.client.link->ipcp().secondary_dns(), IpAddress::parse("10.9.0.54")->v4_u32());
  EXPECT_EQ(p.gateway.link->ipcp().peer_address(), IpAddress::parse("10.9.0.77")->v4_u32());
}

class EachMethod : public ::testing::TestWithParam<AuthMethod> {};

TEST_P(EachMethod, AuthenticatesAssignsAddressAndDnsAndCarriesPackets) {
  auto p = make_pair(GetParam(), "wonderland");
  p.start();
  ASSERT_EQ(p.gateway.count(LinkEventType::kAuthenticated), 1) << auth_method_name(GetParam());
  EXPECT_EQ(p.gateway.last(LinkEventType::kAuthenticated)->detail, "alice");
  EXPECT_EQ(p.gateway.link->lcp().we_authenticate_with(), GetParam());
  expect_up(p);
  EXPECT_EQ(p.client.count(LinkEventType::kIpcpUp), 1);
  EXPECT_EQ(p.client.count(LinkEventType::kIpv6cpUp), 1);
  EXPECT_NE(p.client.link->ipv6cp().our_identifier(), p.client.link->ipv6cp().peer_identifier());
  ASSERT_TRUE(p.send_ipv4(p.client, ipv4_packet(1)));
  ASSERT_TRUE(p.send_ipv4(p.gateway, ipv4_packet(2)));
  ASSERT_EQ(p.gateway.ipv4.size(), 1u);
  EXPECT_EQ(p.gateway.ipv4[0], ipv4_packet(1));
  ASSERT_EQ(p.client.ipv4.size(), 1u);
  EXPECT_EQ(p.client.ipv4[0], ipv4_packet(2));
}

TEST_P(EachMethod, WrongPasswordIsRefusedAndTheLinkGoesDown) {
  auto p = make_pair(GetParam(), "looking-glass");
  p.start();
  p.advance(10s);
  EXPECT_EQ(p.gateway.count(LinkEventType::kAuthenticated), 0);
  EXPECT_FALSE(p.gateway.link->ipcp_open());
  ASSERT_EQ(p.client.count(LinkEventType::kDown), 1);
  ASSERT_EQ(p.gateway.count(LinkEventType::kDown), 1);
  EXPECT_NE(p.gateway.last(LinkEventType::kDown)->detail.find("authentication failed"),
            std::string::npos);
  EXPECT_FALSE(p.send_ipv4(p.client, ipv4_packet(1)));
}

TEST(PppLink, PapClientHearsWhyItWasRefused) {
  auto p = make_pair(AuthMethod::kPap, "looking-glass");
  p.start();
  p.advance(10s);
  ASSERT_EQ(p.client.count(LinkEventType::kDown), 1);
  const std::string detail = p.client.last(LinkEventType::kDown)->detail;
  // The Nak's Message (RFC 1334 2.2.2) after the refusal itself.
  EXPECT_NE(detail.find("authenticator refused our PAP credentials: " + std::string(kBadPassword)),
            std::string::npos)
      << detail;
}

std::string method_test_name(const ::testing::TestParamInfo<AuthMethod>& param) {
  switch (param.param) {
    case AuthMethod::kPap:
      return "Pap";
    case AuthMethod::kChapMd5:
      return "ChapMd5";
    case AuthMethod::kMsChapV2:
      return "MsChapV2";
    default:
      return "None";
  }
}

INSTANTIATE_TEST_SUITE_P(Ppp, EachMethod,
                         ::testing::Values(AuthMethod::kPap, AuthMethod::kChapMd5,
                                           AuthMethod::kMsChapV2),
                         method_test_name);

TEST(PppLink, UserStoredOnlyAsNtHashLogsInWithMsChapV2AndPap) {
  for (auto method : {AuthMethod::kMsChapV2, AuthMethod::kPap}) {
    Pair p(gateway_config({method}), client_config(kAll, "bob", "p\xc3\xa4ss"));
    p.users["bob"] = LocalCredential{std::nullopt, crypto::nt_password_hash("p\xc3\xa4ss")};
    p.start();
    EXPECT_EQ(p.gateway.count(LinkEventType::kAuthenticated), 1) << auth_method_name(method);
    EXPECT_TRUE(p.client.link->ipcp_open());
  }
}

TEST(PppLink, GatewayFallsBackToAMethodTheClientAllows) {
  Pair p(gateway_config(kAll), client_config({AuthMethod::kPap}, "alice", "wonderland"));
  p.users["alice"] = LocalCredential{std::string("wonderland"), std::nullopt};
  p.start();
  EXPECT_EQ(p.gateway.link->lcp().we_authenticate_with(), AuthMethod::kPap);
  EXPECT_TRUE(p.client.link->ipcp_open());
}

TEST(PppLink, ClientAllowingNoDemandedMethodIsRefused) {
  Pair p(gateway_config({AuthMethod::kMsChapV2}),
         client_config({AuthMethod::kPap}, "alice", "wonderland"));
  p.start();
  p.advance(40s);
  EXPECT_FALSE(p.gateway.link->ipcp_open());
  ASSERT_EQ(p.gateway.count(LinkEventType::kDown), 1);
  EXPECT_NE(p.gateway.last(LinkEventType::kDown)->detail.find("refused every authentication"),
            std::string::npos);
}

TEST(PppLink, ServerThatDoesNotKnowThePasswordFailsMutualMsChapV2) {
  // An impostor gateway accepts anyone and invents an authenticator response.
  Pair q(gateway_config({AuthMethod::kMsChapV2}), client_config(kAll, "alice", "wonderland"));
  q.users.clear();
  q.start_without_delivery();
  // Deliver frames by hand, answering the auth request with a bogus "S=" value.
  for (int i = 0; i < 200 && !q.queue.empty(); ++i) {
    auto [to, frame] = std::move(q.queue.front());
    q.queue.erase(q.queue.begin());
    auto& from = to == &q.gateway ? q.client : q.gateway;
    LinkOutput o;
    to->link->on_frame(frame, q.now, o);
    q.absorb(*to, from, o);
    if (!q.pending_auth.empty()) {
      q.pending_auth.clear();
      LinkOutput v;
      q.gateway.link->auth_verdict({true, "S=0000000000000000000000000000000000000000", ""}, q.now,
                                   v);
      q.absorb(q.gateway, q.client, v);
    }
  }
  ASSERT_GE(q.client.count(LinkEventType::kDown), 1);
  EXPECT_NE(q.client.last(LinkEventType::kDown)->detail.find("does not know our password"),
            std::string::npos);
  EXPECT_FALSE(q.client.link->ipcp_open());
}

TEST(PppLink, LostChapSuccessIsRecoveredByResendingTheResponseAfterTheRestartTimer) {
  for (auto method : {AuthMethod::kChapMd5, AuthMethod::kMsChapV2}) {
    auto p = make_pair(method, "wonderland");
    std::vector<TimePoint> responses;
    const auto is_chap = [](const std::vector<std::byte>& f, ChapCode code) {
      const auto frame = parse_frame(f);
      const auto packet = frame ? parse_control_packet(frame->information) : std::nullopt;
      return frame && frame->protocol == static_cast<std::uint16_t>(Protocol::kChap) && packet &&
             packet->code == static_cast<std::uint8_t>(code);
    };
    p.tap = [&](const testing::End&, const std::vector<std::byte>& f) {
      if (is_chap(f, ChapCode::kResponse)) responses.push_back(p.now);
    };
    bool dropped = false;
    p.filter = [&](const std::vector<std::byte>& f) {
      if (dropped || !is_chap(f, ChapCode::kSuccess)) return true;
      dropped = true;
      return false;
    };
    const TimePoint start = p.now;
    p.start();
    EXPECT_FALSE(p.client.link->ipcp_open());
    p.advance(10s);
    EXPECT_TRUE(p.client.link->ipcp_open()) << auth_method_name(method);
    // One response at once, one more after the 3 s restart timer: not a burst.
    ASSERT_EQ(responses.size(), 2u) << auth_method_name(method);
    EXPECT_EQ(responses[0], start);
    EXPECT_GE(responses[1] - responses[0], kRestartTimer);
  }
}

TEST(PppLink, NegotiatesThroughRandomLoss) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    // Echo liveness is tested on its own: at 25% loss it would rightly call some links dead.
    auto gateway = gateway_config({AuthMethod::kMsChapV2});
    auto client = client_config(kAll, "alice", "wonderland");
    gateway.echo_failures = client.echo_failures = 1000;
    Pair p(gateway, client, seed);
    p.users["alice"] = LocalCredential{std::string("wonderland"), std::nullopt};
    std::mt19937 loss(static_cast<unsigned>(seed));
    p.filter = [&](const std::vector<std::byte>&) { return loss() % 100 >= 25; };
    p.start();
    // Every loss costs a 3 s restart timer, and a lost Configure-Ack after Opened renegotiates.
    p.advance(120s);
    EXPECT_TRUE(p.client.link->ipcp_open()) << "seed " << seed;
    EXPECT_TRUE(p.gateway.link->ipcp_open()) << "seed " << seed;
  }
}

TEST(PppLink, EchoKeepsAHealthyLinkUpAndDetectsADeadPeer) {
  auto p = make_pair(AuthMethod::kChapMd5, "wonderland");
  p.start();
  p.advance(60s);
  EXPECT_GE(p.client.link->stats().echo_requests_sent, 5u);
  EXPECT_EQ(p.client.count(LinkEventType::kDown), 0);
  p.filter = [](const std::vector<std::byte>&) { return false; };
  p.advance(90s);
  ASSERT_EQ(p.client.count(LinkEventType::kDown), 1);
  EXPECT_NE(p.client.last(LinkEventType::kDown)->detail.find("LCP echo"), std::string::npos);
}

TEST(PppLink, TerminateFromEitherSideTakesBothDown) {
  for (bool gateway_stops : {true, false}) {
    auto p = make_pair(AuthMethod::kPap, "wonderland");
    p.start();
    ASSERT_TRUE(p.client.link->ipcp_open());
    auto& stopper = gateway_stops ? p.gateway : p.client;
    LinkOutput out;
    stopper.link->stop("administrative", p.now, out);
    p.absorb(stopper, gateway_stops ? p.client : p.gateway, out);
    p.pump();
    p.advance(5s);
    EXPECT_EQ(p.gateway.count(LinkEventType::kDown), 1);
    EXPECT_EQ(p.client.count(LinkEventType::kDown), 1);
    EXPECT_FALSE(p.client.link->ipcp_open());
  }
}

TEST(PppLink, UnknownProtocolIsProtocolRejectedOnceLcpIsOpen) {
  auto p = make_pair(AuthMethod::kPap, "wonderland");
  p.start();
  std::vector<std::byte> frame = {std::byte{0xff}, std::byte{0x03}, std::byte{0x80},
                                  std::byte{0xfd}, std::byte{1},    std::byte{1},
                                  std::byte{0},    std::byte{4}};  // CCP, which we do not speak
  LinkOutput out;
  p.gateway.link->on_frame(frame, p.now, out);
  ASSERT_EQ(out.frames.size(), 1u);
  auto f = parse_frame(out.frames[0]);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->protocol, static_cast<std::uint16_t>(Protocol::kLcp));
  auto c = parse_control_packet(f->information);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, static_cast<std::uint8_t>(Code::kProtocolReject));
  EXPECT_EQ(load_be16(c->data.data()), 0x80fd);
}

TEST(PppLink, PeerWithoutIpv6RejectsIpv6cpAndIpv4StillWorks) {
  auto client = client_config(kAll, "alice", "wonderland");
  client.ipv6 = false;
  Pair p(gateway_config({AuthMethod::kPap}), client);
  p.users["alice"] = LocalCredential{std::string("wonderland"), std::nullopt};
  p.start();
  p.advance(5s);
  EXPECT_TRUE(p.client.link->ipcp_open());
  EXPECT_FALSE(p.gateway.link->ipv6cp_open());
  EXPECT_EQ(p.gateway.count(LinkEventType::kDown), 0);
  EXPECT_TRUE(p.send_ipv4(p.client, ipv4_packet(3)));
}

TEST(PppLink, ALostIpcpAckRenegotiatesAndSaysSoWithIpcpDown) {
  // The first IPCP Configure-Ack is lost: one end opens, the other sends its request again,
  // which takes the open end back to negotiating (RFC 1661: Opened + RCR). That end must say
  // IPCP went down, so that nobody counts it as carrying packets until it is up again.
  Pair p = make_pair(AuthMethod::kPap, "wonderland");
  bool dropped = false;
  p.filter = [&](const std::vector<std::byte>& f) {
    const auto at = [&](std::size_t i) { return std::to_integer<unsigned>(f[i]); };
    const bool ipcp_ack =
        f.size() > 4 && at(0) == 0xff && at(2) == 0x80 && at(3) == 0x21 && at(4) == 2;
    if (ipcp_ack && !dropped) {
      dropped = true;
      return false;
    }
    return true;
  };
  p.start();
  p.advance(10s);
  ASSERT_TRUE(dropped);
  const int downs =
      p.gateway.count(LinkEventType::kIpcpDown) + p.client.count(LinkEventType::kIpcpDown);
  EXPECT_GE(downs, 1);
  expect_up(p);
  for (const auto* end : {&p.gateway, &p.client}) {
    // Every down is followed by an up: the last IPCP event is an up.
    LinkEventType last = LinkEventType::kDown;
    for (const auto& e : end->events)
      if (e.type == LinkEventType::kIpcpUp || e.type == LinkEventType::kIpcpDown) last = e.type;
    EXPECT_EQ(last, LinkEventType::kIpcpUp);
  }
  EXPECT_TRUE(p.send_ipv4(p.client, ipv4_packet(4)));
}

TEST(PppLink, NcpPacketsBeforeTheNetworkPhaseAreDiscarded) {
  Pair p(gateway_config({AuthMethod::kPap}), client_config(kAll, "alice", "wonderland"));
  // No users answer: the gateway waits in the authentication phase.
  p.users.clear();
  p.start_without_delivery();
  p.pending_auth.clear();
  const auto early = build_control_frame(Protocol::kIpcp, 1, 1, {});
  LinkOutput o;
  p.gateway.link->on_frame(early, p.now, o);
  EXPECT_TRUE(o.frames.empty());
  EXPECT_GE(p.gateway.link->stats().discarded_before_open, 1u);
}

}  // namespace
}  // namespace tandem::ppp
