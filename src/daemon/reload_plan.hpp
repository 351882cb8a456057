// What reloading a running node's config (SIGHUP, `tandem reload NAME`) changes, decided from the
// config the daemon runs and the file it has just read, before anything is touched.
//
// The WireGuard peers of a plain (not hybrid) node are applied live, as `wg syncconf` does:
// peers are matched by public key; a peer whose key is gone is removed, a new key is added, and a
// peer that stays is updated in what differs (pre-shared key, allowed IPs, endpoint, keepalive,
// name) and keeps its sessions. The routes for the allowed IPs follow. So are a hybrid gateway's
// accounts (added, removed or changed, by name). Any other difference (the interface's name, key,
// port, addresses, MTU, fwmark or table; a section added or removed; an L2TP, IPsec, account
// pool or fallback setting) would need the device, its sockets or its sessions
// made again, so the reload is refused as a whole with every such setting named: the daemon
// applies the whole new config or none of it.
#pragma once

#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/config.hpp"

namespace tandem::daemon {

struct ChangedPeer {
  control::PeerConfig peer;         // as the new file has it
  std::vector<std::string> fields;  // "preshared_key", "allowed_ips", "endpoint", ...
};

struct ReloadPlan {
  std::vector<control::PeerConfig> added;
  std::vector<control::PeerConfig> removed;  // as the running config has them
  std::vector<ChangedPeer> changed;
  std::vector<IpPrefix> routes_added;  // through the WireGuard interface
  std::vector<IpPrefix> routes_removed;
  // A hybrid gateway's accounts, by name; the gateway applies the new [[account]]s as a whole
  // (HybridInterface::reload_accounts), which may still refuse them for what it alone knows.
  std::vector<std::string> accounts_added;
  std::vector<std::string> accounts_removed;
  std::vector<std::string> accounts_changed;

  bool peers_change() const { return !added.empty() || !removed.empty() || !changed.empty(); }
  bool accounts_change() const {
    return !accounts_added.empty() || !accounts_removed.empty() || !accounts_changed.empty();
  }
  bool empty() const { return !peers_change() && !accounts_change(); }
  // "1 peer added (far2), 0 removed, 1 changed (far: allowed_ips endpoint)", "1 account added
  // (carol), 0 removed, 0 changed", or "no changes".
  std::string summary() const;
};

// The settings whose change needs a restart: "[interface] listen_port changed (51820 -> 51821)",
// "[l2tp] section added", "[[account]] bob added, alice changed".
struct ReloadRefusal {
  std::vector<std::string> settings;
  std::string to_string() const;  // the settings, separated by "; "
};

Result<ReloadPlan, ReloadRefusal> plan_reload(const control::NodeConfig& running,
                                              const control::NodeConfig& next);

// How log lines and summaries call a peer: its name, or the first characters of its key.
std::string peer_label(const control::PeerConfig& peer);

}  // namespace tandem::daemon
