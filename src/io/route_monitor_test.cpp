// RouteMonitor in a namespace of its own: the route the kernel picks, and word of a change.
#include "io/route_monitor.hpp"

#include <gtest/gtest.h>
#include <net/if.h>

#include <cerrno>
#include <cstdlib>

#include "io/netns_fixture.hpp"

namespace tandem::io {
namespace {

class RouteMonitorTest : public testing::NetnsTest {
 protected:
  static void run(const std::string& command) {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  void SetUp() override {
    NetnsTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* cmd :
         {"ip link add rm0 type veth peer name rm0p", "ip link add rm1 type veth peer name rm1p",
          "ip link set rm0p up", "ip link set rm1p up", "ip link set rm0 up", "ip link set rm1 up",
          "ip addr add 10.1.0.2/24 dev rm0", "ip addr add 10.2.0.2/24 dev rm1",
          "ip route add 10.9.0.0/24 via 10.1.0.1 dev rm0"})
      run(cmd);
  }
  static IpAddress address(const char* text) { return *IpAddress::parse(text); }
};

TEST_F(RouteMonitorTest, LooksUpTheRouteTheKernelPicks) {
  auto monitor = RouteMonitor::open();
  ASSERT_TRUE(monitor.ok()) << monitor.error();
  const auto route = monitor->lookup(address("10.9.0.5"));
  ASSERT_TRUE(route.ok()) << route.error();
  EXPECT_EQ(route->ifindex, static_cast<int>(if_nametoindex("rm0")));
  EXPECT_EQ(route->via, address("10.1.0.1"));
  EXPECT_EQ(route->source, address("10.1.0.2"));
  EXPECT_FALSE(route->mtu.has_value());
  EXPECT_EQ(to_string(*route), "dev rm0 via 10.1.0.1 src 10.1.0.2");

  const auto on_link = monitor->lookup(address("10.2.0.9"));
  ASSERT_TRUE(on_link.ok());
  EXPECT_FALSE(on_link->via.has_value()) << "on-link: no next hop";

  const auto nowhere = monitor->lookup(address("192.0.2.1"));
  ASSERT_FALSE(nowhere.ok()) << "no default route here";
  EXPECT_EQ(nowhere.error(), ENETUNREACH);
}

TEST_F(RouteMonitorTest, AChangedRouteIsNotifiedAndLookedUpAnew) {
  auto monitor = RouteMonitor::open();
  ASSERT_TRUE(monitor.ok()) << monitor.error();
  EXPECT_FALSE(monitor->drain()) << "nothing changed since it opened";
  const auto before = monitor->lookup(address("10.9.0.5"));
  ASSERT_TRUE(before.ok());

  run("ip route replace 10.9.0.0/24 via 10.2.0.1 dev rm1 mtu 1400");
  EXPECT_TRUE(monitor->drain());
  EXPECT_FALSE(monitor->drain()) << "drained";
  const auto after = monitor->lookup(address("10.9.0.5"));
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before);
  EXPECT_EQ(after->ifindex, static_cast<int>(if_nametoindex("rm1")));
  EXPECT_EQ(after->via, address("10.2.0.1"));
  EXPECT_EQ(after->mtu, 1400u);

  // A change elsewhere is notified too, and the destination's route is then seen unchanged.
  run("ip route add 10.8.0.0/24 via 10.1.0.1 dev rm0");
  EXPECT_TRUE(monitor->drain());
  EXPECT_EQ(*monitor->lookup(address("10.9.0.5")), *after);
}

}  // namespace
}  // namespace tandem::io
