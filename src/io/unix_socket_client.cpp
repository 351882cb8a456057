#include "io/unix_socket_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::io {
namespace {

// Replies are small (a few KiB per peer); refuse anything absurd instead of growing forever.
constexpr std::size_t kMaxReply = 16 * 1024 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

Result<std::string, std::string> unix_socket_request(const std::string& path,
                                                     std::string_view request) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Err{"socket path too long: " + path};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Err{errno_text("socket for", path)};
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return Err{errno_text("cannot connect to", path)};

  for (std::size_t sent = 0; sent < request.size();) {
    const auto n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Err{errno_text("cannot write to", path)};
    sent += static_cast<std::size_t>(n);
  }

  std::string reply;
  char buf[4096];
  while (reply.size() < 2 || reply.compare(reply.size() - 2, 2, "\n\n") != 0) {
    const auto n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err{errno_text("cannot read from", path)};
    if (n == 0) return Err{"connection closed before a complete reply from " + path};
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.size() > kMaxReply) return Err{"reply too large from " + path};
  }
  return reply;
}

}  // namespace tandem::io
