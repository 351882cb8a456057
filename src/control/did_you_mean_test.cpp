// Suggestions for unknown keys: near typos and other tools' spellings get one, far ones none.
#include "control/did_you_mean.hpp"

#include <gtest/gtest.h>

namespace tandem::control {
namespace {

constexpr std::string_view kKeys[] = {"name", "listen_port", "mtu", "fwmark"};

TEST(DidYouMean, SuggestsAKeyWithinTwoEdits) {
  EXPECT_EQ(did_you_mean("listn_port", kKeys), "; did you mean 'listen_port'?");
  EXPECT_EQ(did_you_mean("fw_mak", kKeys), "; did you mean 'fwmark'?");
}

TEST(DidYouMean, IgnoresCase) {
  EXPECT_EQ(did_you_mean("MTU", kKeys), "; did you mean 'mtu'?");
  EXPECT_EQ(did_you_mean("ListenPort", kKeys), "; did you mean 'listen_port'?");
}

TEST(DidYouMean, PrefersTheNearestKey) {
  constexpr std::string_view keys[] = {"dns", "dpd"};
  EXPECT_EQ(did_you_mean("dpd_", keys), "; did you mean 'dpd'?");
}

TEST(DidYouMean, SuggestsNothingBeyondTwoEdits) {
  EXPECT_EQ(did_you_mean("colour", kKeys), "");
  EXPECT_EQ(did_you_mean("port", kKeys), "");
  EXPECT_EQ(did_you_mean("anything", {}), "");
}

}  // namespace
}  // namespace tandem::control
