// What a client device needs to connect as one account, whatever it imports: the account's
// WireGuard key and inner addresses, the gateway's public settings (endpoint, public key, inner
// address, pushed DNS, routes, MTU) and the account's L2TP/IPsec and IKEv2 logins. Each format
// (wg-quick, QR code, PowerShell, .mobileconfig, Tandem TOML) is one pure function of a
// ProfileInput; gateway_profile.hpp fills one from a gateway's config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace tandem::profile {

inline constexpr std::uint16_t kDefaultPersistentKeepalive = 25;  // seconds, as wg-quick users set

// L2TP/IPsec as the built-in clients of Windows, macOS, iOS and Android dial it: IKEv1 with a
// pre-shared key, then a PPP login.
struct L2tpLogin {
  std::string user;
  std::string password;
  std::string ipsec_psk;  // empty: the gateway serves plain L2TP only
};

// An IKEv2 road warrior login with a pre-shared key. Identities are in the prefixed form
// control::normalise_ike_id gives ("fqdn:vpn.example.org", "rfc822:alice@example.org",
// "ipv4:192.0.2.1").
struct IkeLogin {
  std::string local_id;   // the account's identity (IDi)
  std::string remote_id;  // the gateway's identity (IDr)
  std::string psk;
};

struct ProfileInput {
  std::string account;                     // the account's name, as the gateway knows it
  std::string connection_name;             // what the device lists; empty: "Tandem <account>"
  std::string interface_name = "tandem0";  // the device a Tandem client creates

  // WireGuard: the client's key pair lives on the client; the gateway knows the public half.
  std::optional<crypto::PrivateKey> private_key;
  std::optional<crypto::Key32> preshared_key;
  crypto::PublicKey gateway_public_key{};
  std::vector<IpAddress> addresses;  // the account's inner addresses (IPv4 and/or IPv6)

  // Where the gateway is: a DNS name or an IP literal (IPv6 without brackets).
  std::string endpoint_host;
  std::uint16_t wireguard_port = 51820;
  std::optional<IpAddress> gateway_address;  // its inner address: answers the fallback's probes

  std::optional<L2tpLogin> l2tp;
  std::optional<IkeLogin> ike;

  std::vector<IpAddress> dns;
  std::vector<std::string> dns_search;
  // What the tunnel carries: 0.0.0.0/0 and ::/0 for a full tunnel, else the split routes.
  std::vector<IpPrefix> routes;
  std::optional<unsigned> mtu;
  std::uint16_t persistent_keepalive = kDefaultPersistentKeepalive;  // 0: none

  std::string display_name() const;
  // Whether routes send everything (an IPv4 default route) through the tunnel.
  bool full_tunnel() const;
  // The IPv4 routes other than a default route: what a split L2TP connection carries.
  std::vector<IpPrefix> ipv4_split_routes() const;
  // "host:port", "[v6]:port".
  std::string wireguard_endpoint() const;
};

// The checks every format relies on, so a hostile value cannot end a line or a quoted string in
// a generated file: the endpoint is an IP literal or a DNS name, search domains are names (and
// come with a name server), the account and connection names hold no control characters.
Result<Ok, std::string> check_profile_input(const ProfileInput& input);

// check_profile_input and what a WireGuard client needs besides: the private key, an inner
// address and routes. `what` names the format in the refusal ("a WireGuard profile").
Result<Ok, std::string> check_wireguard_input(const ProfileInput& input, std::string_view what);

// A DNS name as a host part of an endpoint: letters, digits, '-', '_' and '.', not starting with
// '-' or '.'.
bool valid_host_name(std::string_view host);

// The text with control characters (and DEL) dropped: safe for a comment line.
std::string printable(std::string_view text);

}  // namespace tandem::profile
