// systemd-resolved's per-link DNS settings over D-Bus (sd-bus): the servers a link's queries go
// to and its routing domains ("~corp.example"), set on the tunnel device and reverted at stop.
// resolved forgets a link's settings when the link goes away, so a killed daemon, whose TUN
// device the kernel removes, leaves nothing behind.
//
// org.freedesktop.resolve1.Manager: SetLinkDNS(i ifindex, a(iay) addresses),
// SetLinkDomains(i ifindex, a(sb) domains with a "routing only" flag),
// SetLinkDefaultRoute(i ifindex, b), RevertLink(i ifindex), as resolvectl(1) calls them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace tandem::io {

struct ResolvedLink {
  std::string device;
  std::vector<IpAddress> servers;
  std::vector<std::pair<std::string, bool>> domains;  // (name, routing only)
  bool default_route = false;
};

// One a(iay) entry of SetLinkDNS: the address family (AF_INET, AF_INET6) and its bytes.
struct ResolvedDnsEntry {
  int family = 0;
  std::vector<std::uint8_t> address;
  friend bool operator==(const ResolvedDnsEntry&, const ResolvedDnsEntry&) = default;
};
std::vector<ResolvedDnsEntry> resolved_dns_entries(const std::vector<IpAddress>& servers);

// Whether systemd-resolved serves this host: its runtime directory exists, its bus name has an
// owner on the system bus, and that process is in our network namespace (not the host's
// resolved seen from inside `ip netns exec`).
bool resolved_running();

// Sets the link's servers, domains and default-route flag; the error names the call that failed.
Result<Ok, std::string> resolved_set_link(const ResolvedLink& link);
// RevertLink: the link back to what resolved had before.
Result<Ok, std::string> resolved_revert_link(const std::string& device);

}  // namespace tandem::io
