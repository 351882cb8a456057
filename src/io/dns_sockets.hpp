// The sockets of the DNS forwarder service (daemon/dns_service.hpp): UDP and TCP listeners on a
// given address, and one fresh non-blocking socket per upstream exchange, optionally bound to a
// device (SO_BINDTODEVICE) so that its datagrams can leave through that device only: with the
// tunnel's device named, a query cannot reach the underlay even when the routes are wrong (the
// kernel then assumes the server is on the device's link rather than taking another route).
// Every descriptor is close-on-exec and non-blocking.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

enum class DnsSocketKind : std::uint8_t { kUdp, kTcp };

// A listener on `local` (IP_FREEBIND: the address may still be on its way to the device).
Result<UniqueFd, std::string> dns_listen(DnsSocketKind kind, const Endpoint& local);

// A socket connected to `server` (for TCP: the connect under way, writable once it is done),
// bound to `device` when it is not empty. Errors are the failed call's errno.
Result<UniqueFd, SysError> dns_connect(DnsSocketKind kind, const Endpoint& server,
                                       const std::string& device);

// A connection waiting on a TCP listener, with its peer; nullopt when none waits.
struct AcceptedConnection {
  UniqueFd fd;
  Endpoint peer;
};
Result<std::optional<AcceptedConnection>, SysError> dns_accept(int listener);

// One datagram from a listener, with its sender; nullopt when none waits.
struct ReceivedDatagram {
  std::size_t size = 0;
  Endpoint from;
};
Result<std::optional<ReceivedDatagram>, SysError> dns_receive_from(int fd,
                                                                   std::span<std::byte> buffer);
Result<Ok, SysError> dns_send_to(int fd, ByteView message, const Endpoint& to);

// On connected sockets: the bytes read (0: the peer closed; nullopt: nothing waits) and the bytes
// written (0 when the socket takes nothing now). A queued ICMP error or a refused connection is
// the error of the next call (ECONNREFUSED, EHOSTUNREACH, ...).
Result<std::optional<std::size_t>, SysError> dns_read(int fd, std::span<std::byte> buffer);
Result<std::size_t, SysError> dns_write(int fd, ByteView bytes);
// The pending error of a socket (SO_ERROR): 0 once a TCP connect has succeeded.
int dns_socket_error(int fd);

}  // namespace tandem::io
