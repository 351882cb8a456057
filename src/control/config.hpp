// Tandem's own TOML configuration for a node (`tandem up -c FILE.toml`): a WireGuard interface
// with its keys, addresses, listen port and peers, an L2TP gateway or client (l2tp_config.hpp),
// or both. A bad file is refused as a whole with
// file:line:column and a message that says what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/hybrid_config.hpp"
#include "control/ipsec_config.hpp"
#include "control/l2tp_config.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace tandem::control {

struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string to_string() const;  // "file:line:column: message"; "file: message" for line 0
};

struct PeerConfig {
  std::string name;
  crypto::PublicKey public_key{};
  std::optional<crypto::Key32> preshared_key;
  std::optional<std::string> endpoint_host;  // an IP literal or a DNS name
  std::uint16_t endpoint_port = 0;
  std::vector<IpPrefix> allowed_ips;
  std::uint16_t persistent_keepalive = 0;
  bool operator==(const PeerConfig&) const = default;
};

struct InterfaceConfig {
  std::string name;
  crypto::PrivateKey private_key;
  std::uint16_t listen_port = 0;
  std::vector<InterfaceAddress> addresses;
  unsigned mtu = 1420;
  std::uint32_t fwmark = 0;
  // `table = "auto"` (the default): a route for each peer's allowed IPs; `table = "off"`: none,
  // as wg-quick's Table = off, for nodes whose routes are managed elsewhere.
  bool add_routes = true;
  bool operator==(const InterfaceConfig&) const = default;
};

struct NodeConfig {
  std::optional<InterfaceConfig> interface;  // WireGuard; absent in an L2TP-only node
  std::vector<PeerConfig> peers;
  std::optional<L2tpConfig> l2tp;
  std::optional<IpsecConfig> ipsec;  // site-to-site tunnels
  // Hybrid (hybrid_config.hpp): a gateway's accounts, or a client's fallback.
  std::vector<AccountConfig> accounts;
  AccountPoolConfig account_pool;
  std::optional<FallbackSettings> fallback;
  // One interface with several paths behind it, rather than one device per protocol.
  bool hybrid() const { return !accounts.empty() || fallback.has_value(); }
  // Secrets others can read: a key, pre-shared key or password file, or the config itself when it
  // holds a secret inline, with access for group or others ("Warning: 'PATH' is world
  // accessible", as wg-quick says). Not refusals: the daemon prints them at start-up.
  std::vector<std::string> warnings;
};

Result<NodeConfig, ConfigError> parse_node_config(std::string_view text,
                                                  std::string_view source_name,
                                                  const std::string& base_dir = ".");
// Reads the file; key files named in it are read relative to the config's directory.
Result<NodeConfig, ConfigError> load_node_config(const std::string& path);
std::string render_node_config_toml(const NodeConfig& config);

// "host:port" / "[v6]:port" into its parts; nullopt if malformed.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text);
bool valid_interface_name(std::string_view name);

}  // namespace tandem::control
