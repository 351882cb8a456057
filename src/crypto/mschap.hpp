// CHAP response computations: CHAP with MD5 (RFC 1994 section 4.1), also used by L2TP tunnel
// authentication (RFC 2661 5.1.1), and MS-CHAPv2 (RFC 2759 section 8). A server may keep only
// the NT password hash at rest: every MS-CHAPv2 function takes the hash as well as the password.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/legacy_digest.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {

// MD5(identifier ‖ secret ‖ challenge).
Md5Digest chap_md5_response(std::uint8_t identifier, std::string_view secret, ByteView challenge);

using NtPasswordHash = Secret<16>;
using MsChapChallenge = std::array<std::byte, 16>;
using NtResponse = std::array<std::byte, 24>;

// MD4 of the password in UTF-16LE (8.3). The password is UTF-8; nullopt when it is not valid
// UTF-8 or MD4 is unavailable.
std::optional<NtPasswordHash> nt_password_hash(std::string_view password);

// GenerateNTResponse (8.1): the 24-byte response a peer sends.
std::optional<NtResponse> generate_nt_response(const MsChapChallenge& authenticator_challenge,
                                               const MsChapChallenge& peer_challenge,
                                               std::string_view username,
                                               const NtPasswordHash& password_hash);

// GenerateAuthenticatorResponse (8.7): "S=" and 40 upper-case hex digits.
std::optional<std::string> generate_authenticator_response(
    const NtPasswordHash& password_hash, const NtResponse& nt_response,
    const MsChapChallenge& peer_challenge, const MsChapChallenge& authenticator_challenge,
    std::string_view username);

// CheckAuthenticatorResponse (8.8), comparing in constant time.
bool check_authenticator_response(const NtPasswordHash& password_hash,
                                  const NtResponse& nt_response,
                                  const MsChapChallenge& peer_challenge,
                                  const MsChapChallenge& authenticator_challenge,
                                  std::string_view username, std::string_view received);

}  // namespace tandem::crypto
