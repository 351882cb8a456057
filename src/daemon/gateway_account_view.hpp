// A hybrid gateway's accounts as `tandem status` shows them: the router's account objects
// (address, live paths, return path) joined with what each protocol's own document says of the
// account, so one line per account tells where it is and how it is doing. Pure: documents in,
// documents out.
#pragma once

#include <nlohmann/json.hpp>

namespace tandem::daemon {

// Adds to each object of `hybrid["accounts"]`:
//   "wireguard": its key that shook hands last (a rotation overlap has two) with its endpoint,
//                latest handshake, bytes and MTU, from `wireguard` (control/uapi_status.hpp's
//                interface document; peers named after their account);
//   "l2tp":      its PPP session (the login is the account's name) with the client's endpoint,
//                address, bytes, MTU and the age of its last LCP echo answer, from `l2tp`;
//   "ikev2":     its Child SAs (their remote selector is the account's address) with the peer
//                and the bytes, from `ipsec`.
// A protocol the account has no session on adds nothing; `l2tp` and `ipsec` may be null.
void join_account_sessions(nlohmann::json& hybrid, const nlohmann::json& wireguard,
                           const nlohmann::json& l2tp, const nlohmann::json& ipsec);

}  // namespace tandem::daemon
