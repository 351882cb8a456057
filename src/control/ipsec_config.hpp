// The `[ipsec]` section of tandem.toml: site-to-site IPsec tunnels on their own TUN device, for
// gateways that cannot run WireGuard. One IKE version per section (IKEv2 by default, IKEv1 Main
// Mode for older gateways), ESP in tunnel mode between the subnets each `[[ipsec.connection]]`
// names, always in UDP 4500 (Tandem's data path is userspace UDP). A connection with a remote
// address is dialled at start-up and again whenever its SA is lost; one without waits. With
// IKEv2 a gateway can hand road-warrior peers an inner address from a pool, and a connection can
// ask its peer for one. Beside a hybrid gateway's [[account]]s, [ipsec] is the gateway's IKEv2
// side instead: no connections and no device of its own, the accounts are the peers
// (hybrid_config.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/login_throttle.hpp"
#include "base/ip_address.hpp"
#include "ipsec/ike/v1/proposal.hpp"

namespace tandem::control {

struct IpsecConnection {
  std::string name;
  std::optional<IpAddress> remote_address;
  std::string remote_id;  // IKEv2: "ipv4:...", "fqdn:..." or "rfc822:..."; default: the address
  std::string psk;
  std::vector<IpPrefix> local_subnets;
  std::vector<IpPrefix> remote_subnets;
  bool start = false;  // dial it (default: when remote_address is given)
  // IKEv2 initiator: ask the peer for an inner address (configuration payload) and use it as
  // this side of the traffic; local_subnets may then be left out. An IPv6 address is asked for
  // too when a remote subnet is IPv6 (wants_ipv6_address()).
  bool request_address = false;
  // IKEv2 responder: the peer's own inner address (a hybrid gateway's account, never read from
  // [[ipsec.connection]]): handed out through the configuration payload, and the only source
  // besides remote_subnets its traffic may have.
  std::optional<IpAddress> virtual_address;
  std::optional<IpAddress> virtual_address6;  // the same account's IPv6 address
  // IKEv1 only; empty: the defaults of ipsec/ike/v1/config.hpp.
  std::vector<ipsec::ike::v1::Phase1Suite> ike_proposals;
  std::vector<ipsec::ike::v1::Phase2Suite> esp_proposals;
  bool operator==(const IpsecConnection&) const = default;
  bool wants_ipv6_address() const {
    if (!request_address) return false;
    for (const auto& s : remote_subnets)
      if (!s.address().is_v4()) return true;
    return false;
  }
};

// An IKE identity as written in the config ("ipv4:192.0.2.1", "fqdn:gw.example.org",
// "rfc822:carol@example.org", or a bare address, name or user@domain) in its prefixed form;
// nullopt when it is none of these.
std::optional<std::string> normalise_ike_id(const std::string& text);

struct IpsecConfig {
  std::string interface = "ipsec0";
  unsigned mtu = 1400;
  int ike_version = 2;
  IpAddress local_address;                  // where IKE and ESP leave from
  std::string local_id;                     // IKEv2: default "ipv4:<local_address>"
  std::vector<InterfaceAddress> addresses;  // on the TUN device (the source of local traffic)
  // IKEv2 responder: inner addresses handed to peers that ask (configuration payload).
  std::optional<IpAddress> pool_first;
  std::optional<IpAddress> pool_last;
  std::vector<IpAddress> pool_dns;  // offered with each address
  // Not read from [ipsec]: a hybrid gateway's [dns] routed domains, offered to road warriors
  // that ask (RFC 8598 INTERNAL_DNS_DOMAIN) beside pool_dns, its forwarder.
  std::vector<std::string> pool_dns_domains;
  unsigned ike_lifetime = 14400;
  unsigned esp_lifetime = 3600;
  unsigned dpd_interval = 30;
  unsigned dpd_timeout = 120;  // IKEv1; IKEv2 gives up after its retransmissions
  std::vector<IpsecConnection> connections;
  // The node's [login_throttle], asked (IKEv2) before a peer's IKE_AUTH is checked.
  auth::ThrottleSettings login_throttle;
  bool operator==(const IpsecConfig&) const = default;
};

}  // namespace tandem::control
