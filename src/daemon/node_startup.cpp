#include "daemon/node_startup.hpp"

#include <spdlog/spdlog.h>

namespace tandem::daemon {

void log_config_warnings(const control::NodeConfig& config) {
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
}

PeerRoutePlan plan_peer_routes(const control::NodeConfig& config) {
  PeerRoutePlan plan;
  if (config.interface && !config.interface->add_routes) return plan;
  for (const auto& p : config.peers)
    for (const auto& prefix : p.allowed_ips)
      (prefix.length() == 0 ? plan.not_routed : plan.routes).push_back(prefix);
  return plan;
}

}  // namespace tandem::daemon
