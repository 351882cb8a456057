// Kernel policy routing for a client's or site's [[policy]] rules ([policy_routing] mode =
// "kernel"): each path has a device of its own, and the kernel sends each traffic class to the
// path's routing table with an `ip rule`. What this file computes is the plan; io::PolicyRoutes
// installs it.
//
// Four tables from [policy_routing] table T:
//   T     the primary's: the [[peer]]'s allowed IPs out of the primary's device
//   T+1   the same, above a blackhole for each prefix: for fail-closed classes
//   T+2   the secondary's, out of the secondary's device
//   T+3   the same, above blackholes
// The device routes of a path are in its tables only while the path is usable; the daemon takes
// them out when the fallback finds it down and puts them back when it is up again. A class whose
// path is down then falls through to the next rule: with on_down = "other" that is the same
// selectors looking up the other path's table, with "drop" there is none, because its table
// keeps the blackhole. Traffic no rule takes follows the main table to the primary's device,
// where the daemon's fallback decides as it always does.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "hybrid/path.hpp"
#include "hybrid/traffic_rule.hpp"
#include "io/policy_routes.hpp"

namespace tandem::daemon {

struct KernelPolicy {
  io::PolicyPlan fixed;  // the rules and the blackholes: installed for the daemon's lifetime
  // Per path role (primary, secondary): its device routes, in place while the path is usable.
  std::array<io::PolicyPlan, 2> device_routes;
  io::TableRange tables;
};

// `routed`: the prefixes the tunnel carries (the [[peer]]'s allowed IPs, as routed in the main
// table); `ifindex`: the primary's and the secondary's device. Refused when the rules need more
// preferences than there are below the main table's rule (32766).
Result<KernelPolicy, std::string> plan_kernel_policy(const std::vector<hybrid::TrafficRule>& rules,
                                                     std::uint32_t table, std::uint32_t priority,
                                                     const std::vector<IpPrefix>& routed,
                                                     std::array<int, 2> ifindex);

}  // namespace tandem::daemon
