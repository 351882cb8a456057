// [nesting]: one tunnel carried inside the other (hybrid_config.hpp, NestingSettings). The
// checks here are the ones an operator gets wrong first: the inner tunnel's far end must be an
// address inside the outer tunnel, since the inner protocol has no other way out.
#include <algorithm>

#include "control/config.hpp"
#include "control/toml_reader.hpp"

namespace tandem::control {
namespace {

bool inside(const std::vector<IpPrefix>& prefixes, const IpAddress& address) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const IpPrefix& p) { return p.contains(address); });
}

// WireGuard inside: its one [[peer]] is reached at an IPv4 address inside the outer tunnel.
Result<Ok, ConfigError> check_wireguard_inside(const Reader& r, const toml::table& root,
                                               const NodeConfig& cfg) {
  const PeerConfig& peer = cfg.peers[0];
  const toml::node* peer_node = root.get("peer")->as_array()->get(0);
  const auto address =
      peer.endpoint_host ? IpAddress::parse(*peer.endpoint_host) : std::optional<IpAddress>();
  if (!address || !address->is_v4())
    return r.error(peer_node,
                   std::string("with [nesting] outer = \"") +
                       (cfg.nesting->outer == hybrid::PathKind::kL2tpIpsec ? "l2tp" : "ipsec") +
                       "\", the [[peer]] needs endpoint = \"ADDRESS:PORT\" with the peer's IPv4 "
                       "address inside the outer tunnel (WireGuard's datagrams have no other "
                       "way out)");
  if (cfg.nesting->outer == hybrid::PathKind::kIpsecTunnel) {
    const IpsecConfig& ipsec = *cfg.ipsec;
    if (ipsec.addresses.empty() || !ipsec.addresses.front().address.is_v4())
      return r.error(root.get("ipsec"),
                     "with [nesting] outer = \"ipsec\", [ipsec] needs addresses = "
                     "[\"ADDRESS/LEN\"]: this node's IPv4 address inside the ESP tunnel, which "
                     "WireGuard's datagrams leave from");
    const auto& conn = ipsec.connections.front();
    if (!inside(conn.local_subnets, ipsec.addresses.front().address))
      return r.error(root.get("ipsec"), "[ipsec] addresses " +
                                            ipsec.addresses.front().address.to_string() +
                                            " is outside the connection's local_subnets");
    if (!inside(conn.remote_subnets, *address))
      return r.error(peer_node, "the [[peer]]'s endpoint " + address->to_string() +
                                    " is outside the [[ipsec.connection]]'s remote_subnets, so "
                                    "the ESP tunnel could not carry WireGuard to it");
  }
  return Ok{};
}

// WireGuard outside: the inner tunnel's server is reached through the [[peer]], and its IKE and
// ESP leave from an [interface] address.
Result<Ok, ConfigError> check_wireguard_outside(const Reader& r, const toml::table& root,
                                                const NodeConfig& cfg) {
  const auto& allowed = cfg.peers[0].allowed_ips;
  const InterfaceConfig& ic = *cfg.interface;
  const bool has_v4 = std::any_of(ic.addresses.begin(), ic.addresses.end(),
                                  [](const InterfaceAddress& a) { return a.address.is_v4(); });
  if (!has_v4)
    return r.error(root.get("interface"),
                   "with [nesting] outer = \"wireguard\", [interface] needs an IPv4 address: the "
                   "inner tunnel's IKE and ESP leave from it");
  if (cfg.l2tp) {
    const L2tpConfig& l2tp = *cfg.l2tp;
    const toml::node* node = root.get("l2tp");
    const auto server = IpAddress::parse(l2tp.server_host);
    if (!server || !server->is_v4())
      return r.error(node,
                     "with [nesting] outer = \"wireguard\", [l2tp] server must be the gateway's "
                     "IPv4 address inside the WireGuard tunnel");
    if (!inside(allowed, *server))
      return r.error(node, "[l2tp] server " + server->to_string() +
                               " is outside the [[peer]]'s allowed_ips, so WireGuard could not "
                               "carry L2TP/IPsec to it; add it to allowed_ips");
    if (!l2tp.ipsec)
      return r.error(node,
                     "with [nesting], L2TP runs inside WireGuard as L2TP/IPsec: add [l2tp.ipsec]");
    if (l2tp.ipsec->force_udp_encapsulation == false)
      return r.error(node->as_table()->get("ipsec"),
                     "inside WireGuard, ESP rides UDP 4500: remove force_udp_encapsulation = "
                     "false");
    if (l2tp.routes.empty())
      return r.error(node,
                     "with [nesting] outer = \"wireguard\", [l2tp] needs routes = [...]: the "
                     "prefixes the device sends into the L2TP session");
    return Ok{};
  }
  const IpsecConfig& ipsec = *cfg.ipsec;
  const toml::node* node = root.get("ipsec");
  if (std::none_of(ic.addresses.begin(), ic.addresses.end(),
                   [&](const InterfaceAddress& a) { return a.address == ipsec.local_address; }))
    return r.error(node->as_table()->get("local_address"),
                   "with [nesting] outer = \"wireguard\", [ipsec] local_address must be this "
                   "node's [interface] address: IKE and ESP leave from it inside WireGuard");
  const auto& conn = ipsec.connections.front();
  if (!conn.remote_address || !inside(allowed, *conn.remote_address))
    return r.error(node,
                   "the [[ipsec.connection]]'s remote_address must be inside the [[peer]]'s "
                   "allowed_ips, so that WireGuard carries IKE and ESP to it");
  return Ok{};
}

}  // namespace

Result<Ok, ConfigError> read_nesting(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node& node = *root.get("nesting");
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "nesting must be a table: [nesting]");
  if (auto ok = r.only_keys(*t, "[nesting]", {"outer"}); !ok) return Err(ok.error());
  const toml::node* outer = t->get("outer");
  const std::string value = outer && outer->is_string() ? outer->as_string()->get() : "";
  NestingSettings s;
  if (value == "l2tp")
    s.outer = hybrid::PathKind::kL2tpIpsec;
  else if (value == "ipsec")
    s.outer = hybrid::PathKind::kIpsecTunnel;
  else if (value == "wireguard")
    s.outer = hybrid::PathKind::kWireguard;
  else
    return r.error(outer ? outer : &node,
                   "[nesting] needs outer = \"l2tp\" or \"ipsec\" (WireGuard rides inside that "
                   "tunnel) or \"wireguard\" (the [l2tp] or [ipsec] tunnel rides inside "
                   "WireGuard)");
  if (cfg.peers.size() != 1)
    return r.error(&node, "[nesting] needs exactly one [[peer]]: the WireGuard end of the stack");
  if (!cfg.l2tp && !cfg.ipsec)
    return r.error(&node,
                   "[nesting] needs the tunnel stacked with WireGuard: an [l2tp] section "
                   "(mode = \"lac\") or an [ipsec] section");
  if (s.outer == hybrid::PathKind::kL2tpIpsec && !cfg.l2tp)
    return r.error(outer, "outer = \"l2tp\" needs an [l2tp] section");
  if (s.outer == hybrid::PathKind::kIpsecTunnel && !cfg.ipsec)
    return r.error(outer, "outer = \"ipsec\" needs an [ipsec] section");
  if (root.get("policy"))
    return r.error(root.get("policy"),
                   "[[policy]] chooses between paths side by side ([fallback]); a nested stack "
                   "has one path");
  cfg.nesting = s;
  auto ok = s.outer == hybrid::PathKind::kWireguard ? check_wireguard_outside(r, root, cfg)
                                                    : check_wireguard_inside(r, root, cfg);
  if (!ok) {
    cfg.nesting.reset();
    return ok;
  }
  return Ok{};
}

}  // namespace tandem::control
