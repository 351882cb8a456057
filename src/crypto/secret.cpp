// Secure wiping over OPENSSL_cleanse.
#include "crypto/secret.hpp"

#include <openssl/crypto.h>

namespace tandem::crypto {

void secure_wipe(std::span<std::byte> bytes) {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

}  // namespace tandem::crypto
