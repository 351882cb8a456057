// A Tandem client configuration (tandem.toml, `tandem up FILE`) for one account: the hybrid
// client of control/hybrid_config.hpp, WireGuard to the gateway as the primary path and
// L2TP/IPsec as the secondary, [fallback] probing the gateway's inner address, one device and
// one inner address on both paths.
#pragma once

#include <string>

#include "base/result.hpp"
#include "profile/profile_input.hpp"

namespace tandem::profile {

// [interface] (the private key, the account's addresses as /32 and /128, DNS and MTU when set),
// [[peer]] "gateway" (the routes as allowed_ips, with the gateway's inner address among them),
// then, when the account has an L2TP login and the gateway an inner address of a family the
// client has, [l2tp] mode = "lac" with its [[l2tp.session]] and [l2tp.ipsec] and [fallback];
// without them a plain WireGuard client. What control::parse_node_config reads back.
Result<std::string, std::string> render_tandem_client(const ProfileInput& input);

}  // namespace tandem::profile
