// Reading Tandem's TOML with positions: every refusal names file:line:column of the node at
// fault. Shared by the sections of the config (internal to control/).
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/config.hpp"
#include "control/config_files.hpp"
#include "control/did_you_mean.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/mschap.hpp"
#include "crypto/secret.hpp"

namespace tandem::control {

// What reading met of secrets: files others may read, and whether the config file itself holds
// one (only the loader knows that file's path, to check it).
struct SecretsSeen {
  std::vector<std::string> warnings;
  bool inline_secret = false;
};

class Reader {
 public:
  Reader(std::string_view source, std::string base_dir, SecretsSeen& secrets)
      : source_(source), base_dir_(std::move(base_dir)), secrets_(&secrets) {}

  // The config file's name, as errors give it.
  std::string_view source() const { return source_; }

  // The config file's folder: relative paths in it are taken from here.
  const std::string& base_dir() const { return base_dir_; }

  Err<ConfigError> error(const toml::node* node, std::string message) const {
    ConfigError e{std::string(source_), 1, 1, std::move(message)};
    if (node) {
      e.line = static_cast<int>(node->source().begin.line);
      e.column = static_cast<int>(node->source().begin.column);
    }
    return Err(std::move(e));
  }

  Err<ConfigError> error_at(const toml::source_region& where, std::string message) const {
    return Err(ConfigError{std::string(source_), static_cast<int>(where.begin.line),
                           static_cast<int>(where.begin.column), std::move(message)});
  }

  Result<Ok, ConfigError> only_keys(const toml::table& table, std::string_view where,
                                    std::initializer_list<std::string_view> allowed) const {
    const std::span<const std::string_view> known(allowed.begin(), allowed.size());
    for (const auto& [key, node] : table) {
      bool ok = false;
      for (auto a : allowed) ok = ok || key.str() == a;
      if (!ok) return unknown_key(key, where, known);
    }
    return Ok{};
  }

  // "unknown key 'x' in [where]", with the known key it was probably meant to be.
  Err<ConfigError> unknown_key(const toml::key& key, std::string_view where,
                               std::span<const std::string_view> known) const {
    return error_at(key.source(), "unknown key '" + std::string(key.str()) + "' in " +
                                      std::string(where) + did_you_mean(key.str(), known));
  }

  Result<std::string, ConfigError> read_key_file(const toml::node& node,
                                                 const std::string& path) const {
    const std::string full = path_beside(base_dir_, path);
    auto read = read_config_file(full);
    if (!read && read.error() == EISDIR) return error(&node, full + " is a directory");
    if (!read)
      return error(&node, "cannot read key file " + full + ": " + std::strerror(read.error()));
    if (auto warning = access_warning(full)) warn(*warning);
    std::string text = read->substr(0, read->find('\n'));
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
      text.pop_back();
    return text;
  }

  // A base64 key given inline (`inline_key`) or in a file (`file_key`), exactly one of them.
  Result<std::optional<crypto::Key32>, ConfigError> key(const toml::table& t,
                                                        std::string_view inline_key,
                                                        std::string_view file_key,
                                                        bool required) const {
    const toml::node* in = t.get(inline_key);
    const toml::node* file = t.get(file_key);
    if (in && file)
      return error(file, "give either " + std::string(inline_key) + " or " + std::string(file_key) +
                             ", not both");
    if (!in && !file) {
      if (required)
        return error(nullptr,
                     "missing " + std::string(inline_key) + " (or " + std::string(file_key) + ")");
      return std::optional<crypto::Key32>{};
    }
    const toml::node* node = in ? in : file;
    if (in) holds_inline_secret();
    if (!node->is_string())
      return error(node, std::string(in ? inline_key : file_key) + " must be a string");
    std::string text = node->as_string()->get();
    if (file) {
      auto read = read_key_file(*node, text);
      if (!read) return Err(read.error());
      text = *read;
    }
    auto bytes = crypto::decode_key_base64(text);
    if (!bytes) return error(node, "not a base64 WireGuard key (44 characters ending in '=')");
    return std::optional<crypto::Key32>(crypto::Key32(std::span<const std::byte, 32>(*bytes)));
  }

  // A string key that must be non-empty if present (nullopt when absent).
  Result<std::optional<std::string>, ConfigError> string_key(const toml::table& t,
                                                             std::string_view k) const {
    const toml::node* node = t.get(k);
    if (!node) return std::optional<std::string>{};
    if (!node->is_string()) return error(node, std::string(k) + " must be a string");
    std::string v = node->as_string()->get();
    if (v.empty()) return error(node, std::string(k) + " must not be empty");
    return std::optional<std::string>(std::move(v));
  }

  // The `interface` key: a TUN device name, kept in `into` when the key is absent.
  Result<Ok, ConfigError> interface_key(const toml::table& t, std::string& into) const {
    auto name = string_key(t, "interface");
    if (!name) return Err(name.error());
    if (*name) into = **name;
    if (!valid_interface_name(into))
      return error(t.get("interface"),
                   "interface name must be 1-15 characters of A-Z a-z 0-9 _ . - = +");
    return Ok{};
  }

  Result<bool, ConfigError> bool_key(const toml::table& t, std::string_view k,
                                     bool fallback) const {
    const toml::node* node = t.get(k);
    if (!node) return fallback;
    if (!node->is_boolean()) return error(node, std::string(k) + " must be true or false");
    return node->as_boolean()->get();
  }

  // At most one of `inline_key` (a string) and `file_key` (a file whose first line is the value).
  Result<std::optional<std::string>, ConfigError> secret_key(const toml::table& t,
                                                             std::string_view inline_key,
                                                             std::string_view file_key) const {
    const toml::node* in = t.get(inline_key);
    const toml::node* file = t.get(file_key);
    if (in && file)
      return error(file, "give either " + std::string(inline_key) + " or " + std::string(file_key) +
                             ", not both");
    if (in) {
      holds_inline_secret();
      return string_key(t, inline_key);
    }
    if (!file) return std::optional<std::string>{};
    auto path = string_key(t, file_key);
    if (!path) return Err(path.error());
    auto text = read_key_file(*file, **path);
    if (!text) return Err(text.error());
    return std::optional<std::string>(std::move(*text));
  }

  // An IPsec pre-shared key from `psk` or `psk_file`, required in `section` (at `node`). Short
  // keys fall to offline guessing from one captured handshake, so fewer than 16 characters are
  // refused.
  Result<std::string, ConfigError> pre_shared_key(const toml::table& t, const toml::node& node,
                                                  std::string_view section,
                                                  std::string_view what = "") const {
    auto psk = secret_key(t, "psk", "psk_file");
    if (!psk) return Err(psk.error());
    if (!*psk)
      return error(&node, std::string(section) + " needs psk or psk_file" + std::string(what));
    if ((*psk)->size() < 16)
      return error(t.get("psk") ? t.get("psk") : t.get("psk_file"),
                   "the pre-shared key must be at least 16 characters");
    return std::move(**psk);
  }

  template <typename T>
  Result<std::optional<T>, ConfigError> integer(const toml::table& t, std::string_view k,
                                                std::int64_t min, std::int64_t max) const {
    const toml::node* node = t.get(k);
    if (!node) return std::optional<T>{};
    if (!node->is_integer()) return error(node, std::string(k) + " must be an integer");
    const std::int64_t v = node->as_integer()->get();
    if (v < min || v > max)
      return error(node, std::string(k) + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max));
    return std::optional<T>(static_cast<T>(v));
  }

  Result<std::vector<std::pair<std::string, const toml::node*>>, ConfigError> strings(
      const toml::table& t, std::string_view k) const {
    std::vector<std::pair<std::string, const toml::node*>> out;
    const toml::node* node = t.get(k);
    if (!node) return out;
    const toml::array* arr = node->as_array();
    if (!arr) return error(node, std::string(k) + " must be an array of strings");
    for (const auto& item : *arr) {
      if (!item.is_string()) return error(&item, std::string(k) + " must contain strings");
      out.emplace_back(item.as_string()->get(), &item);
    }
    return out;
  }

  // IP prefixes: "10.0.0.0/8", "fd00::/64", or a bare address meaning a host.
  Result<std::vector<IpPrefix>, ConfigError> prefixes(const toml::table& t,
                                                      std::string_view k) const {
    auto texts = strings(t, k);
    if (!texts) return Err(texts.error());
    std::vector<IpPrefix> out;
    for (const auto& [text, item] : *texts) {
      auto prefix = IpPrefix::parse(text);
      if (!prefix) return error(item, "not an IP prefix: '" + text + "'");
      out.push_back(*prefix);
    }
    return out;
  }

  // The config file holds a secret in clear (an inline password or key).
  void holds_inline_secret() const { secrets_->inline_secret = true; }

  // Once per text: a file shared by several sections is one warning.
  void warn(const std::string& warning) const {
    auto& w = secrets_->warnings;
    if (std::find(w.begin(), w.end(), warning) == w.end()) w.push_back(warning);
  }

 private:
  std::string_view source_;
  std::string base_dir_;
  SecretsSeen* secrets_;  // written by const readers: notes, not parse state
};

// The part a file's [l2tp] or [ipsec] plays (hybrid_config.hpp): a device of its own, the L2TP
// side of a gateway with [[account]]s, or the secondary path of a client or site with [fallback].
// A nested stack ([nesting]) is one tunnel carried inside the other on the [interface] device.
enum class HybridRole : std::uint8_t { kNone, kGateway, kFallback, kNested };

// The [l2tp] table (l2tp_config.cpp). In a hybrid role it must not name what the hybrid sections
// give (its device, a gateway's address, pool and users, a client's routes), and the gateway
// needs no address, pool or users of its own. With a login backend in the file a gateway has no
// users either; with [ldap] it asks for PAP only.
enum class LoginBackendKind : std::uint8_t { kNone, kLdap, kRadius };
Result<L2tpConfig, ConfigError> read_l2tp_config(
    const Reader& r, const toml::node& node, HybridRole hybrid = HybridRole::kNone,
    LoginBackendKind backend = LoginBackendKind::kNone);
// `nt_hash`: MD4 of the UTF-16LE password as 32 hex digits, a secret held inline
// (l2tp_config.cpp).
Result<crypto::NtPasswordHash, ConfigError> read_nt_hash(const Reader& r, const toml::node& node);
// A gateway's pool, "FIRST-LAST": IPv4, inside the subnet of `own` (the gateway's address) and
// leaving `own` out (l2tp_config.cpp).
Result<std::pair<IpAddress, IpAddress>, ConfigError> read_ipv4_pool(const Reader& r,
                                                                    const toml::node& node,
                                                                    const InterfaceAddress& own);
// The hybrid role the top level asks for: [[account]] (a gateway) or [fallback] (a client), each
// with an [interface]; [accounts] only beside [[account]] (hybrid_config.cpp).
Result<HybridRole, ConfigError> read_hybrid_role(const Reader& r, const toml::table& root);
// [[account]] and [accounts], or [fallback], into `cfg` (hybrid_config.cpp). Read last: they are
// checked against the [interface], [[peer]]s and [l2tp] already in `cfg`.
Result<Ok, ConfigError> read_hybrid_config(const Reader& r, const toml::table& root,
                                           HybridRole role, NodeConfig& cfg);
// [nesting]: which path is the outer one, checked against the sections it nests
// (nesting_config.cpp).
Result<Ok, ConfigError> read_nesting(const Reader& r, const toml::table& root, NodeConfig& cfg);
// [[policy]]: a client's or site's traffic rules, after [fallback] (policy_config.cpp).
Result<Ok, ConfigError> read_policies(const Reader& r, const toml::table& root, NodeConfig& cfg);
// [metrics]: the Prometheus endpoint (metrics_config.cpp).
Result<Ok, ConfigError> read_metrics(const Reader& r, const toml::table& root, NodeConfig& cfg);
// [login_throttle] (login_throttle_config.cpp); after [l2tp], whose logins it throttles.
// [radius]: RADIUS logins and accounting for the L2TP gateway (radius_config.cpp); read after
// [l2tp], before the accounts, as [ldap] is.
Result<Ok, ConfigError> read_radius(const Reader& r, const toml::table& root, NodeConfig& cfg);
// [ldap]: directory logins for the L2TP gateway (ldap_config.cpp); read after [l2tp], before
// the accounts. [[ldap.class]] needs a gateway's accounts (`role`).
Result<Ok, ConfigError> read_ldap(const Reader& r, const toml::table& root, HybridRole role,
                                  NodeConfig& cfg);
// After the accounts: a warning for each [[ldap.class]] that no [[account]] has as its class.
void warn_unused_ldap_classes(const Reader& r, const NodeConfig& cfg);
Result<Ok, ConfigError> read_login_throttle(const Reader& r, const toml::table& root,
                                            NodeConfig& cfg);
// [dns]: the split-DNS forwarder (dns_config.cpp); read after the [[peer]]s and the hybrid
// sections, which say what the tunnel carries.
Result<Ok, ConfigError> read_dns(const Reader& r, const toml::table& root, NodeConfig& cfg);
// `ike_proposals` and `esp_proposals` in strongSwan notation, IKEv1 (ipsec_config.cpp).
Result<Ok, ConfigError> read_ikev1_proposals(const Reader& r, const toml::table& t,
                                             std::vector<ipsec::ike::v1::Phase1Suite>& ike,
                                             std::vector<ipsec::ike::v1::Phase2Suite>& esp,
                                             bool allow_3des);
// The [ipsec] table (ipsec_config.cpp). With [fallback] it is the secondary path of a site: one
// connection, and no device, addresses, MTU or pool of its own (the [interface] gives them); a
// gateway with [[account]]s refuses it.
Result<IpsecConfig, ConfigError> read_ipsec_config(const Reader& r, const toml::node& node,
                                                   HybridRole hybrid = HybridRole::kNone);

}  // namespace tandem::control
