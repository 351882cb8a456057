#include "io/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

namespace tandem::io {
namespace {

TEST(ChildProcess, ReturnsTheExitStatusAndTheOutputOfBothStreams) {
  auto r = run_child({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->exit_status, 7);
  EXPECT_EQ(r->output, "out\nerr\n");
}

TEST(ChildProcess, FeedsTheInputOnStdin) {
  auto r = run_child({"cat"}, "nameserver 10.0.0.53\n");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->exit_status, 0);
  EXPECT_EQ(r->output, "nameserver 10.0.0.53\n");
}

TEST(ChildProcess, ASignalEndingTheChildReadsAsAShellWouldSayIt) {
  auto r = run_child({"/bin/sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->exit_status, 128 + SIGTERM);
}

TEST(ChildProcess, TheChildGetsSignalsUnblockedThoughTheCallerBlocksThem) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  auto r = run_child({"/bin/sh", "-c", "grep SigBlk /proc/self/status"});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->output, "SigBlk:\t0000000000000000\n");
}

TEST(ChildProcess, DoesNotWaitForWhatTheChildLeftRunning) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_child({"/bin/sh", "-c", "sleep 5 & echo started"});
  ASSERT_TRUE(r) << r.error();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(r->output, "started\n");
}

TEST(ChildProcess, AProgramThatIsNotThereIsAnError) {
  auto r = run_child({"tandem-no-such-program"});
  // posix_spawnp reports it either way: as an error, or as the child's exit status 127.
  if (r) {
    EXPECT_EQ(r->exit_status, 127);
  }
}

TEST(ChildProcess, FindsProgramsInPath) {
  EXPECT_TRUE(find_in_path("sh"));
  EXPECT_FALSE(find_in_path("tandem-no-such-program"));
}

}  // namespace
}  // namespace tandem::io
