// The RFC 1661 automaton alone, with a scripted negotiator.
#include "ppp/option_fsm.hpp"

#include <gtest/gtest.h>

namespace tandem::ppp {
namespace {

using namespace std::chrono_literals;

class AcceptAll final : public Negotiator {
 public:
  void reset() override { ++resets; }
  std::vector<std::byte> request() override { return {}; }
  Verdict check(const std::vector<Option>&, std::vector<std::byte>&) override {
    return Verdict::kAck;
  }
  void acked(const std::vector<Option>&) override {}
  void naked(const std::vector<Option>&) override {}
  void rejected(const std::vector<Option>&) override {}
  int resets = 0;
};

// Naks option 3 with a value of its own, whatever the peer asks for.
class AlwaysNak final : public Negotiator {
 public:
  void reset() override {}
  std::vector<std::byte> request() override { return {}; }
  Verdict check(const std::vector<Option>& options, std::vector<std::byte>& reply) override {
    for (const auto& o : options)
      if (o.type == 3) append_option_u32(reply, 3, 0x0a000001);
    return reply.empty() ? Verdict::kAck : Verdict::kNak;
  }
  void acked(const std::vector<Option>&) override {}
  void naked(const std::vector<Option>&) override {}
  void rejected(const std::vector<Option>&) override {}
};

const TimePoint t0{std::chrono::seconds(10)};

ControlPacket packet_of(const std::vector<std::byte>& frame) {
  return *parse_control_packet(parse_frame(frame)->information);
}

// Builds a control packet and hands it to `f`, as if it had arrived.
void deliver(OptionFsm& f, Protocol protocol, std::uint8_t code, std::uint8_t id,
             const std::vector<std::byte>& data, FsmOutput& out) {
  const auto frame = build_control_frame(protocol, code, id, data);
  f.receive(packet_of(frame), t0, out);
}

bool has_signal(const FsmOutput& out, LayerSignal s) {
  for (const auto& [p, sig] : out.signals)
    if (sig == s) return true;
  return false;
}

TEST(OptionFsm, OpensAfterBothConfigureAcks) {
  AcceptAll na, nb;
  OptionFsm a(Protocol::kIpcp, na), b(Protocol::kIpcp, nb);
  FsmOutput oa, ob;
  a.open(t0, oa);
  a.up(t0, oa);
  b.open(t0, ob);
  b.up(t0, ob);
  EXPECT_EQ(a.state(), FsmState::kReqSent);
  // Exchange until quiet.
  for (int i = 0; i < 10; ++i) {
    FsmOutput na_out, nb_out;
    for (auto& f : oa.frames) b.receive(packet_of(f), t0, nb_out);
    for (auto& f : ob.frames) a.receive(packet_of(f), t0, na_out);
    oa = std::move(na_out);
    ob = std::move(nb_out);
    if (a.opened() && b.opened()) break;
  }
  EXPECT_TRUE(a.opened());
  EXPECT_TRUE(b.opened());
}

TEST(OptionFsm, NaksBecomeRejectsAfterMaxFailure) {
  AlwaysNak n;
  OptionFsm f(Protocol::kIpcp, n);
  FsmOutput out;
  f.open(t0, out);
  f.up(t0, out);
  std::vector<std::byte> request;
  append_option_u32(request, 3, 0x0a000063);
  for (int i = 0; i < kMaxFailure + 1; ++i) {
    FsmOutput o;
    deliver(f, Protocol::kIpcp, static_cast<std::uint8_t>(Code::kConfigureRequest),
            static_cast<std::uint8_t>(40 + i), request, o);
    ASSERT_EQ(o.frames.size(), 1u);
    const auto reply = packet_of(o.frames[0]);
    if (i < kMaxFailure) {
      EXPECT_EQ(reply.code, static_cast<std::uint8_t>(Code::kConfigureNak)) << i;
    } else {
      EXPECT_EQ(reply.code, static_cast<std::uint8_t>(Code::kConfigureReject));
      // The Reject carries the peer's own value, not the one we kept suggesting.
      EXPECT_EQ(std::vector<std::byte>(reply.data.begin(), reply.data.end()), request);
    }
  }
}

TEST(OptionFsm, RetransmitsConfigureRequestThenGivesUpAfterMaxConfigure) {
  AcceptAll n;
  OptionFsm f(Protocol::kLcp, n);
  FsmOutput out;
  f.open(t0, out);
  f.up(t0, out);
  int requests = static_cast<int>(out.frames.size());
  TimePoint now = t0;
  for (int i = 0; i < 20 && f.state() != FsmState::kStopped; ++i) {
    now += kRestartTimer;
    FsmOutput o;
    f.on_timer(now, o);
    requests += static_cast<int>(o.frames.size());
    if (has_signal(o, LayerSignal::kFinished)) break;
  }
  EXPECT_EQ(requests, kMaxConfigure);
  EXPECT_EQ(f.state(), FsmState::kStopped);
}

TEST(OptionFsm, AckWithWrongIdentifierOrOptionsIsIgnored) {
  AcceptAll n;
  OptionFsm f(Protocol::kLcp, n);
  FsmOutput out;
  f.open(t0, out);
  f.up(t0, out);
  const auto req = packet_of(out.frames[0]);
  FsmOutput o;
  deliver(f, Protocol::kLcp, 2, static_cast<std::uint8_t>(req.identifier + 1), {}, o);
  EXPECT_EQ(f.state(), FsmState::kReqSent);
  const std::vector<std::byte> extra = {std::byte{1}, std::byte{2}};
  deliver(f, Protocol::kLcp, 2, req.identifier, extra, o);
  EXPECT_EQ(f.state(), FsmState::kReqSent);
  deliver(f, Protocol::kLcp, 2, req.identifier, {}, o);
  EXPECT_EQ(f.state(), FsmState::kAckRcvd);
}

TEST(OptionFsm, UnknownCodeGetsCodeReject) {
  AcceptAll n;
  OptionFsm f(Protocol::kIpcp, n);
  FsmOutput out;
  f.open(t0, out);
  f.up(t0, out);
  FsmOutput o;
  deliver(f, Protocol::kIpcp, 42, 3, {}, o);
  ASSERT_EQ(o.frames.size(), 1u);
  EXPECT_EQ(packet_of(o.frames[0]).code, static_cast<std::uint8_t>(Code::kCodeReject));
}

TEST(OptionFsm, TerminateRequestWhileOpenedAcksAndFinishesAfterOneRestartPeriod) {
  AcceptAll na;
  OptionFsm a(Protocol::kIpcp, na);
  FsmOutput o;
  a.open(t0, o);
  a.up(t0, o);
  const auto req = packet_of(o.frames[0]);
  FsmOutput o2;
  deliver(a, Protocol::kIpcp, 2, req.identifier, {}, o2);
  deliver(a, Protocol::kIpcp, 1, 77, {}, o2);
  ASSERT_TRUE(a.opened());
  FsmOutput o3;
  deliver(a, Protocol::kIpcp, 5, 78, {}, o3);
  EXPECT_EQ(a.state(), FsmState::kStopping);
  EXPECT_TRUE(has_signal(o3, LayerSignal::kDown));
  EXPECT_EQ(packet_of(o3.frames.back()).code, static_cast<std::uint8_t>(Code::kTerminateAck));
  FsmOutput o4;
  a.on_timer(t0 + kRestartTimer, o4);
  EXPECT_EQ(a.state(), FsmState::kStopped);
  EXPECT_TRUE(has_signal(o4, LayerSignal::kFinished));
}

}  // namespace
}  // namespace tandem::ppp
