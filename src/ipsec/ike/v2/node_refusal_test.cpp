// Refusals back to back: a wrong pre-shared key or unknown identity, no common proposal (with the
// peer's proposal named in the log line), and the INVALID_KE_PAYLOAD retry that recovers from a
// wrong DH guess.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::initiator_config;
using testing::Pair;
using testing::responder_config;

bool mentions(const Event* e, const std::string& text) {
  return e != nullptr && e->detail.find(text) != std::string::npos;
}

TEST(Ikev2Refusal, WrongPreSharedKeyIsRefusedOnBothSides) {
  Config ic = initiator_config();
  ic.peers[0].psk = {std::byte{'w'}, std::byte{'r'}, std::byte{'o'}, std::byte{'n'},
                     std::byte{'g'}};
  Pair pair(ic, responder_config());
  const auto id = pair.initiate();
  const Event* theirs = pair.log_b.find(EventType::kRefused);
  EXPECT_TRUE(mentions(theirs, "fqdn:client.example")) << (theirs ? theirs->detail : "");
  EXPECT_TRUE(mentions(theirs, "authentication"));
  const Event* ours = pair.log_a.find(EventType::kRefused);
  EXPECT_TRUE(mentions(ours, "AUTHENTICATION_FAILED")) << (ours ? ours->detail : "");
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaUp), 0u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 0u);
  EXPECT_TRUE(pair.log_a.installs.empty());
  EXPECT_TRUE(pair.log_b.installs.empty());
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_TRUE(pair.b.ike_sas().empty());
}

TEST(Ikev2Refusal, UnknownIdentityIsRefused) {
  Config ic = initiator_config();
  ic.identity = Identity::fqdn("stranger.example");
  Pair pair(ic, responder_config());
  pair.initiate();
  const Event* theirs = pair.log_b.find(EventType::kRefused);
  EXPECT_TRUE(mentions(theirs, "stranger.example")) << (theirs ? theirs->detail : "");
  EXPECT_TRUE(mentions(pair.log_a.find(EventType::kRefused), "AUTHENTICATION_FAILED"));
  EXPECT_TRUE(pair.b.ike_sas().empty());
}

TEST(Ikev2Refusal, NoCommonIkeProposalNamesWhatThePeerProposed) {
  Config ic = initiator_config();
  ic.peers[0].ike_suites = {{12, 128, 2, 2, 14}};
  Config rc = responder_config();
  rc.peers[0].ike_suites = {{20, 256, 5, 0, 19}};
  Pair pair(ic, rc);
  const auto id = pair.initiate();
  const Event* theirs = pair.log_b.find(EventType::kRefused);
  ASSERT_NE(theirs, nullptr);
  EXPECT_TRUE(mentions(theirs, "AES_CBC-128/PRF_HMAC_SHA1/HMAC_SHA1_96/MODP_2048"))
      << theirs->detail;
  const Event* ours = pair.log_a.find(EventType::kRefused);
  EXPECT_TRUE(mentions(ours, "NO_PROPOSAL_CHOSEN")) << (ours ? ours->detail : "");
  EXPECT_FALSE(pair.a.ike_sa(id));
  EXPECT_TRUE(pair.b.ike_sas().empty());
}

TEST(Ikev2Refusal, NoCommonEspProposalRefusesTheChildSa) {
  Config ic = initiator_config();
  ic.peers[0].esp_suites = {{12, 128, 0, 2, 0}};
  Config rc = responder_config();
  rc.peers[0].esp_suites = {{20, 256, 0, 0, 0}};
  Pair pair(ic, rc);
  pair.initiate();
  const Event* theirs = pair.log_b.find(EventType::kRefused);
  EXPECT_TRUE(mentions(theirs, "NO_PROPOSAL_CHOSEN")) << (theirs ? theirs->detail : "");
  EXPECT_TRUE(mentions(theirs, "AES_CBC-128/HMAC_SHA1_96"));
  EXPECT_TRUE(mentions(pair.log_a.find(EventType::kRefused), "NO_PROPOSAL_CHOSEN"));
  EXPECT_TRUE(pair.log_a.installs.empty());
  EXPECT_TRUE(pair.log_b.installs.empty());
}

TEST(Ikev2Refusal, InvalidKeRetriesWithTheGroupTheResponderNames) {
  Config ic = initiator_config();
  // The initiator guesses ECP-256 first; the responder only takes MODP-2048.
  ic.peers[0].ike_suites = {{20, 256, 5, 0, 19}, {20, 256, 5, 0, 14}};
  Config rc = responder_config();
  rc.peers[0].ike_suites = {{20, 256, 5, 0, 14}};
  Pair pair(ic, rc);
  const auto id = pair.initiate();
  EXPECT_EQ(pair.log_a.count(EventType::kIkeSaUp), 1u);
  EXPECT_EQ(pair.log_b.count(EventType::kIkeSaUp), 1u);
  ASSERT_TRUE(pair.a.ike_sa(id));
  EXPECT_EQ(pair.a.ike_sa(id)->suite, "AES_GCM_16_256/PRF_HMAC_SHA2_256/MODP_2048");
  // IKE_SA_INIT twice, then IKE_AUTH.
  EXPECT_EQ(pair.log_a.datagrams, 3u);
  testing::expect_esp_both_ways(pair.log_a, pair.log_b, pair.log_a.installs.at(0));
}

TEST(Ikev2Refusal, RequestForAnotherResponderIdentityIsRefused) {
  Config ic = initiator_config();
  ic.peers[0].remote_id = Identity::fqdn("other-gw.example");  // sent as IDr
  Pair pair(ic, responder_config());
  pair.initiate();
  const Event* theirs = pair.log_b.find(EventType::kRefused);
  EXPECT_TRUE(mentions(theirs, "other-gw.example")) << (theirs ? theirs->detail : "");
  EXPECT_TRUE(mentions(pair.log_a.find(EventType::kRefused), "AUTHENTICATION_FAILED"));
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
