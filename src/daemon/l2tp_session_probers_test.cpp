// Path MTU probing of a client's L2TP sessions, end to end in memory: a client stack and a
// gateway stack back to back with a fake clock, through a hop that drops datagrams over a size
// and says nothing. The probers find the largest inner packet that crosses, keep the configured
// MTU where no probe is ever answered, and forget a session that is gone.
#include "daemon/l2tp_session_probers.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "base/seeded_rng.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Endpoint kGateway{*IpAddress::parse("192.0.2.1"), 1701};
const Endpoint kClient{*IpAddress::parse("192.0.2.2"), 40000};
constexpr std::uint16_t kMru = 1400;

hybrid::L2tpStackConfig gateway_config() {
  hybrid::L2tpStackConfig c;
  c.role = hybrid::L2tpRole::kLns;
  c.auth = {ppp::AuthMethod::kPap};
  c.mru = kMru;
  c.gateway_address = *IpAddress::parse("10.77.0.1");
  c.pool_first = IpAddress::parse("10.77.0.10");
  c.pool_last = IpAddress::parse("10.77.0.20");
  return c;
}

hybrid::L2tpStackConfig client_config() {
  hybrid::L2tpStackConfig c;
  c.role = hybrid::L2tpRole::kLac;
  c.auth = {ppp::AuthMethod::kPap};
  c.mru = kMru;
  c.server = kGateway;
  c.calls = {{"alice", "correct horse"}};
  return c;
}

// The two stacks, the client's probers, and the hop between them.
class ProbedPair {
 public:
  ProbedPair()
      : client_rng_(1),
        gateway_rng_(2),
        client(client_config(), client_rng_),
        gateway(gateway_config(), gateway_rng_),
        probers("l2tp0", "", seconds(600)) {}

  void start() {
    hybrid::L2tpStackOutput out;
    client.start(now, out);
    absorb(true, out);
    run(seconds(3));
  }

  // Runs the clock for `d`, as the interface's loop would: timers, then the probers.
  void run(Duration d) {
    const TimePoint end = now + d;
    while (now < end) {
      now += milliseconds(50);
      for (const bool from_client : {true, false}) {
        auto& stack = from_client ? client : gateway;
        if (stack.next_deadline() > now) continue;
        hybrid::L2tpStackOutput out;
        stack.on_timer(now, out);
        absorb(from_client, out);
      }
      hybrid::L2tpStackOutput out;
      probers.sync(client.sessions(), kMru, now);
      probers.poll(client, now, out);
      absorb(true, out);
      deliver();
    }
  }

  // Datagrams longer than `hop` (the L2TP datagram: the underlay's headers are left out here)
  // vanish; `drop` may drop others too.
  std::size_t hop = 10000;
  std::function<bool(const l2tp::OutDatagram&)> drop;

  TimePoint now{seconds(1000)};
  SeededRng client_rng_;
  SeededRng gateway_rng_;
  hybrid::L2tpStack client;
  hybrid::L2tpStack gateway;
  L2tpSessionProbers probers;

 private:
  void absorb(bool from_client, hybrid::L2tpStackOutput& out) {
    for (auto& d : out.datagrams) queue_.push_back({from_client, std::move(d)});
    for (auto& t : out.auth_requests) {
      hybrid::L2tpStackOutput more;
      const ppp::LocalCredential alice{std::string("correct horse"), std::nullopt};
      gateway.auth_verdict(t.ref, ppp::verify_locally(t.request, alice), now, more);
      absorb(false, more);
    }
    if (from_client && !out.probe_replies.empty()) probers.on_replies(out.probe_replies, now);
    out.clear();
  }

  void deliver() {
    while (!queue_.empty()) {
      auto [from_client, d] = std::move(queue_.front());
      queue_.pop_front();
      if (d.bytes.size() > hop || (drop && drop(d))) continue;
      hybrid::L2tpStackOutput out;
      (from_client ? gateway : client)
          .on_datagram(d.bytes, from_client ? kClient : kGateway, now, out);
      absorb(!from_client, out);
    }
  }

  std::deque<std::pair<bool, l2tp::OutDatagram>> queue_;
};

// L2TP (6) and PPP (4) in front of an inner packet in the datagrams the hop sees.
constexpr std::size_t kSessionHeaders = 10;

TEST(L2tpSessionProbers, FindTheLargestPacketThatCrossesASilentHop) {
  ProbedPair p;
  p.hop = 1333 + kSessionHeaders;
  p.start();
  const auto sessions = p.client.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_TRUE(sessions[0].up);
  p.run(seconds(20));
  EXPECT_EQ(p.probers.held_mtu(sessions[0].ref), 1333u);
  EXPECT_EQ(p.probers.held_mtu(), 1333u);
  const auto status = p.probers.status_json(sessions[0].ref);
  EXPECT_EQ(status["state"], "complete");
  EXPECT_EQ(status["probed"], 1333);
  EXPECT_EQ(status["max"], kMru);
  EXPECT_GT(status["probes_acked"].get<int>(), 0);
  EXPECT_FALSE(status.contains("reason"));
}

TEST(L2tpSessionProbers, APeerThatAnswersNoProbeLeavesTheConfiguredMtu) {
  ProbedPair p;
  // Every probe (1280 bytes and up) is lost; the small liveness echoes and control pass.
  p.hop = 1000;
  p.start();
  const auto ref = p.client.sessions()[0].ref;
  p.run(seconds(40));
  ASSERT_TRUE(p.client.sessions()[0].up);  // a lost probe never takes the link down
  EXPECT_FALSE(p.probers.held_mtu(ref).has_value());
  const auto status = p.probers.status_json(ref);
  EXPECT_EQ(status["state"], "error");
  EXPECT_FALSE(status.contains("probed"));
  EXPECT_GT(status["probes_sent"].get<int>(), 3);
  EXPECT_EQ(status["probes_acked"], 0);
}

TEST(L2tpSessionProbers, AGoneSessionTakesItsProberAlong) {
  ProbedPair p;
  p.hop = 1300 + kSessionHeaders;
  p.start();
  const auto ref = p.client.sessions()[0].ref;
  p.run(seconds(20));
  ASSERT_EQ(p.probers.held_mtu(), 1300u);
  p.probers.sync({}, kMru, p.now);
  EXPECT_FALSE(p.probers.held_mtu().has_value());
  EXPECT_EQ(p.probers.status_json(ref)["state"], "off");
}

TEST(L2tpSessionProbers, TurnedOffProbesNothingAndSaysWhy) {
  ProbedPair p;
  L2tpSessionProbers off("l2tp0", "mtu_probing = false", seconds(600));
  p.start();
  off.sync(p.client.sessions(), kMru, p.now);
  hybrid::L2tpStackOutput out;
  off.poll(p.client, p.now, out);
  EXPECT_TRUE(out.datagrams.empty());
  EXPECT_FALSE(off.next_deadline().has_value());
  const auto status = off.status_json(p.client.sessions()[0].ref);
  EXPECT_EQ(status["state"], "off");
  EXPECT_EQ(status["reason"], "mtu_probing = false");
}

}  // namespace
}  // namespace tandem::daemon
