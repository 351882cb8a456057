// A client's TUN device showing the MTU that path MTU probing found its path to carry, so that
// its own hosts and anything reading the device's MTU (routes, a VM bridge) size for it without
// an ICMP round trip first; back to the configured MTU when probing holds nothing. Each change
// is logged with what was probed. Control thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "io/tun_device.hpp"

namespace tandem::daemon {

class ProbedDeviceMtu {
 public:
  explicit ProbedDeviceMtu(std::size_t configured) : configured_(configured), shown_(configured) {}

  // Has `tun` show `probed` (nullopt: the configured MTU), never more than the configured MTU;
  // `what` names what was probed, for the log ("its peer's path", "the sessions").
  void follow(io::TunDevice& tun, std::optional<std::size_t> probed, std::string_view what);
  std::size_t shown() const { return shown_; }

 private:
  std::size_t configured_;
  std::size_t shown_;
};

}  // namespace tandem::daemon
