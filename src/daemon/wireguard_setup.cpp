#include "daemon/wireguard_setup.hpp"

#include <spdlog/spdlog.h>

#include "daemon/node_startup.hpp"
#include "daemon/peer_event_log.hpp"
#include "io/netlink.hpp"
#include "io/resolve.hpp"

namespace tandem::daemon {

Result<Ok, std::string> apply_peers(WireguardInterface& wg, const control::NodeConfig& config,
                                    std::vector<NamedPeer> extra) {
  const auto& ic = *config.interface;
  control::UapiSet set;
  set.private_key = ic.private_key;
  set.fwmark = ic.fwmark;
  set.replace_peers = true;
  std::vector<const control::PeerConfig*> unresolved;
  for (const auto& p : config.peers) {
    control::UapiPeerSet ps;
    ps.public_key = p.public_key;
    ps.preshared_key = p.preshared_key;
    if (p.endpoint_host) {
      if (auto ep = io::resolve_endpoint(*p.endpoint_host, p.endpoint_port)) {
        ps.endpoint = *ep;
      } else {
        spdlog::warn("peer {}: {}; starting without its endpoint, retrying in the background",
                     p.name.empty() ? PeerEventLog::abbreviate(p.public_key) : p.name, ep.error());
        unresolved.push_back(&p);
      }
    }
    ps.persistent_keepalive_interval = p.persistent_keepalive;
    ps.replace_allowed_ips = true;
    ps.allowed_ips = p.allowed_ips;
    set.peers.push_back(std::move(ps));
    if (!p.name.empty()) wg.set_peer_name(p.public_key, p.name);
  }
  for (auto& e : extra) {
    if (!e.name.empty()) wg.set_peer_name(e.peer.public_key, e.name);
    set.peers.push_back(std::move(e.peer));
  }
  if (int err = wg.apply(set); err != 0)
    return Err("cannot apply configuration (errno " + std::to_string(err) + ")");
  for (const auto* p : unresolved)
    wg.resolve_endpoint_in_background(p->public_key, *p->endpoint_host, p->endpoint_port);
  return Ok{};
}

Result<Ok, std::string> configure_device(int ifindex, const control::NodeConfig& config,
                                         std::span<const IpPrefix> extra_routes) {
  const auto& ic = *config.interface;
  auto nl = io::Netlink::open();
  if (!nl) return Err(nl.error());
  for (const auto& a : ic.addresses)
    if (auto ok = nl->add_address(ifindex, a); !ok)
      return Err("cannot add address " + a.to_string() + ": " + ok.error());
  if (auto ok = nl->set_link_up(ifindex); !ok) return Err(ok.error());
  if (!ic.add_routes) {
    spdlog::info("table = \"off\": no routes added for the peers' allowed IPs");
    return Ok{};
  }
  PeerRoutePlan plan = plan_peer_routes(config);
  for (const auto& prefix : plan.not_routed)
    spdlog::warn(
        "allowed IP {} is not routed automatically (default routes need policy "
        "routing, which this version does not set up)",
        prefix.to_string());
  plan.routes.insert(plan.routes.end(), extra_routes.begin(), extra_routes.end());
  if (ic.route_table)
    spdlog::info("routes for the peers' allowed IPs go into table {}", *ic.route_table);
  for (const auto& prefix : plan.routes) {
    // A prefix inside one of our own connected subnets is reached through that route.
    if (auto ok = nl->add_route(io::Route{prefix, ifindex, ic.route_table, std::nullopt});
        !ok && ok.error().find("exists") == std::string::npos)
      spdlog::warn("route {}: {}", prefix.to_string(), ok.error());
  }
  return Ok{};
}

}  // namespace tandem::daemon
