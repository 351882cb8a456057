// Going to the background the way wireguard-go does: `tandem userspace wg0` forks, the child
// becomes the daemon, and the parent stays until the child says the interface is up (exit 0) or
// reports why it failed (exit 1 with the message) — so scripts can rely on the command's status.
// `tandem userspace` keeps no pid file: the UAPI socket of the interface is how one finds it.
// `tandem up` takes its pidfile lock (daemon/instance_lock.hpp) before start(): the child inherits
// the locked open file, so the lock outlives the parent, and the child records its own PID.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

struct DaemonOptions {
  bool redirect_stdio = true;    // stdin/stdout/stderr to /dev/null in the child
  bool change_directory = true;  // chdir("/") so the daemon pins no mount; resolve paths first
};

class Daemonization {
 public:
  // Forks. Call before any thread is started: only the calling thread survives in the child.
  // Both processes return; is_child() tells which one this is.
  static Result<Daemonization, std::string> start(const DaemonOptions& options = {});

  bool is_child() const { return child_pid_ == 0; }
  pid_t child_pid() const { return child_pid_; }

  // Parent: blocks until the child reports. Ok when it reported ready; otherwise the child's
  // failure message, or a note that it exited without reporting. (Reaps the child only if it
  // has exited.)
  Result<Ok, std::string> wait_for_child();

  // Child: tell the parent how start-up went. Only the first report counts.
  void report_ready();
  void report_failure(std::string_view message);

 private:
  Daemonization(pid_t child_pid, UniqueFd pipe) : child_pid_(child_pid), pipe_(std::move(pipe)) {}
  void report(char status, std::string_view message);

  pid_t child_pid_;
  UniqueFd pipe_;  // parent: read end; child: write end, closed after the report
};

}  // namespace tandem::io
