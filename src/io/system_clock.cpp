#include "io/system_clock.hpp"

#include <time.h>

namespace tandem::io {
namespace {

Duration read_clock(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

// Read CLOCK_MONOTONIC directly rather than trusting steady_clock's epoch, so the value can be
// handed to timerfd_settime(TFD_TIMER_ABSTIME) unchanged.
TimePoint SystemClock::now() {
  return TimePoint(read_clock(CLOCK_MONOTONIC));
}

WallTime SystemWallClock::wall_now() {
  return WallTime(read_clock(CLOCK_REALTIME));
}

}  // namespace tandem::io
