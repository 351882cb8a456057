// The `[l2tp]` section of tandem.toml: an L2TPv2/PPP gateway (LNS) or client (LAC) on its own TUN
// device, normally inside IPsec (`[l2tp.ipsec]`: IKEv1 with a pre-shared key, ESP in transport
// mode protecting UDP 1701, as the built-in clients of Windows, macOS, iOS and Android speak it).
// Plain L2TP is unencrypted, so without `[l2tp.ipsec]` the section is refused unless it says
// `allow_unencrypted = true`; a gateway with both serves IPsec clients and plain ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/ldap_settings.hpp"
#include "auth/login_throttle.hpp"
#include "auth/radius_client.hpp"
#include "base/ip_address.hpp"
#include "crypto/mschap.hpp"
#include "ipsec/ike/v1/proposal.hpp"
#include "ppp/lcp.hpp"

namespace tandem::control {

enum class L2tpRole : std::uint8_t { kLns, kLac };

// A gateway user: a clear password, or only its NT hash (MD4 of the UTF-16LE password, hex),
// which serves MS-CHAPv2 and PAP but not CHAP-MD5.
struct L2tpUser {
  std::string name;
  std::optional<std::string> password;
  std::optional<crypto::NtPasswordHash> nt_hash;
  bool operator==(const L2tpUser&) const = default;
};

// One call a LAC places on its tunnel: each gets its own PPP session and address.
struct L2tpCall {
  std::string user;
  std::string password;
  bool operator==(const L2tpCall&) const = default;
};

// `[l2tp.ipsec]`. Empty proposal lists mean the defaults of ipsec/ike/v1/config.hpp (what
// current Windows, macOS/iOS and Android clients offer, nothing weak). 3DES may be listed in
// esp_proposals only when the section says allow_3des = true.
struct L2tpIpsecConfig {
  std::string psk;
  std::vector<ipsec::ike::v1::Phase1Suite> ike_proposals;
  std::vector<ipsec::ike::v1::Phase2Suite> esp_proposals;
  bool allow_modp1024 = false;  // Android up to 11 offers only MODP 1024
  // Announce a NAT that is not there so that ESP always travels in UDP 4500. A client does by
  // default (every server accepts clients behind NAT); a gateway does not, as Windows refuses
  // servers that seem to be behind one: without a NAT its clients send ESP as IP protocol 50.
  std::optional<bool> force_udp_encapsulation;
  // The address IKE speaks from; by default the one the route to each peer leaves from.
  std::optional<IpAddress> local_address;
  unsigned dpd_interval = 30;  // seconds without traffic before asking whether the peer lives
  unsigned dpd_timeout = 120;  // seconds of unanswered questions before it is declared dead
  unsigned ike_lifetime = 28800;
  unsigned esp_lifetime = 3600;
  bool operator==(const L2tpIpsecConfig&) const = default;
};

struct L2tpConfig {
  L2tpRole role = L2tpRole::kLac;
  std::optional<L2tpIpsecConfig> ipsec;
  bool allow_unencrypted = false;   // plain L2TP on UDP 1701 (a gateway may serve both)
  std::string interface = "l2tp0";  // the TUN device
  // The device's MTU and PPP's MRU. Without mtu in the file the daemon sizes it from the MTU
  // budget over the path to the server (daemon::l2tp_device_mtu), and `mtu` is only a default.
  unsigned mtu = 1400;
  bool mtu_given = false;
  std::string host_name = "tandem";
  std::string tunnel_secret;     // tunnel authentication (RFC 2661 5.1.1); empty: none
  bool hide_avps = false;        // hidden AVPs for credentials-like AVPs; needs tunnel_secret
  unsigned hello_interval = 60;  // seconds
  // Gateway: methods demanded of clients, most preferred first.
  // Client: methods it answers with, most preferred first.
  std::vector<ppp::AuthMethod> auth;

  // LNS
  std::uint16_t listen_port = 1701;
  std::optional<InterfaceAddress> address;  // the gateway's inner address and subnet
  std::optional<IpAddress> pool_first;  // addresses handed to clients, inside `address`'s subnet
  std::optional<IpAddress> pool_last;
  std::vector<IpAddress> dns;  // at most two, offered through IPCP (RFC 1877)
  std::vector<L2tpUser> users;
  // The node's [login_throttle], asked before a login's credentials are checked.
  auth::ThrottleSettings login_throttle;
  // The node's [ldap]: logins are checked by the directory instead of `users` (PAP only).
  std::optional<auth::LdapSettings> ldap;
  // The node's [radius]: logins checked by RADIUS servers, sessions accounted there.
  std::optional<auth::RadiusSettings> radius;

  // LAC
  std::string server_host;  // an IP literal or a DNS name
  std::uint16_t server_port = 1701;
  std::uint16_t local_port = 0;  // 0: the kernel picks
  std::vector<L2tpCall> calls;
  std::vector<IpPrefix> routes;  // sent into the session once it is up; empty: the gateway only
  bool redial = true;            // dial again, with backoff, when the tunnel or session is lost
  // Path MTU probing of each session (RFC 8899 with LCP Echo-Requests carrying data): finds the
  // largest packet that arrives where a hop drops large datagrams without ICMP.
  bool mtu_probing = true;
  unsigned mtu_probe_interval = 600;  // seconds between searches upwards (PMTU_RAISE_TIMER)
  bool operator==(const L2tpConfig&) const = default;
};

}  // namespace tandem::control
