// Encryption of IKEv1 message bodies (RFC 2408 section 3.1's E flag, RFC 2409 section 5 and
// appendix B): everything after the header is CBC-encrypted with the phase 1 key. The IV chains
// from message to message: the caller keeps one IV per exchange (Main Mode; each Quick Mode and
// Informational exchange by message ID), and both calls advance it to the last ciphertext block.
// AES-CBC only; 3DES and DES are not offered.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/aes.hpp"

namespace tandem::ipsec::ike::v1 {

// Phase 1 Encryption Algorithm attribute values (RFC 2409 appendix A).
inline constexpr std::uint16_t kEncryptionAesCbc = 7;

class BodyCipher {
 public:
  // nullopt unless `key` is 16, 24 or 32 bytes.
  static std::optional<BodyCipher> create(ByteView key);

  static constexpr std::size_t block() { return crypto::kAesBlockSize; }

  // Pads `body` to the block size (zero bytes, the last one counting the others, as RFC 2409
  // section 5.3 describes), encrypts it with `iv`, and leaves the last ciphertext block in `iv`.
  std::vector<std::byte> encrypt(ByteView body, std::vector<std::byte>& iv);
  // nullopt if `ciphertext` is empty or not whole blocks; `iv` is then unchanged.
  std::optional<std::vector<std::byte>> decrypt(ByteView ciphertext, std::vector<std::byte>& iv);

 private:
  explicit BodyCipher(crypto::CbcCipher cbc) : cbc_(std::move(cbc)) {}
  crypto::CbcCipher cbc_;
};

}  // namespace tandem::ipsec::ike::v1
