#include "cli/reload_command.hpp"

#include <chrono>
#include <csignal>
#include <ostream>
#include <thread>

#include "cli/running_daemon.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/reload_report.hpp"

namespace tandem::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

bool still_running(const RunningDaemon& d) {
  auto probe = daemon::probe_instance(d.pidfile);
  return probe && probe->state == daemon::InstanceState::kRunning && probe->pid == d.pid;
}

int report(const RunningDaemon& d, const daemon::ReloadReport& r, std::ostream& out,
           std::ostream& err) {
  if (r.applied) {
    out << "tandem: " << d.name << " reloaded: " << r.message << "\n";
    return 0;
  }
  err << "tandem: " << d.name << ": reload refused, nothing changed: " << r.message << "\n";
  return 1;
}

}  // namespace

int run_reload(const ReloadOptions& options, std::ostream& out, std::ostream& err) {
  auto running = find_running_daemon(options.target, err);
  if (!running) return 1;
  const std::string path = daemon::reload_report_path(running->name);
  // A report counts only if this daemon wrote it after our signal: another count than now.
  const auto before = daemon::read_reload_report(path);
  auto answer = ask_or_signal(*running, control::AdminCommand::kReload, SIGHUP, "reload", err);
  if (!answer) return 1;
  if (!answer->signalled) {
    daemon::ReloadReport r;
    r.applied = answer->body.value("applied", false);
    r.message = answer->body.value("message", std::string("(the daemon gave no message)"));
    return report(*running, r, out, err);
  }
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.timeout_seconds));
  for (;;) {
    const auto now_report = daemon::read_reload_report(path);
    if (now_report && now_report->pid == running->pid &&
        (!before || before->pid != running->pid || before->generation != now_report->generation))
      return report(*running, *now_report, out, err);
    if (!still_running(*running)) {
      err << "tandem: " << running->name << " (PID " << running->pid
          << ") exited instead of reloading; see its log\n";
      return 1;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  err << "tandem: " << running->name << " (PID " << running->pid
      << ") got SIGHUP but reported no outcome in " << options.timeout_seconds
      << " s; its log says what happened (a version without reload ignores the signal)\n";
  return 1;
}

}  // namespace tandem::cli
