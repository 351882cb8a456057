// Proposal choice: our preference order wins, each transform type the peer offers is answered,
// key lengths must match, ESP without PFS accepts a NONE DH offer, an answer must be one of our
// proposals unchanged, and refusals are described readably.
#include "ipsec/ike/v2/proposal.hpp"

#include <gtest/gtest.h>

namespace tandem::ipsec::ike::v2 {
namespace {

const Suite kGcm256{20, 256, 5, 0, 19};
const Suite kCbc128{12, 128, 2, 2, 14};

TEST(Ikev2Proposal, TakesOurFirstSuiteThatTheirProposalsSatisfy) {
  // The peer prefers CBC, we prefer GCM: GCM wins, under the peer's proposal number.
  const SaPayload offered = make_sa_payload(ProtocolId::kIke, {}, {kCbc128, kGcm256});
  auto chosen = select_proposal(offered, ProtocolId::kIke, {kGcm256, kCbc128});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->suite, kGcm256);
  EXPECT_EQ(chosen->proposal_number, 2);
  const auto answer = make_answer(ProtocolId::kIke, *chosen, {});
  auto checked = check_answer(answer, ProtocolId::kIke, {kCbc128, kGcm256});
  ASSERT_TRUE(checked) << checked.error();
  EXPECT_EQ(checked->suite, kGcm256);
}

TEST(Ikev2Proposal, AProposalWithSeveralTransformsPerTypeCanMatch) {
  // One proposal listing two ciphers and two groups (as strongSwan and Windows send them).
  SaPayload offered{{{1,
                      ProtocolId::kIke,
                      {},
                      {{TransformType::kEncr, 12, 256},
                       {TransformType::kEncr, 12, 128},
                       {TransformType::kPrf, 2, std::nullopt},
                       {TransformType::kInteg, 2, std::nullopt},
                       {TransformType::kDh, 2, std::nullopt},
                       {TransformType::kDh, 14, std::nullopt}}}}};
  auto chosen = select_proposal(offered, ProtocolId::kIke, {kGcm256, kCbc128});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->suite, kCbc128);
}

TEST(Ikev2Proposal, RefusesWhenAKeyLengthOrATypeIsMissing) {
  Suite cbc256 = kCbc128;
  cbc256.key_length = 256;
  const SaPayload offered = make_sa_payload(ProtocolId::kIke, {}, {kCbc128});
  EXPECT_FALSE(select_proposal(offered, ProtocolId::kIke, {cbc256}));
  SaPayload no_dh = offered;
  no_dh.proposals[0].transforms.pop_back();
  EXPECT_FALSE(select_proposal(no_dh, ProtocolId::kIke, {kCbc128}));
  EXPECT_EQ(describe(no_dh), "#1 AES_CBC-128/PRF_HMAC_SHA1/HMAC_SHA1_96");
}

TEST(Ikev2Proposal, EspWithoutPfsAcceptsANoneGroupAndCarriesTheSpi) {
  const Suite esp{20, 128, 0, 0, 0};
  SaPayload offered{{{1,
                      ProtocolId::kEsp,
                      {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}},
                      {{TransformType::kEncr, 20, 128},
                       {TransformType::kDh, 0, std::nullopt},
                       {TransformType::kDh, 19, std::nullopt},
                       {TransformType::kEsn, 0, std::nullopt}}}}};
  auto chosen = select_proposal(offered, ProtocolId::kEsp, {esp});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->peer_spi.size(), 4u);
  // A peer that insists on ESN only cannot be served.
  offered.proposals[0].transforms.back().id = 1;
  EXPECT_FALSE(select_proposal(offered, ProtocolId::kEsp, {esp}));
  EXPECT_EQ(describe(offered), "#1 AES_GCM_16-128/NONE/ECP_256/ESN");
}

TEST(Ikev2Proposal, AnAnswerMustBeOneOfOurProposalsUnchanged) {
  const std::vector<Suite> ours{kGcm256, kCbc128};
  SaPayload answer = make_answer(ProtocolId::kIke, Selection{2, {}, kCbc128}, {});
  EXPECT_TRUE(check_answer(answer, ProtocolId::kIke, ours));
  answer.proposals[0].number = 1;  // says #1 but carries CBC
  EXPECT_FALSE(check_answer(answer, ProtocolId::kIke, ours));
  answer.proposals[0].number = 3;
  EXPECT_FALSE(check_answer(answer, ProtocolId::kIke, ours));
  SaPayload two = make_sa_payload(ProtocolId::kIke, {}, ours);
  EXPECT_FALSE(check_answer(two, ProtocolId::kIke, ours));
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
