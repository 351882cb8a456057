// SystemRng over OpenSSL RAND_bytes.
#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <cstdlib>

namespace tandem::crypto {

void SystemRng::fill(std::span<std::byte> out) {
  if (out.empty()) return;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    std::abort();
}

}  // namespace tandem::crypto
