// Tandem's own TOML configuration for a node (`tandem up -c FILE.toml`): a WireGuard interface
// with its keys, addresses, listen port and peers, an L2TP gateway or client (l2tp_config.hpp),
// or both. A bad file is refused as a whole with
// file:line:column and a message that says what is wrong.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/dns_config.hpp"
#include "control/hybrid_config.hpp"
#include "control/ipsec_config.hpp"
#include "control/l2tp_config.hpp"
#include "control/metrics_config.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"
#include "hybrid/traffic_rule.hpp"

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
  // An address of the peer, inside its allowed IPs, that answers pings (its own tunnel address):
  // ICMP echoes to it of chosen sizes find the largest packet the path to the peer carries, so a
  // hop that drops large datagrams without ICMP does not black-hole the tunnel. None: no probing.
  std::optional<IpAddress> mtu_probe_target;
  bool operator==(const PeerConfig&) const = default;
};

// Shell commands run as wg-quick runs PreUp, PostUp, PreDown and PostDown: each with `sh -c`, %i
// replaced by the interface name, in the order written. pre_up runs before the device exists,
// post_up once it is up with its addresses, routes and DNS, pre_down before it is removed and
// post_down after. They run as root, so a file holding any is refused unless root owns it and
// only root can write it (hook_file_refusal in config_files.hpp).
struct HookCommands {
  std::vector<std::string> pre_up;
  std::vector<std::string> post_up;
  std::vector<std::string> pre_down;
  std::vector<std::string> post_down;
  bool empty() const {
    return pre_up.empty() && post_up.empty() && pre_down.empty() && post_down.empty();
  }
  bool operator==(const HookCommands&) const = default;
};

// The TOML keys of the hook lists, in the order the lists run over a node's life.
inline constexpr std::array<std::pair<const char*, std::vector<std::string> HookCommands::*>, 4>
    kHookKeys{{{"pre_up", &HookCommands::pre_up},
               {"post_up", &HookCommands::post_up},
               {"pre_down", &HookCommands::pre_down},
               {"post_down", &HookCommands::post_down}}};

struct InterfaceConfig {
  std::string name;
  crypto::PrivateKey private_key;
  std::uint16_t listen_port = 0;
  std::vector<InterfaceAddress> addresses;
  unsigned mtu = 1420;
  // Whether the file names the MTU; otherwise the device's comes from the budget over the path
  // to the peers (daemon::wireguard_device_mtu), and `mtu` is only the fallback.
  bool mtu_given = false;
  std::uint32_t fwmark = 0;
  // `table = "auto"` (the default): a route for each peer's allowed IPs; `table = "off"`: none,
  // as wg-quick's Table = off, for nodes whose routes are managed elsewhere.
  bool add_routes = true;
  // `table = N`: the routes go into routing table N rather than main (as wg-quick's Table = N).
  std::optional<std::uint32_t> route_table;
  // Given to resolvconf(8) while the interface is up, as wg-quick's DNS = does.
  std::vector<IpAddress> dns;
  std::vector<std::string> dns_search;
  HookCommands hooks;
  // Seconds between searches upwards of a peer's path MTU once one has completed (RFC 8899's
  // PMTU_RAISE_TIMER), for the peers with an mtu_probe_target.
  unsigned mtu_probe_interval_s = 600;
  bool operator==(const InterfaceConfig&) const = default;
};

// [policy_routing]: how a client's or site's [[policy]] rules are applied. In the daemon (the
// default) they pick a path per packet read from the one device; in the kernel they become
// `ip rule`s sending each class to a routing table whose route goes out of the path's own device.
struct PolicyRoutingSettings {
  bool kernel = false;
  // Kernel: the first of four tables (the primary's, the primary's fail-closed one, then the
  // secondary's two) and the first rule's preference.
  std::uint32_t table = 51820;
  std::uint32_t priority = 20000;
  std::string secondary_interface;  // kernel: the secondary path's device
  bool operator==(const PolicyRoutingSettings&) const = default;
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
  std::optional<NestingSettings> nesting;  // [nesting]: one tunnel inside the other
  // [[policy]]: with [fallback], the traffic classes that take a path of their own.
  std::vector<hybrid::TrafficRule> policies;
  PolicyRoutingSettings policy_routing;  // [policy_routing]: how the rules are applied
  // [events] file: where the node appends its events as JSON lines (daemon/event_sink.hpp).
  std::string events_file;
  std::optional<MetricsSettings> metrics;  // [metrics]: the Prometheus endpoint, when set
  // [login_throttle]: failed logins slowed down and locked out (also in l2tp->login_throttle,
  // where the PPP logins are decided).
  auth::ThrottleSettings login_throttle;
  // [ldap]: the L2TP gateway's logins checked against a directory (also in l2tp->ldap).
  std::optional<auth::LdapSettings> ldap;
  // [radius]: the same with RADIUS servers, and accounting (also in l2tp->radius).
  std::optional<auth::RadiusSettings> radius;
  // [dns]: the split-DNS forwarder, when set.
  std::optional<DnsSettings> dns;
  // [admin] group: the group that may use the admin socket besides root (mode 0660 then;
  // otherwise 0600, root only). A name, looked up when the daemon starts.
  std::string admin_group;
  // One interface with several paths behind it, rather than one device per protocol.
  bool hybrid() const { return gateway() || fallback.has_value() || nesting.has_value(); }
  // A hybrid gateway: accounts in [[account]] sections or in a state store.
  bool gateway() const { return !accounts.empty() || account_pool.store.has_value(); }
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
// A TOML basic string ("..."), quotes, backslashes and control characters escaped: hook commands
// and passwords hold any of them.
std::string toml_string(std::string_view s);

// "host:port" / "[v6]:port" into its parts; nullopt if malformed.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text);
bool valid_interface_name(std::string_view name);
// A DNS search domain as resolv.conf takes it: letters, digits, '-', '_' and '.'; nothing that
// could end the line resolvconf reads it from.
bool valid_search_domain(std::string_view domain);

}  // namespace tandem::control
