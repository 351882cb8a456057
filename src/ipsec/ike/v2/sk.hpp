// The IKEv2 Encrypted payload (SK, RFC 7296 section 3.14) in one direction: seal() builds a whole
// message whose payloads travel inside SK, open() checks and decrypts one. AES-CBC with
// HMAC-SHA1-96 or HMAC-SHA-256-128 (integrity over the message up to the ICV), or AES-GCM with a
// 16-byte ICV (RFC 5282: the header and SK's generic header are the associated data, the 8-byte
// IV is a counter). Keys are SK_ei/SK_ai (initiator's messages) or SK_er/SK_ar (responder's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/rng.hpp"
#include "crypto/aes.hpp"
#include "crypto/hmac.hpp"
#include "ipsec/ike/v2/message.hpp"

namespace tandem::ipsec::ike::v2 {

enum class SkCipher : std::uint8_t { kAesCbc, kAesGcm16 };
enum class SkIntegrity : std::uint8_t { kNone, kHmacSha1_96, kHmacSha256_128 };

class SkProtector {
 public:
  // `encryption`: the cipher key (for GCM followed by its 4-byte salt); `integrity`: the HMAC key
  // (empty for GCM).
  static Result<SkProtector, std::string> create(SkCipher cipher, ByteView encryption,
                                                 SkIntegrity integrity, ByteView integrity_key);

  // A complete message: `header`, then `clear` payloads, then SK carrying `inner`.
  std::vector<std::byte> seal(const Header& header, const std::vector<Payload>& clear,
                              const std::vector<Payload>& inner, Rng& rng);
  // The payloads inside the SK payload of `message` (a whole datagram), once its ICV checks.
  Result<std::vector<Payload>, DecodeError> open(ByteView message);

 private:
  SkProtector() = default;
  SkCipher cipher_ = SkCipher::kAesGcm16;
  std::size_t iv_size_ = 8;
  std::size_t icv_size_ = 16;
  std::array<std::byte, 4> salt_{};
  std::uint64_t counter_ = 0;  // GCM IVs
  std::optional<crypto::AesGcm> gcm_;
  std::optional<crypto::CbcCipher> cbc_;
  std::optional<crypto::Hmac> hmac_;
};

}  // namespace tandem::ipsec::ike::v2
