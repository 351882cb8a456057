// [[policy]]: a client's or site's traffic rules (hybrid/traffic_rule.hpp), in file order. Each
// names the path its traffic takes ("wireguard", or the secondary by its protocol: "l2tp" or
// "ipsec"), what it matches, and on_down ("other" or "drop") for while that path is down.
#include <set>
#include <string>
#include <string_view>

#include "control/config.hpp"
#include "control/toml_reader.hpp"

namespace tandem::control {
namespace {

constexpr std::size_t kMaxRules = 256;

Result<std::uint8_t, ConfigError> read_protocol(const Reader& r, const toml::node& node) {
  if (const auto* n = node.as_integer()) {
    if (n->get() < 0 || n->get() > 255)
      return r.error(&node, "protocol must be between 0 and 255, or a name");
    return static_cast<std::uint8_t>(n->get());
  }
  const std::string name = node.is_string() ? node.as_string()->get() : "";
  static constexpr std::pair<std::string_view, std::uint8_t> kNames[] = {
      {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"gre", 47}, {"icmpv6", 58}, {"sctp", 132}};
  for (const auto& [known, number] : kNames)
    if (name == known) return number;
  return r.error(&node,
                 "protocol must be tcp, udp, icmp, icmpv6, sctp, gre or a number from 0 to 255");
}

// A port (443) or a range ("5060-5061").
Result<std::optional<hybrid::PortRange>, ConfigError> read_ports(const Reader& r,
                                                                 const toml::table& t,
                                                                 std::string_view key) {
  const toml::node* node = t.get(key);
  if (!node) return std::optional<hybrid::PortRange>{};
  const std::string usage =
      std::string(key) + " must be a port (443) or a range (\"5060-5061\") from 0 to 65535";
  if (const auto* n = node->as_integer()) {
    if (n->get() < 0 || n->get() > 65535) return r.error(node, usage);
    const auto port = static_cast<std::uint16_t>(n->get());
    return std::optional(hybrid::PortRange{port, port});
  }
  if (!node->is_string()) return r.error(node, usage);
  const std::string text = node->as_string()->get();
  unsigned first = 0, last = 0;
  char tail = 0;
  const int n = std::sscanf(text.c_str(), "%u-%u%c", &first, &last, &tail);
  if (n == 1) last = first;
  if ((n != 1 && n != 2) || first > last || last > 65535) return r.error(node, usage);
  return std::optional(
      hybrid::PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
}

// A mark (16 or "0x10") or a mark under a mask ("0x10/0xff"), as `ip rule fwmark` takes it.
Result<Ok, ConfigError> read_fwmark(const Reader& r, const toml::node& node,
                                    hybrid::TrafficRule& rule) {
  const std::string usage =
      "fwmark must be a mark (16 or \"0x10\") or a mark and mask (\"0x10/0xff\"), not 0";
  std::uint64_t value = 0, mask = 0xffffffff;
  if (const auto* n = node.as_integer()) {
    if (n->get() <= 0 || n->get() > 0xffffffffLL) return r.error(&node, usage);
    value = static_cast<std::uint64_t>(n->get());
  } else if (node.is_string()) {
    const std::string text = node.as_string()->get();
    const auto slash = text.find('/');
    try {
      std::size_t used = 0;
      value = std::stoull(text.substr(0, slash), &used, 0);
      if (used != text.substr(0, slash).size()) return r.error(&node, usage);
      if (slash != std::string::npos) {
        mask = std::stoull(text.substr(slash + 1), &used, 0);
        if (used != text.size() - slash - 1) return r.error(&node, usage);
      }
    } catch (const std::exception&) {
      return r.error(&node, usage);
    }
  } else {
    return r.error(&node, usage);
  }
  if (value == 0 || value > 0xffffffff || mask == 0 || mask > 0xffffffff || (value & ~mask) != 0)
    return r.error(&node, usage);
  rule.fwmark = static_cast<std::uint32_t>(value);
  rule.fwmark_mask = static_cast<std::uint32_t>(mask);
  return Ok{};
}

Result<hybrid::TrafficRule, ConfigError> read_rule(const Reader& r, const toml::node& node,
                                                   std::string_view secondary, bool kernel) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "policy must be written as [[policy]] tables");
  if (auto ok = r.only_keys(*t, "[[policy]]",
                            {"name", "path", "sources", "destinations", "protocol", "source_ports",
                             "destination_ports", "dscp", "on_down", "fwmark"});
      !ok)
    return Err(ok.error());
  hybrid::TrafficRule rule;
  auto name = r.string_key(*t, "name");
  if (!name) return Err(name.error());
  if (!*name || (*name)->empty())
    return r.error(&node, "[[policy]] needs a name, for logs and tandem status");
  rule.name = **name;
  if (const toml::node* mark = t->get("fwmark")) {
    if (!kernel)
      return r.error(mark,
                     "fwmark marks sockets, and packets read from the tunnel device do not carry "
                     "it: match the traffic by sources, destinations, protocol, ports or dscp, "
                     "or set [policy_routing] mode = \"kernel\"");
    if (auto ok = read_fwmark(r, *mark, rule); !ok) return Err(ok.error());
  }
  const toml::node* path = t->get("path");
  const std::string want = "path must be \"wireguard\" or \"" + std::string(secondary) + "\"";
  if (!path || !path->is_string()) return r.error(path ? path : &node, want);
  const std::string p = path->as_string()->get();
  if (p == "wireguard") {
    rule.path = hybrid::PathRole::kPrimary;
  } else if (p == secondary) {
    rule.path = hybrid::PathRole::kSecondary;
  } else if (p == "l2tp" || p == "ipsec") {
    return r.error(path, "this node's secondary path is " + std::string(secondary) + ", not " + p +
                             ": " + want);
  } else {
    return r.error(path, want);
  }
  auto sources = r.prefixes(*t, "sources");
  if (!sources) return Err(sources.error());
  rule.sources = std::move(*sources);
  auto destinations = r.prefixes(*t, "destinations");
  if (!destinations) return Err(destinations.error());
  rule.destinations = std::move(*destinations);
  if (const toml::node* protocol = t->get("protocol")) {
    auto number = read_protocol(r, *protocol);
    if (!number) return Err(number.error());
    rule.protocol = *number;
  }
  for (auto [key, into] : {std::pair{"source_ports", &rule.source_ports},
                           std::pair{"destination_ports", &rule.destination_ports}}) {
    auto ports = read_ports(r, *t, key);
    if (!ports) return Err(ports.error());
    *into = *ports;
    if (*ports && rule.protocol && *rule.protocol != 6 && *rule.protocol != 17 &&
        *rule.protocol != 132)
      return r.error(t->get(key), std::string(key) +
                                      " needs a protocol with ports (tcp, udp or sctp), or no "
                                      "protocol");
  }
  auto dscp = r.integer<std::uint8_t>(*t, "dscp", 0, 63);
  if (!dscp) return Err(dscp.error());
  rule.dscp = *dscp;
  if (const toml::node* down = t->get("on_down")) {
    const std::string v = down->is_string() ? down->as_string()->get() : "";
    if (v != "other" && v != "drop")
      return r.error(down,
                     "on_down must be \"other\" (use the other path while this one is down) or "
                     "\"drop\" (never let this traffic take the other path)");
    rule.fail_closed = v == "drop";
  }
  return rule;
}

// [policy_routing]: the daemon's rules on one device (the default), or the kernel's.
Result<Ok, ConfigError> read_policy_routing(const Reader& r, const toml::table& root,
                                            NodeConfig& cfg) {
  const toml::node* node = root.get("policy_routing");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "policy_routing must be a table: [policy_routing]");
  if (auto ok =
          r.only_keys(*t, "[policy_routing]", {"mode", "table", "priority", "secondary_interface"});
      !ok)
    return Err(ok.error());
  PolicyRoutingSettings& s = cfg.policy_routing;
  if (const toml::node* mode = t->get("mode")) {
    const std::string v = mode->is_string() ? mode->as_string()->get() : "";
    if (v != "daemon" && v != "kernel")
      return r.error(mode,
                     "mode must be \"daemon\" (rules applied by Tandem on one device) or "
                     "\"kernel\" (ip rules and a device per path)");
    s.kernel = v == "kernel";
  }
  // 253-255 are the kernel's default, main and local tables; four in a row from `table`.
  auto table = r.integer<std::uint32_t>(*t, "table", 1, 0xfffffff0);
  if (!table) return Err(table.error());
  if (*table) s.table = **table;
  if (s.table <= 255 && s.table + 3 >= 253)
    return r.error(t->get("table"),
                   "table takes four tables from " + std::to_string(s.table) +
                       ", which would include the kernel's default, main or local table "
                       "(253-255); pick another");
  auto priority = r.integer<std::uint32_t>(*t, "priority", 1, 32000);
  if (!priority) return Err(priority.error());
  if (*priority) s.priority = **priority;
  if (!s.kernel) {
    for (std::string_view key : {"table", "priority", "secondary_interface"})
      if (t->get(key)) return r.error(t->get(key), std::string(key) + " is for mode = \"kernel\"");
    return Ok{};
  }
  auto device = r.string_key(*t, "secondary_interface");
  if (!device) return Err(device.error());
  const std::string& own = cfg.interface->name;
  s.secondary_interface = *device ? **device : own + "s";
  if (!valid_interface_name(s.secondary_interface))
    return r.error(*device ? t->get("secondary_interface") : node,
                   "the secondary path's device name " + s.secondary_interface +
                       " is not a valid interface name (at most 15 characters); set "
                       "secondary_interface");
  if (s.secondary_interface == own)
    return r.error(t->get("secondary_interface"),
                   "secondary_interface must differ from the [interface] name");
  return Ok{};
}

}  // namespace

Result<Ok, ConfigError> read_policies(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node* node = root.get("policy");
  if (!node) {
    if (const toml::node* routing = root.get("policy_routing"))
      return r.error(routing,
                     "[policy_routing] says how [[policy]] rules are applied; add rules "
                     "or remove it");
    return Ok{};
  }
  if (!cfg.fallback)
    return r.error(node,
                   "[[policy]] picks between a client's or site's two paths: it needs "
                   "[fallback] (and its secondary path)");
  const toml::array* rules = node->as_array();
  if (!rules) return r.error(node, "policy must be written as [[policy]] tables");
  if (rules->size() > kMaxRules)
    return r.error(node, "at most " + std::to_string(kMaxRules) + " [[policy]] rules");
  if (auto ok = read_policy_routing(r, root, cfg); !ok) return ok;
  const std::string_view secondary = cfg.l2tp ? "l2tp" : "ipsec";
  std::set<std::string> names;
  for (const auto& item : *rules) {
    auto rule = read_rule(r, item, secondary, cfg.policy_routing.kernel);
    if (!rule) return Err(rule.error());
    if (!names.insert(rule->name).second)
      return r.error(item.as_table()->get("name"), "duplicate [[policy]] name " + rule->name);
    if (rule->path == hybrid::PathRole::kSecondary && !cfg.fallback->warm_secondary)
      return r.error(item.as_table()->get("path"),
                     "policy " + rule->name +
                         " sends traffic on the secondary while WireGuard is "
                         "up, so the secondary must be kept warm: remove secondary = \"on-demand\" "
                         "from [fallback]");
    cfg.policies.push_back(std::move(*rule));
  }
  return Ok{};
}

}  // namespace tandem::control
