// The [l2tp] section: which keys each role takes, and every refusal with its position.
#include "control/l2tp_config.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <span>

#include "base/packet.hpp"
#include "control/toml_reader.hpp"

namespace tandem::control {
namespace {

constexpr std::string_view kCommonKeys[] = {"mode",
                                            "allow_unencrypted",
                                            "interface",
                                            "mtu",
                                            "host_name",
                                            "tunnel_secret",
                                            "tunnel_secret_file",
                                            "hide_avps",
                                            "hello_interval",
                                            "auth",
                                            "ipsec",
                                            "mtu_probing",
                                            "mtu_probe_interval"};
constexpr std::string_view kLnsKeys[] = {"listen_port", "address", "pool", "dns", "user"};
constexpr std::string_view kLacKeys[] = {"server", "local_port", "redial", "routes", "session"};

bool in(std::string_view key, std::span<const std::string_view> keys) {
  for (auto k : keys)
    if (k == key) return true;
  return false;
}

// What a hybrid [l2tp] must not name, because a hybrid section gives it (hybrid_config.hpp).
struct HybridKey {
  HybridRole role;
  std::string_view key;
  std::string_view refusal;
};
constexpr HybridKey kHybridKeys[] = {
    {HybridRole::kGateway, "interface",
     "with [[account]], the device comes from [interface]: remove interface from [l2tp]"},
    {HybridRole::kGateway, "address",
     "with [[account]], the gateway's address comes from [interface] (its first IPv4 address): "
     "remove address from [l2tp]"},
    {HybridRole::kGateway, "pool",
     "with [[account]], the pool comes from [accounts] pool: move it there"},
    {HybridRole::kGateway, "user",
     "with [[account]], the logins come from the accounts: move each [[l2tp.user]] into an "
     "[[account]] (name with password, password_file or nt_hash)"},
    {HybridRole::kFallback, "interface",
     "with [fallback], the device comes from [interface]: remove interface from [l2tp]"},
    {HybridRole::kNested, "interface",
     "with [nesting], the device comes from [interface]: remove interface from [l2tp]"},
    {HybridRole::kFallback, "routes",
     "with [fallback], the routes are the [[peer]]'s allowed_ips: remove routes from [l2tp]"},
};

// The role a hybrid [l2tp] must have, and the keys it must not name.
Result<Ok, ConfigError> check_hybrid(const Reader& r, const toml::table& t, const toml::node& mode,
                                     L2tpRole role, HybridRole hybrid) {
  if (hybrid == HybridRole::kGateway && role != L2tpRole::kLns)
    return r.error(&mode, "with [[account]], [l2tp] is the gateway's L2TP side: mode = \"lns\"");
  if (hybrid == HybridRole::kFallback && role != L2tpRole::kLac)
    return r.error(&mode,
                   "with [fallback], [l2tp] is the secondary path to the gateway: mode = \"lac\"");
  if (hybrid == HybridRole::kNested && role != L2tpRole::kLac)
    return r.error(&mode, "with [nesting], [l2tp] dials a gateway: mode = \"lac\"");
  for (const auto& [key, value] : t)
    for (const auto& refused : kHybridKeys)
      if (refused.role == hybrid && key.str() == refused.key)
        return r.error_at(key.source(), std::string(refused.refusal));
  return Ok{};
}

std::optional<ppp::AuthMethod> auth_method(std::string_view name) {
  if (name == "pap") return ppp::AuthMethod::kPap;
  if (name == "chap-md5") return ppp::AuthMethod::kChapMd5;
  if (name == "mschapv2") return ppp::AuthMethod::kMsChapV2;
  return std::nullopt;
}

std::optional<crypto::NtPasswordHash> parse_nt_hash(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  std::array<std::byte, 16> bytes{};
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    for (std::size_t k = 0; k < 2; ++k) {
      const char c = hex[2 * i + k];
      unsigned d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
      v = v * 16 + d;
    }
    bytes[i] = static_cast<std::byte>(v);
  }
  return crypto::NtPasswordHash(bytes);
}

Result<Ok, ConfigError> read_users(const Reader& r, const toml::node& node, L2tpConfig& cfg) {
  const toml::array* arr = node.as_array();
  if (!arr) return r.error(&node, "user must be written as [[l2tp.user]] tables");
  const bool chap_md5 =
      std::find(cfg.auth.begin(), cfg.auth.end(), ppp::AuthMethod::kChapMd5) != cfg.auth.end();
  std::set<std::string> seen;
  for (const auto& item : *arr) {
    const toml::table* t = item.as_table();
    if (!t) return r.error(&item, "[[l2tp.user]] must be a table");
    if (auto ok = r.only_keys(*t, "[[l2tp.user]]", {"name", "password", "nt_hash"}); !ok)
      return Err(ok.error());
    auto name = r.string_key(*t, "name");
    if (!name) return Err(name.error());
    if (!*name) return r.error(&item, "[[l2tp.user]] needs name");
    if (!seen.insert(**name).second) return r.error(t->get("name"), "duplicate user " + **name);
    L2tpUser user{**name, std::nullopt, std::nullopt};
    auto password = r.string_key(*t, "password");
    if (!password) return Err(password.error());
    user.password = *password;
    if (user.password) r.holds_inline_secret();
    if (const toml::node* h = t->get("nt_hash")) {
      if (user.password) return r.error(h, "give either password or nt_hash, not both");
      auto hash = read_nt_hash(r, *h);
      if (!hash) return Err(hash.error());
      user.nt_hash = *hash;
    }
    if (!user.password && !user.nt_hash)
      return r.error(&item, "user " + user.name + " needs password or nt_hash");
    // CHAP-MD5 hashes the clear password with the challenge; an NT hash cannot answer it.
    if (!user.password && chap_md5)
      return r.error(&item,
                     "CHAP-MD5 needs a clear password; user " + user.name + " has only nt_hash");
    cfg.users.push_back(std::move(user));
  }
  return Ok{};
}

Result<Ok, ConfigError> read_sessions(const Reader& r, const toml::node& node, L2tpConfig& cfg) {
  const toml::array* arr = node.as_array();
  if (!arr) return r.error(&node, "session must be written as [[l2tp.session]] tables");
  for (const auto& item : *arr) {
    const toml::table* t = item.as_table();
    if (!t) return r.error(&item, "[[l2tp.session]] must be a table");
    if (auto ok = r.only_keys(*t, "[[l2tp.session]]", {"user", "password", "password_file"}); !ok)
      return Err(ok.error());
    auto user = r.string_key(*t, "user");
    if (!user) return Err(user.error());
    if (!*user) return r.error(&item, "[[l2tp.session]] needs user");
    auto password = r.secret_key(*t, "password", "password_file");
    if (!password) return Err(password.error());
    if (!*password) return r.error(&item, "[[l2tp.session]] needs password or password_file");
    cfg.calls.push_back({**user, **password});
  }
  return Ok{};
}

Result<Ok, ConfigError> read_ipsec(const Reader& r, const toml::node& node, L2tpConfig& cfg) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "ipsec must be a table: [l2tp.ipsec]");
  if (auto ok = r.only_keys(*t, "[l2tp.ipsec]",
                            {"psk", "psk_file", "ike_proposals", "esp_proposals", "allow_modp1024",
                             "allow_3des", "force_udp_encapsulation", "local_address",
                             "dpd_interval", "dpd_timeout", "ike_lifetime", "esp_lifetime"});
      !ok)
    return Err(ok.error());
  L2tpIpsecConfig ipsec;
  auto psk = r.pre_shared_key(*t, node, "[l2tp.ipsec]", " (the pre-shared key)");
  if (!psk) return Err(psk.error());
  ipsec.psk = std::move(*psk);
  auto allow_3des = r.bool_key(*t, "allow_3des", false);
  if (!allow_3des) return Err(allow_3des.error());
  if (auto ok = read_ikev1_proposals(r, *t, ipsec.ike_proposals, ipsec.esp_proposals, *allow_3des);
      !ok)
    return Err(ok.error());
  if (t->get("force_udp_encapsulation")) {
    auto force = r.bool_key(*t, "force_udp_encapsulation", false);
    if (!force) return Err(force.error());
    ipsec.force_udp_encapsulation = *force;
  }
  auto weak = r.bool_key(*t, "allow_modp1024", false);
  if (!weak) return Err(weak.error());
  ipsec.allow_modp1024 = *weak;
  if (const toml::node* a = t->get("local_address")) {
    ipsec.local_address = a->is_string() ? IpAddress::parse(a->as_string()->get()) : std::nullopt;
    if (!ipsec.local_address || !ipsec.local_address->is_v4())
      return r.error(a, "local_address must be an IPv4 address");
  }
  const auto seconds = [&](std::string_view key, unsigned low, unsigned high,
                           unsigned& into) -> Result<Ok, ConfigError> {
    auto v = r.integer<unsigned>(*t, key, low, high);
    if (!v) return Err(v.error());
    if (*v) into = **v;
    return Ok{};
  };
  if (auto ok = seconds("dpd_interval", 5, 3600, ipsec.dpd_interval); !ok) return ok;
  if (auto ok = seconds("dpd_timeout", 10, 7200, ipsec.dpd_timeout); !ok) return ok;
  if (auto ok = seconds("ike_lifetime", 60, 86400, ipsec.ike_lifetime); !ok) return ok;
  if (auto ok = seconds("esp_lifetime", 30, 86400, ipsec.esp_lifetime); !ok) return ok;
  if (ipsec.esp_lifetime > ipsec.ike_lifetime)
    return r.error(t->get("esp_lifetime"), "esp_lifetime must not exceed ike_lifetime");
  cfg.ipsec = std::move(ipsec);
  return Ok{};
}

// The gateway's own inner address and the pool its clients' addresses come from.
Result<Ok, ConfigError> read_lns_addresses(const Reader& r, const toml::table& t,
                                           const toml::node& node, L2tpConfig& cfg) {
  const toml::node* address = t.get("address");
  if (!address) return r.error(&node, "an L2TP gateway needs address = \"10.77.0.1/24\"");
  if (!address->is_string()) return r.error(address, "address must be a string");
  cfg.address = InterfaceAddress::parse(address->as_string()->get());
  if (!cfg.address || !cfg.address->address.is_v4() || cfg.address->prefix_length < 8 ||
      cfg.address->prefix_length > 30)
    return r.error(address, "address must be an IPv4 address with a prefix of /8 to /30");
  const toml::node* pool = t.get("pool");
  if (!pool) return r.error(&node, "an L2TP gateway needs pool = \"FIRST-LAST\"");
  auto range = read_ipv4_pool(r, *pool, *cfg.address);
  if (!range) return Err(range.error());
  cfg.pool_first = range->first;
  cfg.pool_last = range->second;
  return Ok{};
}

// A hybrid gateway's address, pool and users come from [interface], [accounts] and [[account]].
Result<Ok, ConfigError> read_lns(const Reader& r, const toml::table& t, const toml::node& node,
                                 HybridRole hybrid, LoginBackendKind backend, L2tpConfig& cfg) {
  auto port = r.integer<std::uint16_t>(t, "listen_port", 1, 65535);
  if (!port) return Err(port.error());
  cfg.listen_port = port->value_or(1701);
  if (hybrid == HybridRole::kNone)
    if (auto ok = read_lns_addresses(r, t, node, cfg); !ok) return ok;
  auto dns = r.strings(t, "dns");
  if (!dns) return Err(dns.error());
  for (const auto& [value, item] : *dns) {
    auto a = IpAddress::parse(value);
    if (!a || !a->is_v4()) return r.error(item, "dns must list IPv4 addresses");
    if (cfg.dns.size() == 2) return r.error(item, "IPCP offers at most two DNS servers");
    cfg.dns.push_back(*a);
  }
  if (hybrid != HybridRole::kNone) return Ok{};
  const toml::node* users = t.get("user");
  if (backend != LoginBackendKind::kNone) {
    const char* section = backend == LoginBackendKind::kLdap ? "[ldap]" : "[radius]";
    if (users)
      return r.error(users, std::string("with ") + section +
                                " the backend checks every login: remove the [[l2tp.user]] "
                                "sections (or " +
                                section + ")");
    return Ok{};
  }
  if (!users) return r.error(&node, "an L2TP gateway needs at least one [[l2tp.user]]");
  return read_users(r, *users, cfg);
}

Result<Ok, ConfigError> read_lac(const Reader& r, const toml::table& t, const toml::node& node,
                                 L2tpConfig& cfg) {
  const toml::node* server = t.get("server");
  if (!server) return r.error(&node, "an L2TP client needs server = \"host[:port]\"");
  if (!server->is_string()) return r.error(server, "server must be a string");
  const std::string text = server->as_string()->get();
  if (auto hp = split_host_port(text)) {
    cfg.server_host = hp->first;
    cfg.server_port = hp->second;
  } else if (!text.empty() && text.find(':') == std::string::npos) {
    cfg.server_host = text;
  } else if (auto v6 = IpAddress::parse(text); v6 && v6->is_v6()) {
    cfg.server_host = text;
  } else {
    return r.error(server, "server must be host, host:port or [ipv6]:port");
  }
  auto port = r.integer<std::uint16_t>(t, "local_port", 0, 65535);
  if (!port) return Err(port.error());
  cfg.local_port = port->value_or(0);
  auto redial = r.bool_key(t, "redial", true);
  if (!redial) return Err(redial.error());
  cfg.redial = *redial;
  auto routes = r.strings(t, "routes");
  if (!routes) return Err(routes.error());
  for (const auto& [value, item] : *routes) {
    auto prefix = IpPrefix::parse(value);
    if (!prefix || !prefix->address().is_v4())
      return r.error(item, "routes must list IPv4 prefixes (IPv6 is not carried yet)");
    cfg.routes.push_back(*prefix);
  }
  const toml::node* sessions = t.get("session");
  if (!sessions) return r.error(&node, "an L2TP client needs at least one [[l2tp.session]]");
  return read_sessions(r, *sessions, cfg);
}

}  // namespace

Result<L2tpConfig, ConfigError> read_l2tp_config(const Reader& r, const toml::node& node,
                                                 HybridRole hybrid, LoginBackendKind backend) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "l2tp must be a table: [l2tp]");
  L2tpConfig cfg;
  const toml::node* mode = t->get("mode");
  if (!mode) return r.error(&node, "[l2tp] needs mode = \"lns\" (gateway) or \"lac\" (client)");
  const std::string m = mode->is_string() ? mode->as_string()->get() : "";
  if (m != "lns" && m != "lac")
    return r.error(mode, "mode must be \"lns\" (gateway) or \"lac\" (client)");
  cfg.role = m == "lns" ? L2tpRole::kLns : L2tpRole::kLac;
  if (auto ok = check_hybrid(r, *t, *mode, cfg.role, hybrid); !ok) return Err(ok.error());
  // Keys of the other role are refused by name, so a misplaced key is not silently ignored.
  const std::span<const std::string_view> lns_keys(kLnsKeys), lac_keys(kLacKeys);
  const auto own_keys = cfg.role == L2tpRole::kLns ? lns_keys : lac_keys;
  const auto other_keys = cfg.role == L2tpRole::kLns ? lac_keys : lns_keys;
  for (const auto& [key, value] : *t) {
    const auto k = key.str();
    if (in(k, kCommonKeys) || in(k, own_keys)) continue;
    if (in(k, other_keys))
      return r.error_at(key.source(), "'" + std::string(k) + "' is for mode = \"" +
                                          (cfg.role == L2tpRole::kLns ? "lac" : "lns") +
                                          "\", not this one");
    std::vector<std::string_view> known(std::begin(kCommonKeys), std::end(kCommonKeys));
    known.insert(known.end(), own_keys.begin(), own_keys.end());
    return r.unknown_key(key, "[l2tp]", known);
  }

  if (const toml::node* ipsec = t->get("ipsec"))
    if (auto ok = read_ipsec(r, *ipsec, cfg); !ok) return Err(ok.error());
  auto plain = r.bool_key(*t, "allow_unencrypted", false);
  if (!plain) return Err(plain.error());
  cfg.allow_unencrypted = *plain;
  if (!cfg.ipsec && !cfg.allow_unencrypted)
    return r.error(t->get("allow_unencrypted") ? t->get("allow_unencrypted") : &node,
                   "plain L2TP sends everything, passwords included, unencrypted; add "
                   "[l2tp.ipsec] with a pre-shared key, or set allow_unencrypted = true to run it "
                   "without IPsec");
  if (cfg.ipsec && cfg.allow_unencrypted && cfg.role == L2tpRole::kLac)
    return r.error(t->get("allow_unencrypted"),
                   "a client dials either through IPsec or without it; remove allow_unencrypted");

  if (hybrid == HybridRole::kNone)
    if (auto ok = r.interface_key(*t, cfg.interface); !ok) return Err(ok.error());
  // The upper bound is what the data path carries (base/packet.hpp), not the underlay's.
  auto mtu = r.integer<unsigned>(*t, "mtu", 1280, static_cast<unsigned>(kMaxTunnelMtu));
  if (!mtu) return Err(mtu.error());
  cfg.mtu = mtu->value_or(1400);
  cfg.mtu_given = mtu->has_value();
  auto host = r.string_key(*t, "host_name");
  if (!host) return Err(host.error());
  if (*host) cfg.host_name = **host;
  if (cfg.host_name.size() > 64)
    return r.error(t->get("host_name"), "host_name must be at most 64 characters");
  auto secret = r.secret_key(*t, "tunnel_secret", "tunnel_secret_file");
  if (!secret) return Err(secret.error());
  cfg.tunnel_secret = secret->value_or("");
  auto hide = r.bool_key(*t, "hide_avps", false);
  if (!hide) return Err(hide.error());
  cfg.hide_avps = *hide;
  if (cfg.hide_avps && cfg.tunnel_secret.empty())
    return r.error(t->get("hide_avps"), "hide_avps needs a tunnel_secret to hide them with");
  auto hello = r.integer<unsigned>(*t, "hello_interval", 1, 3600);
  if (!hello) return Err(hello.error());
  cfg.hello_interval = hello->value_or(60);
  // A client probes its sessions to the server, a gateway each session to its client.
  auto probing = r.bool_key(*t, "mtu_probing", true);
  if (!probing) return Err(probing.error());
  cfg.mtu_probing = *probing;
  // Down to 5 s so a test sees a grown path found again; RFC 8899 suggests 600.
  auto probe_interval = r.integer<unsigned>(*t, "mtu_probe_interval", 5, 86400);
  if (!probe_interval) return Err(probe_interval.error());
  cfg.mtu_probe_interval = probe_interval->value_or(600);

  auto auth = r.strings(*t, "auth");
  if (!auth) return Err(auth.error());
  for (const auto& [value, item] : *auth) {
    auto method = auth_method(value);
    if (!method) return r.error(item, "auth methods are \"mschapv2\", \"chap-md5\" and \"pap\"");
    if (std::find(cfg.auth.begin(), cfg.auth.end(), *method) != cfg.auth.end())
      return r.error(item, "auth lists " + value + " twice");
    cfg.auth.push_back(*method);
  }
  if (t->get("auth") && cfg.auth.empty())
    return r.error(t->get("auth"), "auth must name at least one method");
  const bool gateway = cfg.role == L2tpRole::kLns;
  const bool directory = backend == LoginBackendKind::kLdap && gateway;
  if (directory)
    for (const auto& [value, item] : *auth)
      if (value != "pap")
        return r.error(item,
                       "[ldap] checks a password by binding as the user, which needs the password "
                       "itself: CHAP-MD5 and MS-CHAPv2 send only a hash of it, so with [ldap] the "
                       "gateway asks for auth = [\"pap\"] (inside IPsec, which encrypts it)");
  if (cfg.auth.empty() && directory) cfg.auth = {ppp::AuthMethod::kPap};
  if (cfg.auth.empty())
    cfg.auth = cfg.role == L2tpRole::kLns
                   ? std::vector<ppp::AuthMethod>{ppp::AuthMethod::kMsChapV2}
                   : std::vector<ppp::AuthMethod>{ppp::AuthMethod::kMsChapV2,
                                                  ppp::AuthMethod::kChapMd5, ppp::AuthMethod::kPap};

  auto role = cfg.role == L2tpRole::kLns
                  ? read_lns(r, *t, node, hybrid, gateway ? backend : LoginBackendKind::kNone, cfg)
                  : read_lac(r, *t, node, cfg);
  if (!role) return Err(role.error());
  return cfg;
}

Result<crypto::NtPasswordHash, ConfigError> read_nt_hash(const Reader& r, const toml::node& node) {
  // An NT hash is as good as the password to MS-CHAPv2, so it is a secret too.
  r.holds_inline_secret();
  if (!node.is_string()) return r.error(&node, "nt_hash must be a string");
  auto hash = parse_nt_hash(node.as_string()->get());
  if (!hash) return r.error(&node, "nt_hash must be 32 hex digits (MD4 of the UTF-16LE password)");
  return *hash;
}

Result<std::pair<IpAddress, IpAddress>, ConfigError> read_ipv4_pool(const Reader& r,
                                                                    const toml::node& node,
                                                                    const InterfaceAddress& own) {
  if (!node.is_string()) return r.error(&node, "pool must be a string");
  const std::string text = node.as_string()->get();
  const auto dash = text.find('-');
  std::optional<IpAddress> first, last;
  if (dash != std::string::npos) {
    first = IpAddress::parse(text.substr(0, dash));
    last = IpAddress::parse(text.substr(dash + 1));
  }
  if (!first || !last || !first->is_v4() || !last->is_v4())
    return r.error(&node, "pool must be two IPv4 addresses: \"10.77.0.10-10.77.0.200\"");
  if (first->v4_u32() > last->v4_u32()) return r.error(&node, "pool starts after it ends");
  const IpPrefix subnet(own.address, own.prefix_length);
  if (!subnet.contains(*first) || !subnet.contains(*last))
    return r.error(&node, "pool must lie inside the gateway's subnet " + subnet.to_string());
  const std::uint32_t gateway = own.address.v4_u32();
  if (gateway >= first->v4_u32() && gateway <= last->v4_u32())
    return r.error(&node, "pool must not contain the gateway's own address");
  return std::pair{*first, *last};
}

}  // namespace tandem::control
