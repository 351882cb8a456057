// How every backend keeps a time: unix milliseconds in a 64-bit integer column.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/time.hpp"

namespace tandem::store {

inline std::int64_t to_millis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline WallTime from_millis(std::int64_t ms) {
  return WallTime(std::chrono::milliseconds(ms));
}

// Now, from `clock` or (null) the system clock.
inline std::int64_t now_millis(WallClock* clock) {
  if (clock != nullptr) return to_millis(clock->wall_now());
  return to_millis(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
}

}  // namespace tandem::store
