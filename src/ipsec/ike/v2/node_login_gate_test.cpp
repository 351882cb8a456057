// The responder's login gate: asked with the claimed identity and the peer's address before any
// AUTH is checked, told of each guess (a wrong key, an unknown identity) and of each success; a
// held-back attempt is refused with AUTHENTICATION_FAILED even when its key is right.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::Pair;
using testing::responder_config;

// Holds every attempt back once `hold` is set; records what it was told.
struct RecordingGate final : LoginGate {
  bool hold = false;
  std::vector<std::string> asked, failures, successes;
  std::vector<IpAddress> sources;
  std::optional<GateRefusal> held_back(const std::string& identity, const IpAddress& source,
                                       TimePoint) override {
    asked.push_back(identity);
    sources.push_back(source);
    if (!hold) return std::nullopt;
    return GateRefusal{"user " + identity + ": 3 failed logins, next attempt in 4 s",
                       asked.size() == 1 || failures.size() + successes.size() > 0};
  }
  void failed(const std::string& identity, const IpAddress&, TimePoint) override {
    failures.push_back(identity);
  }
  void succeeded(const std::string& identity) override { successes.push_back(identity); }
};

std::uint64_t auth_failures(const Node& node, AuthFailure reason) {
  return node.stats().auth_failures[static_cast<std::size_t>(reason)];
}

TEST(Ikev2LoginGate, ASuccessIsReportedAfterTheGateIsAsked) {
  Pair pair(initiator_config(), responder_config());
  RecordingGate gate;
  pair.b.set_login_gate(&gate);
  pair.initiate();
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 1u);
  EXPECT_EQ(gate.asked, std::vector<std::string>{"fqdn:client.example"});
  EXPECT_EQ(gate.sources, std::vector{testing::ip("192.0.2.1")});
  EXPECT_EQ(gate.successes, std::vector<std::string>{"fqdn:client.example"});
  EXPECT_TRUE(gate.failures.empty());
}

TEST(Ikev2LoginGate, AWrongKeyAndAnUnknownIdentityAreFailures) {
  Config wrong = initiator_config();
  wrong.peers[0].psk = {std::byte{'g'}, std::byte{'u'}, std::byte{'e'}, std::byte{'s'},
                        std::byte{'s'}};
  Config stranger = initiator_config();
  stranger.identity = Identity::fqdn("stranger.example");
  for (const Config& ic : {wrong, stranger}) {
    Pair pair(ic, responder_config());
    RecordingGate gate;
    pair.b.set_login_gate(&gate);
    pair.initiate();
    EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 0u);
    EXPECT_EQ(gate.failures, std::vector{ic.identity.to_string()});
    EXPECT_TRUE(gate.successes.empty());
  }
}

TEST(Ikev2LoginGate, AHeldBackAttemptIsRefusedUncheckedEvenWithTheRightKey) {
  Pair pair(initiator_config(), responder_config());
  RecordingGate gate;
  gate.hold = true;
  pair.b.set_login_gate(&gate);
  pair.initiate();
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 0u);
  EXPECT_TRUE(pair.b.ike_sas().empty());
  const Event* theirs = pair.log_b.find(EventType::kRefused);
  ASSERT_NE(theirs, nullptr);
  EXPECT_NE(theirs->detail.find("throttled: user fqdn:client.example: 3 failed logins"),
            std::string::npos)
      << theirs->detail;
  const Event* ours = pair.log_a.find(EventType::kRefused);
  EXPECT_TRUE(ours != nullptr && ours->detail.find("AUTHENTICATION_FAILED") != std::string::npos);
  // Not a success, and not a further failure either: the key was never looked at.
  EXPECT_TRUE(gate.successes.empty());
  EXPECT_TRUE(gate.failures.empty());
  EXPECT_EQ(auth_failures(pair.b, AuthFailure::kThrottled), 1u);
  EXPECT_EQ(auth_failures(pair.b, AuthFailure::kWrongKey), 0u);
}

TEST(Ikev2LoginGate, OnlyTheFirstRefusalOfAHoldIsAnEvent) {
  Pair pair(initiator_config(), responder_config());
  RecordingGate gate;
  gate.hold = true;
  pair.b.set_login_gate(&gate);
  pair.initiate();
  pair.initiate();  // the gate says this refusal is not the first
  EXPECT_EQ(auth_failures(pair.b, AuthFailure::kThrottled), 2u);
  EXPECT_EQ(pair.log_b.count(EventType::kRefused), 1u);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
