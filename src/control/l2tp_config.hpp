// The `[l2tp]` section of tandem.toml: an L2TPv2/PPP gateway (LNS) or client (LAC) on its own TUN
// device. Plain L2TP is unencrypted, so the section is refused unless it says
// `allow_unencrypted = true` (L2TP inside IPsec needs no such switch).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "crypto/mschap.hpp"
#include "ppp/lcp.hpp"

namespace tandem::control {

enum class L2tpRole : std::uint8_t { kLns, kLac };

// A gateway user: a clear password, or only its NT hash (MD4 of the UTF-16LE password, hex),
// which serves MS-CHAPv2 and PAP but not CHAP-MD5.
struct L2tpUser {
  std::string name;
  std::optional<std::string> password;
  std::optional<crypto::NtPasswordHash> nt_hash;
};

// One call a LAC places on its tunnel: each gets its own PPP session and address.
struct L2tpCall {
  std::string user;
  std::string password;
};

struct L2tpConfig {
  L2tpRole role = L2tpRole::kLac;
  std::string interface = "l2tp0";  // the TUN device
  unsigned mtu = 1400;
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

  // LAC
  std::string server_host;  // an IP literal or a DNS name
  std::uint16_t server_port = 1701;
  std::uint16_t local_port = 0;  // 0: the kernel picks
  std::vector<L2tpCall> calls;
  std::vector<IpPrefix> routes;  // sent into the session once it is up; empty: the gateway only
  bool redial = true;            // dial again, with backoff, when the tunnel or session is lost
};

}  // namespace tandem::control
