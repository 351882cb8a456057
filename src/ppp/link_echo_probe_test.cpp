// Path MTU probes as LCP Echo-Requests with data (RFC 1661 section 5.8), two links back to back:
// the frame has the size asked for, a Tandem peer echoes it whole, replies come back with the
// probe's id, and probes and liveness echoes never stand in for each other.
#include <gtest/gtest.h>

#include "ppp/link.hpp"
#include "ppp/test_pair.hpp"

namespace tandem::ppp {
namespace {

using namespace std::chrono_literals;
using testing::Pair;

Pair up_pair() {
  LinkConfig gateway = testing::gateway_config({AuthMethod::kPap});
  gateway.mru = 1500;
  LinkConfig client = testing::client_config({AuthMethod::kPap}, "alice", "wonderland");
  client.mru = 1500;
  Pair p(gateway, client);
  p.users["alice"] = LocalCredential{std::string("wonderland"), std::nullopt};
  p.start();
  return p;
}

std::uint8_t lcp_code(const std::vector<std::byte>& frame) {
  const auto f = parse_frame(frame);
  if (!f || f->protocol != static_cast<std::uint16_t>(Protocol::kLcp)) return 0;
  const auto c = parse_control_packet(f->information);
  return c ? c->code : 0;
}

bool is_echo(const std::vector<std::byte>& frame, Code code) {
  return lcp_code(frame) == static_cast<std::uint8_t>(code);
}

TEST(PppEchoProbe, RequestAndReplyCarryTheWholeSizeAskedFor) {
  auto p = up_pair();
  ASSERT_TRUE(p.client.link->ipcp_open());
  std::vector<std::size_t> requests, replies;
  p.tap = [&](const testing::End&, const std::vector<std::byte>& f) {
    const auto frame = parse_frame(f);
    if (!frame) return;
    if (is_echo(f, Code::kEchoRequest)) requests.push_back(frame->information.size());
    if (is_echo(f, Code::kEchoReply)) replies.push_back(frame->information.size());
  };
  ASSERT_TRUE(p.send_echo_probe(p.client, 41, 1400));
  // The information field is the size asked for: what an IP packet of 1400 bytes would fill.
  ASSERT_EQ(requests, std::vector<std::size_t>{1400});
  EXPECT_EQ(replies, std::vector<std::size_t>{1400});
  ASSERT_EQ(p.client.probe_replies.size(), 1u);
  EXPECT_EQ(p.client.probe_replies[0].probe_id, 41u);
  EXPECT_EQ(p.client.probe_replies[0].size, 1400u);
  EXPECT_EQ(p.client.link->stats().echo_probes_sent, 1u);
}

TEST(PppEchoProbe, SizesOutsideTheMagicNumberAndThePeersMruAreRefused) {
  auto p = up_pair();
  EXPECT_FALSE(p.send_echo_probe(p.client, 1, kEchoProbeMinSize - 1));
  EXPECT_FALSE(p.send_echo_probe(p.client, 2, 1501));  // the gateway's MRU is 1500
  EXPECT_TRUE(p.send_echo_probe(p.client, 3, kEchoProbeMinSize));
  EXPECT_TRUE(p.send_echo_probe(p.client, 4, 1500));
  ASSERT_EQ(p.client.probe_replies.size(), 2u);
  EXPECT_EQ(p.client.probe_replies[0].probe_id, 3u);
  EXPECT_EQ(p.client.probe_replies[1].probe_id, 4u);
}

TEST(PppEchoProbe, NotOpenLinkSendsNoProbe) {
  Pair p(testing::gateway_config({AuthMethod::kPap}),
         testing::client_config({AuthMethod::kPap}, "alice", "x"));
  LinkOutput out;
  EXPECT_FALSE(p.client.link->send_echo_probe(1, 100, out));
  EXPECT_TRUE(out.frames.empty());
}

TEST(PppEchoProbe, EachReplyIsMatchedToItsProbeAndReportedOnce) {
  auto p = up_pair();
  // The replies are held back, then delivered out of order and one of them twice.
  std::vector<std::vector<std::byte>> held;
  p.tap = [&](const testing::End&, const std::vector<std::byte>& f) {
    if (is_echo(f, Code::kEchoReply)) held.push_back(f);
  };
  p.filter = [](const std::vector<std::byte>& f) { return !is_echo(f, Code::kEchoReply); };
  ASSERT_TRUE(p.send_echo_probe(p.client, 300, 1300));
  ASSERT_TRUE(p.send_echo_probe(p.client, 400, 1350));
  ASSERT_EQ(held.size(), 2u);
  for (const auto& f : {held[1], held[0], held[1]}) {
    LinkOutput out;
    p.client.link->on_frame(f, p.now, out);
    p.absorb(p.client, p.gateway, out);
  }
  ASSERT_EQ(p.client.probe_replies.size(), 2u);
  EXPECT_EQ(p.client.probe_replies[0].probe_id, 400u);
  EXPECT_EQ(p.client.probe_replies[0].size, 1350u);
  EXPECT_EQ(p.client.probe_replies[1].probe_id, 300u);
}

TEST(PppEchoProbe, LostLargeProbesNeverTakeTheLinkDown) {
  auto p = up_pair();
  // A path that carries nothing over 1000 bytes: every probe above is lost, small echoes pass.
  p.filter = [](const std::vector<std::byte>& f) { return f.size() <= 1000; };
  for (int i = 0; i < 60; ++i) {
    p.send_echo_probe(p.client, static_cast<std::uint32_t>(i), 1400);
    p.advance(5s);
  }
  EXPECT_EQ(p.client.count(LinkEventType::kDown), 0);
  EXPECT_TRUE(p.client.link->ipcp_open());
  EXPECT_TRUE(p.client.probe_replies.empty());
  EXPECT_GE(p.client.link->stats().echo_requests_sent, 25u);
}

TEST(PppEchoProbe, AnsweredProbesDoNotKeepADeadLivenessAlive) {
  auto p = up_pair();
  // Only the probes' replies come back (identifiers of their own): the liveness echoes go
  // unanswered and the link is declared dead as before.
  p.filter = [](const std::vector<std::byte>& f) {
    return !is_echo(f, Code::kEchoReply) || f.size() > 100;
  };
  for (int i = 0; i < 20 && p.client.count(LinkEventType::kDown) == 0; ++i) {
    p.send_echo_probe(p.client, static_cast<std::uint32_t>(i), 1200);
    p.advance(5s);
  }
  EXPECT_GE(p.client.probe_replies.size(), 5u);
  ASSERT_EQ(p.client.count(LinkEventType::kDown), 1);
  EXPECT_NE(p.client.last(LinkEventType::kDown)->detail.find("LCP echo"), std::string::npos);
}

}  // namespace
}  // namespace tandem::ppp
