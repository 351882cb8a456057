#include "io/event_loop.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "io/system_clock.hpp"

namespace tandem::io {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.ok());
  return std::move(loop).value();
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
  auto loop = make_loop();
  std::vector<int> fired;
  const TimePoint now = SystemClock::now();
  const int delays_ms[] = {30, 10, 20};
  for (int i = 0; i < 3; ++i) {
    auto id = loop->add_timer([&, i] {
      fired.push_back(i);
      if (fired.size() == 3) loop->stop();
    });
    ASSERT_TRUE(id.ok());
    loop->arm_timer(*id, now + std::chrono::milliseconds(delays_ms[i]));
  }
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 0}));
  EXPECT_GE(SystemClock::now() - now, 30ms);
}

TEST(EventLoop, RearmingMovesTheDeadlineAndDisarmingCancels) {
  auto loop = make_loop();
  std::vector<int> fired;
  auto moved = loop->add_timer([&] { fired.push_back(1); });
  auto cancelled = loop->add_timer([&] { fired.push_back(2); });
  auto last = loop->add_timer([&] {
    fired.push_back(3);
    loop->stop();
  });
  ASSERT_TRUE(moved.ok() && cancelled.ok() && last.ok());
  const TimePoint now = SystemClock::now();
  loop->arm_timer(*moved, now + 5ms);
  loop->arm_timer(*moved, now + 40ms);
  loop->arm_timer(*cancelled, now + 10ms);
  loop->disarm_timer(*cancelled);
  loop->arm_timer(*last, now + 20ms);
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(fired, (std::vector<int>{3}));
}

TEST(EventLoop, PastDeadlineFiresOnNextTurn) {
  auto loop = make_loop();
  bool fired = false;
  auto id = loop->add_timer([&] { fired = true; });
  ASSERT_TRUE(id.ok());
  loop->arm_timer(*id, SystemClock::now() - 1s);
  ASSERT_TRUE(loop->run_once(1000).ok());
  EXPECT_TRUE(fired);
}

TEST(EventLoop, WakeFromAnotherThreadRunsHandlerOnLoopThread) {
  auto loop = make_loop();
  std::thread::id handler_thread;
  loop->set_wake_handler([&] {
    handler_thread = std::this_thread::get_id();
    loop->stop();
  });
  std::thread other([&] {
    std::this_thread::sleep_for(10ms);
    loop->wake();
  });
  ASSERT_TRUE(loop->run().ok());
  other.join();
  EXPECT_EQ(handler_thread, std::this_thread::get_id());
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  auto loop = make_loop();
  std::thread other([&] {
    std::this_thread::sleep_for(10ms);
    loop->stop();
  });
  EXPECT_TRUE(loop->run().ok());
  other.join();
}

TEST(EventLoop, ReadableFdRunsCallbackUntilUnwatched) {
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int calls = 0;
  ASSERT_TRUE(loop->watch_readable(fds[0],
                                   [&] {
                                     ++calls;
                                     char c;
                                     ASSERT_EQ(::read(fds[0], &c, 1), 1);
                                     loop->unwatch(
                                         fds[0]);  // removing itself from inside its callback
                                     loop->stop();
                                   })
                  .ok());
  ASSERT_EQ(::write(fds[1], "ab", 2), 2);
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(loop->watch_readable(-1, [] {}).ok());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoop, EpollErrGoesToTheErrorCallbackWhenThereIsOne) {
  // The write end of a pipe whose read end is closed reports EPOLLERR, and nothing else.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  auto loop = make_loop();
  int readable = 0;
  int errors = 0;
  ASSERT_TRUE(loop->watch_readable(
                      fds[1], [&] { ++readable; },
                      [&] {
                        ++errors;
                        loop->unwatch(fds[1]);  // the error cannot be cleared, only left
                      })
                  .ok());
  ASSERT_TRUE(loop->run_once(1000).ok());
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(readable, 0);

  // Without an error callback the readable one hears of it, as before.
  ASSERT_TRUE(loop->watch_readable(fds[1],
                                   [&] {
                                     ++readable;
                                     loop->unwatch(fds[1]);
                                   })
                  .ok());
  ASSERT_TRUE(loop->run_once(1000).ok());
  EXPECT_EQ(readable, 1);
  ::close(fds[1]);
}

TEST(EventLoop, WatchingTheSameFdTwiceIsRefused) {
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  EXPECT_TRUE(loop->watch_readable(fds[0], [] {}).ok());
  EXPECT_FALSE(loop->watch_readable(fds[0], [] {}).ok());
  loop->unwatch(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
}

// Handles the daemon's signals on a new loop, runs `before_run`, and returns the first signal
// the loop then delivers.
int first_signal_delivered(const std::function<void()>& before_run) {
  auto loop = make_loop();
  int received = 0;
  EXPECT_TRUE(loop->handle_signals(EventLoop::daemon_signals(),
                                   [&](int signo) {
                                     received = signo;
                                     loop->stop();
                                   })
                  .ok());
  before_run();
  EXPECT_TRUE(loop->run().ok());
  return received;
}

TEST(EventLoop, DeliversSighupThroughSignalfd) {
  EXPECT_EQ(first_signal_delivered([] { ASSERT_EQ(::raise(SIGHUP), 0); }), SIGHUP);
}

TEST(EventLoop, ASignalDeferredBeforeALoopHandlesSignalsWaitsForIt) {
  ASSERT_TRUE(EventLoop::defer_signals({SIGHUP}).ok());
  ASSERT_EQ(::raise(SIGHUP), 0);  // its default action would end this process
  EXPECT_EQ(first_signal_delivered([] {}), SIGHUP);
}

TEST(SystemClock, IsMonotonicAndWallClockIsNearSystemClock) {
  const TimePoint a = SystemClock::now();
  const TimePoint b = SystemClock::now();
  EXPECT_LE(a, b);
  SystemWallClock wall;
  const auto diff =
      wall.wall_now().time_since_epoch() - std::chrono::system_clock::now().time_since_epoch();
  EXPECT_LT(std::chrono::abs(diff), 1s);
}

}  // namespace
}  // namespace tandem::io
