#include "daemon/offloads.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

TEST(Offloads, TunAndGsoAreOnUnlessTheEnvironmentSaysOtherwise) {
  for (const auto text : {std::optional<std::string_view>(), std::optional<std::string_view>("on"),
                          std::optional<std::string_view>("")}) {
    const Offloads o = parse_offloads(text);
    EXPECT_TRUE(o.tun && o.gso);
    EXPECT_FALSE(o.gro) << "GRO only when listed";
  }
}

TEST(Offloads, OffTurnsThemAllOff) {
  const Offloads o = parse_offloads("off");
  EXPECT_FALSE(o.tun || o.gso || o.gro);
}

TEST(Offloads, AListKeepsThoseItNames) {
  const Offloads o = parse_offloads("tun,gro,bogus");
  EXPECT_TRUE(o.tun);
  EXPECT_FALSE(o.gso);
  EXPECT_TRUE(o.gro);
  EXPECT_TRUE(parse_offloads("gso").gso);
  EXPECT_FALSE(parse_offloads("gso").tun);
}

}  // namespace
}  // namespace tandem::daemon
