#include "io/path_mtu.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "io/socket_address.hpp"

namespace tandem::io {
namespace {

// ICMP types and codes that report a datagram too big for the next hop.
constexpr std::uint8_t kIcmpDestinationUnreachable = 3;  // RFC 792
constexpr std::uint8_t kIcmpFragmentationNeeded = 4;
constexpr std::uint8_t kIcmp6PacketTooBig = 2;  // RFC 4443 section 3.2

// The extended error, then the offender's address: room for both in any family, with space left
// for whatever other control message the kernel adds.
constexpr std::size_t kControlSize = 256;

int set_int(int fd, int level, int option, int value) {
  return ::setsockopt(fd, level, option, &value, sizeof value) == 0 ? 0 : errno;
}

DeliveryError::Origin origin_of(std::uint8_t origin) {
  switch (origin) {
    case SO_EE_ORIGIN_LOCAL:
      return DeliveryError::Origin::kLocal;
    case SO_EE_ORIGIN_ICMP:
      return DeliveryError::Origin::kIcmp;
    case SO_EE_ORIGIN_ICMP6:
      return DeliveryError::Origin::kIcmp6;
    default:
      return DeliveryError::Origin::kOther;
  }
}

bool reports_too_big(const DeliveryError& e) {
  switch (e.origin) {
    case DeliveryError::Origin::kIcmp:
      return e.icmp_type == kIcmpDestinationUnreachable && e.icmp_code == kIcmpFragmentationNeeded;
    case DeliveryError::Origin::kIcmp6:
      return e.icmp_type == kIcmp6PacketTooBig;
    case DeliveryError::Origin::kLocal:
      return e.error == EMSGSIZE;
    case DeliveryError::Origin::kOther:
      return false;
  }
  return false;
}

// Fills the fields carried by the IP_RECVERR / IPV6_RECVERR control message, if there is one.
void read_extended_error(msghdr& m, DeliveryError& out) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
    const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
    if ((!v4 && !v6) || c->cmsg_len < CMSG_LEN(sizeof(sock_extended_err))) continue;
    sock_extended_err ee;
    std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
    out.origin = origin_of(ee.ee_origin);
    out.error = static_cast<int>(ee.ee_errno);
    out.icmp_type = ee.ee_type;
    out.icmp_code = ee.ee_code;
    out.too_big = reports_too_big(out);
    out.path_mtu = out.too_big ? ee.ee_info : 0;
    // SO_EE_OFFENDER: a sockaddr right after the extended error (AF_UNSPEC for local errors).
    sockaddr_storage offender{};
    const std::size_t offender_len =
        std::min<std::size_t>(c->cmsg_len - CMSG_LEN(sizeof ee), sizeof offender);
    std::memcpy(&offender, CMSG_DATA(c) + sizeof ee, offender_len);
    if (const auto from = from_sockaddr(offender, static_cast<socklen_t>(offender_len)))
      out.reported_by = from->address;
    return;
  }
}

}  // namespace

Result<Ok, SysError> enable_path_mtu_discovery(int fd, IpAddress::Family family) {
  const bool v4 = family == IpAddress::Family::kV4;
  const int level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
  if (const int err = set_int(fd, level, v4 ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER,
                              v4 ? IP_PMTUDISC_PROBE : IPV6_PMTUDISC_PROBE);
      err != 0)
    return Err{SysError{err}};
  if (const int err = set_int(fd, level, v4 ? IP_RECVERR : IPV6_RECVERR, 1); err != 0)
    return Err{SysError{err}};
  return Ok{};
}

Result<std::size_t, SysError> read_delivery_errors(int fd, std::span<DeliveryError> out) {
  std::size_t count = 0;
  while (count < out.size()) {
    sockaddr_storage name{};
    alignas(cmsghdr) std::array<std::byte, kControlSize> control;
    // No iovec: the offending datagram's payload is not needed, only where it was going.
    msghdr m{};
    m.msg_name = &name;
    m.msg_namelen = sizeof name;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    ssize_t n;
    do {
      n = ::recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int err = errno;
      if (err != EAGAIN && err != EWOULDBLOCK) {
        if (count > 0) break;  // report what was read; the error comes back on the next call
        return Err{SysError{err}};
      }
      // An ICMP error that found the queue full (the receive buffer is shared with waiting
      // datagrams) still set the socket's pending error, and that alone keeps epoll reporting
      // EPOLLERR. Reading SO_ERROR clears it, so an empty queue leaves nothing to wake for.
      int pending = 0;
      socklen_t len = sizeof pending;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &len);
      break;
    }
    DeliveryError& e = out[count++];
    e = DeliveryError{};
    if (const auto to = from_sockaddr(name, m.msg_namelen)) e.destination = *to;
    read_extended_error(m, e);
  }
  return count;
}

Result<std::uint32_t, SysError> cached_path_mtu(const Endpoint& to, std::uint32_t fwmark) {
  // IP_MTU answers only on a connected socket, and ours are not: a throwaway socket connected
  // to `to` looks up the same route, and with it the PMTU exception the kernel keeps per
  // destination, whichever socket's ICMP created it. The mark makes policy routing match ours.
  const bool v4 = to.address.is_v4();
  UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) return Err{SysError{errno}};
  if (fwmark != 0 && ::setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) != 0)
    return Err{SysError{errno}};
  sockaddr_storage addr;
  const socklen_t addr_len = to_sockaddr(to, addr);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), addr_len) != 0)
    return Err{SysError{errno}};
  int mtu = 0;
  socklen_t len = sizeof mtu;
  if (::getsockopt(fd.get(), v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU, &mtu, &len) !=
      0)
    return Err{SysError{errno}};
  return static_cast<std::uint32_t>(mtu);
}

}  // namespace tandem::io
