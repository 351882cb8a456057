#include "cli/down_command.hpp"

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/up_arguments.hpp"
#include "daemon/instance_lock.hpp"

namespace tandem::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

// A zombie has released everything it held; whether and when its parent reaps it is not ours to
// wait for (a daemon's parent is init, or whatever reaper the container has).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // "PID (COMM) STATE ...": COMM may itself hold spaces and parentheses, so read after the last.
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  return state == 'Z' || state == 'X';
}

std::string seconds_text(Clock::duration d) {
  std::ostringstream s;
  s.precision(2);
  s << std::fixed << std::chrono::duration<double>(d).count() << " s";
  return s.str();
}

int report_not_running(const std::string& name, const std::string& path,
                       const daemon::InstanceProbe& probe, std::ostream& err) {
  err << "tandem: " << name << " is not running: ";
  if (probe.state == daemon::InstanceState::kNoPidfile)
    err << "there is no " << path << "\n";
  else
    err << path << " is stale (no process holds its lock"
        << (probe.pid ? "; PID " + std::to_string(*probe.pid) + " in it was not signalled" : "")
        << ")\n";
  return 1;
}

int report_kill_failure(int error, pid_t pid, const std::string& path, std::ostream& err) {
  err << "tandem: cannot signal PID " << pid << ": " << std::strerror(error);
  if (error == EPERM) err << "; run tandem down as root (or as the user that started the daemon)";
  if (error == ESRCH)
    err << "; yet " << path << " is locked, so another program holds it (`fuser -v " << path
        << "` shows which)";
  err << "\n";
  return 1;
}

}  // namespace

int run_down(const DownOptions& options, std::ostream& out, std::ostream& err) {
  const std::string name = daemon::instance_name(resolve_up_config_argument(options.target));
  if (name.empty()) {
    err << "tandem: '" << options.target << "' names no config; give NAME or FILE.toml\n";
    return 1;
  }
  const std::string path = daemon::pidfile_path(name);
  auto probe = daemon::probe_instance(path);
  if (!probe) {
    err << "tandem: " << probe.error() << "\n";
    return 1;
  }
  if (probe->state != daemon::InstanceState::kRunning)
    return report_not_running(name, path, *probe, err);
  if (!probe->pid) {
    err << "tandem: " << path << " is locked but holds no PID to signal; `fuser -v " << path
        << "` shows which process has it\n";
    return 1;
  }
  const pid_t pid = *probe->pid;
  const auto started = Clock::now();
  if (::kill(pid, SIGTERM) != 0) return report_kill_failure(errno, pid, path, err);
  out << "tandem: stopping " << name << " (sent SIGTERM to PID " << pid << ")\n" << std::flush;

  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.timeout_seconds));
  bool released = false;
  for (;;) {
    if (!released) {
      auto now_probe = daemon::probe_instance(path);
      if (!now_probe) {
        err << "tandem: " << now_probe.error() << "\n";
        return 1;
      }
      // A new daemon may have taken the lock already: PID differs, ours has let go.
      released = now_probe->state != daemon::InstanceState::kRunning || now_probe->pid != pid;
    }
    if (released && process_gone(pid)) {
      out << "tandem: " << name << " stopped (PID " << pid << " exited after "
          << seconds_text(Clock::now() - started) << ")\n";
      return 0;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  err << "tandem: " << name << " (PID " << pid << ") did not stop within "
      << seconds_text(Clock::now() - started) << " (it "
      << (released ? "released " + path + " but is still exiting"
                   : "still holds " + path + "; an L2TP gateway hangs up every session first")
      << "); wait longer with `tandem down " << name
      << " --timeout 60`, or force it with `kill -KILL " << pid << "`\n";
  return 1;
}

}  // namespace tandem::cli
