// Two L2TP nodes back to back in memory: establishment, authentication, sessions, data, loss,
// duplication, reordering, every teardown path, lost and restarted peers.
#include "l2tp/node.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "l2tp/header.hpp"
#include "l2tp/test_link.hpp"

namespace tandem::l2tp {
namespace {

using namespace std::chrono_literals;
using testing::lac_config;
using testing::Link;
using testing::lns_config;
using testing::Wire;

std::vector<std::byte> frame_of(std::size_t n, std::uint8_t marker) {
  std::vector<std::byte> f(n, std::byte{marker});
  f[0] = std::byte{0xff};
  f[1] = std::byte{0x03};
  return f;
}

std::optional<MessageType> type_of(const Wire& w) {
  auto h = parse_header(w.bytes);
  if (!h || !h->is_control || h->payload.empty()) return std::nullopt;
  auto m = decode_control_message(h->payload, "");
  if (!m) return std::nullopt;
  return m->type;
}

int count_type(const std::vector<Wire>& wires, MessageType t) {
  return static_cast<int>(
      std::count_if(wires.begin(), wires.end(), [&](const Wire& w) { return type_of(w) == t; }));
}

SessionRef lns_session(const Link& link) {
  const Event* up = link.lns.last(EventType::kSessionUp);
  return up != nullptr ? up->ref : SessionRef{};
}

TEST(L2tpNode, EstablishesTunnelAndSessionAndCarriesFramesBothWays) {
  Link link(lac_config(), lns_config());
  const auto tunnel = link.dial();
  ASSERT_NE(tunnel, 0);
  EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 1);
  EXPECT_EQ(link.lns.count(EventType::kTunnelUp), 1);
  EXPECT_EQ(link.lns.node->tunnel_count(), 1u);

  const auto ref = link.call(tunnel);
  EXPECT_EQ(link.lac.count(EventType::kSessionUp), 1);
  ASSERT_EQ(link.lns.count(EventType::kSessionUp), 1);
  const auto far = lns_session(link);

  ASSERT_TRUE(link.send_frame(link.lac, ref, frame_of(100, 0x11)));
  ASSERT_EQ(link.lns.frames.size(), 1u);
  EXPECT_EQ(link.lns.frames[0].first, far);
  EXPECT_EQ(link.lns.frames[0].second, frame_of(100, 0x11));
  ASSERT_TRUE(link.send_frame(link.lns, far, frame_of(1400, 0x22)));
  ASSERT_EQ(link.lac.frames.size(), 1u);
  EXPECT_EQ(link.lac.frames[0].second, frame_of(1400, 0x22));
  // The three-message handshakes: SCCRQ/SCCRP/SCCCN and ICRQ/ICRP/ICCN, each exactly once.
  for (auto t : {MessageType::kSccrq, MessageType::kSccrp, MessageType::kScccn, MessageType::kIcrq,
                 MessageType::kIcrp, MessageType::kIccn})
    EXPECT_EQ(count_type(link.all_sent, t), 1) << message_type_name(t);
}

TEST(L2tpNode, SessionRequestedBeforeTunnelIsUpIsPlacedOnceItIs) {
  Link link(lac_config(), lns_config());
  link.filter = [](const Wire&) { return false; };
  const auto tunnel = link.dial();
  const auto ref = link.call(tunnel);
  EXPECT_EQ(link.lac.count(EventType::kSessionUp), 0);
  link.filter = nullptr;
  link.advance(2s);  // SCCRQ retransmitted
  EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 1);
  EXPECT_EQ(link.lac.count(EventType::kSessionUp), 1);
  EXPECT_TRUE(link.send_frame(link.lac, ref, frame_of(60, 1)));
  EXPECT_EQ(link.lns.frames.size(), 1u);
}

TEST(L2tpNode, TunnelAuthenticationWithSharedSecretSucceeds) {
  Link link(lac_config("s3cret"), lns_config("s3cret"));
  link.dial();
  EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 1);
  EXPECT_EQ(link.lns.count(EventType::kTunnelUp), 1);
}

TEST(L2tpNode, TunnelAuthenticationFailuresAreRefusedWithNotAuthorized) {
  // Different secrets; only the LAC has one (it challenges, the LNS cannot answer); only the
  // LNS has one (it challenges, the LAC cannot answer).
  const std::pair<std::string, std::string> cases[] = {
      {"right", "wrong"}, {"only-lac-has-it", ""}, {"", "only-lns-has-it"}};
  for (const auto& [lac_secret, lns_secret] : cases) {
    Link link(lac_config(lac_secret), lns_config(lns_secret));
    link.dial();
    link.advance(1s);
    EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 0) << lac_secret << "/" << lns_secret;
    EXPECT_EQ(link.lns.count(EventType::kTunnelUp), 0) << lac_secret << "/" << lns_secret;
    const Event* down = link.lac.last(EventType::kTunnelDown);
    ASSERT_NE(down, nullptr);
    EXPECT_EQ(down->result_code, static_cast<std::uint16_t>(StopCcnResult::kNotAuthorized));
    link.advance(40s);
    EXPECT_EQ(link.lac.node->tunnel_count(), 0u);
    EXPECT_EQ(link.lns.node->tunnel_count(), 0u);
  }
}

TEST(L2tpNode, HiddenAvpsAreConcealedOnTheWireAndUnderstoodByThePeer) {
  auto lac = lac_config("hide-me");
  lac.hidden_avps = {AvpType::kAssignedSessionId, AvpType::kCallSerialNumber};
  Link link(std::move(lac), lns_config("hide-me"));
  const auto ref = link.call(link.dial());
  EXPECT_EQ(link.lns.count(EventType::kSessionUp), 1);
  // Without the secret, the ICRQ cannot be decoded: its session id is hidden.
  bool saw_hidden_icrq = false;
  for (const auto& w : link.all_sent) {
    auto h = parse_header(w.bytes);
    if (!h || !h->is_control || h->payload.empty()) continue;
    auto with = decode_control_message(h->payload, "hide-me");
    if (!with || with->type != MessageType::kIcrq) continue;
    EXPECT_EQ(with->assigned_session_id, ref.session_id);
    auto without = decode_control_message(h->payload, "");
    ASSERT_FALSE(without.ok());
    EXPECT_EQ(without.error().error, MessageError::kHiddenWithoutSecret);
    saw_hidden_icrq = true;
  }
  EXPECT_TRUE(saw_hidden_icrq);
}

TEST(L2tpNode, TwoHundredSessionsOnOneTunnelEachCarryTheirOwnFrames) {
  Link link(lac_config(), lns_config());
  const auto tunnel = link.dial();
  std::vector<SessionRef> refs;
  for (int i = 0; i < 200; ++i) refs.push_back(link.call(tunnel));
  ASSERT_EQ(link.lac.count(EventType::kSessionUp), 200);
  ASSERT_EQ(link.lns.count(EventType::kSessionUp), 200);
  ASSERT_EQ(link.lac.node->tunnel(tunnel)->sessions().size(), 200u);
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(link.send_frame(link.lac, refs[static_cast<std::size_t>(i)],
                                frame_of(40, static_cast<std::uint8_t>(i))));
  ASSERT_EQ(link.lns.frames.size(), 200u);
  std::set<SessionRef> distinct;
  for (const auto& [ref, bytes] : link.lns.frames) distinct.insert(ref);
  EXPECT_EQ(distinct.size(), 200u);
  // The LNS never had more than the window outstanding: nothing was retransmitted.
  EXPECT_EQ(link.lac.node->tunnel(tunnel)->channel_stats().retransmitted, 0u);
}

TEST(L2tpNode, SurvivesRandomLossDuplicationAndReordering) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    // At 30% loss a message fails six times in a row about once in 1,400 tries, and the RFC
    // answer to that is a dead tunnel; allow more retransmissions so the test is about recovery.
    auto lac = lac_config("k");
    auto lns = lns_config("k");
    lac.channel.max_retransmissions = lns.channel.max_retransmissions = 12;
    Link link(std::move(lac), std::move(lns), seed);
    std::mt19937 loss(static_cast<unsigned>(seed));
    link.filter = [&](const Wire&) { return loss() % 100 >= 30; };  // 30% loss
    link.duplicate_all = seed % 2 == 0;
    link.reverse = seed % 3 == 0;
    const auto tunnel = link.dial();
    std::vector<SessionRef> refs;
    for (int i = 0; i < 10; ++i) refs.push_back(link.call(tunnel));
    link.advance(120s);
    EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 1) << "seed " << seed;
    EXPECT_EQ(link.lns.count(EventType::kTunnelUp), 1) << "seed " << seed;
    EXPECT_EQ(link.lac.count(EventType::kSessionUp), 10) << "seed " << seed;
    EXPECT_EQ(link.lns.count(EventType::kSessionUp), 10) << "seed " << seed;
    EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 0) << "seed " << seed;
    EXPECT_EQ(link.lns.node->tunnel_count(), 1u) << "seed " << seed;
  }
}

TEST(L2tpNode, RetransmitsSccrqWithExponentialBackoffThenGivesUp) {
  Link link(lac_config(), lns_config());
  link.filter = [](const Wire&) { return false; };
  const TimePoint start = link.now;
  link.dial();
  link.advance(60s, 10ms);
  std::vector<TimePoint> sent;
  for (const auto& w : link.all_sent)
    if (type_of(w) == MessageType::kSccrq) sent.push_back(w.at);
  ASSERT_EQ(sent.size(), 1u + kDefaultMaxRetransmissions);
  EXPECT_EQ(sent[0], start);
  // 1, 2, 4, 8 seconds, then capped at 8 (5.8).
  const std::vector<Duration> expected = {1s, 2s, 4s, 8s, 8s};
  for (std::size_t i = 1; i < sent.size(); ++i)
    EXPECT_EQ(sent[i] - sent[i - 1], expected[i - 1]) << "retransmission " << i;
  const Event* down = link.lac.last(EventType::kTunnelDown);
  ASSERT_NE(down, nullptr);
  EXPECT_NE(down->reason.find("acknowledging"), std::string::npos);
  EXPECT_EQ(link.lac.node->tunnel_count(), 0u);
}

TEST(L2tpNode, LacClosingSessionSendsCdnAndBothSidesForgetIt) {
  Link link(lac_config(), lns_config());
  const auto tunnel = link.dial();
  const auto ref = link.call(tunnel);
  link.close_session(link.lac, ref, CdnResult::kAdministrative, "user hung up");
  EXPECT_EQ(link.lac.count(EventType::kSessionDown), 1);
  ASSERT_EQ(link.lns.count(EventType::kSessionDown), 1);
  EXPECT_EQ(link.lns.last(EventType::kSessionDown)->result_code,
            static_cast<std::uint16_t>(CdnResult::kAdministrative));
  EXPECT_TRUE(link.lns.node->tunnel(lns_session(link).tunnel_id)->sessions().empty());
  EXPECT_FALSE(link.send_frame(link.lac, ref, frame_of(40, 1)));
  // The tunnel stays up and takes a new call.
  link.call(tunnel);
  EXPECT_EQ(link.lns.count(EventType::kSessionUp), 2);
}

TEST(L2tpNode, LnsClosingSessionSendsCdn) {
  Link link(lac_config(), lns_config());
  link.call(link.dial());
  link.close_session(link.lns, lns_session(link), CdnResult::kAdministrative, "kicked");
  ASSERT_EQ(link.lac.count(EventType::kSessionDown), 1);
  EXPECT_NE(link.lac.last(EventType::kSessionDown)->reason.find("kicked"), std::string::npos);
}

TEST(L2tpNode, StopCcnFromLacTearsDownTunnelAndItsSessionsOnBothSides) {
  Link link(lac_config(), lns_config());
  const auto tunnel = link.dial();
  link.call(tunnel);
  link.call(tunnel);
  link.close_tunnel(link.lac, tunnel, StopCcnResult::kGeneralRequest, "shutdown");
  EXPECT_EQ(link.lac.count(EventType::kSessionDown), 2);
  EXPECT_EQ(link.lac.count(EventType::kTunnelDown), 1);
  EXPECT_EQ(link.lns.count(EventType::kSessionDown), 2);
  EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 1);
  // The closer forgets the tunnel once its StopCCN is acknowledged; the other side lingers to
  // acknowledge retransmissions, then forgets it too.
  EXPECT_EQ(link.lac.node->tunnel_count(), 0u);
  EXPECT_EQ(link.lns.node->tunnel_count(), 1u);
  link.advance(kStopCcnLinger + 1s);
  EXPECT_EQ(link.lns.node->tunnel_count(), 0u);
}

TEST(L2tpNode, StopCcnFromLnsIsRetransmittedUntilAcknowledged) {
  Link link(lac_config(), lns_config());
  link.dial();
  int dropped = 0;
  link.filter = [&](const Wire& w) {
    return !(type_of(w) == MessageType::kStopCcn && dropped++ < 2);
  };
  const auto lns_tunnel = link.lns.last(EventType::kTunnelUp)->ref.tunnel_id;
  link.close_tunnel(link.lns, lns_tunnel, StopCcnResult::kShuttingDown, "restart");
  EXPECT_EQ(link.lac.count(EventType::kTunnelDown), 0);
  link.advance(5s);
  ASSERT_EQ(link.lac.count(EventType::kTunnelDown), 1);
  EXPECT_EQ(link.lac.last(EventType::kTunnelDown)->result_code,
            static_cast<std::uint16_t>(StopCcnResult::kShuttingDown));
  EXPECT_EQ(link.lns.node->tunnel_count(), 0u);
}

TEST(L2tpNode, LostPeerIsDetectedByHelloAndCleanedUp) {
  Link link(lac_config(), lns_config());
  link.call(link.dial());
  link.filter = [](const Wire&) { return false; };  // the LAC vanishes
  link.advance(kHelloInterval + 40s, 500ms);
  EXPECT_GE(count_type(link.all_sent, MessageType::kHello), 2);
  EXPECT_EQ(link.lns.count(EventType::kSessionDown), 1);
  EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 1);
  EXPECT_EQ(link.lns.node->tunnel_count(), 0u);
}

TEST(L2tpNode, IdleButHealthyTunnelExchangesHellosAndStaysUp) {
  Link link(lac_config(), lns_config());
  link.call(link.dial());
  link.advance(10min, 1s);
  EXPECT_GE(count_type(link.all_sent, MessageType::kHello), 9);
  EXPECT_EQ(link.lac.count(EventType::kTunnelDown), 0);
  EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 0);
}

TEST(L2tpNode, RestartedLacIsDetectedAndItsStaleTunnelReaped) {
  Link link(lac_config(), lns_config());
  link.call(link.dial());
  // The LAC restarts: a fresh node at the same address with no memory of the tunnel.
  link.lac.restart(99);
  link.call(link.dial());
  EXPECT_EQ(link.lns.count(EventType::kTunnelUp), 2);
  EXPECT_EQ(link.lns.node->tunnel_count(), 2u);
  // The old tunnel was probed at once; the restarted LAC ignores it, so it dies within one
  // retransmission cycle instead of after a HELLO interval.
  link.advance(35s);
  EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 1);
  EXPECT_EQ(link.lns.node->tunnel_count(), 1u);
  EXPECT_EQ(link.lac.count(EventType::kSessionUp), 1);
}

TEST(L2tpNode, RestartedLacOnANewPortIsDetectedToo) {
  Link link(lac_config(), lns_config());
  link.call(link.dial());
  link.lac.restart(99, 40000);
  link.call(link.dial());
  EXPECT_EQ(link.lns.node->tunnel_count(), 2u);
  link.advance(35s);
  EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 1);
  EXPECT_EQ(link.lns.node->tunnel_count(), 1u);
  EXPECT_EQ(link.lac.count(EventType::kSessionUp), 1);
}

TEST(L2tpNode, LostSccrpDoesNotCreateASecondTunnel) {
  Link link(lac_config(), lns_config());
  int dropped = 0;
  link.filter = [&](const Wire& w) {
    return !(type_of(w) == MessageType::kSccrp && dropped++ < 1);
  };
  link.dial();
  link.advance(3s);
  EXPECT_EQ(link.lns.node->tunnel_count(), 1u);
  EXPECT_EQ(link.lns.count(EventType::kTunnelUp), 1);
  EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 1);
}

TEST(L2tpNode, RedialAfterTeardownWorks) {
  Link link(lac_config(), lns_config());
  for (int round = 0; round < 3; ++round) {
    const auto tunnel = link.dial();
    const auto ref = link.call(tunnel);
    ASSERT_TRUE(link.send_frame(link.lac, ref, frame_of(50, 7))) << round;
    link.close_tunnel(link.lac, tunnel, StopCcnResult::kGeneralRequest, "bye");
  }
  EXPECT_EQ(link.lns.count(EventType::kSessionUp), 3);
  EXPECT_EQ(link.lns.count(EventType::kTunnelDown), 3);
  EXPECT_EQ(link.lns.frames.size(), 3u);
}

TEST(L2tpNode, DataFromAnotherSourceOrForUnknownSessionIsDroppedAndCounted) {
  Link link(lac_config(), lns_config());
  const auto ref = link.call(link.dial());
  ASSERT_TRUE(link.send_frame(link.lac, ref, frame_of(50, 7)));
  const Wire data = link.all_sent.back();
  Actions actions;
  link.lns.node->on_datagram(data.bytes, *Endpoint::parse("10.0.0.9:1701"), link.now, actions);
  EXPECT_EQ(link.lns.node->stats().drops_of(DropReason::kWrongSource), 1u);
  auto forged = data.bytes;
  forged[4] ^= std::byte{0xff};  // another session id
  link.lns.node->on_datagram(forged, data.from, link.now, actions);
  EXPECT_EQ(link.lns.node->stats().drops_of(DropReason::kUnknownSession), 1u);
  EXPECT_TRUE(actions.frames.empty());
}

TEST(L2tpNode, LacIgnoresUnsolicitedSccrq) {
  Link link(lac_config(), lns_config());
  link.dial();
  const Wire sccrq = link.all_sent.front();
  Actions actions;
  link.lac.node->on_datagram(sccrq.bytes, *Endpoint::parse("10.0.0.3:1701"), link.now, actions);
  EXPECT_EQ(link.lac.node->stats().drops_of(DropReason::kUnsolicitedSccrq), 1u);
  EXPECT_TRUE(actions.datagrams.empty());
}

TEST(L2tpNode, LnsAnsweringFromAnotherPortIsFollowed) {
  Link link(lac_config(), lns_config());
  // The LNS's replies appear to come from port 40000 (8.1).
  link.lns.address = *Endpoint::parse("10.0.0.2:40000");
  Actions actions;
  auto tunnel = link.lac.node->open_tunnel(*Endpoint::parse("10.0.0.2:1701"), link.now, actions);
  ASSERT_TRUE(tunnel.ok());
  for (auto& d : actions.datagrams) d.to = link.lns.address;
  link.absorb(link.lac, actions);
  link.pump();
  EXPECT_EQ(link.lac.count(EventType::kTunnelUp), 1);
  EXPECT_EQ(link.lac.node->tunnel(*tunnel)->peer(), link.lns.address);
}

}  // namespace
}  // namespace tandem::l2tp
