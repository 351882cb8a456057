#include "io/udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

// What one GSO message may carry: the kernel's UDP_MAX_SEGMENTS, and a UDP length that still
// fits 16 bits under an IPv6 header (the smaller limit of the two families).
constexpr std::size_t kMaxGsoSegments = 64;
constexpr std::size_t kMaxGsoBytes = 65535 - 40 - 8;
// The largest coalesced receive: a UDP length field's worth.
constexpr std::size_t kMaxCoalescedReceive = 65535;

// The refusal that means the outgoing device cannot do UDP GSO at all (it cannot checksum the
// segments, or IPsec would transform them), rather than a refusal of this run: EINVAL, say, is
// a segment larger than the path MTU, which the datagrams sent one by one report themselves.
constexpr int kGsoUnsupported = EIO;

// Sets up s.headers[message] to send s.iovecs[first, first + count) to `to`.
mmsghdr& address_message(MmsgScratch& s, std::size_t message, const Endpoint& to, std::size_t first,
                         std::size_t count) {
  mmsghdr& h = s.headers[message];
  std::memset(&h, 0, sizeof h);
  h.msg_hdr.msg_name = &s.addresses[message];
  h.msg_hdr.msg_namelen = to_sockaddr(to, s.addresses[message]);
  h.msg_hdr.msg_iov = &s.iovecs[first];
  h.msg_hdr.msg_iovlen = count;
  return h;
}

void set_segment_size(mmsghdr& h, MmsgScratch::Control& control, std::uint16_t size) {
  h.msg_hdr.msg_control = control.bytes;
  h.msg_hdr.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
  cmsghdr* c = CMSG_FIRSTHDR(&h.msg_hdr);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  std::memcpy(CMSG_DATA(c), &size, sizeof size);
}

}  // namespace

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::move(other.fd_)),
      family_(other.family_),
      port_(other.port_),
      fwmark_(other.fwmark_),
      raw_(other.raw_),
      path_mtu_discovery_(other.path_mtu_discovery_),
      gro_(other.gro_),
      gso_(other.gso()) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  fd_ = std::move(other.fd_);
  family_ = other.family_;
  port_ = other.port_;
  fwmark_ = other.fwmark_;
  raw_ = other.raw_;
  path_mtu_discovery_ = other.path_mtu_discovery_;
  gro_ = other.gro_;
  set_gso(other.gso());
  return *this;
}

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

Result<Ok, std::string> UdpSocket::enable_gro() {
  const int on = 1;
  if (::setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &on, sizeof on) != 0)
    return Err{errno_text("UDP_GRO", errno)};
  gro_ = true;
  return Ok{};
}

Result<std::size_t, SysError> UdpSocket::recv_coalesced(PacketBatch& batch) {
  batch.clear();
  MmsgScratch& s = batch.scratch();
  if (!s.coalesced) s.coalesced = std::make_unique<std::byte[]>(kMaxCoalescedReceive);
  while (batch.empty() || batch.capacity() - batch.size() >= kMaxGroSegments) {
    iovec iov{s.coalesced.get(), kMaxCoalescedReceive};
    msghdr m{};
    m.msg_name = &s.addresses[0];
    m.msg_namelen = sizeof(sockaddr_storage);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = s.controls[0].bytes;
    m.msg_controllen = sizeof s.controls[0].bytes;
    ssize_t n = -1;
    for (int attempt = 0; attempt < kAttemptsPastAPendingError; ++attempt) {
      do {
        n = ::recvmsg(fd_.get(), &m, MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) break;
    }
    if (n < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK || !batch.empty()) break;
      return Err{SysError{err}};
    }
    const auto from = from_sockaddr(s.addresses[0], m.msg_namelen);
    if ((m.msg_flags & MSG_TRUNC) != 0 || !from) continue;
    // The size of each datagram but the last; a receive that was not coalesced has none.
    auto size = static_cast<std::size_t>(n);
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO) continue;
      int gso_size = 0;
      std::memcpy(&gso_size, CMSG_DATA(c), sizeof gso_size);
      if (gso_size > 0) size = static_cast<std::size_t>(gso_size);
    }
    const ByteView all(s.coalesced.get(), static_cast<std::size_t>(n));
    for (std::size_t at = 0; at < all.size() && !batch.full(); at += size) {
      const ByteView datagram = all.subspan(at, std::min(size, all.size() - at));
      if (datagram.size() > batch.slot_size() - batch.headroom()) continue;
      batch.push_back(datagram, *from);
    }
  }
  return batch.size();
}

Result<std::size_t, SysError> UdpSocket::recv_batch(PacketBatch& batch) {
  if (gro_) return recv_coalesced(batch);
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
  return gso() ? send_runs(batch, begin, end) : send_each(batch, begin, end);
}

SendResult UdpSocket::send_runs(PacketBatch& batch, std::size_t begin, std::size_t end) {
  MmsgScratch& s = batch.scratch();
  std::size_t messages = 0;
  for (std::size_t i = begin; i < end;) {
    // A run: one destination, every datagram the size of the first but the last, which may be
    // smaller; the kernel cuts the message at that size.
    const std::size_t size = batch[i].length;
    std::size_t j = i + 1, bytes = size;
    while (j < end && j - i < kMaxGsoSegments && batch[j].endpoint == batch[i].endpoint &&
           batch[j - 1].length == size && batch[j].length <= size && batch[j].length > 0 &&
           bytes + batch[j].length <= kMaxGsoBytes) {
      bytes += batch[j].length;
      ++j;
    }
    for (std::size_t k = i; k < j; ++k) {
      const auto b = batch[k].bytes();
      s.iovecs[k] = iovec{b.data(), b.size()};
    }
    mmsghdr& h = address_message(s, messages, batch[i].endpoint, i, j - i);
    if (j - i > 1) set_segment_size(h, s.controls[messages], static_cast<std::uint16_t>(size));
    s.runs[messages] = {i, j - i};
    ++messages;
    i = j;
  }
  SendResult result;
  std::size_t m = 0;
  int attempts = 0;
  while (m < messages) {
    const int n =
        ::sendmmsg(fd_.get(), s.headers.data() + m, static_cast<unsigned>(messages - m), 0);
    if (n > 0) {
      for (int k = 0; k < n; ++k) result.sent += s.runs[m + static_cast<std::size_t>(k)].count;
      m += static_cast<std::size_t>(n);
      attempts = 0;
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (++attempts < kAttemptsPastAPendingError) continue;
    attempts = 0;
    const MmsgScratch::Run run = s.runs[m];
    if (run.count > 1 && err == kGsoUnsupported) set_gso(false);
    // Each datagram of the run on its own (sendto: the scratch holds the later messages), so
    // those the kernel takes go and the rest are counted.
    for (std::size_t k = run.first; k < run.first + run.count; ++k) {
      if (auto sent = send(batch[k].bytes(), batch[k].endpoint); sent) {
        ++result.sent;
      } else {
        ++result.failed;
        if (result.first_error == 0) result.first_error = sent.error().code;
      }
    }
    ++m;
  }
  return result;
}

SendResult UdpSocket::send_each(PacketBatch& batch, std::size_t begin, std::size_t end) {
  SendResult result;
  MmsgScratch& s = batch.scratch();
  for (std::size_t i = begin; i < end; ++i) {
    const auto bytes = batch[i].bytes();
    s.iovecs[i] = iovec{bytes.data(), bytes.size()};
    address_message(s, i, batch[i].endpoint, i, 1);
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
