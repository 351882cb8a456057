#include "io/unix_socket_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::io {
namespace {

Result<sockaddr_un, std::string> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Err{"socket path too long: " + path};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Binds and listens; returns errno on failure so the caller can tell EADDRINUSE apart.
int bind_listen(int fd, const sockaddr_un& addr) {
  // umask is process-wide; start-up code calls this before spawning threads that create files.
  const mode_t old = ::umask(077);
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::umask(old);
  if (rc != 0) return err;
  if (::listen(fd, SOMAXCONN) != 0) return errno;
  return 0;
}

bool someone_listening(const sockaddr_un& addr) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.valid() &&
         ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

Result<Ok, std::string> ensure_directory(const std::string& path, mode_t mode) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
      return Err{errno_text("mkdir " + prefix, errno)};
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Err{"not a directory: " + path};
  return Ok{};
}

Result<std::unique_ptr<UnixSocketServer>, std::string> UnixSocketServer::listen(EventLoop& loop,
                                                                                std::string path,
                                                                                Handler handler) {
  return listen(loop, std::move(path), SocketAccess{},
                [handler = std::move(handler)](std::string_view request, const PeerCredentials&) {
                  return handler(request);
                });
}

Result<std::unique_ptr<UnixSocketServer>, std::string> UnixSocketServer::listen(
    EventLoop& loop, std::string path, const SocketAccess& access, PeerHandler handler) {
  if (const auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
    if (auto ok = ensure_directory(path.substr(0, slash)); !ok) return Err(ok.error());
  auto addr = unix_address(path);
  if (!addr) return Err{addr.error()};
  std::unique_ptr<UnixSocketServer> server(
      new UnixSocketServer(loop, std::move(path), std::move(handler)));
  const std::string& p = server->path_;

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Err{errno_text("socket for " + p, errno)};
  int err = bind_listen(fd.get(), *addr);
  if (err == EADDRINUSE) {
    if (someone_listening(*addr)) return Err{"unix socket in use by another process: " + p};
    if (::unlink(p.c_str()) != 0) return Err{errno_text("remove stale socket " + p, errno)};
    err = bind_listen(fd.get(), *addr);
  }
  if (err != 0) return Err{errno_text("listen on " + p, err)};
  server->listen_fd_ = std::move(fd);
  // Bound under umask 077 (0700); widened only now, so nobody the mode excludes ever connects.
  if (access.group && ::chown(p.c_str(), static_cast<uid_t>(-1), *access.group) != 0)
    return Err{errno_text("chown " + p + " to group " + std::to_string(*access.group), errno)};
  if (access.mode != 0700 && ::chmod(p.c_str(), access.mode) != 0)
    return Err{errno_text("chmod " + p, errno)};

  UnixSocketServer* self = server.get();
  if (auto r = loop.watch_readable(self->listen_fd_.get(), [self] { self->accept_all(); }); !r) {
    ::unlink(p.c_str());
    return Err{r.error()};
  }
  return server;
}

UnixSocketServer::~UnixSocketServer() {
  while (!connections_.empty()) close_connection(connections_.begin()->first);
  if (listen_fd_.valid()) {
    loop_.unwatch(listen_fd_.get());
    ::unlink(path_.c_str());
  }
}

void UnixSocketServer::accept_all() {
  for (;;) {
    UniqueFd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN: drained; other errors: try again on the next wake-up
    const int raw = fd.get();
    auto conn = std::make_unique<Connection>();
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(raw, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
      conn->peer = PeerCredentials{cred.pid, cred.uid, cred.gid};
    conn->fd = std::move(fd);
    connections_.emplace(raw, std::move(conn));
    if (!loop_.watch_readable(raw, [this, raw] { on_readable(raw); })) close_connection(raw);
  }
}

void UnixSocketServer::on_readable(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) c.peer_closed = true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c.peer_closed = true;
    break;
  }
  // Every complete request gets its reply queued, in order.
  std::size_t start = 0;
  for (std::size_t end; (end = c.in.find("\n\n", start)) != std::string::npos; start = end + 2)
    c.out += handler_(std::string_view(c.in).substr(start, end + 2 - start), c.peer);
  c.in.erase(0, start);
  if (c.in.size() > kMaxRequestBytes) {
    close_connection(fd);
    return;
  }
  if (c.peer_closed) {
    // A client that half-closed after its request still gets what fits in the socket buffer
    // now; the loop cannot wait for room without spinning on the end-of-file readiness.
    flush(fd);
    close_connection(fd);
    return;
  }
  flush(fd);
}

void UnixSocketServer::flush(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  while (c.out_sent < c.out.size()) {
    const ssize_t n =
        ::send(fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!loop_.watch_writable(fd, [this, fd] { flush(fd); })) close_connection(fd);
      return;
    }
    close_connection(fd);
    return;
  }
  c.out.clear();
  c.out_sent = 0;
  loop_.unwatch_writable(fd);
}

void UnixSocketServer::close_connection(int fd) {
  loop_.unwatch(fd);
  connections_.erase(fd);
}

}  // namespace tandem::io
