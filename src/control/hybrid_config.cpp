// The hybrid sections of tandem.toml (hybrid_config.hpp): a gateway's [[account]]s and their
// [accounts] pools, a client's [fallback], and what each asks of [interface], [[peer]] and
// [l2tp]. Syntax and the obvious mistakes, each with its position; leasing, and conflicts between
// the accounts' subnets, are hybrid::AccountTable's.
#include "control/hybrid_config.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "control/ipsec_config.hpp"
#include "control/toml_reader.hpp"
#include "crypto/key_encoding.hpp"
#include "hybrid/account_class.hpp"

namespace tandem::control {
namespace {

// Where a claimed name, key or address went first, for a refusal that names both.
struct Claim {
  std::string account;
  std::size_t index = 0;
  int line = 0;
};

// What the accounts are checked against.
struct Gateway {
  const InterfaceConfig* interface = nullptr;  // its addresses and private key
  crypto::PublicKey public_key{};              // no account may hold it
  std::vector<IpPrefix> ipv4_subnets;          // where the kernel routes to the device
  const AccountPoolConfig* pools = nullptr;    // [accounts]
  bool chap_md5 = false;                       // [l2tp] demands CHAP-MD5: clear passwords only
  bool directory = false;                      // [ldap] or [radius] checks the L2TP logins
  bool ldap = false;
  std::map<std::string, Claim> names;  // the accounts' claims so far
  std::map<crypto::PublicKey, Claim> keys;
  std::map<IpAddress, Claim> addresses;
  const toml::node* ipsec = nullptr;  // [ipsec]: the accounts' IKEv2 side
  std::map<std::string, Claim> ike_ids;
};

int line_of(const toml::node* node) {
  return node ? static_cast<int>(node->source().begin.line) : 0;
}

std::string label(const std::string& name) {
  return "account '" + name + "'";
}

// The `k`th value of `key`: the string itself, or the `k`th item of an array.
const toml::node* nth(const toml::table& t, std::string_view key, std::size_t k) {
  const toml::node* node = t.get(key);
  if (node && node->is_array()) return node->as_array()->get(k);
  return k == 0 ? node : nullptr;
}

Result<Ok, ConfigError> read_public_keys(const Reader& r, const toml::table& t,
                                         AccountConfig& account) {
  const toml::node* one = t.get("public_key");
  if (one && t.get("public_keys"))
    return r.error(t.get("public_keys"), "give either public_key or public_keys, not both");
  std::vector<std::pair<std::string, const toml::node*>> texts;
  if (one) {
    if (!one->is_string()) return r.error(one, "public_key must be a string");
    texts.emplace_back(one->as_string()->get(), one);
  } else {
    auto many = r.strings(t, "public_keys");
    if (!many) return Err(many.error());
    texts = std::move(*many);
  }
  for (const auto& [text, node] : texts) {
    auto bytes = crypto::decode_key_base64(text);
    if (!bytes) return r.error(node, "not a base64 WireGuard key (44 characters ending in '=')");
    account.public_keys.push_back(*bytes);
  }
  return Ok{};
}

// The L2TP/PPP login: a password inline or in a file, or its NT hash.
Result<Ok, ConfigError> read_login(const Reader& r, const toml::table& t, AccountConfig& account) {
  const toml::node* hash = t.get("nt_hash");
  if (hash && (t.get("password") || t.get("password_file")))
    return r.error(hash, "give one of password, password_file and nt_hash, not two");
  auto password = r.secret_key(t, "password", "password_file");
  if (!password) return Err(password.error());
  account.password = std::move(*password);
  if (hash) {
    auto nt_hash = read_nt_hash(r, *hash);
    if (!nt_hash) return Err(nt_hash.error());
    account.nt_hash = *nt_hash;
  }
  return Ok{};
}

// The IKEv2 login: a pre-shared key inline or in a file, and the identity it goes with.
Result<Ok, ConfigError> read_ike_login(const Reader& r, const toml::table& t,
                                       AccountConfig& account) {
  auto psk = r.secret_key(t, "ike_psk", "ike_psk_file");
  if (!psk) return Err(psk.error());
  const toml::node* psk_node = t.get("ike_psk") ? t.get("ike_psk") : t.get("ike_psk_file");
  const toml::node* id = t.get("ike_id");
  if (!*psk) {
    if (id)
      return r.error(
          id, label(account.name) + " has ike_id but no ike_psk or ike_psk_file to log in with");
    return Ok{};
  }
  // Short keys fall to offline guessing from one captured handshake.
  if ((*psk)->size() < 16)
    return r.error(psk_node, "the pre-shared key must be at least 16 characters");
  account.ike_psk = std::move(**psk);
  auto text = r.string_key(t, "ike_id");
  if (!text) return Err(text.error());
  account.ike_id = normalise_ike_id(text->value_or(account.name));
  if (!account.ike_id)
    return r.error(id ? id : psk_node,
                   std::string(id ? "ike_id" : "the account's name (the default ike_id)") +
                       " must be an IPv4 address, a name or user@domain (\"ipv4:...\", "
                       "\"fqdn:...\", \"rfc822:...\")");
  return Ok{};
}

Result<Ok, ConfigError> read_addresses(const Reader& r, const toml::table& t,
                                       AccountConfig& account) {
  if (const toml::node* a = t.get("address")) {
    account.ipv4 = a->is_string() ? IpAddress::parse(a->as_string()->get()) : std::nullopt;
    if (!account.ipv4 || !account.ipv4->is_v4())
      return r.error(a,
                     "address must be an IPv4 address such as \"10.77.0.2\" (IPv6 goes in "
                     "address6)");
  }
  if (const toml::node* a = t.get("address6")) {
    account.ipv6 = a->is_string() ? IpAddress::parse(a->as_string()->get()) : std::nullopt;
    if (!account.ipv6 || !account.ipv6->is_v6())
      return r.error(a, "address6 must be an IPv6 address such as \"fd77::2\"");
  }
  auto subnets = r.prefixes(t, "subnets");
  if (!subnets) return Err(subnets.error());
  account.subnets = std::move(*subnets);
  return Ok{};
}

// The address a standard WireGuard client answers pings at, for path MTU probing of its path;
// the gateway probes it through the account's WireGuard peer, so only an account with a key.
Result<Ok, ConfigError> read_mtu_probe_target(const Reader& r, const toml::table& t,
                                              AccountConfig& account) {
  const toml::node* target = t.get("mtu_probe_target");
  if (!target) return Ok{};
  account.mtu_probe_target =
      target->is_string() ? IpAddress::parse(target->as_string()->get()) : std::nullopt;
  if (!account.mtu_probe_target)
    return r.error(target,
                   "mtu_probe_target must be an IP address of the client that answers pings "
                   "(such as its own tunnel address)");
  if (account.public_keys.empty())
    return r.error(target, label(account.name) +
                               " has mtu_probe_target but no public_key: the probes go through "
                               "its WireGuard path");
  return Ok{};
}

Result<AccountConfig, ConfigError> read_account(const Reader& r, const toml::node& node,
                                                bool directory) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "[[account]] must be a table");
  if (auto ok = r.only_keys(
          *t, "[[account]]",
          {"name", "public_key", "public_keys", "preshared_key", "preshared_key_file", "password",
           "password_file", "nt_hash", "address", "address6", "subnets", "ike_id", "ike_psk",
           "ike_psk_file", "mtu_probe_target", "class", "disabled"});
      !ok)
    return Err(ok.error());
  AccountConfig account;
  auto name = r.string_key(*t, "name");
  if (!name) return Err(name.error());
  if (!*name) return r.error(&node, "[[account]] needs name = \"...\"");
  account.name = **name;
  if (auto ok = read_public_keys(r, *t, account); !ok) return Err(ok.error());
  auto psk = r.key(*t, "preshared_key", "preshared_key_file", false);
  if (!psk) return Err(psk.error());
  account.preshared_key = *psk;
  if (account.preshared_key && account.public_keys.empty())
    return r.error(t->get("preshared_key") ? t->get("preshared_key") : t->get("preshared_key_file"),
                   label(account.name) + " has a WireGuard pre-shared key but no public_key");
  if (auto ok = read_login(r, *t, account); !ok) return Err(ok.error());
  if (auto ok = read_ike_login(r, *t, account); !ok) return Err(ok.error());
  // With [ldap] or [radius] the backend is every account's way in over L2TP.
  if (account.public_keys.empty() && !account.password && !account.nt_hash && !account.ike_psk &&
      !directory)
    return r.error(&node, label(account.name) +
                              " has no way in: give it public_key (WireGuard), password, "
                              "password_file or nt_hash (L2TP) or ike_psk (IKEv2)");
  if (auto ok = read_addresses(r, *t, account); !ok) return Err(ok.error());
  if (auto ok = read_mtu_probe_target(r, *t, account); !ok) return Err(ok.error());
  auto account_class = r.string_key(*t, "class");
  if (!account_class) return Err(account_class.error());
  if (*account_class) {
    if (auto problem = hybrid::account_class_problem(**account_class))
      return r.error(t->get("class"), label(account.name) + ": " + *problem);
    account.account_class = **account_class;
  }
  auto disabled = r.bool_key(*t, "disabled", false);
  if (!disabled) return Err(disabled.error());
  account.disabled = *disabled;
  return account;
}

Result<Ok, ConfigError> check_keys(const Reader& r, const toml::table& t,
                                   const AccountConfig& account, std::size_t index, Gateway& gw) {
  for (std::size_t k = 0; k < account.public_keys.size(); ++k) {
    const crypto::PublicKey& key = account.public_keys[k];
    const toml::node* at = nth(t, t.get("public_key") ? "public_key" : "public_keys", k);
    if (key == gw.public_key)
      return r.error(at, label(account.name) +
                             " has the gateway's own public key (derived from [interface] "
                             "private_key); give it the key of the account's device");
    const auto [first, added] = gw.keys.try_emplace(key, Claim{account.name, index, line_of(at)});
    if (added) continue;
    if (first->second.index == index)
      return r.error(
          at, label(account.name) + " lists public key " + crypto::base64_encode(key) + " twice");
    return r.error(at, "public key " + crypto::base64_encode(key) + " of " + label(account.name) +
                           " is already " + label(first->second.account) + "'s (line " +
                           std::to_string(first->second.line) + "); a key belongs to one account");
  }
  return Ok{};
}

// A fixed address: not the gateway's, not another account's, and for IPv4 on the device's subnet.
Result<Ok, ConfigError> check_address(const Reader& r, const toml::node* at,
                                      const IpAddress& address, const AccountConfig& account,
                                      std::size_t index, Gateway& gw) {
  const std::string what = "address " + address.to_string() + " of " + label(account.name);
  for (const auto& own : gw.interface->addresses)
    if (own.address == address)
      return r.error(at, what + " is the gateway's own ([interface] addresses)");
  if (address.is_v4() && std::none_of(gw.ipv4_subnets.begin(), gw.ipv4_subnets.end(),
                                      [&](const IpPrefix& s) { return s.contains(address); })) {
    std::string subnets;
    for (const auto& s : gw.ipv4_subnets)
      subnets += (subnets.empty() ? "" : " or ") + s.to_string();
    return r.error(at, what + " is outside the gateway's subnet " + subnets +
                           ", so the kernel would not route it to " + gw.interface->name +
                           "; pick one inside it");
  }
  const auto [first, added] =
      gw.addresses.try_emplace(address, Claim{account.name, index, line_of(at)});
  if (!added)
    return r.error(at, what + " is already " + label(first->second.account) + "'s (line " +
                           std::to_string(first->second.line) + ")");
  return Ok{};
}

// An IKEv2 login needs the gateway's [ipsec], an identity no other account has, and an IPv4
// address for the configuration payload to hand out.
Result<Ok, ConfigError> check_ike_login(const Reader& r, const toml::node& node,
                                        const AccountConfig& account, std::size_t index,
                                        Gateway& gw) {
  if (!account.ike_psk) return Ok{};
  const toml::table& t = *node.as_table();
  const toml::node* at = t.get("ike_id")    ? t.get("ike_id")
                         : t.get("ike_psk") ? t.get("ike_psk")
                                            : t.get("ike_psk_file");
  if (!gw.ipsec)
    return r.error(at, label(account.name) +
                           " logs in over IKEv2, which needs an [ipsec] section: the gateway's "
                           "local_address (and optionally local_id)");
  const auto [first, added] =
      gw.ike_ids.try_emplace(*account.ike_id, Claim{account.name, index, line_of(at)});
  if (!added)
    return r.error(at, "IKE identity " + *account.ike_id + " of " + label(account.name) +
                           " is already " + label(first->second.account) + "'s (line " +
                           std::to_string(first->second.line) + ")");
  if (!account.ipv4 && !gw.pools->v4_first)
    return r.error(&node, label(account.name) +
                              " logs in over IKEv2, which hands out an IPv4 address: give it "
                              "address = \"...\" or add [accounts] pool = \"FIRST-LAST\"");
  return Ok{};
}

Result<Ok, ConfigError> check_account(const Reader& r, const toml::node& node,
                                      const AccountConfig& account, std::size_t index,
                                      Gateway& gw) {
  const toml::table& t = *node.as_table();
  const auto [first, added] =
      gw.names.try_emplace(account.name, Claim{account.name, index, line_of(&node)});
  if (!added)
    return r.error(t.get("name"), "two accounts are named '" + account.name +
                                      "' (the first at line " + std::to_string(first->second.line) +
                                      ")");
  if (auto ok = check_keys(r, t, account, index, gw); !ok) return ok;
  if (account.ipv4)
    if (auto ok = check_address(r, t.get("address"), *account.ipv4, account, index, gw); !ok)
      return ok;
  if (account.ipv6)
    if (auto ok = check_address(r, t.get("address6"), *account.ipv6, account, index, gw); !ok)
      return ok;
  if (!account.ipv4 && !gw.pools->v4_first && !account.ipv6 && !gw.pools->v6)
    return r.error(
        &node, label(account.name) + " has no address: give it address = \"...\" (inside " +
                   gw.ipv4_subnets[0].to_string() + ") or add [accounts] pool = \"FIRST-LAST\"");
  if (auto ok = check_ike_login(r, node, account, index, gw); !ok) return ok;
  if (const auto& target = account.mtu_probe_target;
      target && std::none_of(gw.interface->addresses.begin(), gw.interface->addresses.end(),
                             [&](const InterfaceAddress& a) {
                               return a.address.family() == target->family();
                             }))
    return r.error(t.get("mtu_probe_target"),
                   "mtu_probe_target " + target->to_string() + " of " + label(account.name) +
                       " needs an [interface] address of the same family to send the probes "
                       "from");
  if (gw.directory && (account.password || account.nt_hash)) {
    const toml::node* at = t.get("password")        ? t.get("password")
                           : t.get("password_file") ? t.get("password_file")
                                                    : t.get("nt_hash");
    return r.error(at, std::string("with ") + (gw.ldap ? "[ldap]" : "[radius]") +
                           " the backend checks the L2TP passwords: remove this from " +
                           label(account.name));
  }
  // CHAP-MD5 hashes the clear password with the challenge; an NT hash cannot answer it.
  if (gw.chap_md5 && account.nt_hash)
    return r.error(t.get("nt_hash"),
                   "CHAP-MD5 needs a clear password; " + label(account.name) + " has only nt_hash");
  return Ok{};
}

Result<Ok, ConfigError> read_pools(const Reader& r, const toml::node& node,
                                   const InterfaceAddress& own, AccountPoolConfig& pools) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "accounts must be a table: [accounts]");
  if (auto ok = r.only_keys(*t, "[accounts]",
                            {"pool", "pool6", "store", "mtu_probing", "mtu_probe_interval"});
      !ok)
    return ok;
  auto probing = r.bool_key(*t, "mtu_probing", false);
  if (!probing) return Err(probing.error());
  pools.mtu_probing = *probing;
  auto interval = r.integer<unsigned>(*t, "mtu_probe_interval", 5, 86400);
  if (!interval) return Err(interval.error());
  if (*interval) pools.mtu_probe_interval_s = **interval;
  if (const toml::node* store = t->get("store")) {
    const std::string text = store->is_string() ? store->as_string()->get() : "";
    const bool postgres = text.starts_with("postgresql://") || text.starts_with("postgres://");
    if (!postgres && (text.empty() || text.front() != '/'))
      return r.error(store,
                     "store must be the absolute path of the accounts' SQLite file, such as "
                     "\"/var/lib/tandem/gw.db\", or a PostgreSQL database shared by several "
                     "gateways, such as \"postgresql:///tandem?host=/run/postgresql\"");
    if (postgres && text.find('@') != std::string::npos &&
        text.find(':', text.find("://") + 3) < text.find('@'))
      return r.error(store,
                     "store holds a password; put it in a password file (~/.pgpass, or "
                     "passfile= in the URI) and leave it out of the config");
    pools.store = store->as_string()->get();
  }
  if (const toml::node* pool = t->get("pool")) {
    auto range = read_ipv4_pool(r, *pool, own);
    if (!range) return Err(range.error());
    pools.v4_first = range->first;
    pools.v4_last = range->second;
  }
  if (const toml::node* pool6 = t->get("pool6")) {
    pools.v6 = pool6->is_string() ? IpPrefix::parse(pool6->as_string()->get()) : std::nullopt;
    if (!pools.v6 || !pools.v6->address().is_v6())
      return r.error(pool6, "pool6 must be an IPv6 prefix such as \"fd77::/112\"");
    // hybrid::AccountTable leases from the prefix's ::10 on, past the gateway's low addresses.
    if (pools.v6->length() > 123)
      return r.error(pool6, "pool6 must be a /123 or shorter: leases start at its ::10");
  }
  return Ok{};
}

std::optional<InterfaceAddress> first_ipv4(const InterfaceConfig& interface) {
  for (const auto& a : interface.addresses)
    if (a.address.is_v4()) return a;
  return std::nullopt;
}

Result<Ok, ConfigError> read_gateway(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const InterfaceConfig& interface = *cfg.interface;
  const auto own = first_ipv4(interface);
  if (!own)
    return r.error(root.get("interface"),
                   "[[account]] needs an IPv4 address in [interface] addresses: the gateway's "
                   "inner address and subnet, such as \"10.77.0.1/24\"");
  if (const toml::node* pools = root.get("accounts"))
    if (auto ok = read_pools(r, *pools, *own, cfg.account_pool); !ok) return ok;
  Gateway gw;
  gw.interface = &interface;
  gw.public_key = crypto::x25519_public_key(interface.private_key);
  gw.pools = &cfg.account_pool;
  if (cfg.ipsec) gw.ipsec = root.get("ipsec");
  for (const auto& a : interface.addresses)
    if (a.address.is_v4()) gw.ipv4_subnets.emplace_back(a.address, a.prefix_length);
  gw.directory = cfg.ldap || cfg.radius;
  gw.ldap = cfg.ldap.has_value();
  gw.chap_md5 = cfg.l2tp && std::find(cfg.l2tp->auth.begin(), cfg.l2tp->auth.end(),
                                      ppp::AuthMethod::kChapMd5) != cfg.l2tp->auth.end();
  const toml::node* accounts = root.get("account");
  if (cfg.account_pool.store) {
    // One source of truth: the store, changed live; the file keeps the node's own settings.
    if (accounts)
      return r.error(accounts,
                     "[accounts] store holds this gateway's accounts, so [[account]] sections "
                     "are not read; move them into the store once with `tandem account "
                     "import-config`, then remove them from the file");
    if (cfg.l2tp) cfg.l2tp->address = *own;
    return Ok{};
  }
  const toml::array* arr = accounts->as_array();
  if (!arr) return r.error(accounts, "account must be written as [[account]] tables");
  for (const auto& item : *arr) {
    auto account = read_account(r, item, gw.directory);
    if (!account) return Err(account.error());
    if (auto ok = check_account(r, item, *account, cfg.accounts.size(), gw); !ok) return ok;
    cfg.accounts.push_back(std::move(*account));
  }
  if (gw.ipsec && gw.ike_ids.empty())
    return r.error(gw.ipsec,
                   "[ipsec] beside [[account]] serves the accounts' IKEv2 logins, but no account "
                   "has ike_psk or ike_psk_file");
  // The rest of the daemon finds the gateway's address where an L2TP gateway keeps it.
  if (cfg.l2tp) cfg.l2tp->address = *own;
  return Ok{};
}

Result<FallbackSettings, ConfigError> read_fallback_settings(const Reader& r,
                                                             const toml::node& node) {
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "fallback must be a table: [fallback]");
  if (auto ok = r.only_keys(
          *t, "[fallback]",
          {"gateway", "probe_interval", "down_after", "down_loss", "failback_hold",
           "failback_hold_max", "stable_after", "secondary", "mtu_probing", "mtu_probe_interval"});
      !ok)
    return Err(ok.error());
  FallbackSettings s;
  const toml::node* gateway = t->get("gateway");
  if (!gateway)
    return r.error(&node,
                   "[fallback] needs gateway = \"10.77.0.1\": the gateway's inner "
                   "address, which answers health probes");
  auto address =
      gateway->is_string() ? IpAddress::parse(gateway->as_string()->get()) : std::nullopt;
  if (!address) return r.error(gateway, "gateway must be an IP address such as \"10.77.0.1\"");
  s.gateway = *address;
  const struct {
    std::string_view key;
    std::int64_t min, max;
    unsigned& into;
  } bounded[] = {{"probe_interval", 50, 5000, s.probe_interval_ms},
                 {"down_after", 100, 60000, s.down_after_ms},
                 {"down_loss", 5, 95, s.down_loss_percent},
                 {"failback_hold", 0, 3600, s.failback_hold_s},
                 {"failback_hold_max", 0, 86400, s.failback_hold_max_s},
                 {"stable_after", 1, 86400, s.stable_after_s},
                 {"mtu_probe_interval", 5, 86400, s.mtu_probe_interval_s}};
  for (const auto& b : bounded) {
    auto v = r.integer<unsigned>(*t, b.key, b.min, b.max);
    if (!v) return Err(v.error());
    if (*v) b.into = **v;
  }
  // Defaults count: a slow probe_interval alone can outgrow the default down_after.
  if (s.down_after_ms <= s.probe_interval_ms)
    return r.error(t->get("down_after") ? t->get("down_after") : t->get("probe_interval"),
                   "down_after (" + std::to_string(s.down_after_ms) +
                       " ms) must be longer than probe_interval (" +
                       std::to_string(s.probe_interval_ms) + " ms)");
  if (s.failback_hold_max_s < s.failback_hold_s)
    return r.error(
        t->get("failback_hold_max") ? t->get("failback_hold_max") : t->get("failback_hold"),
        "failback_hold_max (" + std::to_string(s.failback_hold_max_s) +
            " s) must be at least failback_hold (" + std::to_string(s.failback_hold_s) + " s)");
  if (const toml::node* secondary = t->get("secondary")) {
    const std::string v = secondary->is_string() ? secondary->as_string()->get() : "";
    if (v != "warm" && v != "on-demand")
      return r.error(secondary,
                     "secondary must be \"warm\" (kept up in advance) or \"on-demand\" (dialled "
                     "when the primary fails)");
    s.warm_secondary = v == "warm";
  }
  auto probing = r.bool_key(*t, "mtu_probing", s.mtu_probing);
  if (!probing) return Err(probing.error());
  s.mtu_probing = *probing;
  return s;
}

bool covered_by(const std::vector<IpPrefix>& prefixes, const IpPrefix& p) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const IpPrefix& q) {
    return q.length() <= p.length() && q.contains(p.address());
  });
}

// An ESP tunnel carries only what its traffic selectors name: the secondary of a site must take
// its probes (this node's address to the other site's) and everything WireGuard carries to it,
// or a fallback would drop that traffic.
Result<Ok, ConfigError> check_ipsec_secondary(const Reader& r, const toml::table& root,
                                              const FallbackSettings& settings,
                                              const NodeConfig& cfg) {
  const IpsecConnection& c = cfg.ipsec->connections.front();
  const toml::node* conn = root.get("ipsec")->as_table()->get("connection")->as_array()->get(0);
  if (!settings.warm_secondary && !c.start)
    return r.error(conn,
                   "secondary = \"on-demand\" dials the tunnel when the primary fails: give "
                   "this connection remote_address and start = true (the other site may then "
                   "wait with start = false)");
  if (c.request_address)
    return r.error(conn,
                   "with [fallback], the site's inner address is its [interface] address on both "
                   "paths: remove request_address");
  for (const auto& own : cfg.interface->addresses)
    if (own.address.is_v4() && !covered_by(c.local_subnets, IpPrefix(own.address, 32)))
      return r.error(conn->as_table()->get("local_subnets"),
                     "local_subnets must include this node's inner address " +
                         own.address.to_string() +
                         " ([interface] addresses), which both paths "
                         "carry");
  if (!settings.gateway.is_v4())
    return r.error(root.get("fallback")->as_table()->get("gateway"),
                   "an [ipsec] secondary carries IPv4 only: give the other site's IPv4 inner "
                   "address as gateway");
  for (const auto& p : cfg.peers[0].allowed_ips)
    if (p.address().is_v4() && !covered_by(c.remote_subnets, p))
      return r.error(conn->as_table()->get("remote_subnets"),
                     "remote_subnets must cover the [[peer]]'s allowed_ips: " + p.to_string() +
                         " would have no path while traffic is on the secondary");
  return Ok{};
}

Result<Ok, ConfigError> read_fallback(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node& node = *root.get("fallback");
  auto settings = read_fallback_settings(r, node);
  if (!settings) return Err(settings.error());
  const InterfaceConfig& interface = *cfg.interface;
  if (interface.addresses.empty())
    return r.error(root.get("interface"),
                   "[fallback] needs an address in [interface] addresses: the inner address "
                   "both paths carry");
  if (cfg.peers.size() != 1) {
    const toml::array* peers = root.get("peer") ? root.get("peer")->as_array() : nullptr;
    const std::string count =
        cfg.peers.empty() ? std::string("none") : std::to_string(cfg.peers.size());
    return r.error(peers ? peers->get(1) : &node,
                   "[fallback] needs exactly one [[peer]] (the gateway over WireGuard); this file "
                   "has " +
                       count);
  }
  if (!cfg.l2tp && !cfg.ipsec)
    return r.error(&node,
                   "[fallback] needs a secondary path: an [l2tp] section with mode = \"lac\" "
                   "(L2TP/IPsec to a gateway) or an [ipsec] section (an ESP tunnel to another "
                   "site)");
  const toml::node* gateway = node.as_table()->get("gateway");
  for (const auto& own : interface.addresses)
    if (own.address == settings->gateway)
      return r.error(gateway, "gateway " + settings->gateway.to_string() +
                                  " is this node's own address ([interface] addresses); give the "
                                  "gateway's inner address");
  // Probes leave from the node's own address of the gateway's family.
  if (std::none_of(interface.addresses.begin(), interface.addresses.end(),
                   [&](const InterfaceAddress& a) {
                     return a.address.family() == settings->gateway.family();
                   }))
    return r.error(gateway, "gateway " + settings->gateway.to_string() +
                                " needs an [interface] address of the same family to probe it "
                                "from");
  const auto& allowed = cfg.peers[0].allowed_ips;
  if (std::none_of(allowed.begin(), allowed.end(),
                   [&](const IpPrefix& p) { return p.contains(settings->gateway); }))
    return r.error(gateway, "gateway " + settings->gateway.to_string() +
                                " is outside the [[peer]]'s allowed_ips, so probes could never "
                                "reach it; add it to allowed_ips");
  if (cfg.ipsec)
    if (auto ok = check_ipsec_secondary(r, root, *settings, cfg); !ok) return ok;
  cfg.fallback = *settings;
  return Ok{};
}

}  // namespace

Result<HybridRole, ConfigError> read_hybrid_role(const Reader& r, const toml::table& root) {
  const toml::node* accounts = root.get("account");
  const toml::node* fallback = root.get("fallback");
  if (const toml::node* nesting = root.get("nesting")) {
    if (accounts || fallback)
      return r.error(nesting,
                     std::string("[nesting] stacks this client's tunnels one inside the other; ") +
                         (accounts ? "[[account]] is for a gateway"
                                   : "[fallback] runs them side "
                                     "by side") +
                         ": a node is one or the other");
    if (!root.get("interface"))
      return r.error(nesting,
                     "[nesting] needs an [interface] section: the device and WireGuard's key");
    return HybridRole::kNested;
  }
  if (accounts && fallback)
    return r.error(fallback,
                   "[fallback] is for a client of a gateway and [[account]] for the gateway "
                   "itself; a node is one or the other");
  const toml::node* pools = root.get("accounts");
  const bool store = pools && pools->as_table() && pools->as_table()->get("store");
  if (pools && !accounts && !store)
    return r.error(pools,
                   "[accounts] holds the pools of a gateway's [[account]]s; add [[account]] "
                   "sections (or store = \"/var/lib/tandem/NAME.db\") or remove it");
  if (store && fallback)
    return r.error(fallback,
                   "[fallback] is for a client of a gateway and [accounts] store for the "
                   "gateway itself; a node is one or the other");
  if (store && !accounts) accounts = pools;
  if (!accounts && !fallback) return HybridRole::kNone;
  const toml::node* at = accounts ? accounts : fallback;
  const std::string section = accounts ? "[[account]]" : "[fallback]";
  if (!root.get("interface"))
    return r.error(at, section +
                           " needs an [interface] section: the one device every path of the "
                           "hybrid interface runs on");
  if (accounts && root.get("peer"))
    return r.error(root.get("peer"),
                   "a gateway with accounts takes its WireGuard peers from [[account]] "
                   "public_key; move each [[peer]] into an account");
  return accounts ? HybridRole::kGateway : HybridRole::kFallback;
}

Result<Ok, ConfigError> read_hybrid_config(const Reader& r, const toml::table& root,
                                           HybridRole role, NodeConfig& cfg) {
  if (role == HybridRole::kGateway) return read_gateway(r, root, cfg);
  if (role == HybridRole::kFallback) return read_fallback(r, root, cfg);
  return Ok{};
}

}  // namespace tandem::control
