// A responder whose peers are replaced while it runs (a gateway's account revoked, re-keyed or
// added): the peer that went is told its IKE SA is deleted and cannot authenticate again, a peer
// whose settings stay keeps its SAs, and one added can log in at once.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::Pair;
using testing::responder_config;

void replace(Pair& pair, std::vector<PeerConfig> peers) {
  Actions act;
  pair.b.replace_peers(std::move(peers), pair.now, act);
  pair.absorb(1, act);
  pair.deliver_all();
}

PeerConfig other_peer() {
  PeerConfig p = responder_config().peers[0];
  p.name = "other";
  p.remote_id = Identity::fqdn("other.example");
  return p;
}

TEST(Ikev2Peers, RemovedPeerIsToldAndRefusedAfterwards) {
  Pair pair(initiator_config(), responder_config());
  const auto id = pair.initiate();
  ASSERT_EQ(pair.b.ike_sas().size(), 1u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);

  replace(pair, {other_peer()});
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_TRUE(pair.log_b.removed(pair.log_b.installs[0].inbound_spi));
  // The initiator heard the Delete: its IKE SA and Child SA are gone too.
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_TRUE(pair.log_a.removed(pair.log_a.installs[0].inbound_spi));

  const std::size_t refusals = pair.log_b.count(EventType::kRefused);
  pair.initiate();
  EXPECT_EQ(pair.log_b.count(EventType::kRefused), refusals + 1);
  EXPECT_EQ(pair.b.stats().auth_failures_of(AuthFailure::kUnknownIdentity), 1u);
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.log_b.installs.size(), 1u);
}

TEST(Ikev2Peers, WithNoPeerLeftTheIdentityIsRefusedAtAuthentication) {
  Pair pair(initiator_config(), responder_config());
  pair.initiate();
  replace(pair, {});
  pair.run_for(std::chrono::seconds(30));  // the Delete answered, the SA gone
  replace(pair, {});                       // nothing of the old peer is kept now
  pair.initiate();
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.b.stats().auth_failures_of(AuthFailure::kUnknownIdentity), 1u);
}

TEST(Ikev2Peers, UnchangedPeerKeepsItsSasAndAnAddedOneLogsIn) {
  Pair pair(initiator_config(), responder_config());
  pair.initiate();
  replace(pair, {other_peer(), responder_config().peers[0]});
  ASSERT_EQ(pair.b.ike_sas().size(), 1u);
  EXPECT_EQ(pair.b.ike_sas()[0].peer, "client");
  EXPECT_TRUE(pair.log_b.removals.empty());
  // It still rekeys and answers liveness checks with its (moved) settings.
  pair.run_for(std::chrono::hours(2));
  EXPECT_EQ(pair.b.ike_sas().size(), 1u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaDown), 0u);

  Config ic = initiator_config();
  ic.identity = Identity::fqdn("other.example");
  Pair second(ic, responder_config());
  replace(second, {other_peer()});
  second.initiate();
  ASSERT_EQ(second.b.ike_sas().size(), 1u);
  EXPECT_EQ(second.b.ike_sas()[0].peer, "other");
}

TEST(Ikev2Peers, ChangedKeyEndsTheSaAndTheNewKeyLogsIn) {
  Pair pair(initiator_config(), responder_config());
  pair.initiate();
  PeerConfig changed = responder_config().peers[0];
  changed.psk = {std::byte{'n'}, std::byte{'e'}, std::byte{'w'}};
  replace(pair, {changed});
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaDown), 1u);
  // The old key is refused; the peer's SA was deleted by the gateway.
  pair.initiate();
  EXPECT_TRUE(pair.b.ike_sas().empty());
  EXPECT_EQ(pair.b.stats().auth_failures_of(AuthFailure::kWrongKey), 1u);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
