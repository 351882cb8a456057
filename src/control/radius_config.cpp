// Reading [radius] (auth/radius_client.hpp): an L2TP gateway's PPP logins checked by RADIUS
// servers, with accounting. Like [ldap], its presence turns it on: [l2tp] then has no
// [[l2tp.user]] of its own, and a hybrid gateway's accounts no L2TP password.
#include "auth/radius_client.hpp"
#include "control/toml_reader.hpp"

namespace tandem::control {
namespace {

constexpr std::uint16_t kAuthenticationPort = 1812;  // RFC 2865 3
constexpr std::uint16_t kAccountingPort = 1813;      // RFC 2866 3
constexpr std::uint16_t kRadsecPort = 2083;          // RFC 6614 2.1
// RFC 6614 2.3: over TLS the shared secret protects nothing and is this by default.
constexpr std::string_view kRadsecSecret = "radsec";

Result<Ok, ConfigError> read_server(const Reader& r, const toml::node& item,
                                    auth::RadiusSettings& s) {
  const toml::table* t = item.as_table();
  if (!t) return r.error(&item, "server must be written as [[radius.server]] tables");
  if (auto ok = r.only_keys(*t, "[[radius.server]]",
                            {"name", "address", "accounting_port", "secret", "secret_file",
                             "require_message_authenticator", "timeout", "retries", "transport",
                             "ca_file", "server_name", "certificate", "private_key"});
      !ok)
    return Err(ok.error());
  auth::RadiusServer server;
  bool tls = false;
  if (const toml::node* transport = t->get("transport")) {
    const std::string v = transport->is_string() ? transport->as_string()->get() : "";
    if (v != "udp" && v != "tls")
      return r.error(transport, "transport is \"udp\" (RADIUS) or \"tls\" (RadSec, RFC 6614)");
    tls = v == "tls";
  }
  const std::uint16_t default_port = tls ? kRadsecPort : kAuthenticationPort;
  const toml::node* address = t->get("address");
  if (!address || !address->is_string())
    return r.error(
        address ? address : &item,
        "[[radius.server]] needs address = \"IP\" or \"IP:PORT\" (port 1812 by default)");
  const std::string text = address->as_string()->get();
  if (auto ip = IpAddress::parse(text)) {
    server.endpoint = Endpoint{*ip, default_port};
  } else if (auto ep = Endpoint::parse(text); ep && ep->port) {
    server.endpoint = *ep;
  } else {
    return r.error(address,
                   "address must be an IP address, with :PORT if not 1812 (RADIUS "
                   "servers know their clients by address, so no host names)");
  }
  auto name = r.string_key(*t, "name");
  if (!name) return Err(name.error());
  server.name = name->value_or(server.endpoint.to_string());
  auto secret = r.secret_key(*t, "secret", "secret_file");
  if (!secret) return Err(secret.error());
  if (!*secret && tls) *secret = std::string(kRadsecSecret);
  if (!*secret) return r.error(&item, "[[radius.server]] needs secret or secret_file");
  // RFC 6151 and the BlastRADIUS advice: short secrets fall to offline guessing (not over TLS).
  if (!tls && (*secret)->size() < 16)
    return r.error(t->get("secret") ? t->get("secret") : t->get("secret_file"),
                   "a RADIUS shared secret needs at least 16 characters (a short one can be "
                   "guessed offline from one captured packet)");
  server.secret = **secret;
  auto require = r.bool_key(*t, "require_message_authenticator", true);
  if (!require) return Err(require.error());
  server.require_message_authenticator = *require;
  if (tls) {
    auth::RadiusServer::Tls settings;
    for (auto [key, into] :
         {std::pair<std::string_view, std::string*>{"ca_file", &settings.ca_file},
          {"server_name", &settings.server_name},
          {"certificate", &settings.certificate},
          {"private_key", &settings.private_key}}) {
      auto v = r.string_key(*t, key);
      if (!v) return Err(v.error());
      if (*v) *into = key == "server_name" ? **v : path_beside(r.base_dir(), **v);
    }
    if (settings.ca_file.empty())
      return r.error(&item, "a RadSec server needs ca_file: the CA its certificate must chain to");
    if (settings.certificate.empty() != settings.private_key.empty())
      return r.error(&item,
                     "give certificate and private_key together (our identity to the "
                     "server), or neither");
    server.tls = std::move(settings);
  } else {
    for (const char* key : {"ca_file", "server_name", "certificate", "private_key"})
      if (t->get(key))
        return r.error(t->get(key), std::string(key) + " is for transport = \"tls\" (RadSec)");
  }
  auto timeout = r.integer<unsigned>(*t, "timeout", 1, 60);
  if (!timeout) return Err(timeout.error());
  server.timeout = std::chrono::seconds(timeout->value_or(3));
  auto retries = r.integer<unsigned>(*t, "retries", 0, 10);
  if (!retries) return Err(retries.error());
  if (t->get("retries")) server.retries = retries->value_or(2);
  // RFC 6614 2.3 (and RFC 5080 2.2.1): TCP retransmits; a client does not.
  if (tls && t->get("retries") && server.retries)
    return r.error(t->get("retries"),
                   "a RadSec server is never asked again on its connection: "
                   "remove retries (its timeout is the whole wait)");
  if (tls) server.retries = 0;
  for (const auto& other : s.client.authentication)
    if (other.name == server.name)
      return r.error(t->get("name") ? t->get("name") : address,
                     "two [[radius.server]] named " + server.name);
  auto acct_port = r.integer<std::uint16_t>(*t, "accounting_port", 0, 65535);
  if (!acct_port) return Err(acct_port.error());
  // RadSec carries both on one connection (RFC 6614 2.1).
  const std::uint16_t acct = acct_port->value_or(tls ? server.endpoint.port
                                                     : (server.endpoint.port == kAuthenticationPort
                                                            ? kAccountingPort
                                                            : server.endpoint.port + 1));
  if (tls && acct != 0 && acct != server.endpoint.port)
    return r.error(t->get("accounting_port"),
                   "RadSec carries accounting on the same connection: accounting_port is the "
                   "server's port, or 0 for none");
  s.client.authentication.push_back(server);
  if (acct) {
    server.endpoint.port = acct;
    s.client.accounting.push_back(std::move(server));
  }
  return Ok{};
}

}  // namespace

Result<Ok, ConfigError> read_radius(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node* node = root.get("radius");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "radius must be a table: [radius]");
  if (auto ok = r.only_keys(
          *t, "[radius]",
          {"server", "nas_identifier", "nas_ip_address", "interim_interval", "dead_time"});
      !ok)
    return Err(ok.error());
  if (!cfg.l2tp || cfg.l2tp->role != L2tpRole::kLns)
    return r.error(node,
                   "[radius] checks the logins of an L2TP gateway: it needs [l2tp] with "
                   "mode = \"lns\" (or a hybrid gateway's [l2tp])");
  auth::RadiusSettings s;
  s.client.nas_identifier = cfg.l2tp->host_name;
  auto nas = r.string_key(*t, "nas_identifier");
  if (!nas) return Err(nas.error());
  if (*nas) s.client.nas_identifier = **nas;
  if (const toml::node* ip = t->get("nas_ip_address")) {
    auto a = ip->is_string() ? IpAddress::parse(ip->as_string()->get()) : std::nullopt;
    if (!a) return r.error(ip, "nas_ip_address must be an IP address");
    s.client.nas_ip_address = *a;
  }
  auto interim = r.integer<unsigned>(*t, "interim_interval", 0, 86400);
  if (!interim) return Err(interim.error());
  if (*interim) {
    if (**interim != 0 && **interim < 10)
      return r.error(t->get("interim_interval"),
                     "interim_interval is at least 10 seconds (RFC 2869 5.16 advises 60), or 0 "
                     "for none");
    if (**interim != 0 && **interim < 60)
      r.warn("[radius] interim_interval " + std::to_string(**interim) +
             " s is below the 60 s RFC 2869 5.16 advises: every session sends that often");
    s.interim_interval = std::chrono::seconds(**interim);
  }
  auto dead = r.integer<unsigned>(*t, "dead_time", 0, 3600);
  if (!dead) return Err(dead.error());
  if (*dead) s.client.dead_time = std::chrono::seconds(**dead);
  const toml::node* servers = t->get("server");
  const toml::array* list = servers ? servers->as_array() : nullptr;
  if (!list || list->empty())
    return r.error(servers ? servers : node,
                   "[radius] needs at least one [[radius.server]] (address and secret)");
  for (const auto& item : *list)
    if (auto ok = read_server(r, item, s); !ok) return ok;
  for (const auto& server : s.client.authentication)
    if (!server.require_message_authenticator)
      r.warn("[[radius.server]] " + server.name +
             " accepts answers without Message-Authenticator (require_message_authenticator = "
             "false): an attacker on the path can forge its Access-Accepts (BlastRADIUS, "
             "CVE-2024-3596); update the server and remove the setting");
  cfg.radius = s;
  cfg.l2tp->radius = std::move(s);
  return Ok{};
}

}  // namespace tandem::control
