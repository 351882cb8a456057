// How `tandem up ARG` finds its config, as wg-quick finds /etc/wireguard/NAME.conf.
#include "cli/up_arguments.hpp"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

TEST(UpArguments, BareNameMeansEtcTandemNameToml) {
  EXPECT_EQ(resolve_up_config_argument("office"), "/etc/tandem/office.toml");
  EXPECT_EQ(resolve_up_config_argument("wg0"), "/etc/tandem/wg0.toml");
}

TEST(UpArguments, TomlSuffixOrSlashMeansAPathUsedAsGiven) {
  EXPECT_EQ(resolve_up_config_argument("a.toml"), "a.toml");
  EXPECT_EQ(resolve_up_config_argument("./office"), "./office");
  EXPECT_EQ(resolve_up_config_argument("/srv/vpn/office.conf"), "/srv/vpn/office.conf");
}

}  // namespace
}  // namespace tandem::cli
