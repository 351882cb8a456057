#include "control/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "base/packet.hpp"
#include "control/config_files.hpp"
#include "control/l2tp_config.hpp"
#include "control/toml_reader.hpp"
#include "crypto/key_encoding.hpp"

namespace tandem::control {
namespace {

// table = "auto" | "off" | N, as wg-quick's Table (whose table names are written as numbers here).
Result<Ok, ConfigError> read_table(const Reader& r, const toml::table& t, InterfaceConfig& cfg) {
  const toml::node* table = t.get("table");
  if (!table) return Ok{};
  if (table->is_integer()) {
    const std::int64_t n = table->as_integer()->get();
    if (n < 1 || n > 0xffffffffLL)
      return r.error(table, "table must be a routing table number from 1 to 4294967295");
    cfg.route_table = static_cast<std::uint32_t>(n);
    return Ok{};
  }
  const std::string value = table->is_string() ? table->as_string()->get() : "";
  if (value != "auto" && value != "off")
    return r.error(table,
                   "table must be \"auto\" (routes for the peers' allowed IPs), \"off\" (none) "
                   "or a routing table number");
  cfg.add_routes = value == "auto";
  return Ok{};
}

Result<Ok, ConfigError> read_dns(const Reader& r, const toml::table& t, InterfaceConfig& cfg) {
  auto servers = r.strings(t, "dns");
  if (!servers) return Err(servers.error());
  for (const auto& [text, item] : *servers) {
    auto address = IpAddress::parse(text);
    if (!address)
      return r.error(item, "dns holds IP addresses of name servers ('" + text +
                               "' is not one; search domains go in dns_search)");
    cfg.dns.push_back(*address);
  }
  auto domains = r.strings(t, "dns_search");
  if (!domains) return Err(domains.error());
  for (const auto& [text, item] : *domains) {
    if (!valid_search_domain(text)) return r.error(item, "not a search domain: '" + text + "'");
    cfg.dns_search.push_back(text);
  }
  if (!cfg.dns_search.empty() && cfg.dns.empty())
    return r.error(t.get("dns_search"), "dns_search needs dns (name servers) as well");
  return Ok{};
}

Result<InterfaceConfig, ConfigError> read_interface(const Reader& r, const toml::node* node) {
  InterfaceConfig cfg;
  const toml::table* t = node ? node->as_table() : nullptr;
  if (!t) return r.error(node, "missing [interface] table");
  if (auto ok = r.only_keys(*t, "[interface]",
                            {"name", "private_key", "private_key_file", "listen_port", "addresses",
                             "mtu", "fwmark", "table", "dns", "dns_search", "pre_up", "post_up",
                             "pre_down", "post_down", "mtu_probe_interval"});
      !ok)
    return Err(ok.error());
  const toml::node* name = t->get("name");
  if (!name || !name->is_string())
    return r.error(name ? name : node, "[interface] needs name = \"...\"");
  cfg.name = name->as_string()->get();
  if (!valid_interface_name(cfg.name))
    return r.error(name, "interface name must be 1-15 characters of A-Z a-z 0-9 _ . - = +");
  auto key = r.key(*t, "private_key", "private_key_file", true);
  if (!key) {
    ConfigError e = key.error();
    if (e.line == 1 && e.column == 1 && !t->get("private_key") && !t->get("private_key_file")) {
      e.line = static_cast<int>(node->source().begin.line);
      e.column = static_cast<int>(node->source().begin.column);
    }
    return Err(std::move(e));
  }
  cfg.private_key = **key;
  auto port = r.integer<std::uint16_t>(*t, "listen_port", 0, 65535);
  if (!port) return Err(port.error());
  cfg.listen_port = port->value_or(0);
  // The upper bound is what the data path carries (base/packet.hpp), not the underlay's.
  auto mtu = r.integer<unsigned>(*t, "mtu", 1280, static_cast<unsigned>(kMaxTunnelMtu));
  if (!mtu) return Err(mtu.error());
  cfg.mtu = mtu->value_or(1420);
  cfg.mtu_given = mtu->has_value();
  auto fwmark = r.integer<std::uint32_t>(*t, "fwmark", 0, 0xffffffff);
  if (!fwmark) return Err(fwmark.error());
  cfg.fwmark = fwmark->value_or(0);
  // Down to 5 s for tests; a day at most, as [fallback]'s.
  auto probe_interval = r.integer<unsigned>(*t, "mtu_probe_interval", 5, 86400);
  if (!probe_interval) return Err(probe_interval.error());
  cfg.mtu_probe_interval_s = probe_interval->value_or(cfg.mtu_probe_interval_s);
  auto addresses = r.strings(*t, "addresses");
  if (!addresses) return Err(addresses.error());
  for (const auto& [text, item] : *addresses) {
    auto address = InterfaceAddress::parse(text);
    if (!address) return r.error(item, "not an address with prefix length: '" + text + "'");
    cfg.addresses.push_back(*address);
  }
  if (auto ok = read_table(r, *t, cfg); !ok) return Err(ok.error());
  if (auto ok = read_dns(r, *t, cfg); !ok) return Err(ok.error());
  for (const auto& [hook, list] : kHookKeys) {
    auto commands = r.strings(*t, hook);
    if (!commands) return Err(commands.error());
    for (auto& [command, item] : *commands) {
      if (command.empty()) return r.error(item, std::string(hook) + " holds an empty command");
      (cfg.hooks.*list).push_back(std::move(command));
    }
  }
  return cfg;
}

Result<PeerConfig, ConfigError> read_peer(const Reader& r, const toml::node& node) {
  PeerConfig peer;
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "[[peer]] must be a table");
  if (auto ok =
          r.only_keys(*t, "[[peer]]",
                      {"name", "public_key", "preshared_key", "preshared_key_file", "endpoint",
                       "allowed_ips", "persistent_keepalive", "mtu_probe_target"});
      !ok)
    return Err(ok.error());
  if (const toml::node* name = t->get("name")) {
    if (!name->is_string()) return r.error(name, "name must be a string");
    peer.name = name->as_string()->get();
  }
  const toml::node* pk = t->get("public_key");
  if (!pk) return r.error(&node, "[[peer]] needs public_key");
  if (!pk->is_string()) return r.error(pk, "public_key must be a string");
  auto pk_bytes = crypto::decode_key_base64(pk->as_string()->get());
  if (!pk_bytes) return r.error(pk, "not a base64 WireGuard key (44 characters ending in '=')");
  peer.public_key = *pk_bytes;
  auto psk = r.key(*t, "preshared_key", "preshared_key_file", false);
  if (!psk) return Err(psk.error());
  peer.preshared_key = *psk;
  if (const toml::node* ep = t->get("endpoint")) {
    if (!ep->is_string()) return r.error(ep, "endpoint must be a string");
    auto hp = split_host_port(ep->as_string()->get());
    if (!hp) return r.error(ep, "endpoint must be host:port or [ipv6]:port");
    peer.endpoint_host = hp->first;
    peer.endpoint_port = hp->second;
  }
  auto ips = r.prefixes(*t, "allowed_ips");
  if (!ips) return Err(ips.error());
  peer.allowed_ips = std::move(*ips);
  auto keepalive = r.integer<std::uint16_t>(*t, "persistent_keepalive", 0, 65535);
  if (!keepalive) return Err(keepalive.error());
  peer.persistent_keepalive = keepalive->value_or(0);
  if (const toml::node* target = t->get("mtu_probe_target")) {
    const auto address =
        target->is_string() ? IpAddress::parse(target->as_string()->get()) : std::nullopt;
    if (!address)
      return r.error(target,
                     "mtu_probe_target must be an IP address of the peer that answers pings "
                     "(such as its own tunnel address)");
    peer.mtu_probe_target = *address;
  }
  return peer;
}

// How a refusal names a peer: by its name, or by its place in the file when it has none.
std::string peer_label(const PeerConfig& peer, std::size_t index) {
  return peer.name.empty() ? "peer #" + std::to_string(index + 1) : "peer '" + peer.name + "'";
}

// Where each allowed IP went so far: a second peer claiming the same prefix would silently take
// it from the first (wg moves it), which is a mistake in the file, not a wish. Overlapping
// prefixes of different lengths stay allowed: the longest match wins, as in wg.
struct PrefixOwner {
  std::string peer;
  std::size_t peer_index = 0;
  int line = 0;
};

// An mtu_probe_target must be routed to its peer (inside its allowed IPs), and the interface
// needs an address of its family to send the probes from and to get the replies at.
Result<Ok, ConfigError> check_mtu_probe_target(const Reader& r, const toml::table& t,
                                               const PeerConfig& peer, const std::string& label,
                                               const std::vector<InterfaceAddress>& ours) {
  if (!peer.mtu_probe_target) return Ok{};
  const IpAddress& target = *peer.mtu_probe_target;
  const toml::node* node = t.get("mtu_probe_target");
  const bool routed = std::any_of(peer.allowed_ips.begin(), peer.allowed_ips.end(),
                                  [&](const IpPrefix& p) { return p.contains(target); });
  if (!routed)
    return r.error(node, "mtu_probe_target " + target.to_string() + " of " + label +
                             " is not inside its allowed_ips, so the probes would not go to "
                             "it; name an address of the peer that its allowed_ips cover "
                             "(such as its own tunnel address)");
  const bool source = std::any_of(ours.begin(), ours.end(), [&](const InterfaceAddress& a) {
    return a.address.family() == target.family();
  });
  if (!source) {
    const std::string family = target.is_v4() ? "IPv4" : "IPv6";
    return r.error(node, "mtu_probe_target " + target.to_string() + " of " + label + " is " +
                             family + ", but [interface] addresses has no " + family +
                             " address to send the probes from; add one, or name an address "
                             "of the peer in the other family");
  }
  return Ok{};
}

Result<Ok, ConfigError> check_peer(const Reader& r, const toml::table& t, const PeerConfig& peer,
                                   std::size_t index, const crypto::PublicKey& own_key,
                                   const std::vector<InterfaceAddress>& ours,
                                   std::map<IpPrefix, PrefixOwner>& owners) {
  const std::string label = peer_label(peer, index);
  if (peer.public_key == own_key)
    return r.error(t.get("public_key"),
                   label +
                       " has this interface's own public key (derived from its private_key); "
                       "a node is not its own peer");
  const toml::array* items = t.get("allowed_ips") ? t.get("allowed_ips")->as_array() : nullptr;
  for (std::size_t k = 0; k < peer.allowed_ips.size(); ++k) {
    const toml::node* item = items ? items->get(k) : nullptr;
    const int line = item ? static_cast<int>(item->source().begin.line) : 0;
    const auto [at, added] =
        owners.try_emplace(peer.allowed_ips[k], PrefixOwner{label, index, line});
    if (!added && at->second.peer_index != index)
      return r.error(item, "allowed IP " + peer.allowed_ips[k].to_string() + " of " + label +
                               " is already allowed for " + at->second.peer + " (line " +
                               std::to_string(at->second.line) +
                               "); each prefix routes to one peer");
  }
  return check_mtu_probe_target(r, t, peer, label, ours);
}

}  // namespace

std::string ConfigError::to_string() const {
  // Line 0: the file as a whole (it could not be read), so there is no position to give.
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != '=' && c != '+')
      return false;
  return true;
}

bool valid_search_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  for (char c : domain)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!IpAddress::parse(host) || !IpAddress::parse(host)->is_v6()) return std::nullopt;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 ||
      value > 65535)
    return std::nullopt;
  return std::pair{std::string(host), static_cast<std::uint16_t>(value)};
}

namespace {

Result<NodeConfig, ConfigError> parse(std::string_view text, std::string_view source_name,
                                      const std::string& base_dir, SecretsSeen& secrets) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Err(ConfigError{std::string(source_name), static_cast<int>(e.source().begin.line),
                           static_cast<int>(e.source().begin.column),
                           std::string(e.description())});
  }
  Reader r(source_name, base_dir, secrets);
  if (auto ok = r.only_keys(root, "the top level",
                            {"interface", "peer", "l2tp", "ipsec", "account", "accounts",
                             "fallback", "policy", "policy_routing", "nesting", "events", "metrics",
                             "admin", "login_throttle", "ldap", "radius", "dns"});
      !ok)
    return Err(ok.error());
  auto hybrid = read_hybrid_role(r, root);
  if (!hybrid) return Err(hybrid.error());
  NodeConfig cfg;
  if (!root.get("interface") && !root.get("l2tp") && !root.get("ipsec"))
    return r.error(nullptr, "needs an [interface] (WireGuard), an [l2tp] or an [ipsec] section");
  if (root.get("interface")) {
    auto iface = read_interface(r, root.get("interface"));
    if (!iface) return Err(iface.error());
    cfg.interface = std::move(*iface);
  }
  if (const toml::node* l2tp = root.get("l2tp")) {
    if (root.get("ldap") && root.get("radius"))
      return r.error(root.get("radius"),
                     "give [radius] or [ldap], not both: one backend checks the logins");
    const LoginBackendKind backend = root.get("ldap")     ? LoginBackendKind::kLdap
                                     : root.get("radius") ? LoginBackendKind::kRadius
                                                          : LoginBackendKind::kNone;
    auto section = read_l2tp_config(r, *l2tp, *hybrid, backend);
    if (!section) return Err(section.error());
    cfg.l2tp = std::move(*section);
    // A hybrid [l2tp] is one path of the [interface] device (read_hybrid_role saw one).
    if (*hybrid != HybridRole::kNone)
      cfg.l2tp->interface = cfg.interface->name;
    else if (cfg.interface && cfg.interface->name == cfg.l2tp->interface)
      return r.error(l2tp, "[l2tp] needs an interface name of its own (\"" + cfg.l2tp->interface +
                               "\" is the WireGuard one)");
  }
  if (const toml::node* ipsec = root.get("ipsec")) {
    auto section = read_ipsec_config(r, *ipsec, *hybrid);
    if (!section) return Err(section.error());
    cfg.ipsec = std::move(*section);
    // A hybrid [ipsec] is one path of the [interface] device, as a hybrid [l2tp] is.
    if (*hybrid != HybridRole::kNone) {
      cfg.ipsec->interface = cfg.interface->name;
      // Nested, an outer ESP tunnel keeps its own mtu (what it carries of the underlay) and an
      // inner one gets the stack's (daemon/nested_interface.hpp).
      if (*hybrid != HybridRole::kNested) cfg.ipsec->mtu = cfg.interface->mtu;
      // A gateway's [ipsec] is its IKEv2 side; with [l2tp.ipsec] both share UDP 500 and 4500
      // (one IKEv1 and one IKEv2 engine on the same sockets), so they must leave from one address.
      if (cfg.l2tp && *hybrid == HybridRole::kGateway) {
        if (cfg.l2tp->ipsec && cfg.l2tp->ipsec->local_address &&
            *cfg.l2tp->ipsec->local_address != cfg.ipsec->local_address)
          return r.error(
              root.get("l2tp")->as_table()->get("ipsec")->as_table()->get("local_address"),
              "[l2tp.ipsec] local_address " + cfg.l2tp->ipsec->local_address->to_string() +
                  " differs from [ipsec] local_address " + cfg.ipsec->local_address.to_string() +
                  ": L2TP/IPsec and IKEv2 share UDP 500 and 4500, so they speak from "
                  "one address (remove it from [l2tp.ipsec])");
      } else if (cfg.l2tp && *hybrid == HybridRole::kNested) {
        return r.error(ipsec,
                       "[nesting] stacks WireGuard with one other tunnel: [l2tp] (L2TP/IPsec) or "
                       "[ipsec] (an ESP tunnel), not both");
      } else if (cfg.l2tp) {
        return r.error(ipsec,
                       "[fallback] takes one secondary path: [l2tp] (L2TP/IPsec to a gateway) or "
                       "[ipsec] (an ESP tunnel to another site), not both");
      }
    } else if ((cfg.interface && cfg.interface->name == cfg.ipsec->interface) ||
               (cfg.l2tp && cfg.l2tp->interface == cfg.ipsec->interface))
      return r.error(ipsec, "[ipsec] needs an interface name of its own");
    // Plain interfaces: L2TP/IPsec and site-to-site IPsec would both need UDP 500 and 4500.
    if (*hybrid == HybridRole::kNone && cfg.l2tp && cfg.l2tp->ipsec)
      return r.error(ipsec, "[ipsec] and [l2tp.ipsec] cannot share UDP 500/4500 in one process");
  }
  if (const toml::node* peers = root.get("peer")) {
    if (!cfg.interface) return r.error(peers, "[[peer]] needs an [interface] section");
    const toml::array* arr = peers->as_array();
    if (!arr) return r.error(peers, "peer must be written as [[peer]] tables");
    std::set<crypto::PublicKey> seen;
    std::map<IpPrefix, PrefixOwner> owners;
    const crypto::PublicKey own_key = crypto::x25519_public_key(cfg.interface->private_key);
    for (const auto& item : *arr) {
      auto peer = read_peer(r, item);
      if (!peer) return Err(peer.error());
      if (!seen.insert(peer->public_key).second)
        return r.error(item.as_table()->get("public_key"), "duplicate peer public_key");
      if (auto ok = check_peer(r, *item.as_table(), *peer, cfg.peers.size(), own_key,
                               cfg.interface->addresses, owners);
          !ok)
        return Err(ok.error());
      // The hybrid interface runs the WireGuard path without the plain interface's probing.
      if (*hybrid != HybridRole::kNone && peer->mtu_probe_target)
        return r.error(item.as_table()->get("mtu_probe_target"),
                       "mtu_probe_target works on a plain WireGuard interface only, not in a "
                       "hybrid node ([fallback], [[account]] or [nesting]); remove it");
      cfg.peers.push_back(std::move(*peer));
    }
  }
  // Before the accounts: with it they need no L2TP password of their own.
  if (auto ok = read_ldap(r, root, *hybrid, cfg); !ok) return Err(ok.error());
  if (auto ok = read_radius(r, root, cfg); !ok) return Err(ok.error());
  if (auto ok = read_hybrid_config(r, root, *hybrid, cfg); !ok) return Err(ok.error());
  warn_unused_ldap_classes(r, cfg);
  if (*hybrid == HybridRole::kNested)
    if (auto ok = read_nesting(r, root, cfg); !ok) return Err(ok.error());
  if (auto ok = read_policies(r, root, cfg); !ok) return Err(ok.error());
  if (const toml::node* events = root.get("events")) {
    const toml::table* t = events->as_table();
    if (!t) return r.error(events, "events must be a table: [events]");
    if (auto ok = r.only_keys(*t, "[events]", {"file"}); !ok) return Err(ok.error());
    if (const toml::node* file = t->get("file")) {
      const std::string path = file->is_string() ? file->as_string()->get() : "";
      if (path.empty() || path.front() != '/')
        return r.error(file,
                       "file must be the absolute path events are appended to, such as "
                       "\"/var/log/tandem/gw.events\"");
      cfg.events_file = path;
    }
  }
  if (auto ok = read_metrics(r, root, cfg); !ok) return Err(ok.error());
  if (auto ok = read_login_throttle(r, root, cfg); !ok) return Err(ok.error());
  if (auto ok = read_dns(r, root, cfg); !ok) return Err(ok.error());
  if (const toml::node* admin = root.get("admin")) {
    const toml::table* t = admin->as_table();
    if (!t) return r.error(admin, "admin must be a table: [admin]");
    if (auto ok = r.only_keys(*t, "[admin]", {"group"}); !ok) return Err(ok.error());
    if (const toml::node* group = t->get("group")) {
      const std::string name = group->is_string() ? group->as_string()->get() : "";
      if (name.empty() || name.find_first_of(" :/\n") != std::string::npos)
        return r.error(group,
                       "group must name the group whose members may use the admin socket, such "
                       "as \"tandem\"");
      cfg.admin_group = name;
    }
  }
  return cfg;
}

}  // namespace

Result<NodeConfig, ConfigError> parse_node_config(std::string_view text,
                                                  std::string_view source_name,
                                                  const std::string& base_dir) {
  SecretsSeen secrets;
  auto cfg = parse(text, source_name, base_dir, secrets);
  if (cfg) cfg->warnings = std::move(secrets.warnings);
  return cfg;
}

Result<NodeConfig, ConfigError> load_node_config(const std::string& path) {
  auto text = read_config_file(path);
  if (!text)
    return Err(ConfigError{path, 0, 0, std::string("cannot open: ") + std::strerror(text.error())});
  const auto slash = path.rfind('/');
  SecretsSeen secrets;
  auto cfg = parse(*text, path, slash == std::string::npos ? "." : path.substr(0, slash), secrets);
  if (!cfg) return cfg;
  if (cfg->interface && !cfg->interface->hooks.empty())
    if (auto refusal = hook_file_refusal(path)) return Err(ConfigError{path, 0, 0, *refusal});
  if (secrets.inline_secret)
    if (auto warning = access_warning(path)) cfg->warnings.push_back(*warning);
  cfg->warnings.insert(cfg->warnings.end(), secrets.warnings.begin(), secrets.warnings.end());
  return cfg;
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

namespace {

template <typename T, typename Text>
std::string toml_array(const std::vector<T>& items, Text text) {
  std::string out = "[";
  for (std::size_t k = 0; k < items.size(); ++k)
    out += (k ? ", " : "") + toml_string(text(items[k]));
  return out + "]";
}

std::string render_interface_extras(const InterfaceConfig& i) {
  std::string out;
  if (!i.add_routes) out += "table = \"off\"\n";
  if (i.route_table) out += "table = " + std::to_string(*i.route_table) + "\n";
  const auto text = [](const auto& v) { return v.to_string(); };
  const auto same = [](const std::string& v) { return v; };
  if (!i.dns.empty()) out += "dns = " + toml_array(i.dns, text) + "\n";
  if (!i.dns_search.empty()) out += "dns_search = " + toml_array(i.dns_search, same) + "\n";
  for (const auto& [key, list] : kHookKeys)
    if (!(i.hooks.*list).empty())
      out += std::string(key) + " = " + toml_array(i.hooks.*list, same) + "\n";
  if (i.mtu_probe_interval_s != InterfaceConfig{}.mtu_probe_interval_s)
    out += "mtu_probe_interval = " + std::to_string(i.mtu_probe_interval_s) + "\n";
  return out;
}

}  // namespace

// Renders the WireGuard part only (what import-wg produces); an [l2tp] section is not written.
std::string render_node_config_toml(const NodeConfig& config) {
  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  std::string out = "# Tandem node configuration\n";
  if (!config.interface) return out;
  out += "[interface]\n";
  const auto& i = *config.interface;
  out += "name = " + quote(i.name) + "\n";
  out += "private_key = " + quote(crypto::base64_encode(i.private_key.bytes())) + "\n";
  if (i.listen_port) out += "listen_port = " + std::to_string(i.listen_port) + "\n";
  out += "addresses = [";
  for (std::size_t k = 0; k < i.addresses.size(); ++k)
    out += (k ? ", " : "") + quote(i.addresses[k].to_string());
  out += "]\n";
  if (i.mtu_given) out += "mtu = " + std::to_string(i.mtu) + "\n";
  if (i.fwmark) out += "fwmark = " + std::to_string(i.fwmark) + "\n";
  out += render_interface_extras(i);
  for (const auto& p : config.peers) {
    out += "\n[[peer]]\n";
    if (!p.name.empty()) out += "name = " + quote(p.name) + "\n";
    out += "public_key = " + quote(crypto::base64_encode(p.public_key)) + "\n";
    if (p.preshared_key)
      out += "preshared_key = " + quote(crypto::base64_encode(p.preshared_key->bytes())) + "\n";
    if (p.endpoint_host) {
      const bool v6 = p.endpoint_host->find(':') != std::string::npos;
      out += "endpoint = " +
             quote((v6 ? "[" + *p.endpoint_host + "]" : *p.endpoint_host) + ":" +
                   std::to_string(p.endpoint_port)) +
             "\n";
    }
    out += "allowed_ips = [";
    for (std::size_t k = 0; k < p.allowed_ips.size(); ++k)
      out += (k ? ", " : "") + quote(p.allowed_ips[k].to_string());
    out += "]\n";
    if (p.persistent_keepalive)
      out += "persistent_keepalive = " + std::to_string(p.persistent_keepalive) + "\n";
    if (p.mtu_probe_target)
      out += "mtu_probe_target = " + quote(p.mtu_probe_target->to_string()) + "\n";
  }
  return out;
}

}  // namespace tandem::control
