// A listening AF_UNIX stream socket serving a request/response text protocol whose requests end
// with a blank line ("\n\n") — the shape of the WireGuard cross-platform UAPI ("get=1\n\n",
// "set=1\n...\n\n"). Protocol-agnostic: the caller's handler turns one request into one reply.
// A connection may carry several requests; partial reads and writes are handled.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"
#include "io/event_loop.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

// Creates `path` and its missing parents with `mode` (wireguard-go uses 0755 for
// /var/run/wireguard). An existing directory is left as it is.
Result<Ok, std::string> ensure_directory(const std::string& path, mode_t mode = 0755);

// Who may connect: the socket file's mode and group (its owner is the daemon's user). A
// connect(2) needs write permission on the file, so the mode is the whole access check.
struct SocketAccess {
  mode_t mode = 0700;
  std::optional<gid_t> group;  // unset: the daemon's own group
};

// The process at the other end of a connection, as the kernel vouches for it (SO_PEERCRED).
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class UnixSocketServer {
 public:
  // Receives a request including its terminating "\n\n"; returns the full reply to send.
  using Handler = std::function<std::string(std::string_view request)>;
  // The same, told who sent the request.
  using PeerHandler =
      std::function<std::string(std::string_view request, const PeerCredentials& peer)>;

  // Requests beyond this many bytes without a blank line close the connection.
  static constexpr std::size_t kMaxRequestBytes = 1 << 20;

  // Binds `path` (socket file mode 0700 via umask 077, as wireguard-go) and serves it on `loop`;
  // its directory is created if it is missing.
  // A stale socket file is removed only when nothing answers a connect on it; if another
  // process is listening the call fails and the file is left alone.
  static Result<std::unique_ptr<UnixSocketServer>, std::string> listen(EventLoop& loop,
                                                                       std::string path,
                                                                       Handler handler);
  // The same with the file's mode and group set as `access` says, before the first connection.
  static Result<std::unique_ptr<UnixSocketServer>, std::string> listen(EventLoop& loop,
                                                                       std::string path,
                                                                       const SocketAccess& access,
                                                                       PeerHandler handler);
  // Closes every connection and removes the socket file.
  ~UnixSocketServer();
  UnixSocketServer(const UnixSocketServer&) = delete;
  UnixSocketServer& operator=(const UnixSocketServer&) = delete;

  const std::string& path() const { return path_; }
  std::size_t connection_count() const { return connections_.size(); }

 private:
  struct Connection {
    UniqueFd fd;
    std::string in;
    std::string out;
    std::size_t out_sent = 0;
    bool peer_closed = false;
    PeerCredentials peer;
  };

  UnixSocketServer(EventLoop& loop, std::string path, PeerHandler handler)
      : loop_(loop), path_(std::move(path)), handler_(std::move(handler)) {}
  void accept_all();
  void on_readable(int fd);
  void flush(int fd);
  void close_connection(int fd);

  EventLoop& loop_;
  std::string path_;
  PeerHandler handler_;
  UniqueFd listen_fd_;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

}  // namespace tandem::io
