#include "daemon/node_startup.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace tandem::daemon {
namespace {

control::NodeConfig two_peers() {
  control::NodeConfig cfg;
  cfg.interface.emplace();
  cfg.peers.resize(2);
  cfg.peers[0].allowed_ips = {*IpPrefix::parse("10.0.0.2/32"), *IpPrefix::parse("0.0.0.0/0")};
  cfg.peers[1].allowed_ips = {*IpPrefix::parse("10.1.0.0/16")};
  return cfg;
}

TEST(PeerRoutePlan, RoutesEveryAllowedIpButDefaultRoutes) {
  const auto plan = plan_peer_routes(two_peers());
  ASSERT_EQ(plan.routes.size(), 2u);
  EXPECT_EQ(plan.routes[0].to_string(), "10.0.0.2/32");
  EXPECT_EQ(plan.routes[1].to_string(), "10.1.0.0/16");
  ASSERT_EQ(plan.not_routed.size(), 1u);
  EXPECT_EQ(plan.not_routed[0].to_string(), "0.0.0.0/0");
}

TEST(PeerRoutePlan, TableOffAddsNoRouteAtAll) {
  auto cfg = two_peers();
  cfg.interface->add_routes = false;
  const auto plan = plan_peer_routes(cfg);
  EXPECT_TRUE(plan.routes.empty());
  EXPECT_TRUE(plan.not_routed.empty());
}

TEST(ConfigWarnings, EachIsLoggedAsAWarningAtStartUp) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("config-warnings-test", sink);
  logger->set_pattern("%l %v");
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  control::NodeConfig cfg;
  cfg.warnings = {"Warning: '/etc/tandem/a.toml' is world accessible", "second"};
  log_config_warnings(cfg);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(out.str(),
            "warning Warning: '/etc/tandem/a.toml' is world accessible\nwarning second\n");
}

}  // namespace
}  // namespace tandem::daemon
