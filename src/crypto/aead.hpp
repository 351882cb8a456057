// AEADs: ChaCha20-Poly1305 (RFC 8439) over OpenSSL, XChaCha20-Poly1305 over libsodium
// (OpenSSL 3.0 lacks it; WireGuard's cookie reply needs it).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "base/bytes.hpp"

namespace tandem::crypto {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kChaChaNonceSize = 12;
inline constexpr std::size_t kXChaChaNonceSize = 24;

using AeadKeyView = std::span<const std::byte, kAeadKeySize>;

// A ChaCha20-Poly1305 key with a reusable cipher context, for the data path: the key schedule is
// set once and each packet only sets the nonce. Not thread-safe: one instance per thread and
// direction.
class ChaCha20Poly1305 {
 public:
  explicit ChaCha20Poly1305(AeadKeyView key);
  ~ChaCha20Poly1305();
  ChaCha20Poly1305(ChaCha20Poly1305&&) noexcept;
  ChaCha20Poly1305& operator=(ChaCha20Poly1305&&) noexcept;
  ChaCha20Poly1305(const ChaCha20Poly1305&) = delete;
  ChaCha20Poly1305& operator=(const ChaCha20Poly1305&) = delete;

  // out.size() must be plaintext.size() + 16; out may alias plaintext exactly (in place).
  bool seal(std::span<const std::byte, kChaChaNonceSize> nonce, ByteView aad, ByteView plaintext,
            MutableByteView out);
  // out.size() must be ciphertext.size() - 16; false when the tag does not verify (out is then
  // wiped). out may alias ciphertext exactly.
  bool open(std::span<const std::byte, kChaChaNonceSize> nonce, ByteView aad, ByteView ciphertext,
            MutableByteView out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// WireGuard's nonce: 32 zero bits then the 64-bit counter, little-endian.
std::array<std::byte, kChaChaNonceSize> wireguard_nonce(std::uint64_t counter);

// One-shot forms for the handshake and tests.
bool chacha20poly1305_seal(AeadKeyView key, std::span<const std::byte, kChaChaNonceSize> nonce,
                           ByteView aad, ByteView plaintext, MutableByteView out);
bool chacha20poly1305_open(AeadKeyView key, std::span<const std::byte, kChaChaNonceSize> nonce,
                           ByteView aad, ByteView ciphertext, MutableByteView out);
bool xchacha20poly1305_seal(AeadKeyView key, std::span<const std::byte, kXChaChaNonceSize> nonce,
                            ByteView aad, ByteView plaintext, MutableByteView out);
bool xchacha20poly1305_open(AeadKeyView key, std::span<const std::byte, kXChaChaNonceSize> nonce,
                            ByteView aad, ByteView ciphertext, MutableByteView out);

}  // namespace tandem::crypto
