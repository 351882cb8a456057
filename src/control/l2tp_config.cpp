// The [l2tp] section: which keys each role takes, and every refusal with its position.
#include "control/l2tp_config.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <span>

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
                                            "auth"};
constexpr std::string_view kLnsKeys[] = {"listen_port", "address", "pool", "dns", "user"};
constexpr std::string_view kLacKeys[] = {"server", "local_port", "redial", "routes", "session"};

bool in(std::string_view key, std::span<const std::string_view> keys) {
  for (auto k : keys)
    if (k == key) return true;
  return false;
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

// A string key that must be present (or absent: nullopt) and non-empty.
Result<std::optional<std::string>, ConfigError> string_key(const Reader& r, const toml::table& t,
                                                           std::string_view k) {
  const toml::node* node = t.get(k);
  if (!node) return std::optional<std::string>{};
  if (!node->is_string()) return r.error(node, std::string(k) + " must be a string");
  std::string v = node->as_string()->get();
  if (v.empty()) return r.error(node, std::string(k) + " must not be empty");
  return std::optional<std::string>(std::move(v));
}

Result<bool, ConfigError> bool_key(const Reader& r, const toml::table& t, std::string_view k,
                                   bool fallback) {
  const toml::node* node = t.get(k);
  if (!node) return fallback;
  if (!node->is_boolean()) return r.error(node, std::string(k) + " must be true or false");
  return node->as_boolean()->get();
}

// Exactly one of `inline_key` (a string) and `file_key` (a file whose first line is the value).
Result<std::optional<std::string>, ConfigError> secret_key(const Reader& r, const toml::table& t,
                                                           std::string_view inline_key,
                                                           std::string_view file_key) {
  const toml::node* in = t.get(inline_key);
  const toml::node* file = t.get(file_key);
  if (in && file)
    return r.error(file, "give either " + std::string(inline_key) + " or " + std::string(file_key) +
                             ", not both");
  if (in) return string_key(r, t, inline_key);
  if (!file) return std::optional<std::string>{};
  auto path = string_key(r, t, file_key);
  if (!path) return Err(path.error());
  auto text = r.read_key_file(*file, **path);
  if (!text) return Err(text.error());
  return std::optional<std::string>(std::move(*text));
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
    auto name = string_key(r, *t, "name");
    if (!name) return Err(name.error());
    if (!*name) return r.error(&item, "[[l2tp.user]] needs name");
    if (!seen.insert(**name).second) return r.error(t->get("name"), "duplicate user " + **name);
    L2tpUser user{**name, std::nullopt, std::nullopt};
    auto password = string_key(r, *t, "password");
    if (!password) return Err(password.error());
    user.password = *password;
    if (const toml::node* h = t->get("nt_hash")) {
      if (user.password) return r.error(h, "give either password or nt_hash, not both");
      if (!h->is_string()) return r.error(h, "nt_hash must be a string");
      user.nt_hash = parse_nt_hash(h->as_string()->get());
      if (!user.nt_hash)
        return r.error(h, "nt_hash must be 32 hex digits (MD4 of the UTF-16LE password)");
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
    auto user = string_key(r, *t, "user");
    if (!user) return Err(user.error());
    if (!*user) return r.error(&item, "[[l2tp.session]] needs user");
    auto password = secret_key(r, *t, "password", "password_file");
    if (!password) return Err(password.error());
    if (!*password) return r.error(&item, "[[l2tp.session]] needs password or password_file");
    cfg.calls.push_back({**user, **password});
  }
  return Ok{};
}

Result<Ok, ConfigError> read_lns(const Reader& r, const toml::table& t, const toml::node& node,
                                 L2tpConfig& cfg) {
  auto port = r.integer<std::uint16_t>(t, "listen_port", 1, 65535);
  if (!port) return Err(port.error());
  cfg.listen_port = port->value_or(1701);
  const toml::node* address = t.get("address");
  if (!address) return r.error(&node, "an L2TP gateway needs address = \"10.77.0.1/24\"");
  if (!address->is_string()) return r.error(address, "address must be a string");
  cfg.address = InterfaceAddress::parse(address->as_string()->get());
  if (!cfg.address || !cfg.address->address.is_v4() || cfg.address->prefix_length < 8 ||
      cfg.address->prefix_length > 30)
    return r.error(address, "address must be an IPv4 address with a prefix of /8 to /30");
  const IpPrefix subnet(cfg.address->address, cfg.address->prefix_length);

  const toml::node* pool = t.get("pool");
  if (!pool) return r.error(&node, "an L2TP gateway needs pool = \"FIRST-LAST\"");
  if (!pool->is_string()) return r.error(pool, "pool must be a string");
  const std::string text = pool->as_string()->get();
  const auto dash = text.find('-');
  if (dash != std::string::npos) {
    cfg.pool_first = IpAddress::parse(text.substr(0, dash));
    cfg.pool_last = IpAddress::parse(text.substr(dash + 1));
  }
  if (!cfg.pool_first || !cfg.pool_last || !cfg.pool_first->is_v4() || !cfg.pool_last->is_v4())
    return r.error(pool, "pool must be two IPv4 addresses: \"10.77.0.10-10.77.0.200\"");
  if (cfg.pool_first->v4_u32() > cfg.pool_last->v4_u32())
    return r.error(pool, "pool starts after it ends");
  if (!subnet.contains(*cfg.pool_first) || !subnet.contains(*cfg.pool_last))
    return r.error(pool, "pool must lie inside the gateway's subnet " + subnet.to_string());
  const std::uint32_t own = cfg.address->address.v4_u32();
  if (own >= cfg.pool_first->v4_u32() && own <= cfg.pool_last->v4_u32())
    return r.error(pool, "pool must not contain the gateway's own address");

  auto dns = r.strings(t, "dns");
  if (!dns) return Err(dns.error());
  for (const auto& [value, item] : *dns) {
    auto a = IpAddress::parse(value);
    if (!a || !a->is_v4()) return r.error(item, "dns must list IPv4 addresses");
    if (cfg.dns.size() == 2) return r.error(item, "IPCP offers at most two DNS servers");
    cfg.dns.push_back(*a);
  }
  const toml::node* users = t.get("user");
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
  auto redial = bool_key(r, t, "redial", true);
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

Result<L2tpConfig, ConfigError> read_l2tp_config(const Reader& r, const toml::node& node) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "l2tp must be a table: [l2tp]");
  L2tpConfig cfg;
  const toml::node* mode = t->get("mode");
  if (!mode) return r.error(&node, "[l2tp] needs mode = \"lns\" (gateway) or \"lac\" (client)");
  const std::string m = mode->is_string() ? mode->as_string()->get() : "";
  if (m != "lns" && m != "lac")
    return r.error(mode, "mode must be \"lns\" (gateway) or \"lac\" (client)");
  cfg.role = m == "lns" ? L2tpRole::kLns : L2tpRole::kLac;
  // Keys of the other role are refused by name, so a misplaced key is not silently ignored.
  for (const auto& [key, value] : *t) {
    const auto k = key.str();
    if (in(k, kCommonKeys) || in(k, cfg.role == L2tpRole::kLns ? kLnsKeys : kLacKeys)) continue;
    if (in(k, cfg.role == L2tpRole::kLns ? kLacKeys : kLnsKeys))
      return r.error_at(key.source(), "'" + std::string(k) + "' is for mode = \"" +
                                          (cfg.role == L2tpRole::kLns ? "lac" : "lns") +
                                          "\", not this one");
    return r.error_at(key.source(), "unknown key '" + std::string(k) + "' in [l2tp]");
  }

  const toml::node* plain = t->get("allow_unencrypted");
  if (!plain || !plain->is_boolean() || !plain->as_boolean()->get())
    return r.error(plain ? plain : &node,
                   "plain L2TP sends everything, passwords included, unencrypted; set "
                   "allow_unencrypted = true to run it without IPsec");

  auto iface = string_key(r, *t, "interface");
  if (!iface) return Err(iface.error());
  if (*iface) cfg.interface = **iface;
  if (!valid_interface_name(cfg.interface))
    return r.error(t->get("interface"),
                   "interface name must be 1-15 characters of A-Z a-z 0-9 _ . - = +");
  auto mtu = r.integer<unsigned>(*t, "mtu", 1280, 9000);
  if (!mtu) return Err(mtu.error());
  cfg.mtu = mtu->value_or(1400);
  auto host = string_key(r, *t, "host_name");
  if (!host) return Err(host.error());
  if (*host) cfg.host_name = **host;
  if (cfg.host_name.size() > 64)
    return r.error(t->get("host_name"), "host_name must be at most 64 characters");
  auto secret = secret_key(r, *t, "tunnel_secret", "tunnel_secret_file");
  if (!secret) return Err(secret.error());
  cfg.tunnel_secret = secret->value_or("");
  auto hide = bool_key(r, *t, "hide_avps", false);
  if (!hide) return Err(hide.error());
  cfg.hide_avps = *hide;
  if (cfg.hide_avps && cfg.tunnel_secret.empty())
    return r.error(t->get("hide_avps"), "hide_avps needs a tunnel_secret to hide them with");
  auto hello = r.integer<unsigned>(*t, "hello_interval", 1, 3600);
  if (!hello) return Err(hello.error());
  cfg.hello_interval = hello->value_or(60);

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
  if (cfg.auth.empty())
    cfg.auth = cfg.role == L2tpRole::kLns
                   ? std::vector<ppp::AuthMethod>{ppp::AuthMethod::kMsChapV2}
                   : std::vector<ppp::AuthMethod>{ppp::AuthMethod::kMsChapV2,
                                                  ppp::AuthMethod::kChapMd5, ppp::AuthMethod::kPap};

  auto role = cfg.role == L2tpRole::kLns ? read_lns(r, *t, node, cfg) : read_lac(r, *t, node, cfg);
  if (!role) return Err(role.error());
  return cfg;
}

}  // namespace tandem::control
