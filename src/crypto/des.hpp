// Single DES, which MS-CHAP uses to turn the NT password hash into a challenge response
// (RFC 2759 section 8.5 ChallengeResponse and 8.6 DesEncrypt). It lives in OpenSSL's legacy
// provider (crypto/legacy_provider.hpp), so encryption returns an error when that is missing.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "base/result.hpp"
#include "crypto/legacy_provider.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {

inline constexpr std::size_t kDesBlockSize = 8;
inline constexpr std::size_t kDesKeySize = 8;      // 56 key bits and 8 parity bits
inline constexpr std::size_t kDesKeyBitsSize = 7;  // the 56 key bits alone, as MS-CHAP keeps them

using DesBlock = std::array<std::byte, kDesBlockSize>;
using DesKey = Secret<kDesKeySize>;

// DesEncrypt's key step (RFC 2759 8.6): the 56 bits of key7 spread over eight bytes, seven bits
// in the top of each, with the low bit set for odd parity as DES defines it. OpenSSL ignores
// parity, but a key with correct parity is the one any other DES would accept too.
DesKey des_key_from_56_bits(std::span<const std::byte, kDesKeyBitsSize> key7);

// Encrypts one block with single DES in ECB mode (no padding).
Result<DesBlock, LegacyError> des_ecb_encrypt_block(std::span<const std::byte, kDesKeySize> key,
                                                    const DesBlock& block);

}  // namespace tandem::crypto
