// X25519 Diffie-Hellman (RFC 7748) over OpenSSL.
#pragma once

#include <array>
#include <optional>

#include "base/rng.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {

inline constexpr std::size_t kX25519KeySize = 32;
using PublicKey = std::array<std::byte, kX25519KeySize>;
using PrivateKey = Secret<kX25519KeySize>;

// A fresh private key from rng, clamped as RFC 7748 section 5 describes (as `wg genkey` does).
PrivateKey x25519_generate_private(Rng& rng);
// Clamps in place: clear bits 0-2 of byte 0, clear bit 7 and set bit 6 of byte 31.
void x25519_clamp(PrivateKey& key);
PublicKey x25519_public_key(const PrivateKey& private_key);
// The shared secret; nullopt when it is all zeros (a low-order peer point), which WireGuard
// must reject.
std::optional<Secret<32>> x25519(const PrivateKey& private_key, const PublicKey& peer_public);

}  // namespace tandem::crypto
