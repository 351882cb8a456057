// One daemon per config. `tandem up NAME` holds an exclusive flock(2) on RUN_DIR/NAME.pid for its
// whole life and writes its PID into the file. A second `tandem up` of the same config finds the
// lock taken before it creates any device or socket and is refused with the holder's PID;
// `tandem down NAME` signals the PID only while the lock is held. A crash leaves the file behind
// but the kernel drops the lock with the process, so a stale pidfile never passes for a live
// daemon and the next `tandem up` simply takes it over.
//
// RUN_DIR is /run/tandem (created 0755; pidfiles are 0644 so anyone can read the PID), or the
// directory named by the environment variable TANDEM_RUN_DIR when it is set and not empty: tests
// and unprivileged trials point it at a directory of their own.
//
// NAME is the config's file name without its directory and suffix: /etc/tandem/x.toml and a bare
// `x` (which `tandem up` resolves to /etc/tandem/x.toml) are both `x`.
//
// fork: a flock belongs to the open file description, which a forked child shares. The lock taken
// before `tandem up -d` forks therefore stays held by the daemon when the parent exits, and no
// other process can slip in between. The child calls record_this_process() so that the file names
// the process that stays. Nothing here ever calls flock(LOCK_UN): in the parent that would release
// the daemon's lock too; closing a descriptor releases it only once every copy is closed.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::daemon {

inline constexpr const char* kRunDirectory = "/run/tandem";
inline constexpr const char* kRunDirectoryVariable = "TANDEM_RUN_DIR";

// $TANDEM_RUN_DIR (made absolute) when set and not empty, otherwise kRunDirectory.
std::string run_directory();
// "x" for "/etc/tandem/x.toml", "x.toml" or "./x.toml"; empty when the path names no file.
std::string instance_name(const std::string& config_path);
// run_directory() + "/" + name + ".pid".
std::string pidfile_path(const std::string& name);

class InstanceLock {
 public:
  // Creates the run directory if needed, then takes the lock on NAME's pidfile and writes this
  // process's PID into it. Refused, with the holder's PID and how to stop it, while another
  // process holds the lock.
  static Result<InstanceLock, std::string> acquire(const std::string& name);

  InstanceLock(InstanceLock&&) noexcept = default;
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  // Removes the pidfile if it names this process (so the parent of a fork leaves the daemon's
  // file alone), then closes the descriptor.
  ~InstanceLock();

  // In the child of a fork: writes this process's PID over the parent's.
  Result<Ok, std::string> record_this_process();

  const std::string& path() const { return path_; }

 private:
  InstanceLock(io::UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  io::UniqueFd fd_;
  std::string path_;
};

// What a pidfile says about its daemon. Probing takes a shared lock for an instant, never keeps it.
enum class InstanceState { kNoPidfile, kStalePidfile, kRunning };
struct InstanceProbe {
  InstanceState state = InstanceState::kNoPidfile;
  std::optional<pid_t> pid;  // as written in the file; for kRunning, the lock holder's
};
Result<InstanceProbe, std::string> probe_instance(const std::string& pidfile);

// The PID a pidfile holds: decimal digits and an optional newline, greater than 1 (never 0, -1
// or init, which kill(2) would read as a process group, every process or the system).
std::optional<pid_t> parse_pid(const std::string& text);

}  // namespace tandem::daemon
