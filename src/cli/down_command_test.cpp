// `tandem down` against stand-in daemons (forked children holding the instance lock): it stops a
// running one and waits for it, refuses to signal the PID of a stale pidfile, and gives up after
// its timeout with the way to force it.
#include "cli/down_command.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "cli/stand_in_daemon_test_support.hpp"
#include "daemon/instance_lock.hpp"

namespace tandem::cli {
namespace {

using namespace std::chrono_literals;

class DownCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    ::setenv(daemon::kRunDirectoryVariable, dir_.c_str(), 1);
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    ::unsetenv(daemon::kRunDirectoryVariable);
  }

  // A child that takes x's lock as `tandem up` does and then behaves as `on_sigterm` says.
  enum class OnSigterm { kShutDownSlowly, kIgnore };
  void start_daemon(OnSigterm behaviour) {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    child_ = testing::fork_stand_in_daemon(
        "x",
        [&] {
          if (behaviour == OnSigterm::kIgnore)
            std::signal(SIGTERM, SIG_IGN);
          else
            sigprocmask(SIG_BLOCK, &term, nullptr);
        },
        [&](std::optional<daemon::InstanceLock>& lock) {
          if (behaviour == OnSigterm::kIgnore) {
            for (;;) ::pause();
          }
          int sig = 0;
          sigwait(&term, &sig);
          std::this_thread::sleep_for(300ms);  // hanging up sessions, removing interfaces
          lock.reset();
        });
  }
  int down(const std::string& target, double timeout = 5) {
    out_.str("");
    err_.str("");
    return run_down(DownOptions{target, timeout}, out_, err_);
  }

  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  pid_t child_ = -1;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(DownCommand, StopsARunningDaemonAndReturnsOnlyOnceItIsGone) {
  start_daemon(OnSigterm::kShutDownSlowly);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(down("x"), 0) << err_.str();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms) << "returned before it stopped";
  int status = 0;
  EXPECT_EQ(::waitpid(child_, &status, WNOHANG), child_) << "the daemon had not exited";
  child_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "it was killed, not stopped";
  EXPECT_NE(out_.str().find("sent SIGTERM to PID"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("x stopped"), std::string::npos) << out_.str();
}

TEST_F(DownCommand, AConfigPathFindsTheSameDaemonAsItsName) {
  start_daemon(OnSigterm::kShutDownSlowly);
  const pid_t pid = child_;
  ASSERT_EQ(down("/etc/tandem/x.toml"), 0) << err_.str();
  ::waitpid(child_, nullptr, 0);
  child_ = -1;
  EXPECT_NE(out_.str().find("PID " + std::to_string(pid)), std::string::npos) << out_.str();
}

TEST_F(DownCommand, NothingRunningIsAFailureThatSaysSo) {
  EXPECT_EQ(down("x"), 1);
  EXPECT_NE(err_.str().find("x is not running: there is no " + dir_ + "/x.pid"), std::string::npos)
      << err_.str();
}

TEST_F(DownCommand, StalePidfileIsNotRunningAndItsPidIsLeftAlone) {
  // The PID a crashed daemon left may belong to an unrelated process by now: this child.
  child_ = ::fork();
  ASSERT_GE(child_, 0);
  if (child_ == 0) {
    for (;;) ::pause();
  }
  std::ofstream(dir_ + "/x.pid") << child_ << "\n";
  EXPECT_EQ(down("x"), 1);
  EXPECT_NE(err_.str().find("x is not running"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("is stale"), std::string::npos) << err_.str();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(::waitpid(child_, nullptr, WNOHANG), 0) << "the unrelated process was signalled";
}

TEST_F(DownCommand, GivesUpAfterItsTimeoutAndSaysHowToForce) {
  start_daemon(OnSigterm::kIgnore);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(down("x", 0.5), 1);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 500ms);
  EXPECT_LT(waited, 3s);
  EXPECT_NE(err_.str().find("did not stop within"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("kill -KILL " + std::to_string(child_)), std::string::npos)
      << err_.str();
  EXPECT_EQ(::waitpid(child_, nullptr, WNOHANG), 0) << "the daemon should still be running";
}

}  // namespace
}  // namespace tandem::cli
