// TAI64N encoding of a wall-clock time, as WireGuard implementations send it.
#include "crypto/tai64n.hpp"

#include "base/bytes.hpp"

namespace tandem::crypto {

Tai64n tai64n(WallTime t) {
  const auto since_epoch = t.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds);
  Tai64n out{};
  // TAI64 labels start at 2^62; wireguard-go and the kernel add the 10 s TAI-UTC offset of 1972.
  store_be64(out.data(), (1ull << 62) + 10 + static_cast<std::uint64_t>(seconds.count()));
  store_be32(out.data() + 8, static_cast<std::uint32_t>(nanos.count()));
  return out;
}

}  // namespace tandem::crypto
