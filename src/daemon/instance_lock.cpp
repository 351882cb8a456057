#include "daemon/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace tandem::daemon {
namespace {

// A holder writes its PID just after taking the lock, and a `tandem down` probing the file holds
// a shared lock for an instant: both are gone within milliseconds, so a few short retries tell
// them apart from a daemon that is really running.
constexpr int kAttempts = 5;
constexpr auto kRetryPause = std::chrono::milliseconds(20);

std::string hint_for(int err) {
  if (err == EACCES || err == EPERM || err == EROFS)
    return " (tandem up runs as root; for a trial without root set " +
           std::string(kRunDirectoryVariable) + " to a directory you can write)";
  return "";
}

Result<Ok, std::string> make_run_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) {
    ::chmod(dir.c_str(), 0755);  // whatever the umask: others read the PIDs in it
    return Ok{};
  }
  const int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Ok{};
  if (err == EEXIST)
    return Err(dir + " exists but is not a directory; remove it or set " +
               std::string(kRunDirectoryVariable) + " to another directory");
  return Err(io::errno_text("cannot create " + dir, err) + hint_for(err));
}

std::optional<pid_t> read_pid(int fd) {
  char buf[32];
  const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n <= 0) return std::nullopt;
  return parse_pid(std::string(buf, static_cast<std::size_t>(n)));
}

std::optional<pid_t> read_pid_patiently(int fd) {
  for (int i = 0; i < kAttempts; ++i) {
    if (auto pid = read_pid(fd)) return pid;
    std::this_thread::sleep_for(kRetryPause);
  }
  return std::nullopt;
}

Result<Ok, std::string> write_pid(int fd, const std::string& path) {
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) return Err(io::errno_text("cannot truncate " + path, errno));
  if (::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return Err(io::errno_text("cannot write the PID to " + path, errno));
  return Ok{};
}

// The lock is on the inode we opened. A holder that was removing the file as it exited may have
// unlinked it between our open and our flock, and then a third process may have created a fresh
// file under the name and locked that: a lock on the old inode would prove nothing.
bool still_named_by(int fd, const std::string& path) {
  struct stat by_fd {};
  struct stat by_name {};
  if (::fstat(fd, &by_fd) != 0 || ::lstat(path.c_str(), &by_name) != 0) return false;
  return by_fd.st_dev == by_name.st_dev && by_fd.st_ino == by_name.st_ino;
}

std::string refusal(const std::string& name, const std::string& path, std::optional<pid_t> pid) {
  const std::string stop = "; stop it with `tandem down " + name + "` first";
  if (!pid)
    return "'" + name + "' is already running: a process holds the lock on " + path +
           " but has written no PID into it" + stop + " (`fuser -v " + path + "` shows which)";
  if (::kill(*pid, 0) != 0 && errno == ESRCH)
    return "the lock on " + path + " is held, but not by PID " + std::to_string(*pid) +
           " that it names (no such process): another program has the file open and locked; " +
           "`fuser -v " + path + "` shows which";
  return "'" + name + "' is already running as PID " + std::to_string(*pid) +
         " (it holds the lock on " + path + ")" + stop;
}

}  // namespace

std::string run_directory() {
  const char* dir = std::getenv(kRunDirectoryVariable);
  if (dir == nullptr || *dir == '\0') return kRunDirectory;
  // Absolute: `tandem up -d` moves to / once it has forked, and then removes its pidfile by name.
  std::error_code ignored;
  const auto absolute = std::filesystem::absolute(dir, ignored);
  return absolute.empty() ? std::string(dir) : absolute.lexically_normal().string();
}

std::string instance_name(const std::string& config_path) {
  const std::filesystem::path p(config_path);
  if (!p.has_filename()) return "";
  const std::string stem = p.stem().string();
  return stem == "." || stem == ".." ? "" : stem;
}

std::string pidfile_path(const std::string& name) {
  return run_directory() + "/" + name + ".pid";
}

std::optional<pid_t> parse_pid(const std::string& text) {
  std::string digits = text;
  if (!digits.empty() && digits.back() == '\n') digits.pop_back();
  if (digits.empty() || digits.size() > 9) return std::nullopt;  // pid_max is at most 2^22
  pid_t pid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + (c - '0');
  }
  if (pid <= 1) return std::nullopt;
  return pid;
}

Result<InstanceLock, std::string> InstanceLock::acquire(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Err("'" + name + "' cannot name a pidfile: the config needs a file name such as x.toml");
  const std::string dir = run_directory();
  if (auto ok = make_run_directory(dir); !ok) return Err(ok.error());
  const std::string path = pidfile_path(name);
  std::optional<pid_t> holder;
  bool held = false;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // O_NOFOLLOW: a symlink planted in the run directory must not make root write elsewhere.
    io::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) {
      const int err = errno;
      return Err(io::errno_text("cannot open " + path, err) + hint_for(err));
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err != EWOULDBLOCK && err != EINTR) return Err(io::errno_text("flock " + path, err));
      held = true;
      holder = read_pid_patiently(fd.get());
      std::this_thread::sleep_for(kRetryPause);
      continue;
    }
    held = false;
    if (!still_named_by(fd.get(), path)) continue;
    ::fchmod(fd.get(), 0644);  // a file made under a strict umask would hide the PID from others
    if (auto ok = write_pid(fd.get(), path); !ok) return Err(ok.error());
    return InstanceLock(std::move(fd), path);
  }
  if (!held)
    return Err(path + " was replaced each time it was locked; is another tool removing it?");
  return Err(refusal(name, path, holder));
}

InstanceLock::~InstanceLock() {
  if (!fd_.valid()) return;
  // Unlinked while still locked, so a new `tandem up` either finds no file or sees (through
  // still_named_by) that the inode it locked is gone. Only the process the file names removes it:
  // the parent of `tandem up -d` must leave the daemon's file in place.
  if (read_pid(fd_.get()) == ::getpid() && still_named_by(fd_.get(), path_))
    ::unlink(path_.c_str());
}

Result<Ok, std::string> InstanceLock::record_this_process() {
  return write_pid(fd_.get(), path_);
}

Result<InstanceProbe, std::string> probe_instance(const std::string& pidfile) {
  io::UniqueFd fd(::open(pidfile.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return InstanceProbe{InstanceState::kNoPidfile, std::nullopt};
    return Err(io::errno_text("cannot open " + pidfile, errno));
  }
  // Shared, so two probes never mistake each other for a daemon; released as fd closes.
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0)
    return InstanceProbe{InstanceState::kStalePidfile, read_pid(fd.get())};
  if (errno != EWOULDBLOCK) return Err(io::errno_text("flock " + pidfile, errno));
  return InstanceProbe{InstanceState::kRunning, read_pid_patiently(fd.get())};
}

}  // namespace tandem::daemon
