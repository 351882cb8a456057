// The hand-over between PPP and RADIUS: each method of an AuthRequest as access input (and the
// requests that lack what their method needs refused), and a result as the PPP verdict.
#include "auth/radius_ppp.hpp"

#include <gtest/gtest.h>

namespace tandem::auth {
namespace {

TEST(RadiusPpp, ConvertsEachMethodOfAnAuthRequest) {
  ppp::AuthRequest pap_request;
  pap_request.method = ppp::AuthMethod::kPap;
  pap_request.username = "alice";
  pap_request.password = "wonderland";
  auto in = access_input_from(pap_request, "198.51.100.7");
  ASSERT_TRUE(in);
  EXPECT_EQ(std::get<PapCredentials>(in->credentials).password, "wonderland");
  EXPECT_EQ(in->calling_station_id, "198.51.100.7");

  ppp::AuthRequest chap;
  chap.method = ppp::AuthMethod::kChapMd5;
  chap.identifier = 3;
  chap.challenge = std::vector<std::byte>(20, std::byte{1});
  chap.response = std::vector<std::byte>(16, std::byte{2});
  in = access_input_from(chap);
  ASSERT_TRUE(in);
  EXPECT_EQ(std::get<ChapCredentials>(in->credentials).identifier, 3);
  EXPECT_EQ(std::get<ChapCredentials>(in->credentials).challenge.size(), 20u);
  chap.response.pop_back();
  EXPECT_FALSE(access_input_from(chap));

  ppp::AuthRequest ms;
  ms.method = ppp::AuthMethod::kMsChapV2;
  ms.identifier = 4;
  ms.challenge = std::vector<std::byte>(16, std::byte{1});
  ms.peer_challenge = std::vector<std::byte>(16, std::byte{2});
  ms.response = std::vector<std::byte>(24, std::byte{3});
  in = access_input_from(ms);
  ASSERT_TRUE(in);
  const auto& c = std::get<MsChapV2Credentials>(in->credentials);
  EXPECT_EQ(c.identifier, 4);
  EXPECT_EQ(c.peer_challenge[0], std::byte{2});
  EXPECT_EQ(c.nt_response[23], std::byte{3});
  ms.peer_challenge.clear();
  EXPECT_FALSE(access_input_from(ms));
  EXPECT_FALSE(access_input_from(ppp::AuthRequest{}));
}

TEST(RadiusPpp, VerdictCarriesTheMsChap2SuccessString) {
  AccessResult accepted;
  accepted.outcome = AccessOutcome::kAccepted;
  accepted.ms_chap2_success = "S=00";
  EXPECT_TRUE(verdict_from(accepted).accepted);
  EXPECT_EQ(verdict_from(accepted).authenticator_response, "S=00");
  AccessResult failed;
  EXPECT_FALSE(verdict_from(failed).accepted);
}

}  // namespace
}  // namespace tandem::auth
