// Rekeying back to back: Child SAs before their lifetime (with and without PFS, and on demand),
// the IKE SA with its Child SAs moving over, both ends rekeying the same SA at once, and many
// lifetimes in a row with traffic working after each.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::Log;
using testing::Pair;
using testing::responder_config;

Pair short_lived(Duration child, Duration ike, std::uint16_t pfs = 0, std::uint64_t seed = 1) {
  Config ic = initiator_config();
  Config rc = responder_config();
  for (Config* c : {&ic, &rc}) {
    c->child_lifetime = child;
    c->ike_lifetime = ike;
    c->peers[0].pfs_group = pfs;
  }
  return Pair(ic, rc, seed);
}

// The Child SAs each side has now, paired up; checks they match and carry ESP.
void expect_one_working_child(Pair& pair) {
  const auto a = pair.a.ike_sas();
  const auto b = pair.b.ike_sas();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(a[0].children.size(), 1u);
  ASSERT_EQ(b[0].children.size(), 1u);
  EXPECT_EQ(a[0].children[0].inbound_spi, b[0].children[0].outbound_spi);
  EXPECT_EQ(a[0].children[0].outbound_spi, b[0].children[0].inbound_spi);
  const ChildSa* ca = nullptr;
  for (const ChildSa& c : pair.log_a.installs)
    if (c.inbound_spi == a[0].children[0].inbound_spi) ca = &c;
  ASSERT_NE(ca, nullptr);
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, *ca);
}

TEST(Ikev2Rekey, ChildSaIsRekeyedBeforeItsLifetimeAndTheOldOneRemoved) {
  Pair pair = short_lived(std::chrono::seconds(60), std::chrono::hours(4));
  pair.initiate();
  const ChildSa first = pair.log_a.installs.at(0);
  pair.run_for(std::chrono::seconds(50));
  EXPECT_EQ(pair.log_a.installs.size(), 1u);  // not before the margin
  pair.run_for(std::chrono::seconds(9));
  ASSERT_EQ(pair.log_a.installs.size(), 2u);
  ASSERT_EQ(pair.log_b.installs.size(), 2u);
  const ChildSa& second = pair.log_a.installs[1];
  ASSERT_TRUE(second.replaces);
  EXPECT_EQ(*second.replaces, first.inbound_spi);
  const ChildSa* theirs = testing::peer_of(pair.log_b, second);
  ASSERT_NE(theirs, nullptr);
  ASSERT_TRUE(theirs->replaces);
  EXPECT_EQ(*theirs->replaces, testing::peer_of(pair.log_b, first)->inbound_spi);
  EXPECT_NE(second.inbound_keys.encryption, first.inbound_keys.encryption);
  // The old SA is gone on both sides, the new one carries the traffic.
  EXPECT_TRUE(pair.log_a.removed(first.inbound_spi));
  EXPECT_TRUE(pair.log_b.removed(first.outbound_spi));
  expect_one_working_child(pair);
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaUp), 1u);
}

TEST(Ikev2Rekey, ChildSaRekeyWithPfsOnDemand) {
  Pair pair = short_lived(std::chrono::hours(1), std::chrono::hours(4), 19);
  pair.initiate();
  const ChildSa first = pair.log_b.installs.at(0);
  Actions act;
  pair.b.rekey_child(first.inbound_spi, pair.now, act);  // e.g. sequence numbers running out
  pair.absorb(1, act);
  pair.deliver_all();
  ASSERT_EQ(pair.log_b.installs.size(), 2u);
  EXPECT_EQ(pair.log_b.installs[1].replaces, first.inbound_spi);
  EXPECT_TRUE(pair.log_b.removed(first.inbound_spi));
  expect_one_working_child(pair);
}

TEST(Ikev2Rekey, IkeSaRekeyMovesTheChildSasToTheNewIkeSa) {
  Pair pair = short_lived(std::chrono::hours(1), std::chrono::seconds(100));
  const auto old_id = pair.initiate();
  const auto old_b = pair.b.ike_sas().at(0).id;
  const ChildSa child = pair.log_a.installs.at(0);
  pair.run_for(std::chrono::seconds(99));
  const auto a = pair.a.ike_sas();
  const auto b = pair.b.ike_sas();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0].id, old_id);
  EXPECT_NE(b[0].id, old_b);
  EXPECT_EQ(a[0].state, IkeSaState::kEstablished);
  // The same Child SA, untouched: nothing installed or removed.
  ASSERT_EQ(a[0].children.size(), 1u);
  EXPECT_EQ(a[0].children[0].inbound_spi, child.inbound_spi);
  EXPECT_EQ(pair.log_a.installs.size(), 1u);
  EXPECT_TRUE(pair.log_a.removals.empty());
  EXPECT_TRUE(pair.log_b.removals.empty());
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaUp), 2u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 2u);
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaDown), 0u);

  // The new IKE SA works: a Child SA rekey on it derives from its keys.
  Actions act;
  pair.a.rekey_child(child.inbound_spi, pair.now, act);
  pair.absorb(0, act);
  pair.deliver_all();
  ASSERT_EQ(pair.log_a.installs.size(), 2u);
  EXPECT_EQ(pair.log_a.installs[1].ike_sa, a[0].id);
  expect_one_working_child(pair);
}

TEST(Ikev2Rekey, SimultaneousChildRekeyLeavesOneChildSa) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    Pair pair = short_lived(std::chrono::hours(1), std::chrono::hours(4), 0, seed);
    pair.initiate();
    Actions act;
    pair.a.rekey_child(pair.log_a.installs.at(0).inbound_spi, pair.now, act);
    pair.absorb(0, act);
    pair.b.rekey_child(pair.log_b.installs.at(0).inbound_spi, pair.now, act);
    pair.absorb(1, act);
    pair.deliver_all();
    pair.run_for(std::chrono::seconds(5));
    // Two new pairs were made; the redundant one and the old one are gone again.
    EXPECT_EQ(pair.log_a.installs.size(), 3u);
    EXPECT_EQ(pair.log_a.removals.size(), 2u);
    EXPECT_EQ(pair.log_b.removals.size(), 2u);
    expect_one_working_child(pair);
  }
}

TEST(Ikev2Rekey, SimultaneousIkeRekeyDoesNotWedge) {
  Pair pair = short_lived(std::chrono::hours(1), std::chrono::hours(4));
  pair.initiate();
  Actions act;
  pair.a.rekey_ike_sa(pair.a.ike_sas().at(0).id, pair.now, act);
  pair.absorb(0, act);
  pair.b.rekey_ike_sa(pair.b.ike_sas().at(0).id, pair.now, act);
  pair.absorb(1, act);
  pair.deliver_all();
  pair.run_for(std::chrono::seconds(40));
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaUp), 2u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 2u);
  expect_one_working_child(pair);
}

TEST(Ikev2Rekey, ManyLifetimesInARowKeepEverythingWorking) {
  Pair pair = short_lived(std::chrono::seconds(60), std::chrono::seconds(150), 14);
  pair.initiate();
  for (int minute = 0; minute < 10; ++minute) {
    pair.run_for(std::chrono::seconds(60));
    // Traffic in both directions keeps liveness checks away.
    for (const auto& sa : pair.a.ike_sas())
      for (const auto& c : sa.children) pair.a.note_inbound_esp(c.inbound_spi, pair.now);
  }
  EXPECT_EQ(pair.log_a.count(EventType::kDeadPeer), 0u);
  EXPECT_EQ(pair.log_b.count(EventType::kDeadPeer), 0u);
  EXPECT_GE(pair.log_a.installs.size(), 10u);
  EXPECT_GE(pair.log_a.count(EventType::kIkeSaUp), 4u);
  expect_one_working_child(pair);
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
