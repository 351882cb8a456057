// Constant-time comparisons over CRYPTO_memcmp and an OR-accumulator.
#include "crypto/constant_time.hpp"

#include <openssl/crypto.h>

namespace tandem::crypto {

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_is_zero(ByteView a) {
  unsigned acc = 0;
  for (std::byte b : a) acc |= std::to_integer<unsigned>(b);
  return acc == 0;
}

}  // namespace tandem::crypto
