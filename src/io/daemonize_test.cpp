#include "io/daemonize.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace tandem::io {
namespace {

// The children keep stdio and the working directory so a test failure stays visible, and
// leave with _exit so they never return into the test runner.
const DaemonOptions kTestOptions{false, false};

TEST(Daemonization, ParentSucceedsOnceChildReportsReady) {
  auto d = Daemonization::start(kTestOptions);
  ASSERT_TRUE(d.ok()) << d.error();
  if (d->is_child()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // "bringing the interface up"
    d->report_ready();
    ::_exit(0);
  }
  EXPECT_TRUE(d->wait_for_child().ok());
  ::waitpid(d->child_pid(), nullptr, 0);
}

TEST(Daemonization, ParentGetsTheChildsFailureMessage) {
  auto d = Daemonization::start(kTestOptions);
  ASSERT_TRUE(d.ok());
  if (d->is_child()) {
    d->report_failure("cannot create TUN device wg0: Operation not permitted");
    ::_exit(1);
  }
  auto r = d->wait_for_child();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "cannot create TUN device wg0: Operation not permitted");
}

TEST(Daemonization, ChildDyingWithoutReportIsAFailure) {
  auto d = Daemonization::start(kTestOptions);
  ASSERT_TRUE(d.ok());
  if (d->is_child()) ::_exit(3);
  auto r = d->wait_for_child();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("status 3"), std::string::npos) << r.error();
}

TEST(Daemonization, ChildRunsInItsOwnSessionAfterReadiness) {
  auto d = Daemonization::start(kTestOptions);
  ASSERT_TRUE(d.ok());
  if (d->is_child()) {
    if (::getsid(0) == ::getpid())
      d->report_ready();
    else
      d->report_failure("not a session leader");
    ::_exit(0);
  }
  auto r = d->wait_for_child();
  EXPECT_TRUE(r.ok()) << r.error();
  ::waitpid(d->child_pid(), nullptr, 0);
}

}  // namespace
}  // namespace tandem::io
