// Time as engines see it: a monotonic TimePoint handed in by the caller, never read from a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace tandem {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
using WallTime = std::chrono::time_point<std::chrono::system_clock, Duration>;

// Whole milliseconds, for logs and status documents.
inline std::int64_t to_millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Wall-clock source for the few protocol fields that carry real time (WireGuard's TAI64N).
// The daemon passes the system clock; tests pass a fake.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual WallTime wall_now() = 0;
};

}  // namespace tandem
