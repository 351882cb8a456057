// Constant-time comparison for MACs, tags and keys (CRYPTO_memcmp).
#pragma once

#include "base/bytes.hpp"

namespace tandem::crypto {

// True when both views have the same length and contents; time depends only on the length.
bool constant_time_equal(ByteView a, ByteView b);
// True when every byte is zero, in time that depends only on the length.
bool constant_time_is_zero(ByteView a);

}  // namespace tandem::crypto
