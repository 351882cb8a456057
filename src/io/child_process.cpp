#include "io/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "io/unique_fd.hpp"

extern char** environ;

namespace tandem::io {
namespace {

// Reads what is there now; false at end-of-file or error.
bool read_available(int fd, std::string& into) {
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) into.append(buffer, static_cast<std::size_t>(n));
  return n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN));
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Spawn attributes: nothing blocked, every signal at its default.
struct SpawnAttributes {
  posix_spawnattr_t attr;
  SpawnAttributes() {
    ::posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr); }
};

struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { ::posix_spawn_file_actions_init(&actions); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions); }
};

}  // namespace

Result<ChildOutcome, std::string> run_child(const std::vector<std::string>& argv,
                                            std::string_view input) {
  if (argv.empty()) return Err(std::string("no program to run"));
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Err(errno_text("pipe", errno));
  UniqueFd in_read(in_pipe[0]), in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Err(errno_text("pipe", errno));
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);

  FileActions files;
  ::posix_spawn_file_actions_adddup2(&files.actions, in_read.get(), 0);
  ::posix_spawn_file_actions_adddup2(&files.actions, out_write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&files.actions, out_write.get(), 2);
  SpawnAttributes attributes;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawnp(&pid, args[0], &files.actions, &attributes.attr, args.data(), environ);
  if (spawned != 0) return Err(errno_text("cannot run " + argv[0], spawned));
  in_read.reset();
  out_write.reset();
  // Small input (a resolv.conf fragment) fits the pipe; a child that never reads it still ends.
  for (std::string_view left = input; !left.empty();) {
    const ssize_t n = ::write(in_write.get(), left.data(), left.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  in_write.reset();

  ChildOutcome outcome;
  int status = 0;
  bool open = true;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return Err(errno_text("waitpid", errno));
    pollfd p{out_read.get(), POLLIN, 0};
    if (open && ::poll(&p, 1, 100) > 0) open = read_available(out_read.get(), outcome.output);
    if (!open) ::poll(nullptr, 0, 20);
  }
  // What the child wrote before exiting; descendants holding the pipe are not waited for.
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  while (open) {
    char buffer[4096];
    const ssize_t n = ::read(out_read.get(), buffer, sizeof buffer);
    if (n > 0)
      outcome.output.append(buffer, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;  // end of file, or EAGAIN: only descendants hold the pipe now
  }
  outcome.exit_status = decode(status);
  return outcome;
}

std::optional<std::string> find_in_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs =
      path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tandem::io
