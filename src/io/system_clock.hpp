// The real clocks. Engines never read these: the daemon reads them and hands `now` in.
#pragma once

#include "base/time.hpp"

namespace tandem::io {

// Monotonic time (CLOCK_MONOTONIC, the clock timerfd deadlines are measured on).
class SystemClock {
 public:
  static TimePoint now();
};

// Real time, for the few protocol fields that carry it (WireGuard's TAI64N timestamp).
class SystemWallClock final : public WallClock {
 public:
  WallTime wall_now() override;
};

}  // namespace tandem::io
