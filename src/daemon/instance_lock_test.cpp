// The pidfile lock that keeps one daemon per config: refusals name the holder, stale files are
// taken over, and a lock taken before `tandem up -d` forks stays with the daemon.
#include "daemon/instance_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/test_temp_dir.hpp"

namespace tandem::daemon {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A one-byte message between a test and the child it forked.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void send(char c) { EXPECT_EQ(::write(fds_[1], &c, 1), 1); }
  char receive() {
    char c = 0;
    return ::read(fds_[0], &c, 1) == 1 ? c : '\0';
  }

 private:
  int fds_[2] = {-1, -1};
};

int exit_status(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class InstanceLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    ::setenv(kRunDirectoryVariable, run_dir_.c_str(), 1);
  }
  void TearDown() override { ::unsetenv(kRunDirectoryVariable); }
  std::string pidfile(const std::string& name) const { return run_dir_ + "/" + name + ".pid"; }

  testing::TempDir tmp_;
  const std::string run_dir_ = tmp_.path() + "/run";  // absent: acquire must create it
};

TEST_F(InstanceLockTest, RunDirectoryIsTheEnvironmentsOrRunTandem) {
  EXPECT_EQ(run_directory(), run_dir_);
  EXPECT_EQ(pidfile_path("x"), run_dir_ + "/x.pid");
  // Relative to where `tandem up` starts, not to / where the daemon goes after the fork.
  ::setenv(kRunDirectoryVariable, "rel/run", 1);
  EXPECT_EQ(run_directory(), (std::filesystem::current_path() / "rel/run").string());
  ::setenv(kRunDirectoryVariable, "", 1);
  EXPECT_EQ(run_directory(), "/run/tandem");
  ::unsetenv(kRunDirectoryVariable);
  EXPECT_EQ(run_directory(), "/run/tandem");
}

TEST(InstanceName, IsTheConfigFileNameWithoutDirectoryAndSuffix) {
  EXPECT_EQ(instance_name("/etc/tandem/x.toml"), "x");
  EXPECT_EQ(instance_name("x.toml"), "x");
  EXPECT_EQ(instance_name("./office.toml"), "office");
  EXPECT_EQ(instance_name("/srv/vpn/site.b.toml"), "site.b");
  EXPECT_EQ(instance_name("/etc/tandem/"), "");
}

TEST(ParsePid, AcceptsDecimalPidsAndRefusesWhatKillWouldMisread) {
  EXPECT_EQ(parse_pid("1234\n"), 1234);
  EXPECT_EQ(parse_pid("2"), 2);
  EXPECT_EQ(parse_pid("0"), std::nullopt);   // kill(0, ...) signals our own process group
  EXPECT_EQ(parse_pid("-1"), std::nullopt);  // kill(-1, ...) signals every process
  EXPECT_EQ(parse_pid("1"), std::nullopt);   // init
  EXPECT_EQ(parse_pid(""), std::nullopt);
  EXPECT_EQ(parse_pid("12a"), std::nullopt);
  EXPECT_EQ(parse_pid(" 12"), std::nullopt);
  EXPECT_EQ(parse_pid("12\n\n"), std::nullopt);
  EXPECT_EQ(parse_pid("99999999999"), std::nullopt);
}

TEST_F(InstanceLockTest, CreatesTheDirectoryAndWritesItsPid) {
  const mode_t old_umask = ::umask(077);  // the modes must not depend on the caller's umask
  auto lock = InstanceLock::acquire("x");
  ::umask(old_umask);
  ASSERT_TRUE(lock) << lock.error();
  EXPECT_EQ(lock->path(), pidfile("x"));
  EXPECT_EQ(slurp(pidfile("x")), std::to_string(::getpid()) + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(run_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755U);
  ASSERT_EQ(::stat(pidfile("x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644U);
}

TEST_F(InstanceLockTest, SecondLockInAnotherProcessIsRefusedWithTheHoldersPid) {
  Pipe locked, done;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = InstanceLock::acquire("x");
    locked.send(lock ? 'L' : 'E');
    done.receive();
    ::_exit(0);  // the kernel drops the lock; no destructors in a forked test child
  }
  ASSERT_EQ(locked.receive(), 'L');
  auto second = InstanceLock::acquire("x");
  done.send('D');
  ASSERT_FALSE(second) << "a second lock was granted while PID " << child << " held the first";
  EXPECT_NE(second.error().find("already running as PID " + std::to_string(child)),
            std::string::npos)
      << second.error();
  EXPECT_NE(second.error().find("tandem down x"), std::string::npos) << second.error();
  EXPECT_EQ(exit_status(child), 0);
}

TEST_F(InstanceLockTest, StalePidfileWithoutALockIsTakenOver) {
  // What a crashed daemon leaves: its PID in the file, and no lock (the kernel dropped it).
  const pid_t gone = ::fork();
  ASSERT_GE(gone, 0);
  if (gone == 0) ::_exit(0);
  ASSERT_EQ(exit_status(gone), 0);
  std::filesystem::create_directories(run_dir_);
  std::ofstream(pidfile("x")) << gone << "\n";

  auto probe = probe_instance(pidfile("x"));
  ASSERT_TRUE(probe) << probe.error();
  EXPECT_EQ(probe->state, InstanceState::kStalePidfile);
  EXPECT_EQ(probe->pid, gone);

  auto lock = InstanceLock::acquire("x");
  ASSERT_TRUE(lock) << lock.error();
  EXPECT_EQ(slurp(pidfile("x")), std::to_string(::getpid()) + "\n");
}

TEST_F(InstanceLockTest, ProbeTellsAbsentRunningAndReleased) {
  auto absent = probe_instance(pidfile("x"));
  ASSERT_TRUE(absent) << absent.error();
  EXPECT_EQ(absent->state, InstanceState::kNoPidfile);
  {
    auto lock = InstanceLock::acquire("x");
    ASSERT_TRUE(lock) << lock.error();
    // flock locks belong to open file descriptions, so the probe's own open conflicts even in
    // the process that holds the lock.
    auto running = probe_instance(pidfile("x"));
    ASSERT_TRUE(running) << running.error();
    EXPECT_EQ(running->state, InstanceState::kRunning);
    EXPECT_EQ(running->pid, ::getpid());
  }
  EXPECT_FALSE(std::filesystem::exists(pidfile("x"))) << "the holder removes its pidfile";
  auto again = InstanceLock::acquire("x");
  EXPECT_TRUE(again) << again.error();
}

TEST_F(InstanceLockTest, ABriefProbeDoesNotRefuseAnUp) {
  std::filesystem::create_directories(run_dir_);
  std::ofstream(pidfile("x")) << "12345\n";
  const int probe_fd = ::open(pidfile("x").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(probe_fd, 0);
  ASSERT_EQ(::flock(probe_fd, LOCK_SH | LOCK_NB), 0);  // what `tandem down` holds for an instant
  std::thread release([probe_fd] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ::close(probe_fd);
  });
  auto lock = InstanceLock::acquire("x");
  release.join();
  EXPECT_TRUE(lock) << lock.error();
}

// `tandem up -d`: the lock is taken, the process forks, the child records its PID and the parent
// exits. The daemon must keep the lock and its pidfile, naming itself.
TEST_F(InstanceLockTest, LockTakenBeforeForkStaysWithTheChildWhenTheParentLetsGo) {
  std::optional<InstanceLock> lock;
  {
    auto acquired = InstanceLock::acquire("x");
    ASSERT_TRUE(acquired) << acquired.error();
    lock.emplace(std::move(*acquired));
  }
  Pipe recorded, done;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    recorded.send(lock->record_this_process() ? 'R' : 'E');
    done.receive();
    lock.reset();  // as the daemon does on its way out: removes the file that names it
    ::_exit(0);
  }
  ASSERT_EQ(recorded.receive(), 'R');
  lock.reset();  // the parent of the fork exits

  auto probe = probe_instance(pidfile("x"));
  ASSERT_TRUE(probe) << probe.error();
  EXPECT_EQ(probe->state, InstanceState::kRunning) << "the parent's close released the lock";
  EXPECT_EQ(probe->pid, child);
  auto second = InstanceLock::acquire("x");
  EXPECT_FALSE(second) << "granted while the forked child held the lock";
  if (!second) {
    EXPECT_NE(second.error().find("PID " + std::to_string(child)), std::string::npos)
        << second.error();
  }

  done.send('D');
  EXPECT_EQ(exit_status(child), 0);
  EXPECT_FALSE(std::filesystem::exists(pidfile("x"))) << "the daemon leaves its pidfile behind";
  auto after = InstanceLock::acquire("x");
  EXPECT_TRUE(after) << after.error();
}

TEST_F(InstanceLockTest, RunDirectoryThatIsAFileIsRefusedWithTheFix) {
  std::ofstream(run_dir_) << "not a directory";
  auto lock = InstanceLock::acquire("x");
  ASSERT_FALSE(lock);
  EXPECT_NE(lock.error().find(run_dir_ + " exists but is not a directory"), std::string::npos)
      << lock.error();
  EXPECT_NE(lock.error().find(kRunDirectoryVariable), std::string::npos) << lock.error();
}

TEST_F(InstanceLockTest, NameThatCannotBeAFileIsRefused) {
  EXPECT_FALSE(InstanceLock::acquire(""));
  EXPECT_FALSE(InstanceLock::acquire("a/b"));
}

}  // namespace
}  // namespace tandem::daemon
