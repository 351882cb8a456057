// Which probed paths' underlay routes changed: a path whose datagrams now leave by another
// device, next hop or source address (or under another route MTU) may cross a smaller hop, so its
// path MTU search starts again at once (RFC 8899 section 4.3), instead of waiting for data to
// black-hole or for the next periodic search. Roaming and fallback restart a search elsewhere;
// this covers the change the tunnel itself cannot see.
//
// Each owner (an interface's control thread) asks once per round about the far ends of the paths
// it probes: the first time it asks about one, its route is looked up and remembered; later only
// when the kernel announced a route change since the last round, so an unchanged system costs a
// non-blocking read per round. Without rtnetlink (it cannot be opened) nothing is ever reported
// moved, and a warning says so once.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/ip_address.hpp"
#include "io/route_monitor.hpp"

namespace tandem::daemon {

class UnderlayRouteWatch {
 public:
  // `owner` names the interface in log lines.
  explicit UnderlayRouteWatch(std::string owner);

  // The notification socket (readable when routes change), or -1 without one.
  int fd() const { return monitor_ ? monitor_->fd() : -1; }
  // Starts a round: takes in the kernel's notifications since the last one.
  void begin_round();
  // The new route towards `destination` if it changed since the last look (and is remembered
  // from now on); nullopt when unchanged, looked at for the first time, or unknown.
  std::optional<io::RouteChoice> moved(const IpAddress& destination);
  // Ends a round: destinations not asked about in it (paths gone) are forgotten.
  void end_round();
  // Takes in the kernel's notifications outside a round: whether a route changed since the
  // last one, so that a round over every probed path is due. An owner with thousands of paths
  // asks this on each tick and walks them only then; between rounds, moved() on a destination
  // not yet known remembers its route.
  bool changed();

 private:
  struct Remembered {
    std::optional<io::RouteChoice> route;  // nullopt: no route when last looked up
    bool asked = false;                    // in the current round
  };
  std::optional<io::RouteChoice> look_up(const IpAddress& destination);

  std::string owner_;
  std::optional<io::RouteMonitor> monitor_;
  bool changed_ = false;  // the kernel announced a change since the last round
  std::map<IpAddress, Remembered> known_;
};

}  // namespace tandem::daemon
