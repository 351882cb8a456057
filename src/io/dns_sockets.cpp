// DNS forwarder sockets: thin wrappers over socket(2), bind, connect, accept4, recvfrom, sendto,
// read and write, each returning the errno it failed with.
#include "io/dns_sockets.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "io/socket_address.hpp"

namespace tandem::io {
namespace {

constexpr int kListenBacklog = 64;

int socket_type(DnsSocketKind kind) {
  return (kind == DnsSocketKind::kUdp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
}

Result<UniqueFd, SysError> open_socket(DnsSocketKind kind, const Endpoint& address) {
  UniqueFd fd(::socket(to_af(address.address.family()), socket_type(kind), 0));
  if (!fd.valid()) return Err(SysError{errno});
  return fd;
}

}  // namespace

Result<UniqueFd, std::string> dns_listen(DnsSocketKind kind, const Endpoint& local) {
  const char* what = kind == DnsSocketKind::kUdp ? "UDP" : "TCP";
  auto fd = open_socket(kind, local);
  if (!fd) return Err(errno_text(std::string("DNS ") + what + " socket", fd.error().code));
  const int on = 1;
  // IP_FREEBIND covers IPv6 too (the kernel checks it for both families).
  if (::setsockopt(fd->get(), IPPROTO_IP, IP_FREEBIND, &on, sizeof on) != 0 ||
      ::setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
    return Err(errno_text("DNS listener options", errno));
  if (local.address.is_v6() &&
      ::setsockopt(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
    return Err(errno_text("IPV6_V6ONLY", errno));
  sockaddr_storage sa{};
  const socklen_t length = to_sockaddr(local, sa);
  if (::bind(fd->get(), reinterpret_cast<const sockaddr*>(&sa), length) != 0)
    return Err(errno_text(std::string("cannot bind DNS ") + what + " " + local.to_string(), errno));
  if (kind == DnsSocketKind::kTcp && ::listen(fd->get(), kListenBacklog) != 0)
    return Err(errno_text("listen on DNS TCP " + local.to_string(), errno));
  return std::move(*fd);
}

Result<UniqueFd, SysError> dns_connect(DnsSocketKind kind, const Endpoint& server,
                                       const std::string& device) {
  auto fd = open_socket(kind, server);
  if (!fd) return Err(fd.error());
  if (!device.empty() && ::setsockopt(fd->get(), SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                                      static_cast<socklen_t>(device.size())) != 0)
    return Err(SysError{errno});
  sockaddr_storage sa{};
  const socklen_t length = to_sockaddr(server, sa);
  if (::connect(fd->get(), reinterpret_cast<const sockaddr*>(&sa), length) != 0 &&
      errno != EINPROGRESS)
    return Err(SysError{errno});
  return std::move(*fd);
}

Result<std::optional<AcceptedConnection>, SysError> dns_accept(int listener) {
  sockaddr_storage sa{};
  socklen_t length = sizeof sa;
  UniqueFd fd(
      ::accept4(listener, reinterpret_cast<sockaddr*>(&sa), &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd.valid()) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
      return std::optional<AcceptedConnection>{};
    return Err(SysError{errno});
  }
  auto peer = from_sockaddr(sa, length);
  if (!peer) return Err(SysError{EAFNOSUPPORT});
  return std::optional<AcceptedConnection>(AcceptedConnection{std::move(fd), *peer});
}

Result<std::optional<ReceivedDatagram>, SysError> dns_receive_from(int fd,
                                                                   std::span<std::byte> buffer) {
  sockaddr_storage sa{};
  socklen_t length = sizeof sa;
  const ssize_t n =
      ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&sa), &length);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ReceivedDatagram>{};
    return Err(SysError{errno});
  }
  auto from = from_sockaddr(sa, length);
  if (!from) return Err(SysError{EAFNOSUPPORT});
  return std::optional<ReceivedDatagram>(ReceivedDatagram{static_cast<std::size_t>(n), *from});
}

Result<Ok, SysError> dns_send_to(int fd, ByteView message, const Endpoint& to) {
  sockaddr_storage sa{};
  const socklen_t length = to_sockaddr(to, sa);
  if (::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&sa), length) < 0)
    return Err(SysError{errno});
  return Ok{};
}

Result<std::optional<std::size_t>, SysError> dns_read(int fd, std::span<std::byte> buffer) {
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::size_t>{};
    return Err(SysError{errno});
  }
  return std::optional<std::size_t>(static_cast<std::size_t>(n));
}

Result<std::size_t, SysError> dns_write(int fd, ByteView bytes) {
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
    return Err(SysError{errno});
  }
  return static_cast<std::size_t>(n);
}

int dns_socket_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace tandem::io
