#include "io/udp_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "io/mmsg_scratch.hpp"
#include "io/socket_address.hpp"

namespace tandem::io {
namespace {

const char* family_name(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? "IPv4" : "IPv6";
}

// SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN; without it the plain
// option still gets us as much as the sysctl allows.
void grow_buffers(int fd) {
  const int size = kUdpSocketBufferSize;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

// A socket's pending error (set by an ICMP error about an earlier datagram: any one with
// IP_RECVERR, the hard ones on a raw socket) is returned once by whichever send or receive comes
// next, in place of that call's own outcome, and a send that returns it has not sent its
// datagram. The error belongs to another datagram and its details wait on the error queue
// (read_errors()), so such a call is made once more: an error of its own comes back the second
// time and is reported.
constexpr int kAttemptsPastAPendingError = 2;

int set_mark(int fd, std::uint32_t mark) {
  return ::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) == 0 ? 0 : errno;
}

}  // namespace

Result<UdpSocket, UdpSocket::BindError> UdpSocket::try_bind(IpAddress::Family family,
                                                            std::uint16_t port,
                                                            std::uint32_t fwmark) {
  const std::string what =
      std::string("UDP ") + family_name(family) + " port " + std::to_string(port);
  UniqueFd fd(::socket(to_af(family), SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) return Err{BindError{errno, errno_text("socket for " + what, errno)}};

  if (family == IpAddress::Family::kV6) {
    const int on = 1;
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
      return Err{BindError{errno, errno_text("IPV6_V6ONLY on " + what, errno)}};
  }
  if (fwmark != 0) {
    if (const int err = set_mark(fd.get(), fwmark); err != 0)
      return Err{BindError{err, errno_text("SO_MARK on " + what, err)}};
  }
  grow_buffers(fd.get());

  sockaddr_storage addr;
  const socklen_t len = to_sockaddr(
      Endpoint{family == IpAddress::Family::kV4 ? IpAddress::v4({0, 0, 0, 0}) : IpAddress::v6({}),
               port},
      addr);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0)
    return Err{BindError{errno, errno_text("bind " + what, errno)}};

  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0)
    return Err{BindError{errno, errno_text("getsockname " + what, errno)}};
  const auto local = from_sockaddr(bound, bound_len);
  return UdpSocket(std::move(fd), family, local ? local->port : port, fwmark);
}

Result<UdpSocket, std::string> UdpSocket::raw_ipv4(int protocol) {
  UniqueFd fd(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (!fd.valid())
    return Err{errno_text("raw IPv4 socket for protocol " + std::to_string(protocol), errno)};
  grow_buffers(fd.get());
  return UdpSocket(std::move(fd), IpAddress::Family::kV4, 0, 0, true);
}

Result<UdpSocket, std::string> UdpSocket::bind(IpAddress::Family family, std::uint16_t port,
                                               std::uint32_t fwmark) {
  auto r = try_bind(family, port, fwmark);
  if (!r) return Err{r.error().text};
  return std::move(r).value();
}

Result<Ok, std::string> UdpSocket::set_fwmark(std::uint32_t mark) {
  if (const int err = set_mark(fd_.get(), mark); err != 0) return Err{errno_text("SO_MARK", err)};
  fwmark_ = mark;
  return Ok{};
}

Result<std::size_t, SysError> UdpSocket::recv_batch(PacketBatch& batch) {
  // Every slot starts over at the headroom: the previous batch's packets may have been opened in
  // place (ESP, WireGuard), which moved their offsets and would shrink the room offered here.
  batch.clear();
  batch.resize(batch.capacity());
  MmsgScratch& s = batch.scratch();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto room = batch[i].room();
    s.iovecs[i] = iovec{room.data(), room.size()};
    mmsghdr& h = s.headers[i];
    std::memset(&h, 0, sizeof h);
    h.msg_hdr.msg_name = &s.addresses[i];
    h.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    h.msg_hdr.msg_iov = &s.iovecs[i];
    h.msg_hdr.msg_iovlen = 1;
  }
  int n = -1;
  for (int attempt = 0; attempt < kAttemptsPastAPendingError; ++attempt) {
    do {
      n = ::recvmmsg(fd_.get(), s.headers.data(), static_cast<unsigned>(batch.size()), MSG_DONTWAIT,
                     nullptr);
    } while (n < 0 && errno == EINTR);
    if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) break;
  }
  if (n < 0) {
    const int err = errno;
    batch.clear();
    if (err == EAGAIN || err == EWOULDBLOCK) return std::size_t{0};
    return Err{SysError{err}};
  }

  // Compact away truncated datagrams and unknown source families; Packet structs carry their
  // own slot pointer, so swapping them keeps each packet with its bytes.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const msghdr& m = s.headers[i].msg_hdr;
    const auto from = from_sockaddr(s.addresses[i], m.msg_namelen);
    if ((m.msg_flags & MSG_TRUNC) != 0 || !from) continue;
    batch[i].length = s.headers[i].msg_len;
    batch[i].endpoint = *from;
    if (raw_) {
      // A raw socket hands over the IPv4 header too; the packet starts after it.
      const std::size_t header =
          batch[i].length > 0 ? (std::to_integer<std::size_t>(batch[i].bytes()[0]) & 0x0f) * 4 : 0;
      if (header < 20 || header > batch[i].length) continue;
      batch[i].set_range(batch[i].offset + header, batch[i].length - header);
    }
    if (kept != i) std::swap(batch[kept], batch[i]);
    ++kept;
  }
  batch.resize(kept);
  return kept;
}

SendResult UdpSocket::send_batch(PacketBatch& batch) {
  return send_batch(batch, 0, batch.size());
}

SendResult UdpSocket::send_batch(PacketBatch& batch, std::size_t begin, std::size_t end) {
  SendResult result;
  MmsgScratch& s = batch.scratch();
  for (std::size_t i = begin; i < end; ++i) {
    const auto bytes = batch[i].bytes();
    s.iovecs[i] = iovec{bytes.data(), bytes.size()};
    mmsghdr& h = s.headers[i];
    std::memset(&h, 0, sizeof h);
    h.msg_hdr.msg_name = &s.addresses[i];
    h.msg_hdr.msg_namelen = to_sockaddr(batch[i].endpoint, s.addresses[i]);
    h.msg_hdr.msg_iov = &s.iovecs[i];
    h.msg_hdr.msg_iovlen = 1;
  }
  // sendmmsg stops at the first datagram the kernel refuses; skip that one and carry on. A
  // refusal at the head of a call may be a pending error instead, so the head gets a second try.
  std::size_t i = begin;
  int attempts = 0;
  while (i < end) {
    const int n = ::sendmmsg(fd_.get(), s.headers.data() + i, static_cast<unsigned>(end - i), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (++attempts < kAttemptsPastAPendingError) continue;
      if (result.first_error == 0) result.first_error = errno;
      ++result.failed;
      ++i;
      attempts = 0;
      continue;
    }
    result.sent += static_cast<std::size_t>(n);
    i += static_cast<std::size_t>(n);
    attempts = 0;
  }
  return result;
}

Result<Ok, SysError> UdpSocket::send(ByteView bytes, const Endpoint& to) {
  sockaddr_storage addr;
  const socklen_t len = to_sockaddr(to, addr);
  ssize_t n = -1;
  for (int attempt = 0; attempt < kAttemptsPastAPendingError && n < 0; ++attempt) {
    do {
      n = ::sendto(fd_.get(), bytes.data(), bytes.size(), 0,
                   reinterpret_cast<const sockaddr*>(&addr), len);
    } while (n < 0 && errno == EINTR);
  }
  if (n < 0) return Err{SysError{errno}};
  return Ok{};
}

Result<Ok, std::string> UdpSocket::enable_path_mtu_discovery() {
  if (auto r = io::enable_path_mtu_discovery(fd_.get(), family_); !r)
    return Err{errno_text("path MTU discovery options", r.error().code)};
  path_mtu_discovery_ = true;
  return Ok{};
}

Result<std::size_t, SysError> UdpSocket::read_errors(std::span<DeliveryError> out) {
  return read_delivery_errors(fd_.get(), out);
}

Result<std::uint32_t, SysError> UdpSocket::path_mtu(const Endpoint& to) const {
  return cached_path_mtu(to, fwmark_);
}

}  // namespace tandem::io
