// Stands in for a service manager's or a log daemon's socket in the namespace tests: binds a UNIX
// datagram socket at PATH (the journal's /run/systemd/journal/socket, syslog's /dev/log or a
// NOTIFY_SOCKET) and appends every datagram it receives to OUT, each followed by a line "--".
// OUT is created (empty) once the socket is bound, so a test waits for OUT before it starts the
// daemon. Runs until killed.
//
// Usage: unix_dgram_sink PATH OUT
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: unix_dgram_sink PATH OUT\n");
    return 2;
  }
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
  ::chmod(path.c_str(), 0666);  // as journald's and syslog's sockets: anyone may log
  const int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) return fail("open OUT");
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    const ssize_t n = ::recv(sock, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("recv");
    std::string record(buffer.data(), static_cast<std::size_t>(n));
    if (record.empty() || record.back() != '\n') record += '\n';
    record += "--\n";
    if (!write_all(out, record.data(), record.size())) return fail("write OUT");
  }
}
