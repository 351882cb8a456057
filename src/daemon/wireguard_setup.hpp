// The WireGuard part of a node's config put into effect, for a plain WireGuard interface and for
// the WireGuard path of a hybrid interface alike: the key and the peers, then the device's
// addresses and routes.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/config.hpp"
#include "control/uapi.hpp"
#include "daemon/reload_plan.hpp"
#include "daemon/wireguard_interface.hpp"
#include "io/netlink.hpp"

namespace tandem::daemon {

// A peer that does not come from a [[peer]] section (a gateway's account key), with the name
// its log lines use.
struct NamedPeer {
  control::UapiPeerSet peer;
  std::string name;
};

// Sets [interface]'s private key and fwmark and replaces the peers with the config's [[peer]]s
// and `extra`. A peer whose endpoint name does not resolve yet (at boot DNS may not be up)
// starts without its endpoint, and the name is resolved again in the background.
Result<Ok, std::string> apply_peers(WireguardInterface& wg, const control::NodeConfig& config,
                                    std::vector<NamedPeer> extra = {});

// A reload's peer changes (reload_plan.hpp) on the running interface: removed peers go, added
// ones come, changed ones are updated in what changed and keep their sessions; then the routes
// for allowed IPs that appeared or went. A route that cannot be changed is a warning, as at
// start-up.
Result<Ok, std::string> apply_peer_changes(WireguardInterface& wg, const ReloadPlan& plan);

// Deletes the routes through `ifindex` for `removed`, then adds those for `added`. A route that
// cannot be changed is a warning, as at start-up (one that exists already is no error).
void change_routes(io::Netlink& nl, int ifindex, std::span<const IpPrefix> removed,
                   std::span<const IpPrefix> added);

// Puts [interface]'s addresses on the device, brings it up, and adds a route for every peer's
// allowed IPs (none with table = "off") and for `extra_routes`.
// The device MTU of the [interface]: its mtu when the file gives one; otherwise the MTU budget
// over the path to the peers' endpoint addresses (the smallest; the kernel's path MTU towards
// each, less IPv4's or IPv6's headers, UDP and WireGuard's 32 bytes), as wg-quick sizes its MTU
// from the route to its peers but per family; 1420 when no peer has an endpoint address. `why`
// says which.
unsigned wireguard_device_mtu(const control::NodeConfig& config, std::string* why = nullptr);

Result<Ok, std::string> configure_device(int ifindex, const control::NodeConfig& config,
                                         std::span<const IpPrefix> extra_routes = {});

}  // namespace tandem::daemon
