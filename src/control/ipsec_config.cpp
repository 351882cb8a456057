// The [ipsec] section: the tunnel device, the IKE version, and each connection, with every
// refusal at its position.
#include "control/ipsec_config.hpp"

#include <set>

#include "control/ipsec_proposals.hpp"
#include "control/toml_reader.hpp"

namespace tandem::control {
namespace {

// IKEv2 negotiates IPv6 traffic selectors too; IKEv1 here carries IPv4 subnets only.
Result<std::vector<IpPrefix>, ConfigError> subnets(const Reader& r, const toml::table& t,
                                                   const toml::node& where, std::string_view k,
                                                   int version) {
  auto list = r.strings(t, k);
  if (!list) return Err(list.error());
  std::vector<IpPrefix> out;
  for (const auto& [value, item] : *list) {
    auto p = IpPrefix::parse(value);
    if (!p) return r.error(item, std::string(k) + " must list prefixes such as 10.1.0.0/16");
    if (!p->address().is_v4() && version != 2)
      return r.error(item,
                     std::string(k) + " must list IPv4 prefixes (IPv6 needs ike_version = 2)");
    out.push_back(*p);
  }
  if (out.empty()) return r.error(&where, "a connection needs " + std::string(k));
  return out;
}

Result<IpsecConnection, ConfigError> read_connection(const Reader& r, const toml::node& node,
                                                     int version) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "[[ipsec.connection]] must be a table");
  if (auto ok = r.only_keys(
          *t, "[[ipsec.connection]]",
          {"name", "remote_address", "remote_id", "psk", "psk_file", "local_subnets",
           "remote_subnets", "start", "ike_proposals", "esp_proposals", "request_address"});
      !ok)
    return Err(ok.error());
  IpsecConnection c;
  auto name = r.string_key(*t, "name");
  if (!name) return Err(name.error());
  if (!*name) return r.error(&node, "[[ipsec.connection]] needs name");
  c.name = **name;
  if (const toml::node* a = t->get("remote_address")) {
    c.remote_address = a->is_string() ? IpAddress::parse(a->as_string()->get()) : std::nullopt;
    if (!c.remote_address || !c.remote_address->is_v4())
      return r.error(a, "remote_address must be an IPv4 address");
  }
  auto id = r.string_key(*t, "remote_id");
  if (!id) return Err(id.error());
  if (*id) {
    auto normal = normalise_ike_id(**id);
    if (!normal)
      return r.error(t->get("remote_id"),
                     "remote_id must be an IPv4 address, a name or user@domain (\"ipv4:...\", "
                     "\"fqdn:...\", \"rfc822:...\")");
    c.remote_id = *normal;
  } else if (c.remote_address) {
    c.remote_id = "ipv4:" + c.remote_address->to_string();
  } else if (version == 2) {
    return r.error(&node, "a connection without remote_address needs remote_id");
  }
  auto psk = r.pre_shared_key(*t, node, "[[ipsec.connection]]");
  if (!psk) return Err(psk.error());
  c.psk = std::move(*psk);
  auto request = r.bool_key(*t, "request_address", false);
  if (!request) return Err(request.error());
  c.request_address = *request;
  if (c.request_address && version != 2)
    return r.error(t->get("request_address"), "request_address needs ike_version = 2");
  if (c.request_address && !c.remote_address)
    return r.error(t->get("request_address"), "request_address needs remote_address to dial");
  // With an address from the peer, this side's traffic is that address.
  if (!c.request_address || t->get("local_subnets")) {
    auto local = subnets(r, *t, node, "local_subnets", version);
    if (!local) return Err(local.error());
    c.local_subnets = std::move(*local);
  }
  auto remote = subnets(r, *t, node, "remote_subnets", version);
  if (!remote) return Err(remote.error());
  c.remote_subnets = std::move(*remote);
  if (version == 1 && (c.local_subnets.size() > 1 || c.remote_subnets.size() > 1))
    return r.error(&node, "IKEv1 negotiates one subnet on each side per connection");
  auto start = r.bool_key(*t, "start", c.remote_address.has_value());
  if (!start) return Err(start.error());
  c.start = *start;
  if (c.start && !c.remote_address)
    return r.error(t->get("start"), "start = true needs remote_address to dial");
  for (const char* k : {"ike_proposals", "esp_proposals"})
    if (version == 2 && t->get(k))
      return r.error(t->get(k), std::string(k) +
                                    " is for ike_version = 1; IKEv2 offers AES-GCM-256 and "
                                    "AES-CBC-256/SHA-256 with ECP-256 or MODP-2048");
  if (auto ok = read_ikev1_proposals(r, *t, c.ike_proposals, c.esp_proposals, false); !ok)
    return Err(ok.error());
  return c;
}

// Beside [[account]]: the gateway's IKEv2 side, whose peers are the accounts.
Result<Ok, ConfigError> check_gateway_section(const Reader& r, const toml::table& t) {
  for (const auto& [key, value] : t)
    for (std::string_view given :
         {"interface", "mtu", "addresses", "pool", "pool_dns", "connection"})
      if (key.str() == given)
        return r.error_at(
            key.source(),
            "beside [[account]], [ipsec] is the gateway's IKEv2 side for road warriors: the "
            "[interface] device carries it, the accounts give the addresses and are the peers "
            "(ike_id, ike_psk); remove " +
                std::string(given == "connection" ? "[[ipsec.connection]]" : given) +
                " from [ipsec]");
  if (const toml::node* v = t.get("ike_version");
      v && !(v->is_integer() && v->as_integer()->get() == 2))
    return r.error(v,
                   "a gateway's road warriors use IKEv2 (their inner address comes in a "
                   "configuration payload): ike_version must be 2");
  return Ok{};
}

}  // namespace

std::optional<std::string> normalise_ike_id(const std::string& text) {
  for (std::string_view prefix : {"fqdn:", "rfc822:"})
    if (text.rfind(prefix, 0) == 0)
      return text.size() > prefix.size() ? std::optional(text) : std::nullopt;
  if (text.rfind("ipv4:", 0) == 0) {
    auto a = IpAddress::parse(text.substr(5));
    return a && a->is_v4() ? std::optional(text) : std::nullopt;
  }
  if (auto a = IpAddress::parse(text)) {
    if (!a->is_v4()) return std::nullopt;
    return "ipv4:" + text;
  }
  if (text.find(':') != std::string::npos || text.empty()) return std::nullopt;
  // user@domain is an RFC 822 address, as strongSwan and the phone clients send it.
  return (text.find('@') != std::string::npos ? "rfc822:" : "fqdn:") + text;
}

Result<Ok, ConfigError> read_ikev1_proposals(const Reader& r, const toml::table& t,
                                             std::vector<ipsec::ike::v1::Phase1Suite>& ike,
                                             std::vector<ipsec::ike::v1::Phase2Suite>& esp,
                                             bool allow_3des) {
  auto ike_names = r.strings(t, "ike_proposals");
  if (!ike_names) return Err(ike_names.error());
  for (const auto& [value, item] : *ike_names) {
    auto suite = parse_ikev1_proposal(value);
    if (!suite) return r.error(item, suite.error());
    ike.push_back(*suite);
  }
  auto esp_names = r.strings(t, "esp_proposals");
  if (!esp_names) return Err(esp_names.error());
  for (const auto& [value, item] : *esp_names) {
    auto suite = parse_esp_proposal(value);
    if (!suite) return r.error(item, suite.error());
    // 64-bit blocks: a long-lived SA leaks plaintext to birthday attacks (Sweet32).
    if (suite->transform == ipsec::ike::v1::kEsp3des && !allow_3des)
      return r.error(item,
                     "3DES is weak; only [l2tp.ipsec] with allow_3des = true offers it, "
                     "for old clients that have nothing better");
    esp.push_back(*suite);
  }
  return Ok{};
}

Result<IpsecConfig, ConfigError> read_ipsec_config(const Reader& r, const toml::node& node,
                                                   HybridRole hybrid) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "ipsec must be a table: [ipsec]");
  if (hybrid == HybridRole::kGateway)
    if (auto ok = check_gateway_section(r, *t); !ok) return Err(ok.error());
  if (hybrid == HybridRole::kFallback)
    for (const auto& [key, value] : *t)
      for (std::string_view given : {"interface", "mtu", "addresses", "pool", "pool_dns"})
        if (key.str() == given)
          return r.error_at(key.source(),
                            "with [fallback], [ipsec] is the secondary path of the [interface] "
                            "device, which gives the device, its addresses and its MTU: remove " +
                                std::string(given) + " from [ipsec]");
  if (hybrid == HybridRole::kNested)
    for (const auto& [key, value] : *t)
      for (std::string_view given : {"interface", "pool", "pool_dns"})
        if (key.str() == given)
          return r.error_at(key.source(),
                            "with [nesting], [ipsec] is one layer of the [interface] device's "
                            "stack and serves no road warriors: remove " +
                                std::string(given) + " from [ipsec]");
  if (auto ok = r.only_keys(*t, "[ipsec]",
                            {"interface", "mtu", "ike_version", "local_address", "local_id",
                             "addresses", "ike_lifetime", "esp_lifetime", "dpd_interval",
                             "dpd_timeout", "connection", "pool", "pool_dns"});
      !ok)
    return Err(ok.error());
  IpsecConfig c;
  if (auto ok = r.interface_key(*t, c.interface); !ok) return Err(ok.error());
  auto mtu = r.integer<unsigned>(*t, "mtu", 1280, 1440);
  if (!mtu) return Err(mtu.error());
  c.mtu = mtu->value_or(1400);
  auto version = r.integer<int>(*t, "ike_version", 1, 2);
  if (!version) return Err(version.error());
  c.ike_version = version->value_or(2);
  const toml::node* local = t->get("local_address");
  if (!local) return r.error(&node, "[ipsec] needs local_address (where IKE and ESP leave from)");
  auto address = local->is_string() ? IpAddress::parse(local->as_string()->get()) : std::nullopt;
  if (!address || !address->is_v4()) return r.error(local, "local_address must be an IPv4 address");
  c.local_address = *address;
  auto id = r.string_key(*t, "local_id");
  if (!id) return Err(id.error());
  if (*id) {
    auto normal = normalise_ike_id(**id);
    if (!normal) return r.error(t->get("local_id"), "local_id must be an IPv4 address or a name");
    c.local_id = *normal;
  } else {
    c.local_id = "ipv4:" + c.local_address.to_string();
  }
  auto addresses = r.strings(*t, "addresses");
  if (!addresses) return Err(addresses.error());
  for (const auto& [value, item] : *addresses) {
    auto a = InterfaceAddress::parse(value);
    if (!a || !a->address.is_v4()) return r.error(item, "addresses must list IPv4 addresses");
    c.addresses.push_back(*a);
  }
  if (const toml::node* pool = t->get("pool")) {
    if (c.ike_version != 2) return r.error(pool, "pool needs ike_version = 2");
    const std::string text = pool->is_string() ? pool->as_string()->get() : "";
    const auto dash = text.find('-');
    if (dash != std::string::npos) {
      c.pool_first = IpAddress::parse(text.substr(0, dash));
      c.pool_last = IpAddress::parse(text.substr(dash + 1));
    }
    if (!c.pool_first || !c.pool_last || !c.pool_first->is_v4() || !c.pool_last->is_v4() ||
        c.pool_first->v4_u32() > c.pool_last->v4_u32())
      return r.error(pool,
                     "pool must be two IPv4 addresses, first to last: \"10.9.0.10-10.9.0.99\"");
  }
  auto dns = r.strings(*t, "pool_dns");
  if (!dns) return Err(dns.error());
  for (const auto& [value, item] : *dns) {
    auto a = IpAddress::parse(value);
    if (!a || !a->is_v4()) return r.error(item, "pool_dns must list IPv4 addresses");
    c.pool_dns.push_back(*a);
  }
  if (!c.pool_dns.empty() && !c.pool_first)
    return r.error(t->get("pool_dns"), "pool_dns needs a pool");
  const auto seconds = [&](std::string_view key, unsigned low, unsigned high,
                           unsigned& into) -> Result<Ok, ConfigError> {
    auto v = r.integer<unsigned>(*t, key, low, high);
    if (!v) return Err(v.error());
    if (*v) into = **v;
    return Ok{};
  };
  if (auto ok = seconds("ike_lifetime", 60, 86400, c.ike_lifetime); !ok) return Err(ok.error());
  if (auto ok = seconds("esp_lifetime", 30, 86400, c.esp_lifetime); !ok) return Err(ok.error());
  if (auto ok = seconds("dpd_interval", 5, 3600, c.dpd_interval); !ok) return Err(ok.error());
  if (auto ok = seconds("dpd_timeout", 10, 7200, c.dpd_timeout); !ok) return Err(ok.error());
  if (c.esp_lifetime > c.ike_lifetime)
    return r.error(t->get("esp_lifetime"), "esp_lifetime must not exceed ike_lifetime");

  if (hybrid == HybridRole::kGateway) return c;
  const toml::node* conns = t->get("connection");
  if (!conns) return r.error(&node, "[ipsec] needs at least one [[ipsec.connection]]");
  const toml::array* arr = conns->as_array();
  if (!arr) return r.error(conns, "connection must be written as [[ipsec.connection]] tables");
  std::set<std::string> names;
  for (const auto& item : *arr) {
    auto conn = read_connection(r, item, c.ike_version);
    if (!conn) return Err(conn.error());
    if (!names.insert(conn->name).second)
      return r.error(item.as_table()->get("name"), "duplicate connection " + conn->name);
    c.connections.push_back(std::move(*conn));
  }
  if (hybrid == HybridRole::kNested && c.connections.size() != 1)
    return r.error(arr->get(1),
                   "with [nesting], [ipsec] is the one tunnel stacked with WireGuard: give "
                   "exactly one [[ipsec.connection]]");
  if (hybrid == HybridRole::kFallback && c.connections.size() != 1)
    return r.error(arr->get(1),
                   "with [fallback], [ipsec] is the one secondary path to the other site: give "
                   "exactly one [[ipsec.connection]]");
  return c;
}

}  // namespace tandem::control
