#include "io/netlink.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "io/netns_fixture.hpp"

namespace tandem::io {
namespace {

using Json = nlohmann::json;

class NetlinkTest : public testing::NetnsTunTest {
 protected:
  void SetUp() override {
    NetnsTunTest::SetUp();
    if (HasFatalFailure()) return;
    auto nl = Netlink::open();
    ASSERT_TRUE(nl.ok()) << nl.error();
    nl_.emplace(std::move(nl).value());
  }
  void TearDown() override {
    nl_.reset();
    NetnsTunTest::TearDown();
  }

  static std::vector<std::string> addresses_of(const std::string& dev) {
    std::vector<std::string> out;
    for (const Json& link : ip_json("addr show dev " + dev))
      for (const Json& a : link.value("addr_info", Json::array())) {
        if (a.value("scope", "") == "link") continue;  // kernel-made IPv6 link-local
        out.push_back(a["local"].get<std::string>() + "/" +
                      std::to_string(a["prefixlen"].get<int>()));
      }
    std::sort(out.begin(), out.end());
    return out;
  }
  static Json find_route(const std::string& args, const std::string& dst) {
    for (const Json& r : ip_json(args))
      if (r.value("dst", "") == dst) return r;
    return nullptr;
  }

  std::optional<Netlink> nl_;
};

TEST_F(NetlinkTest, BringsLinkUpAndDown) {
  ASSERT_TRUE(nl_->set_link_up(tun_->index()).ok());
  auto flags = ip_json("link show dev tdm0")[0]["flags"];
  EXPECT_NE(std::find(flags.begin(), flags.end(), "UP"), flags.end());
  ASSERT_TRUE(nl_->set_link_down(tun_->index()).ok());
  flags = ip_json("link show dev tdm0")[0]["flags"];
  EXPECT_EQ(std::find(flags.begin(), flags.end(), "UP"), flags.end());
}

TEST_F(NetlinkTest, SetsMtu) {
  ASSERT_TRUE(nl_->set_mtu(tun_->index(), 1380).ok());
  EXPECT_EQ(ip_json("link show dev tdm0")[0]["mtu"], 1380);
  EXPECT_EQ(*tun_->mtu(), 1380u);
}

TEST_F(NetlinkTest, AddsListsDeletesAndFlushesAddressesOfBothFamilies) {
  ASSERT_TRUE(nl_->set_link_up(tun_->index()).ok());
  const auto v4 = *InterfaceAddress::parse("10.77.0.1/24");
  const auto v4b = *InterfaceAddress::parse("10.88.0.1/32");
  const auto v6 = *InterfaceAddress::parse("fd00:77::1/64");
  for (const auto& a : {v4, v4b, v6}) ASSERT_TRUE(nl_->add_address(tun_->index(), a).ok());
  EXPECT_EQ(addresses_of("tdm0"),
            (std::vector<std::string>{"10.77.0.1/24", "10.88.0.1/32", "fd00:77::1/64"}));

  auto listed = nl_->list_addresses(tun_->index());
  ASSERT_TRUE(listed.ok()) << listed.error();
  EXPECT_NE(std::find(listed->begin(), listed->end(), v4), listed->end());
  EXPECT_NE(std::find(listed->begin(), listed->end(), v6), listed->end());

  ASSERT_TRUE(nl_->delete_address(tun_->index(), v4b).ok());
  EXPECT_EQ(addresses_of("tdm0"), (std::vector<std::string>{"10.77.0.1/24", "fd00:77::1/64"}));

  ASSERT_TRUE(nl_->flush_addresses(tun_->index()).ok());
  EXPECT_TRUE(addresses_of("tdm0").empty());
  EXPECT_TRUE(nl_->list_addresses(tun_->index())->empty());
}

TEST_F(NetlinkTest, AddsAndDeletesRoutesWithMetricAndTable) {
  ASSERT_TRUE(nl_->set_link_up(tun_->index()).ok());
  const Route main_v4{*IpPrefix::parse("10.78.0.0/16"), tun_->index(), std::nullopt, 55};
  const Route table_v4{*IpPrefix::parse("10.79.0.0/16"), tun_->index(), 1234, std::nullopt};
  const Route main_v6{*IpPrefix::parse("fd00:78::/48"), tun_->index(), std::nullopt, 7};
  const Route default_v4{*IpPrefix::parse("0.0.0.0/0"), tun_->index(), 51820, std::nullopt};
  for (const Route& r : {main_v4, table_v4, main_v6, default_v4})
    ASSERT_TRUE(nl_->add_route(r).ok()) << nl_->add_route(r).error();

  const Json a = find_route("route show dev tdm0", "10.78.0.0/16");
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a["metric"], 55);
  EXPECT_TRUE(find_route("route show dev tdm0", "10.79.0.0/16").is_null());  // not in main
  const Json b = find_route("route show table 1234", "10.79.0.0/16");
  ASSERT_FALSE(b.is_null());
  EXPECT_EQ(b["dev"], "tdm0");
  EXPECT_FALSE(find_route("route show table 51820", "default").is_null());
  const Json c = find_route("-6 route show dev tdm0", "fd00:78::/48");
  ASSERT_FALSE(c.is_null());
  EXPECT_EQ(c["metric"], 7);

  ASSERT_TRUE(nl_->delete_route(main_v4).ok());
  ASSERT_TRUE(nl_->delete_route(table_v4).ok());
  EXPECT_TRUE(find_route("route show dev tdm0", "10.78.0.0/16").is_null());
  EXPECT_TRUE(find_route("route show table 1234", "10.79.0.0/16").is_null());
}

TEST_F(NetlinkTest, ReportsTheKernelsErrnoText) {
  const auto a = *InterfaceAddress::parse("10.77.0.1/24");
  ASSERT_TRUE(nl_->add_address(tun_->index(), a).ok());
  auto again = nl_->add_address(tun_->index(), a);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("File exists"), std::string::npos) << again.error();
  auto missing = nl_->set_mtu(9999, 1400);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("No such device"), std::string::npos) << missing.error();
}

TEST(InterfaceAddress, KeepsHostBitsAndDefaultsToHostLength) {
  auto a = InterfaceAddress::parse("10.0.0.7/24");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "10.0.0.7/24");
  EXPECT_EQ(InterfaceAddress::parse("fd00::2")->prefix_length, 128u);
  EXPECT_FALSE(InterfaceAddress::parse("10.0.0.1/33"));
  EXPECT_FALSE(InterfaceAddress::parse("10.0.0.1/"));
  EXPECT_FALSE(InterfaceAddress::parse("nonsense/8"));
}

}  // namespace
}  // namespace tandem::io
