// TAI64N timestamps (WireGuard's handshake initiation carries one to stop replays).
#pragma once

#include <array>

#include "base/time.hpp"

namespace tandem::crypto {

using Tai64n = std::array<std::byte, 12>;

// 8 bytes big-endian seconds (2^62 + 10 + unix seconds, as wireguard-go and the kernel encode
// it) and 4 bytes big-endian nanoseconds.
Tai64n tai64n(WallTime t);

}  // namespace tandem::crypto
