// [dns]: the node's split-DNS forwarder (dns/forwarder.hpp, run by daemon/dns_service.hpp).
// Queries arrive on `listen` (by default the [interface] addresses, port 53); a name is sent to
// the upstream group of the longest `[[dns.route]]` suffix it ends in, or to `default`, and is
// refused when neither takes it. A group is reached `through` the tunnel (its sockets bound to
// the [interface] device, so its queries cannot leave on the underlay whatever the routes say)
// or the underlay (the host's routing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"

namespace tandem::control {

inline constexpr std::uint16_t kDnsPort = 53;

enum class DnsThrough : std::uint8_t { kTunnel, kUnderlay };

// [[dns.upstream]]: resolvers tried in order, all reached one way.
struct DnsUpstreamConfig {
  std::string name;
  DnsThrough through = DnsThrough::kTunnel;
  std::vector<Endpoint> servers;
  friend bool operator==(const DnsUpstreamConfig&, const DnsUpstreamConfig&) = default;
};

// [[dns.route]]: names ending in one of `domains` (whole labels) go to group `upstream`.
struct DnsRouteConfig {
  std::vector<std::string> domains;
  std::string upstream;
  friend bool operator==(const DnsRouteConfig&, const DnsRouteConfig&) = default;
};

struct DnsSettings {
  // Where queries are taken, UDP and TCP. Filled from the [interface] addresses (port 53) when
  // the file gives no `listen`.
  std::vector<Endpoint> listen;
  std::vector<DnsUpstreamConfig> upstreams;
  std::vector<DnsRouteConfig> routes;
  std::optional<std::string> default_upstream;  // none: names no route takes are REFUSED
  Duration timeout = std::chrono::seconds(2);   // per try, before the group's next server
  // Point this host's resolver at the forwarder while the node runs (daemon/host_resolver.hpp).
  bool host_resolver = false;
  friend bool operator==(const DnsSettings&, const DnsSettings&) = default;
};

// The device a `through = "tunnel"` group's sockets are bound to, as the engine's path names
// it: "tunnel:" + the interface name. "underlay" for the others.
std::string dns_path(const DnsUpstreamConfig& upstream, const std::string& interface_name);

}  // namespace tandem::control
