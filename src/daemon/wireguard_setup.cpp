#include "daemon/wireguard_setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/packet.hpp"
#include "daemon/node_startup.hpp"
#include "daemon/peer_event_log.hpp"
#include "hybrid/mtu_budget.hpp"
#include "io/netlink.hpp"
#include "io/path_mtu.hpp"
#include "io/resolve.hpp"

namespace tandem::daemon {

unsigned wireguard_device_mtu(const control::NodeConfig& config, std::string* why) {
  const control::InterfaceConfig& ic = *config.interface;
  const auto say = [&](std::string text) {
    if (why) *why = std::move(text);
  };
  if (ic.mtu_given) {
    say("as configured");
    return ic.mtu;
  }
  std::optional<std::size_t> smallest;
  std::string from;
  for (const auto& p : config.peers) {
    const auto address = p.endpoint_host ? IpAddress::parse(*p.endpoint_host) : std::nullopt;
    if (!address) continue;
    const Endpoint to{*address, p.endpoint_port};
    auto path = io::cached_path_mtu(to, ic.fwmark);
    if (!path) continue;  // no route to it now: it does not size the device
    const hybrid::StackSpec spec{hybrid::StackKind::kWireguard, address->family()};
    auto budget = hybrid::mtu_budget(spec, *path);
    if (!budget) continue;
    if (!smallest || budget->inner_mtu < *smallest) {
      smallest = budget->inner_mtu;
      from = "the path to " + to.to_string() + " carries " + std::to_string(*path) + ", less " +
             std::to_string(*path - budget->inner_mtu) + " of IPv" +
             (address->is_v4() ? "4" : "6") + ", UDP and WireGuard";
    }
  }
  if (!smallest) {
    say("no peer endpoint address to size it from: " + std::to_string(ic.mtu));
    return ic.mtu;
  }
  // What the config parser allows, too.
  const auto mtu = static_cast<unsigned>(std::clamp<std::size_t>(*smallest, 1280, kMaxTunnelMtu));
  if (mtu != *smallest)
    from += mtu > *smallest ? "; kept to 1280, IPv6's minimum"
                            : "; kept to " + std::to_string(mtu) +
                                  ", the largest packet the "
                                  "data path carries";
  say(from);
  return mtu;
}

namespace {

// The UAPI form of a [[peer]]'s endpoint. A name that does not resolve yet (at boot DNS may not be
// up) is left out and the peer goes into `unresolved`, to be resolved again in the background.
std::optional<Endpoint> peer_endpoint(const control::PeerConfig& p,
                                      std::vector<const control::PeerConfig*>& unresolved) {
  if (!p.endpoint_host) return std::nullopt;
  auto ep = io::resolve_endpoint(*p.endpoint_host, p.endpoint_port);
  if (ep) return *ep;
  spdlog::warn("peer {}: {}; starting without its endpoint, retrying in the background",
               peer_label(p), ep.error());
  unresolved.push_back(&p);
  return std::nullopt;
}

void resolve_in_background(WireguardInterface& wg,
                           const std::vector<const control::PeerConfig*>& unresolved) {
  for (const auto* p : unresolved)
    wg.resolve_endpoint_in_background(p->public_key, *p->endpoint_host, p->endpoint_port);
}

// Every setting of a [[peer]], for a peer being added.
control::UapiPeerSet whole_peer(const control::PeerConfig& p,
                                std::vector<const control::PeerConfig*>& unresolved) {
  control::UapiPeerSet ps;
  ps.public_key = p.public_key;
  ps.preshared_key = p.preshared_key;
  ps.endpoint = peer_endpoint(p, unresolved);
  ps.persistent_keepalive_interval = p.persistent_keepalive;
  ps.replace_allowed_ips = true;
  ps.allowed_ips = p.allowed_ips;
  return ps;
}

// Only what changed in a peer that stays: an endpoint it was not given again is kept (it may
// have roamed), and nothing that touches its sessions is set.
control::UapiPeerSet peer_update(const ChangedPeer& c,
                                 std::vector<const control::PeerConfig*>& unresolved) {
  const auto changed = [&](std::string_view field) {
    return std::find(c.fields.begin(), c.fields.end(), field) != c.fields.end();
  };
  const control::PeerConfig& p = c.peer;
  control::UapiPeerSet ps;
  ps.public_key = p.public_key;
  ps.update_only = true;
  if (changed("preshared_key"))  // all zero: no pre-shared key any more
    ps.preshared_key = p.preshared_key ? *p.preshared_key : crypto::Key32{};
  if (changed("endpoint")) ps.endpoint = peer_endpoint(p, unresolved);
  if (changed("persistent_keepalive")) ps.persistent_keepalive_interval = p.persistent_keepalive;
  if (changed("allowed_ips")) {
    ps.replace_allowed_ips = true;
    ps.allowed_ips = p.allowed_ips;
  }
  return ps;
}

// A peer's mtu_probe_target (or none) on the running interface.
Result<Ok, std::string> set_mtu_probe_target(WireguardInterface& wg, const control::PeerConfig& p) {
  auto ok = wg.set_mtu_probe_target(p.public_key, p.mtu_probe_target);
  if (!ok) return Err("peer " + peer_label(p) + ": mtu_probe_target: " + ok.error());
  if (p.mtu_probe_target)
    spdlog::info("peer {}: path MTU probing with pings to {}", peer_label(p),
                 p.mtu_probe_target->to_string());
  return Ok{};
}

}  // namespace

Result<Ok, std::string> apply_peers(WireguardInterface& wg, const control::NodeConfig& config,
                                    std::vector<NamedPeer> extra) {
  const auto& ic = *config.interface;
  control::UapiSet set;
  set.private_key = ic.private_key;
  set.fwmark = ic.fwmark;
  set.replace_peers = true;
  std::vector<const control::PeerConfig*> unresolved;
  for (const auto& p : config.peers) {
    set.peers.push_back(whole_peer(p, unresolved));
    if (!p.name.empty()) wg.set_peer_name(p.public_key, p.name);
  }
  for (auto& e : extra) {
    if (!e.name.empty()) wg.set_peer_name(e.peer.public_key, e.name);
    set.peers.push_back(std::move(e.peer));
  }
  if (int err = wg.apply(set); err != 0)
    return Err("cannot apply configuration (errno " + std::to_string(err) + ")");
  std::vector<IpAddress> sources;
  for (const auto& a : ic.addresses) sources.push_back(a.address);
  wg.configure_mtu_probing(std::move(sources), std::chrono::seconds(ic.mtu_probe_interval_s));
  for (const auto& p : config.peers)
    if (auto ok = set_mtu_probe_target(wg, p); !ok) return Err(ok.error());
  wg.hold_peers_to_known_paths();
  resolve_in_background(wg, unresolved);
  return Ok{};
}

Result<Ok, std::string> apply_peer_changes(WireguardInterface& wg, const ReloadPlan& plan) {
  auto nl = io::Netlink::open();  // before any change: a failure here leaves everything as it was
  if (!nl) return Err(nl.error());
  control::UapiSet set;
  std::vector<const control::PeerConfig*> unresolved;
  for (const auto& p : plan.removed) {
    control::UapiPeerSet ps;
    ps.public_key = p.public_key;
    ps.remove = true;
    set.peers.push_back(ps);
  }
  for (const auto& p : plan.added) {
    set.peers.push_back(whole_peer(p, unresolved));
    wg.set_peer_name(p.public_key, p.name);
  }
  for (const auto& c : plan.changed) {
    set.peers.push_back(peer_update(c, unresolved));
    wg.set_peer_name(c.peer.public_key, c.peer.name);
  }
  if (int err = wg.apply(set); err != 0)
    return Err("cannot apply the peers (errno " + std::to_string(err) + ")");
  // The config was checked as a whole, so a target has an address of its family to leave from.
  for (const auto& p : plan.removed) (void)wg.set_mtu_probe_target(p.public_key, std::nullopt);
  for (const auto& p : plan.added)
    if (auto ok = set_mtu_probe_target(wg, p); !ok) spdlog::warn("{}", ok.error());
  for (const auto& c : plan.changed)
    if (std::find(c.fields.begin(), c.fields.end(), "mtu_probe_target") != c.fields.end())
      if (auto ok = set_mtu_probe_target(wg, c.peer); !ok) spdlog::warn("{}", ok.error());
  resolve_in_background(wg, unresolved);
  change_routes(*nl, wg.ifindex(), plan.routes_removed, plan.routes_added);
  return Ok{};
}

void change_routes(io::Netlink& nl, int ifindex, std::span<const IpPrefix> removed,
                   std::span<const IpPrefix> added) {
  for (const auto& prefix : removed)
    if (auto ok = nl.delete_route(io::Route{prefix, ifindex, std::nullopt, std::nullopt}); !ok)
      spdlog::warn("route {}: {}", prefix.to_string(), ok.error());
  for (const auto& prefix : added)
    if (auto ok = nl.add_route(io::Route{prefix, ifindex, std::nullopt, std::nullopt});
        !ok && ok.error().find("exists") == std::string::npos)
      spdlog::warn("route {}: {}", prefix.to_string(), ok.error());
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
