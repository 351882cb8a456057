// Learning the underlay's path MTU from the kernel: the socket options that put DF on our UDP
// datagrams and queue the ICMP errors they draw on the socket (RFC 1191 fragmentation-needed,
// RFC 8201 packet-too-big), the reader of that error queue, and the PMTU the kernel has cached
// towards a destination. UdpSocket exposes these; the daemon feeds the results to the MTU budget.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

// One entry of a socket's error queue: a datagram of ours that did not get through, and why.
struct DeliveryError {
  enum class Origin : std::uint8_t {
    kLocal,  // this host refused the send (larger than the outgoing device's MTU)
    kIcmp,   // an ICMP error from a router or the destination
    kIcmp6,  // an ICMPv6 error
    kOther,  // an entry without an extended error (not produced by the options set here)
  };

  // Where the refused datagram was going (its original destination). The port is 0 where the
  // kernel does not record it: a send the local IPv4 stack refused on an unconnected socket.
  Endpoint destination;
  Origin origin = Origin::kOther;
  int error = 0;  // errno: EMSGSIZE too big, ECONNREFUSED port unreachable, EHOSTUNREACH, ...
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  // IPv4 fragmentation-needed, IPv6 packet-too-big, or a local EMSGSIZE.
  bool too_big = false;
  // With too_big: the MTU the report carries for the whole IP packet (0 from a pre-RFC 1191
  // router that names none; ask path_mtu() then). 0 otherwise.
  std::uint32_t path_mtu = 0;
  // The router or host that sent the ICMP message; none for local refusals.
  std::optional<IpAddress> reported_by;
};

// Sets DF on every datagram of `fd` and has ICMP errors queued on it (IP_RECVERR/IPV6_RECVERR).
//
// IP_PMTUDISC_PROBE rather than IP_PMTUDISC_DO: both set DF, but DO also makes the kernel refuse
// (EMSGSIZE) every send larger than the PMTU it has cached for the destination, for as long as
// that entry lives (net.ipv4.route.mtu_expires, 10 minutes). The daemon sizes its datagrams
// itself and probes upwards (DESIGN.md, MTU budget; RFC 8899), so it needs sends above a stale or
// forged cached value to leave; with PROBE only sends larger than the outgoing device's MTU are
// refused. A too-large datagram beyond that point is dropped by the router and reported again.
Result<Ok, SysError> enable_path_mtu_discovery(int fd, IpAddress::Family family);

// Moves up to out.size() entries of the error queue of `fd` into `out` and returns how many;
// fewer than out.size() means the queue is empty now. Never blocks.
Result<std::size_t, SysError> read_delivery_errors(int fd, std::span<DeliveryError> out);

// The path MTU the kernel knows towards `to` for datagrams carrying `fwmark` (0: none): what it
// learned from ICMP, or else the MTU of the route's device.
Result<std::uint32_t, SysError> cached_path_mtu(const Endpoint& to, std::uint32_t fwmark);

}  // namespace tandem::io
