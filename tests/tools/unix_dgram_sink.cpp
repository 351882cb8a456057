// Stands in for a service manager's or a log daemon's socket in the namespace tests: binds a UNIX
// datagram socket at PATH (the journal's /run/systemd/journal/socket, syslog's /dev/log or a
// NOTIFY_SOCKET) and appends every datagram it receives to OUT, each followed by a line "--".
// OUT is created (empty) once the socket is bound, so a test waits for OUT before it starts the
// daemon. Runs until killed.
//
// With MATCH and COMMAND, a datagram containing MATCH (say READY=1) freezes its sender (SIGSTOP
// to the PID the kernel vouches for, SO_PASSCRED) while COMMAND runs, then lets it go on
// (SIGCONT); the record gets a line "command exited N". What COMMAND sees is therefore the state
// the sender was in when it sent the datagram, not a moment later: a readiness check that it
// could not have passed before the message was sent.
//
// Usage: unix_dgram_sink PATH OUT [MATCH COMMAND [ARG...]]
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "unix_dgram_sink: %s: %s\n", what, std::strerror(errno));
  return 1;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The sender's PID from the credentials the kernel attached; 0 if there are none.
pid_t sender_of(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred cred{};
      std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
      return cred.pid;
    }
  }
  return 0;
}

int run_command(char** argv) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::execvp(argv[0], argv);
    ::_exit(127);
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc < 5) {
    std::fprintf(stderr, "usage: unix_dgram_sink PATH OUT [MATCH COMMAND [ARG...]]\n");
    return 2;
  }
  const char* match = argc >= 5 ? argv[3] : nullptr;
  const std::string path = argv[1];
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "unix_dgram_sink: path too long: %s\n", path.c_str());
    return 2;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail("socket");
  ::unlink(path.c_str());
  if (::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  const int on = 1;
  if (::setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) return fail("SO_PASSCRED");
  ::chmod(path.c_str(), 0666);  // as journald's and syslog's sockets: anyone may log
  const int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) return fail("open OUT");
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(16 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("recv");
    std::string record(buffer.data(), static_cast<std::size_t>(n));
    if (record.empty() || record.back() != '\n') record += '\n';
    if (match && record.find(match) != std::string::npos) {
      const pid_t sender = sender_of(msg);
      if (sender > 0) ::kill(sender, SIGSTOP);
      const int status = run_command(argv + 4);
      if (sender > 0) ::kill(sender, SIGCONT);
      record += "command exited " + std::to_string(status) + " (sender " + std::to_string(sender) +
                " stopped meanwhile)\n";
    }
    record += "--\n";
    if (!write_all(out, record.data(), record.size())) return fail("write OUT");
  }
}
