// AES for ESP (and later IKE): AES-GCM with a 16-byte ICV (RFC 4106's use of it) and AES-CBC
// without padding (RFC 3602; ESP pads itself). Keys are 128, 192 or 256 bits. Each object keeps
// its OpenSSL context with the key schedule done once; a packet only sets the nonce or IV.
// Not thread-safe: one instance per thread and direction.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "base/bytes.hpp"

namespace tandem::crypto {

inline constexpr std::size_t kAesBlockSize = 16;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

class AesGcm {
 public:
  // nullopt unless the key is 16, 24 or 32 bytes.
  static std::optional<AesGcm> create(ByteView key);
  ~AesGcm();
  AesGcm(AesGcm&&) noexcept;
  AesGcm& operator=(AesGcm&&) noexcept;

  // out.size() == plaintext.size(); out may alias plaintext exactly.
  bool seal(std::span<const std::byte, kGcmNonceSize> nonce, ByteView aad, ByteView plaintext,
            MutableByteView out, std::span<std::byte, kGcmTagSize> tag);
  // False when the tag does not verify; out is then wiped.
  bool open(std::span<const std::byte, kGcmNonceSize> nonce, ByteView aad, ByteView ciphertext,
            MutableByteView out, std::span<const std::byte, kGcmTagSize> tag);

 private:
  struct Impl;
  explicit AesGcm(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class AesCbc {
 public:
  static std::optional<AesCbc> create(ByteView key);
  ~AesCbc();
  AesCbc(AesCbc&&) noexcept;
  AesCbc& operator=(AesCbc&&) noexcept;

  // In place; data.size() must be a multiple of 16 (false otherwise).
  bool encrypt(std::span<const std::byte, kAesBlockSize> iv, MutableByteView data);
  bool decrypt(std::span<const std::byte, kAesBlockSize> iv, MutableByteView data);

 private:
  struct Impl;
  explicit AesCbc(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::crypto
