// BLAKE2s (RFC 7693) and the constructions WireGuard builds from it, over OpenSSL 3's BLAKE2S-256
// digest and BLAKE2SMAC: HASH, MAC (keyed BLAKE2s with 16-byte output), HMAC-BLAKE2s and the
// HKDF used by Noise (KDF1/KDF2/KDF3 of the whitepaper).
#pragma once

#include <initializer_list>
#include <span>

#include "base/bytes.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {

inline constexpr std::size_t kBlake2sSize = 32;

// BLAKE2s-256 of the concatenation of parts.
void blake2s256(std::initializer_list<ByteView> parts, std::span<std::byte, kBlake2sSize> out);
// Keyed BLAKE2s (key 1..32 bytes) with output length out.size() (1..32) in the parameter block.
void blake2s_keyed(ByteView key, std::initializer_list<ByteView> parts, MutableByteView out);
// HMAC (RFC 2104) with BLAKE2s-256 as the hash.
void hmac_blake2s(ByteView key, std::initializer_list<ByteView> parts,
                  std::span<std::byte, kBlake2sSize> out);

// Noise's HKDF over HMAC-BLAKE2s: fills each of outputs (1 to 3 of them, 32 bytes each) from
// chaining key ck and input.
void wireguard_kdf(std::span<const std::byte, kBlake2sSize> ck, ByteView input,
                   std::initializer_list<std::span<std::byte, kBlake2sSize>> outputs);

}  // namespace tandem::crypto
