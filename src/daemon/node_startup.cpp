#include "daemon/node_startup.hpp"

#include <spdlog/spdlog.h>

namespace tandem::daemon {

void log_config_warnings(const control::NodeConfig& config) {
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
}

PeerRoutePlan plan_peer_routes(const control::NodeConfig& config) {
  PeerRoutePlan plan;
  if (config.interface && !config.interface->add_routes) return plan;
  // In a table of its own a default route needs no policy routing here: whoever sends traffic
  // to that table (an ip rule) has decided, as with wg-quick's Table = N.
  const bool own_table = config.interface && config.interface->route_table;
  for (const auto& p : config.peers)
    for (const auto& prefix : p.allowed_ips)
      (prefix.length() == 0 && !own_table ? plan.not_routed : plan.routes).push_back(prefix);
  return plan;
}

}  // namespace tandem::daemon
