// Reading [dns] (dns_config.hpp). Read after the [[peer]]s and the hybrid sections: a tunnel
// group needs the [interface] device, and its servers must be inside what the tunnel carries.
#include "control/dns_config.hpp"

#include <map>
#include <set>

#include "control/toml_reader.hpp"
#include "dns/message.hpp"

namespace tandem::control {
namespace {

constexpr std::int64_t kMaxTimeoutSeconds = 30;

// "10.0.0.53" (port 53) or "10.0.0.53:5353", "[fd00::53]:53", "fd00::53".
std::optional<Endpoint> server_endpoint(const std::string& text) {
  if (auto address = IpAddress::parse(text)) return Endpoint{*address, kDnsPort};
  auto ep = Endpoint::parse(text);
  if (!ep || ep->port == 0) return std::nullopt;
  return ep;
}

// Whether some peer of the tunnel carries `address` (its allowed IPs, or the gateway's own
// subnet on its [interface]).
bool tunnel_carries(const NodeConfig& cfg, const IpAddress& address) {
  for (const auto& peer : cfg.peers)
    for (const auto& prefix : peer.allowed_ips)
      if (prefix.contains(address)) return true;
  if (cfg.gateway())
    for (const auto& own : cfg.interface->addresses)
      if (IpPrefix(own.address, own.prefix_length).contains(address)) return true;
  return false;
}

Result<DnsUpstreamConfig, ConfigError> read_upstream(const Reader& r, const toml::node& item,
                                                     const NodeConfig& cfg) {
  const toml::table* t = item.as_table();
  if (!t) return r.error(&item, "upstream must be written as [[dns.upstream]] tables");
  if (auto ok = r.only_keys(*t, "[[dns.upstream]]", {"name", "through", "servers"}); !ok)
    return Err(ok.error());
  DnsUpstreamConfig up;
  auto name = r.string_key(*t, "name");
  if (!name) return Err(name.error());
  if (!*name)
    return r.error(&item, "[[dns.upstream]] needs a name, which routes and default refer to");
  up.name = **name;
  const toml::node* through = t->get("through");
  const std::string how = through && through->is_string() ? through->as_string()->get() : "";
  if (!through || (how != "tunnel" && how != "underlay"))
    return r.error(through ? through : &item,
                   "upstream '" + up.name +
                       "' needs through = \"tunnel\" (its servers reached inside this node's "
                       "tunnel only) or \"underlay\" (the host's own routing)");
  up.through = how == "tunnel" ? DnsThrough::kTunnel : DnsThrough::kUnderlay;
  auto servers = r.strings(*t, "servers");
  if (!servers) return Err(servers.error());
  if (servers->empty())
    return r.error(t->get("servers") ? t->get("servers") : &item,
                   "upstream '" + up.name + "' needs servers = [\"IP\", \"IP:PORT\", ...]");
  for (const auto& [text, node] : *servers) {
    auto ep = server_endpoint(text);
    if (!ep)
      return r.error(node, "'" + text +
                               "' is not a server: give an IP address, with :PORT when it is "
                               "not 53 (\"[fd00::53]:5353\" for IPv6)");
    if (up.through == DnsThrough::kTunnel && !tunnel_carries(cfg, ep->address))
      return r.error(node, "server " + ep->address.to_string() + " of tunnel upstream '" + up.name +
                               "' is in no [[peer]]'s allowed_ips: the tunnel would drop its "
                               "queries; add it to the peer's allowed_ips or use "
                               "through = \"underlay\"");
    up.servers.push_back(*ep);
  }
  return up;
}

Result<Ok, ConfigError> read_listen(const Reader& r, const toml::table& t, const NodeConfig& cfg,
                                    DnsSettings& s) {
  auto listen = r.strings(t, "listen");
  if (!listen) return Err(listen.error());
  for (const auto& [text, node] : *listen) {
    auto ep = server_endpoint(text);
    if (!ep)
      return r.error(node, "'" + text +
                               "' is not a listen address: give an IP address of this node, "
                               "with :PORT when it is not 53");
    s.listen.push_back(*ep);
  }
  if (t.get("listen") && s.listen.empty())
    return r.error(t.get("listen"),
                   "listen is empty: leave it out to take queries on the [interface] addresses");
  if (s.listen.empty())
    for (const auto& own : cfg.interface->addresses) s.listen.push_back({own.address, kDnsPort});
  return Ok{};
}

Result<Ok, ConfigError> read_routes(const Reader& r, const toml::table& t,
                                    const std::map<std::string, std::size_t>& groups,
                                    DnsSettings& s) {
  const toml::node* routes = t.get("route");
  if (!routes) return Ok{};
  const toml::array* arr = routes->as_array();
  if (!arr) return r.error(routes, "route must be written as [[dns.route]] tables");
  std::vector<std::string_view> names;
  for (const auto& [name, index] : groups) names.push_back(name);
  std::set<std::string> seen;  // wire form: "Corp.Example." and "corp.example" are one domain
  for (const auto& item : *arr) {
    const toml::table* rt = item.as_table();
    if (!rt) return r.error(&item, "route must be written as [[dns.route]] tables");
    if (auto ok = r.only_keys(*rt, "[[dns.route]]", {"domains", "upstream"}); !ok)
      return Err(ok.error());
    DnsRouteConfig route;
    auto upstream = r.string_key(*rt, "upstream");
    if (!upstream) return Err(upstream.error());
    if (!*upstream)
      return r.error(&item, "[[dns.route]] needs upstream = the name of a [[dns.upstream]]");
    route.upstream = **upstream;
    if (!groups.contains(route.upstream))
      return r.error(rt->get("upstream"), "no [[dns.upstream]] is named '" + route.upstream + "'" +
                                              did_you_mean(route.upstream, names));
    auto domains = r.strings(*rt, "domains");
    if (!domains) return Err(domains.error());
    if (domains->empty())
      return r.error(rt->get("domains") ? rt->get("domains") : &item,
                     "[[dns.route]] needs domains = [\"corp.example\", ...]");
    for (const auto& [text, node] : *domains) {
      const auto wire = dns::name_from_text(text);
      if (!wire)
        return r.error(node, "'" + text +
                                 "' is not a domain name (labels of letters, digits, '-' and "
                                 "'_', such as \"corp.example\")");
      if (wire->size() == 1)
        return r.error(node, "a route for the root takes every name: set default = \"" +
                                 route.upstream + "\" in [dns] instead");
      if (!seen.insert(*wire).second)
        return r.error(node,
                       "domain '" + text + "' is routed twice: keep it in one [[dns.route]] only");
      route.domains.push_back(text);
    }
    s.routes.push_back(std::move(route));
  }
  return Ok{};
}

}  // namespace

std::string dns_path(const DnsUpstreamConfig& upstream, const std::string& interface_name) {
  return upstream.through == DnsThrough::kTunnel ? "tunnel:" + interface_name : "underlay";
}

Result<Ok, ConfigError> read_dns(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node* node = root.get("dns");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "dns must be a table: [dns]");
  if (auto ok = r.only_keys(*t, "[dns]",
                            {"listen", "default", "timeout", "host_resolver", "upstream", "route"});
      !ok)
    return Err(ok.error());
  if (!cfg.interface)
    return r.error(node,
                   "[dns] runs beside a WireGuard or hybrid [interface], whose device its tunnel "
                   "upstreams are bound to and whose addresses it listens on; this node has "
                   "none");
  DnsSettings s;
  if (auto ok = read_listen(r, *t, cfg, s); !ok) return ok;
  std::map<std::string, std::size_t> groups;
  const toml::node* upstreams = t->get("upstream");
  if (!upstreams)
    return r.error(node, "[dns] needs at least one [[dns.upstream]] with name, through, servers");
  const toml::array* arr = upstreams->as_array();
  if (!arr) return r.error(upstreams, "upstream must be written as [[dns.upstream]] tables");
  for (const auto& item : *arr) {
    auto up = read_upstream(r, item, cfg);
    if (!up) return Err(up.error());
    if (!groups.emplace(up->name, s.upstreams.size()).second)
      return r.error(item.as_table()->get("name"),
                     "two [[dns.upstream]] are named '" + up->name + "': rename one");
    s.upstreams.push_back(std::move(*up));
  }
  if (auto ok = read_routes(r, *t, groups, s); !ok) return ok;
  auto fallback = r.string_key(*t, "default");
  if (!fallback) return Err(fallback.error());
  if (*fallback) {
    std::vector<std::string_view> names;
    for (const auto& [name, index] : groups) names.push_back(name);
    if (!groups.contains(**fallback))
      return r.error(t->get("default"), "default names no [[dns.upstream]] ('" + **fallback + "')" +
                                            did_you_mean(**fallback, names));
    s.default_upstream = **fallback;
  } else if (s.routes.empty()) {
    return r.error(node,
                   "[dns] routes nothing: add [[dns.route]] with domains and upstream, or "
                   "default = the upstream for every name");
  }
  auto timeout = r.integer<unsigned>(*t, "timeout", 1, kMaxTimeoutSeconds);
  if (!timeout) return Err(timeout.error());
  if (*timeout) s.timeout = std::chrono::seconds(**timeout);
  auto host = r.bool_key(*t, "host_resolver", false);
  if (!host) return Err(host.error());
  s.host_resolver = *host;
  if (s.host_resolver && !cfg.interface->dns.empty())
    return r.error(t->get("host_resolver"),
                   "host_resolver points this host's resolver at the forwarder, and [interface] "
                   "dns hands other servers to resolvconf: keep one of them");
  // A hybrid gateway's PPP clients are offered the forwarder too (IPCP takes two IPv4 servers),
  // unless [l2tp] dns names servers of its own.
  if (cfg.gateway() && cfg.l2tp && cfg.l2tp->dns.empty())
    for (const auto& listen : s.listen)
      if (listen.address.is_v4() && listen.port == kDnsPort && cfg.l2tp->dns.size() < 2)
        cfg.l2tp->dns.push_back(listen.address);
  cfg.dns = std::move(s);
  return Ok{};
}

}  // namespace tandem::control
