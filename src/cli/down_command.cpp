#include "cli/down_command.hpp"

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/running_daemon.hpp"
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

}  // namespace

int run_down(const DownOptions& options, std::ostream& out, std::ostream& err) {
  auto running = find_running_daemon(options.target, err);
  if (!running) return 1;
  const std::string& name = running->name;
  const std::string& path = running->pidfile;
  const pid_t pid = running->pid;
  const auto started = Clock::now();
  auto answer = ask_or_signal(*running, control::AdminCommand::kStop, SIGTERM, "down", err);
  if (!answer) return 1;
  if (answer->signalled)
    out << "tandem: stopping " << name << " (sent SIGTERM to PID " << pid << ": "
        << answer->why_signalled << ")\n";
  else
    out << "tandem: stopping " << name << " (PID " << pid << ", asked on its admin socket)\n";
  out << std::flush;

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
