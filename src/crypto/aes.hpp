// Block ciphers for ESP and IKE: AES-GCM with a 16-byte ICV (RFC 4106's use of it), and CBC
// without padding (RFC 3602; ESP pads itself) with AES (128, 192 or 256-bit keys) or, for old
// peers where it is allowed, 3DES (RFC 2451). Each object keeps
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

inline constexpr std::size_t kTripleDesBlockSize = 8;
inline constexpr std::size_t kTripleDesKeySize = 24;

// A block cipher in CBC mode without padding (ESP and IKEv1 bring their own): AES, or 3DES
// (DES-EDE3) for the old ESP peers that still offer nothing better, where an operator allows it.
class CbcCipher {
 public:
  // AES-128, -192 or -256 by the key's length.
  static std::optional<CbcCipher> create(ByteView key);
  // 3DES with a 192-bit key (three DES keys, parity bits ignored).
  static std::optional<CbcCipher> create_triple_des(ByteView key);
  ~CbcCipher();
  CbcCipher(CbcCipher&&) noexcept;
  CbcCipher& operator=(CbcCipher&&) noexcept;

  std::size_t block_size() const { return block_; }
  // In place; `iv` must be one block and data.size() a multiple of it (false otherwise).
  bool encrypt(ByteView iv, MutableByteView data);
  bool decrypt(ByteView iv, MutableByteView data);

 private:
  struct Impl;
  CbcCipher(std::unique_ptr<Impl> impl, std::size_t block);
  static std::optional<CbcCipher> keyed_cbc(const void* cipher, ByteView key, std::size_t block);
  std::unique_ptr<Impl> impl_;
  std::size_t block_ = kAesBlockSize;
};

}  // namespace tandem::crypto
