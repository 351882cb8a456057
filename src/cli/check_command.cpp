#include "cli/check_command.hpp"

#include <ostream>
#include <sstream>

#include "cli/up_arguments.hpp"
#include "crypto/key_encoding.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/interface_hooks.hpp"
#include "daemon/l2tp_mtu.hpp"
#include "daemon/nested_interface.hpp"
#include "daemon/node_startup.hpp"
#include "daemon/wireguard_setup.hpp"
#include "io/child_process.hpp"
#include "ppp/lcp.hpp"

namespace tandem::cli {
namespace {

template <typename T>
std::string joined(const std::vector<T>& items) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ", ") + item.to_string();
  return s.empty() ? "none" : s;
}

std::string peer_label(const control::PeerConfig& p) {
  // The first 8 base64 characters, as `tandem status` and the event log abbreviate keys.
  const std::string key =
      crypto::base64_encode(ByteView(p.public_key.data(), p.public_key.size())).substr(0, 8);
  return p.name.empty() ? key : p.name + " (" + key + ")";
}

void describe_dns_and_hooks(const control::InterfaceConfig& ic, std::ostream& s) {
  if (!ic.dns.empty()) {
    s << "  DNS (through resolvconf): servers " << joined(ic.dns);
    if (!ic.dns_search.empty()) {
      s << ", search";
      for (const auto& d : ic.dns_search) s << " " << d;
    }
    s << "\n";
    if (!io::find_in_path("resolvconf"))
      s << "  DNS: no resolvconf program in PATH here, so `tandem up` would not apply it\n";
  }
  for (const auto& [hook, list] : control::kHookKeys)
    for (const auto& command : ic.hooks.*list)
      s << "  " << hook << ": " << daemon::hook_command(command, ic.name) << "\n";
}

void describe_wireguard(const control::NodeConfig& cfg, std::ostream& s) {
  const auto& ic = *cfg.interface;
  s << "WireGuard interface " << ic.name << ": "
    << (ic.listen_port ? "UDP port " + std::to_string(ic.listen_port) : "a random UDP port")
    << ", MTU " << daemon::wireguard_device_mtu(cfg) << ", addresses " << joined(ic.addresses);
  if (ic.fwmark) s << ", fwmark " << ic.fwmark;
  s << "\n";
  for (const auto& p : cfg.peers) {
    s << "  peer " << peer_label(p) << ": endpoint "
      << (p.endpoint_host ? *p.endpoint_host + ":" + std::to_string(p.endpoint_port)
                          : "none (waits to be contacted)")
      << ", allowed IPs " << joined(p.allowed_ips);
    if (p.preshared_key) s << ", pre-shared key";
    if (p.persistent_keepalive) s << ", keepalive " << p.persistent_keepalive << " s";
    s << "\n";
  }
  // The same plan `tandem up` follows, so the summary cannot drift from what it does.
  const daemon::PeerRoutePlan plan = daemon::plan_peer_routes(cfg);
  if (!ic.add_routes)
    s << "  routes: none (table = \"off\")\n";
  else if (!plan.routes.empty())
    s << "  routes through " << ic.name
      << (ic.route_table ? " in table " + std::to_string(*ic.route_table) : std::string()) << ": "
      << joined(plan.routes) << "\n";
  if (!plan.not_routed.empty())
    s << "  not routed: " << joined(plan.not_routed)
      << " (default routes need policy routing, which this version does not set up)\n";
  describe_dns_and_hooks(ic, s);
}

std::string l2tp_transport(const control::L2tpConfig& l) {
  if (!l.ipsec) return "plain L2TP (unencrypted)";
  return l.allow_unencrypted ? "over IPsec (IKEv1, pre-shared key), and plain L2TP"
                             : "over IPsec (IKEv1, pre-shared key)";
}

std::string auth_list(const std::vector<ppp::AuthMethod>& methods) {
  std::string s;
  for (auto m : methods) s += (s.empty() ? "" : ", ") + std::string(ppp::auth_method_name(m));
  return s.empty() ? "none" : s;
}

// A client's server when the file gives an address: `tandem check` resolves no names (`tandem up`
// does), so a named server's path is not looked at here.
std::optional<Endpoint> server_address(const control::L2tpConfig& l) {
  const auto address = IpAddress::parse(l.server_host);
  if (l.role != control::L2tpRole::kLac || !address) return std::nullopt;
  return Endpoint{*address, l.server_port};
}

// The device's MTU and where it comes from; a nested [l2tp] has the nested device's instead.
std::string l2tp_mtu(const control::NodeConfig& cfg) {
  if (cfg.nesting) return "";
  std::string why;
  const unsigned mtu = daemon::l2tp_device_mtu(*cfg.l2tp, server_address(*cfg.l2tp), &why);
  return ", MTU " + std::to_string(mtu) + " (" + why + ")";
}

void describe_l2tp(const control::NodeConfig& cfg, std::ostream& s) {
  const control::L2tpConfig& l = *cfg.l2tp;
  if (l.role == control::L2tpRole::kLns) {
    s << "L2TP gateway (LNS) on " << l.interface << ": UDP port " << l.listen_port << ", "
      << l2tp_transport(l);
    if (l.address) s << ", address " << l.address->to_string();
    if (l.pool_first && l.pool_last)
      s << ", pool " << l.pool_first->to_string() << "-" << l.pool_last->to_string();
    if (!cfg.gateway()) {
      s << ", " << l.users.size() << (l.users.size() == 1 ? " user" : " users");
    } else {
      // A hybrid gateway's logins are its accounts with a password or NT hash.
      std::size_t logins = 0;
      for (const auto& a : cfg.accounts) logins += (a.password || a.nt_hash) ? 1 : 0;
      s << ", " << logins << (logins == 1 ? " account" : " accounts") << " with a password";
    }
    s << ", authentication " << auth_list(l.auth) << l2tp_mtu(cfg) << "\n";
    return;
  }
  s << "L2TP client (LAC) on " << l.interface << ": server " << l.server_host << ":"
    << l.server_port << ", " << l2tp_transport(l) << ", " << l.calls.size()
    << (l.calls.size() == 1 ? " session" : " sessions");
  std::string users;
  for (const auto& c : l.calls) users += (users.empty() ? "" : ", ") + c.user;
  if (!users.empty()) s << " (" << users << ")";
  if (!l.routes.empty()) s << ", routes " << joined(l.routes);
  s << (l.redial ? "" : ", no redial") << l2tp_mtu(cfg) << "\n";
}

// A gateway's [ipsec]: its accounts log in as road warriors.
void describe_road_warriors(const control::NodeConfig& cfg, std::ostream& s) {
  const control::IpsecConfig& c = *cfg.ipsec;
  s << "IKEv2 road warriors on " << c.interface << ": from " << c.local_address.to_string()
    << " as " << c.local_id
    << ", each given its account's IPv4 address (and IPv6 address, when it asks)\n";
  for (const auto& a : cfg.accounts)
    if (a.ike_id)
      s << "  account " << a.name << ": " << *a.ike_id << ", pre-shared key, address "
        << (a.ipv4 ? a.ipv4->to_string() : std::string("leased"))
        << (a.ipv6 ? ", " + a.ipv6->to_string() : std::string()) << (a.disabled ? ", disabled" : "")
        << "\n";
}

void describe_ipsec(const control::IpsecConfig& c, std::ostream& s) {
  s << "IPsec site-to-site (IKEv" << c.ike_version << ") on " << c.interface << ": from "
    << c.local_address.to_string() << ", addresses " << joined(c.addresses);
  if (c.pool_first && c.pool_last)
    s << ", pool " << c.pool_first->to_string() << "-" << c.pool_last->to_string();
  s << "\n";
  for (const auto& conn : c.connections) {
    s << "  connection " << conn.name << ": "
      << (conn.remote_address ? "peer " + conn.remote_address->to_string() : "any peer") << ", "
      << (conn.request_address ? "an address it asks for" : joined(conn.local_subnets)) << " <-> "
      << joined(conn.remote_subnets) << ", "
      << (conn.start ? "dialled at start-up" : "waits for the peer") << "\n";
  }
}

}  // namespace

// [nesting]: which tunnel rides inside which, on the one device, and the MTU that leaves.
void describe_nesting(const control::NodeConfig& cfg, std::ostream& s) {
  const char* control = cfg.l2tp ? "L2TP/IPsec" : "the ESP tunnel";
  s << "nested on " << cfg.interface->name << ": ";
  if (cfg.nesting->outer == hybrid::PathKind::kWireguard)
    s << control << " inside WireGuard (its IKE and ESP reach the server only through the peer)";
  else
    s << "WireGuard inside " << control << " (its datagrams reach the peer only through it)";
  const bool inside = cfg.nesting->outer != hybrid::PathKind::kWireguard;
  const control::InterfaceConfig& ic = *cfg.interface;
  const unsigned wireguard =
      inside ? (ic.mtu_given ? ic.mtu : 9000u) : daemon::wireguard_device_mtu(cfg);
  std::string why;
  const control::NodeConfig sized =
      daemon::with_outer_l2tp_mtu(cfg, cfg.l2tp ? server_address(*cfg.l2tp) : std::nullopt, &why);
  s << ", device MTU " << daemon::nested_mtu(sized, wireguard);
  if (!why.empty())
    s << " (inside an L2TP/IPsec session of " << sized.l2tp->mtu << ": " << why << ")";
  s << "\n";
}

std::string describe_node(const control::NodeConfig& config) {
  std::ostringstream s;
  if (config.nesting) describe_nesting(config, s);
  if (config.interface) describe_wireguard(config, s);
  if (config.l2tp) describe_l2tp(config, s);
  if (config.ipsec && config.gateway())
    describe_road_warriors(config, s);
  else if (config.ipsec)
    describe_ipsec(*config.ipsec, s);
  return s.str();
}

int run_check(const std::string& target, std::ostream& out, std::ostream& err) {
  const std::string path = resolve_up_config_argument(target);
  auto cfg = control::load_node_config(path);
  if (!cfg) {
    err << "tandem: " << cfg.error().to_string() << "\n";
    return 1;
  }
  // Each already reads "Warning: ...", as wg-quick words it and as `tandem up` logs it.
  for (const auto& w : cfg->warnings) err << w << "\n";
  out << path << ": valid; `tandem up` would create:\n" << describe_node(*cfg);
  const std::string name = daemon::instance_name(path);
  if (!name.empty()) out << "pidfile: " << daemon::pidfile_path(name) << "\n";
  return 0;
}

}  // namespace tandem::cli
