// Single DES through the legacy provider, and MS-CHAP's 7-to-8-byte key expansion.
#include "crypto/des.hpp"

#include <openssl/evp.h>

#include <bit>
#include <cstdint>
#include <memory>

#include "crypto/openssl_bytes.hpp"

namespace tandem::crypto {

DesKey des_key_from_56_bits(std::span<const std::byte, kDesKeyBitsSize> key7) {
  std::uint64_t bits = 0;  // the 56 key bits, first byte most significant
  for (const auto b : key7) bits = (bits << 8) | std::to_integer<std::uint64_t>(b);
  DesKey key;
  for (std::size_t i = 0; i < kDesKeySize; ++i) {
    const auto seven = static_cast<unsigned>((bits >> (49 - 7 * i)) & 0x7f);
    // Odd parity without a branch on key bits: set the low bit when the seven have an even count.
    const auto parity = ~static_cast<unsigned>(std::popcount(seven)) & 1u;
    key.bytes()[i] = static_cast<std::byte>((seven << 1) | parity);
  }
  secure_wipe(std::as_writable_bytes(std::span(&bits, 1)));
  return key;
}

Result<DesBlock, LegacyError> des_ecb_encrypt_block(std::span<const std::byte, kDesKeySize> key,
                                                    const DesBlock& block) {
  const EVP_CIPHER* des = legacy_des_ecb();
  if (des == nullptr) return Err(LegacyError::kProviderUnavailable);
  // Freeing the context also cleanses the key schedule.
  const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                            &EVP_CIPHER_CTX_free);
  DesBlock out{};
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), des, u8(key.data()), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u8(out.data()), &len, u8(block.data()),
                        static_cast<int>(block.size())) != 1 ||
      len != static_cast<int>(kDesBlockSize))
    return Err(LegacyError::kOpenSslFailure);
  return out;
}

}  // namespace tandem::crypto
