#include "cli/running_daemon.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <sstream>

#include "cli/admin_client.hpp"
#include "cli/up_arguments.hpp"
#include "daemon/admin_server.hpp"
#include "daemon/instance_lock.hpp"

namespace tandem::cli {
namespace {

void report_not_running(const std::string& name, const std::string& path,
                        const daemon::InstanceProbe& probe, std::ostream& err) {
  err << "tandem: " << name << " is not running: ";
  if (probe.state == daemon::InstanceState::kNoPidfile)
    err << "there is no " << path << "\n";
  else
    err << path << " is stale (no process holds its lock"
        << (probe.pid ? "; PID " + std::to_string(*probe.pid) + " in it was not signalled" : "")
        << ")\n";
}

}  // namespace

std::optional<RunningDaemon> find_running_daemon(const std::string& target, std::ostream& err) {
  RunningDaemon d;
  d.name = daemon::instance_name(resolve_up_config_argument(target));
  if (d.name.empty()) {
    err << "tandem: '" << target << "' names no config; give NAME or FILE.toml\n";
    return std::nullopt;
  }
  d.pidfile = daemon::pidfile_path(d.name);
  auto probe = daemon::probe_instance(d.pidfile);
  if (!probe) {
    err << "tandem: " << probe.error() << "\n";
    return std::nullopt;
  }
  if (probe->state != daemon::InstanceState::kRunning) {
    report_not_running(d.name, d.pidfile, *probe, err);
    return std::nullopt;
  }
  if (!probe->pid) {
    err << "tandem: " << d.pidfile << " is locked but holds no PID to signal; `fuser -v "
        << d.pidfile << "` shows which process has it\n";
    return std::nullopt;
  }
  d.pid = *probe->pid;
  return d;
}

bool signal_daemon(const RunningDaemon& daemon, int signal, std::string_view command,
                   std::ostream& err) {
  if (::kill(daemon.pid, signal) == 0) return true;
  const int error = errno;
  err << "tandem: cannot signal PID " << daemon.pid << ": " << std::strerror(error);
  if (error == EPERM)
    err << "; run tandem " << command << " as root (or as the user that started the daemon)";
  if (error == ESRCH)
    err << "; yet " << daemon.pidfile << " is locked, so another program holds it (`fuser -v "
        << daemon.pidfile << "` shows which)";
  err << "\n";
  return false;
}

std::optional<DaemonAnswer> ask_or_signal(const RunningDaemon& daemon, control::AdminCommand ask,
                                          int signal, std::string_view command, std::ostream& err) {
  DaemonAnswer answer;
  const std::string socket = daemon::admin_socket_path(daemon.name);
  std::error_code ec;
  if (std::filesystem::exists(socket, ec)) {
    auto body = ask_daemon(socket, control::AdminRequest{ask, 0});
    if (body) {
      answer.body = std::move(*body);
      return answer;
    }
    answer.why_signalled = body.error();
  } else {
    answer.why_signalled = "there is no " + socket;
  }
  std::ostringstream signal_error;
  if (!signal_daemon(daemon, signal, command, signal_error)) {
    err << "tandem: cannot reach " << daemon.name << " on its admin socket ("
        << answer.why_signalled << ")\n"
        << signal_error.str();
    return std::nullopt;
  }
  answer.signalled = true;
  return answer;
}

}  // namespace tandem::cli
