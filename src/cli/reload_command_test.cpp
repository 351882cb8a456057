// `tandem reload` against stand-in daemons (forked children holding the instance lock and
// answering SIGHUP with a report): it prints what the daemon says, takes no earlier report for
// the answer, and neither waits forever for a daemon that does not answer nor signals a stale
// pidfile's PID.
#include "cli/reload_command.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "cli/stand_in_daemon_test_support.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/reload_report.hpp"

namespace tandem::cli {
namespace {

using namespace std::chrono_literals;

class ReloadCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    ::setenv(daemon::kRunDirectoryVariable, tmp_.path().c_str(), 1);
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    ::unsetenv(daemon::kRunDirectoryVariable);
  }

  // A child that takes x's lock as `tandem up` does and, on each SIGHUP, waits `delay` and then
  // reports generation `first_generation`, the next one, ... with `answer` (none: it ignores it).
  void start_daemon(std::optional<daemon::ReloadReport> answer, std::uint64_t first_generation = 1,
                    std::chrono::milliseconds delay = 0ms) {
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    child_ = testing::fork_stand_in_daemon(
        "x", [&] { sigprocmask(SIG_BLOCK, &hup, nullptr); },
        [&](std::optional<daemon::InstanceLock>&) {
          for (std::uint64_t generation = first_generation;; ++generation) {
            int sig = 0;
            sigwait(&hup, &sig);
            if (!answer) continue;
            std::this_thread::sleep_for(delay);
            daemon::ReloadReport r = *answer;
            r.pid = ::getpid();
            r.generation = generation;
            (void)daemon::write_reload_report(daemon::reload_report_path("x"), r);
          }
        });
  }
  int reload(double timeout = 5) {
    out_.str("");
    err_.str("");
    return run_reload(ReloadOptions{"x", timeout}, out_, err_);
  }

  testing::TempDir tmp_;
  pid_t child_ = -1;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(ReloadCommand, PrintsTheChangesTheDaemonApplied) {
  start_daemon(daemon::ReloadReport{0, 0, true, "1 peer added (far2), 0 removed, 0 changed"});
  ASSERT_EQ(reload(), 0) << err_.str();
  EXPECT_EQ(out_.str(), "tandem: x reloaded: 1 peer added (far2), 0 removed, 0 changed\n");
}

TEST_F(ReloadCommand, ARefusalFailsWithTheDaemonsReason) {
  start_daemon(daemon::ReloadReport{0, 0, false, "/etc/tandem/x.toml:4:1: unknown key 'lisn'"});
  EXPECT_EQ(reload(), 1);
  EXPECT_EQ(err_.str(),
            "tandem: x: reload refused, nothing changed: /etc/tandem/x.toml:4:1: unknown key "
            "'lisn'\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(ReloadCommand, WaitsForTheReportOfThisReloadNotAnEarlierOne) {
  start_daemon(daemon::ReloadReport{0, 0, true, "no changes"}, 2, 300ms);
  ASSERT_TRUE(daemon::write_reload_report(daemon::reload_report_path("x"),
                                          {child_, 1, false, "the previous reload"}));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(reload(), 0) << err_.str();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(out_.str(), "tandem: x reloaded: no changes\n");
}

TEST_F(ReloadCommand, AReportOfAnEarlierDaemonWithTheSameCountIsNotTheAnswer) {
  start_daemon(daemon::ReloadReport{0, 0, true, "no changes"}, 1, 300ms);
  ASSERT_TRUE(daemon::write_reload_report(daemon::reload_report_path("x"),
                                          {child_ + 100000, 1, false, "an old daemon's"}));
  ASSERT_EQ(reload(), 0) << err_.str();
  EXPECT_EQ(out_.str(), "tandem: x reloaded: no changes\n");
}

TEST_F(ReloadCommand, GivesUpOnADaemonThatNeverAnswers) {
  start_daemon(std::nullopt);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(reload(0.5), 1);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 500ms);
  EXPECT_NE(err_.str().find("got SIGHUP but reported no outcome"), std::string::npos) << err_.str();
  EXPECT_EQ(::waitpid(child_, nullptr, WNOHANG), 0) << "the daemon should still be running";
}

TEST_F(ReloadCommand, NothingRunningIsAFailureThatSaysSo) {
  EXPECT_EQ(reload(), 1);
  EXPECT_NE(err_.str().find("x is not running: there is no"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace tandem::cli
