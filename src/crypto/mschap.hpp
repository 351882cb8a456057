// CHAP response computations: CHAP with MD5 (RFC 1994 section 4.1), also used by L2TP tunnel
// authentication (RFC 2661 5.1.1), and MS-CHAPv2 (RFC 2759 section 8), each step under the name
// section 8 gives it. A server may keep only the NT password hash at rest: every MS-CHAPv2
// function takes the hash, and the peer's GenerateNTResponse also the password.
// The MS-CHAPv2 functions need MD4 and DES from OpenSSL's legacy provider and return nullopt
// without it (legacy_algorithms_available() tells that apart from a malformed password).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/legacy_digest.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {

// MD5(identifier ‖ secret ‖ challenge).
Md5Digest chap_md5_response(std::uint8_t identifier, std::string_view secret, ByteView challenge);

using MsChapChallenge = std::array<std::byte, 16>;  // authenticator and peer challenges
using ChallengeHash = std::array<std::byte, 8>;     // what the DES step encrypts
using NtPasswordHash = Secret<16>;
using NtPasswordHashHash = Secret<16>;
using NtResponse = std::array<std::byte, 24>;

// NtPasswordHash (8.3): MD4 of the password in UTF-16LE. The password is UTF-8, any code point
// (those past U+FFFF as surrogate pairs); nullopt when it is not valid UTF-8 or MD4 is missing.
std::optional<NtPasswordHash> nt_password_hash(std::string_view password);

// HashNtPasswordHash (8.4): MD4 of the hash.
std::optional<NtPasswordHashHash> hash_nt_password_hash(const NtPasswordHash& password_hash);

// ChallengeHash (8.2): the first 8 bytes of SHA-1(peer ‖ authenticator ‖ user name), where a
// "DOMAIN\" prefix is not part of the user name.
ChallengeHash challenge_hash(const MsChapChallenge& peer_challenge,
                             const MsChapChallenge& authenticator_challenge,
                             std::string_view username);

// ChallengeResponse (8.5): the hash zero-padded to 21 bytes, as three DES keys over challenge.
std::optional<NtResponse> challenge_response(const ChallengeHash& challenge,
                                             const NtPasswordHash& password_hash);

// GenerateNTResponse (8.1): the 24-byte response a peer sends, from the hash or the password.
std::optional<NtResponse> generate_nt_response(const MsChapChallenge& authenticator_challenge,
                                               const MsChapChallenge& peer_challenge,
                                               std::string_view username,
                                               const NtPasswordHash& password_hash);
std::optional<NtResponse> generate_nt_response(const MsChapChallenge& authenticator_challenge,
                                               const MsChapChallenge& peer_challenge,
                                               std::string_view username,
                                               std::string_view password);

// GenerateAuthenticatorResponse (8.7): "S=" and 40 upper-case hex digits.
std::optional<std::string> generate_authenticator_response(
    const NtPasswordHash& password_hash, const NtResponse& nt_response,
    const MsChapChallenge& peer_challenge, const MsChapChallenge& authenticator_challenge,
    std::string_view username);

// CheckAuthenticatorResponse (8.8), comparing in constant time. False as well when the legacy
// provider is missing: a peer must not accept a server it could not check.
bool check_authenticator_response(const NtPasswordHash& password_hash,
                                  const NtResponse& nt_response,
                                  const MsChapChallenge& peer_challenge,
                                  const MsChapChallenge& authenticator_challenge,
                                  std::string_view username, std::string_view received);

}  // namespace tandem::crypto
