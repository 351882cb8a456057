// One account's ProfileInput from a hybrid gateway's configuration (control/hybrid_config.hpp):
// the gateway's public key (from its private key), listen port, inner address and subnets, the
// DNS servers it hands out and its MTU; the account's fixed addresses, WireGuard pre-shared key,
// L2TP login with the [l2tp.ipsec] pre-shared key and IKEv2 login with the [ipsec] identity. No
// I/O: the caller has loaded the config and reads the client's secrets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "control/config.hpp"
#include "crypto/x25519.hpp"
#include "profile/profile_input.hpp"

namespace tandem::profile {

struct ProfileRequest {
  std::string account;
  // HOST, HOST:PORT or [IPv6]:PORT as clients reach the gateway; no port: its listen_port.
  std::string endpoint;
  // The client's WireGuard key; its public half must be one of the account's public keys.
  std::optional<crypto::PrivateKey> private_key;
  // The L2TP password, for an account the gateway knows by its NT hash only; checked against
  // the account's password or hash.
  std::optional<std::string> l2tp_password;
  bool full_tunnel = false;      // 0.0.0.0/0 and ::/0 rather than split routes
  std::vector<IpPrefix> routes;  // split routes; empty: the gateway's inner subnets
  std::vector<IpAddress> dns;    // empty: what the gateway hands out ([l2tp] dns, pool_dns)
  std::vector<std::string> dns_search;
};

struct GatewayProfile {
  ProfileInput input;
  // What the profile leaves out and why (a leased IPv6 address, an L2TP login known by its hash).
  std::vector<std::string> warnings;
};

// Refused, naming the cause and the fix: a config that is not a gateway with [[account]]s, an
// unknown or disabled account, an account whose addresses are all leased (the lease lives in the
// running gateway's store), a private key that is not the account's, an L2TP password that does
// not match, an endpoint that does not parse or has no port when the gateway has no listen_port.
Result<GatewayProfile, std::string> profile_from_gateway(const control::NodeConfig& gateway,
                                                         const ProfileRequest& request);

}  // namespace tandem::profile
