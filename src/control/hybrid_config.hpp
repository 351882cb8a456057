// The hybrid parts of tandem.toml: what turns the [interface] (WireGuard) and [l2tp] sections of
// one file into ONE interface with several paths behind it instead of two separate devices.
//
// A gateway lists `[[account]]`s: each owns WireGuard public keys, an L2TP/PPP login, an IKEv2
// identity and inner addresses, the same on every protocol. Its [interface] serves the accounts'
// keys (no [[peer]]), its [l2tp] (mode = "lns") logs in the accounts' users and hands each the
// account's address, and its [ipsec] (instead of [l2tp]: both need UDP 500/4500) is the IKEv2
// side for road warriors: an account's ike_id and ike_psk log it in, the configuration payload
// hands it the account's IPv4 address and its ESP may come from that address (and its subnets)
// alone. The gateway's inner address is the first IPv4 address of [interface]. Addresses not
// fixed in an account are leased from `[accounts] pool`.
//
//   [ipsec]                                # optional: IKEv2 road warriors
//   local_address = "192.0.2.1"            # where IKE and ESP leave from
//   local_id = "vpn.example.org"           # optional; also ike_version (2 only), ike_lifetime,
//                                          # esp_lifetime, dpd_interval
//
//   [accounts]
//   pool = "10.77.0.10-10.77.0.200"       # optional; IPv4 range inside [interface]'s subnet
//   pool6 = "fd77::/112"                   # optional
//   mtu_probing = false                    # optional: probe every account's WireGuard path
//                                          # with ICMP echoes to the account's own address
//   mtu_probe_interval = 600               # s between searches upwards
//   [[account]]
//   name = "alice"
//   public_key = "base64..."               # or public_keys = [...]; none: no WireGuard
//   preshared_key_file = "alice.psk"       # optional WireGuard pre-shared key (or preshared_key)
//   password = "..."                       # or nt_hash, or password_file; none: no L2TP
//   address = "10.77.0.2"                  # optional: fixed IPv4 (else leased)
//   address6 = "fd77::2"                   # optional: fixed IPv6 (else leased when pool6 is set)
//   subnets = ["192.168.50.0/24"]          # optional: a site's networks behind it
//   ike_psk_file = "alice.ike"             # or ike_psk: IKEv2 pre-shared key; none: no IKEv2
//   ike_id = "alice@example.org"           # optional: default the name as an fqdn identity
//   mtu_probe_target = "10.77.0.2"         # optional: path MTU probing of its WireGuard path
//                                          # with ICMP echoes to this address of the client
//   class = "staff"                        # optional: 1-32 of a-z 0-9 _ -; [[ldap.class]]
//                                          # names it to require a directory group
//   disabled = false
//
// A client (or a site) with a `[fallback]` section runs its one [[peer]] (WireGuard) as the
// primary path and its [l2tp] (mode = "lac") as the secondary, both to the same gateway, on the
// [interface] device with the [interface] address:
//
//   [fallback]
//   gateway = "10.77.0.1"         # the gateway's inner address, which answers health probes
//   probe_interval = 200          # ms
//   down_after = 700              # ms without an answered probe
//   down_loss = 30                # percent of probes lost that makes a path down
//   failback_hold = 5             # s the primary must stay healthy before traffic returns
//   failback_hold_max = 60        # s the hold may grow to when the primary flaps
//   stable_after = 30             # s on a healthy primary before a flap no longer counts and
//                                 # an on-demand secondary is hung up
//   secondary = "warm"            # kept up in advance, or "on-demand": dialled when needed
//   mtu_probing = true            # search each path's MTU with padded probes (RFC 8899)
//   mtu_probe_interval = 600      # s between searches upwards, for a path that has grown
//
// A site names an [ipsec] section (one [[ipsec.connection]], an ESP tunnel to the other site)
// instead of [l2tp]; its [fallback] gateway is the other site's inner address. The connection's
// local_subnets must include the [interface] addresses and its remote_subnets must cover the
// peer's IPv4 allowed_ips, so that everything WireGuard carries has a path during a fallback.
//
// In every role [l2tp] must not name its own interface, address, pool, users or routes, and
// [ipsec] its own interface, mtu, addresses or pool: the hybrid interface and the accounts give
// them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "crypto/mschap.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"
#include "hybrid/path.hpp"

namespace tandem::control {

struct AccountConfig {
  std::string name;
  std::vector<crypto::PublicKey> public_keys;
  std::optional<crypto::Key32> preshared_key;  // WireGuard, for each of its keys
  std::optional<std::string> password;
  std::optional<crypto::NtPasswordHash> nt_hash;
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  // The store leased `ipv4` from its pool rather than the operator fixing it: a login backend's
  // address (RADIUS Framed-IP-Address) may take its place.
  bool ipv4_leased = false;
  std::vector<IpPrefix> subnets;
  // IKEv2 road warrior (beside the gateway's [ipsec]): the identity it authenticates as, in
  // normalise_ike_id's form, and its pre-shared key; no key: no IKEv2.
  std::optional<std::string> ike_id;
  std::optional<std::string> ike_psk;
  // Path MTU probing of the account's WireGuard path: ICMP echoes to this address of the
  // client (standard WireGuard clients speak none of Tandem's in-tunnel probes).
  std::optional<IpAddress> mtu_probe_target;
  // The account's class (hybrid::AccountSpec::account_class): which [[ldap.class]] rule its
  // L2TP logins follow. None: [ldap] require_group's.
  std::optional<std::string> account_class;
  bool disabled = false;
  bool operator==(const AccountConfig&) const = default;
};

struct AccountPoolConfig {
  std::optional<IpAddress> v4_first;
  std::optional<IpAddress> v4_last;
  std::optional<IpPrefix> v6;
  // [accounts] store: the accounts live in this SQLite state store (store/sqlite_store.hpp), not
  // in [[account]] sections, and change while the gateway runs (`tandem account`).
  std::optional<std::string> store;
  // Path MTU probing of every account's WireGuard path with ICMP echoes to the account's own
  // inner address (an account's mtu_probe_target names another), and the seconds between
  // searches upwards (RFC 8899's PMTU_RAISE_TIMER).
  bool mtu_probing = false;
  unsigned mtu_probe_interval_s = 600;
  bool operator==(const AccountPoolConfig&) const = default;
};

struct FallbackSettings {
  IpAddress gateway;  // the gateway's inner address: the target of health probes
  unsigned probe_interval_ms = 200;
  unsigned down_after_ms = 700;
  unsigned down_loss_percent = 30;
  unsigned failback_hold_s = 5;
  unsigned failback_hold_max_s = 60;
  // How long traffic must stay on a healthy primary before a failure no longer counts as a flap
  // (the hold relaxes) and an on-demand secondary is hung up.
  unsigned stable_after_s = 30;
  bool warm_secondary = true;
  // Path MTU probing on the paths that have no probing of their own (WireGuard, an ESP tunnel;
  // PPP probes with LCP echoes): padded health probes find the largest packet each path carries,
  // so a hop that drops large datagrams without ICMP cannot black-hole it.
  bool mtu_probing = true;
  unsigned mtu_probe_interval_s = 600;  // RFC 8899's PMTU_RAISE_TIMER
  bool operator==(const FallbackSettings&) const = default;
};

// [nesting]: one tunnel inside the other on the [interface] device (daemon/nested_interface.hpp).
// `outer` is the path that carries the other's datagrams: kL2tpIpsec or kIpsecTunnel (WireGuard
// rides inside it), or kWireguard ([l2tp] or [ipsec] rides inside WireGuard).
struct NestingSettings {
  hybrid::PathKind outer = hybrid::PathKind::kL2tpIpsec;
  bool operator==(const NestingSettings&) const = default;
};

}  // namespace tandem::control
