#include "io/daemonize.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace tandem::io {
namespace {

// One status byte ('R' ready, 'F' failed) followed by the failure message, then end-of-file.
constexpr char kReady = 'R';
constexpr char kFailed = 'F';

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void detach_stdio() {
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return;
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd, fd);  // dup2 clears close-on-exec
  if (null_fd > 2) ::close(null_fd);
}

}  // namespace

Result<Daemonization, std::string> Daemonization::start(const DaemonOptions& options) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Err{errno_text("pipe", errno)};
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return Err{errno_text("fork", errno)};
  if (pid > 0) return Daemonization(pid, std::move(read_end));

  read_end.reset();
  ::setsid();  // a new session: no controlling terminal, out of the shell's job control
  if (options.change_directory && ::chdir("/") != 0) {
    // Staying in the old directory is harmless; nothing to report.
  }
  if (options.redirect_stdio) detach_stdio();
  return Daemonization(0, std::move(write_end));
}

Result<Ok, std::string> Daemonization::wait_for_child() {
  std::string report;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(pipe_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<std::size_t>(n));
  }
  pipe_.reset();
  if (!report.empty() && report[0] == kReady) return Ok{};
  if (!report.empty() && report[0] == kFailed) {
    ::waitpid(child_pid_, nullptr, 0);  // a failed child exits right after reporting
    return Err{report.substr(1)};
  }
  int status = 0;
  std::string how = "exited before reporting readiness";
  if (::waitpid(child_pid_, &status, 0) == child_pid_) {
    if (WIFEXITED(status)) how += " (status " + std::to_string(WEXITSTATUS(status)) + ")";
    if (WIFSIGNALED(status)) how += " (signal " + std::to_string(WTERMSIG(status)) + ")";
  }
  return Err{"daemon " + how};
}

void Daemonization::report(char status, std::string_view message) {
  if (!pipe_.valid()) return;
  std::string out(1, status);
  out += message;
  write_all(pipe_.get(), out);
  pipe_.reset();
}

void Daemonization::report_ready() {
  report(kReady, {});
}

void Daemonization::report_failure(std::string_view message) {
  report(kFailed, message);
}

}  // namespace tandem::io
