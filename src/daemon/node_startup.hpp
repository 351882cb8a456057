// What `tandem up` decides from a node's config before it touches the system: the warnings it
// prints at start-up and the routes it adds for the peers' allowed IPs.
#pragma once

#include <vector>

#include "base/ip_address.hpp"
#include "control/config.hpp"

namespace tandem::daemon {

// Logs each of the config's warnings (secrets others can read, ...) as a warning line.
void log_config_warnings(const control::NodeConfig& config);

struct PeerRoutePlan {
  std::vector<IpPrefix> routes;      // one kernel route each, through the WireGuard interface
  std::vector<IpPrefix> not_routed;  // default routes: they need policy routing, not set up here
};
// The routes for every peer's allowed IPs; none at all with `table = "off"`. With `table = N`
// default routes are routes like any other (they go into table N, not main).
PeerRoutePlan plan_peer_routes(const control::NodeConfig& config);

}  // namespace tandem::daemon
