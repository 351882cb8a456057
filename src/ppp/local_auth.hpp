// Judging an AuthRequest against a locally configured user. A user stored only as an NT hash
// (MD4 of the UTF-16 password, as Windows keeps it) can log in with MS-CHAPv2 and PAP; CHAP-MD5
// needs the clear password, which is why it should be offered only where that is acceptable.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/mschap.hpp"
#include "ppp/auth.hpp"

namespace tandem::ppp {

struct LocalCredential {
  std::optional<std::string> password;
  std::optional<crypto::NtPasswordHash> nt_hash;
};

// The message of a verdict refusing a password or response that does not match (other refusals
// say the credential cannot serve the method).
inline constexpr std::string_view kBadPassword = "bad password";

AuthVerdict verify_locally(const AuthRequest& request, const LocalCredential& credential);

}  // namespace tandem::ppp
