// Which way the kernel sends to a destination, and word when that may have changed: the underlay
// route a tunnel's datagrams take (egress device, next hop, source address, a route MTU). A path
// whose route changes may now cross a smaller hop, and nothing else tells the daemon (no ICMP on
// a hop that drops silently, and an idle path sends nothing to lose): its path MTU search starts
// again (RFC 8899 section 4.3's "path change").
//
// The monitor listens to rtnetlink's route notifications on a non-blocking socket; the owner
// drains it from its loop or timer and, when anything changed, looks up the destinations it cares
// about and compares. Not thread-safe: one monitor per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/rtnetlink_socket.hpp"

struct mnl_socket;

namespace tandem::io {

// The route the kernel picks for one destination (`ip route get`).
struct RouteChoice {
  int ifindex = 0;                   // the egress device
  std::optional<IpAddress> via;      // the next hop; none when the destination is on-link
  std::optional<IpAddress> source;   // the preferred source address
  std::optional<std::uint32_t> mtu;  // the route's own MTU (`mtu` in `ip route`), if set
  bool operator==(const RouteChoice&) const = default;
};

// "dev 3 via 192.0.2.1 src 192.0.2.7 mtu 1400", for log lines.
std::string to_string(const RouteChoice& route);

class RouteMonitor {
 public:
  // Listens to IPv4 and IPv6 route changes in this thread's network namespace.
  static Result<RouteMonitor, std::string> open();
  ~RouteMonitor();
  RouteMonitor(RouteMonitor&&) noexcept;
  RouteMonitor& operator=(RouteMonitor&&) noexcept;

  // The notification socket, readable when a change is queued (for an event loop).
  int fd() const;
  // Reads every queued notification; true if there was any (or the kernel dropped some because
  // the socket overflowed, which may hide a change). Never blocks.
  bool drain();
  // The route the kernel picks towards `destination` now; the error is the kernel's errno
  // (ENETUNREACH where there is none).
  Result<RouteChoice, int> lookup(const IpAddress& destination);

 private:
  RouteMonitor(mnl_socket* listener, RtnetlinkSocket query);
  struct SocketCloser {
    void operator()(mnl_socket* s) const;
  };
  std::unique_ptr<mnl_socket, SocketCloser> listener_;
  RtnetlinkSocket query_;
};

}  // namespace tandem::io
