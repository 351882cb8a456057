// `tandem drill IFACE [--seconds N]`: a failover drill against a running hybrid client. The
// daemon holds its primary path (WireGuard) down for N seconds, without touching any firewall;
// meanwhile this command pings the gateway's inner address through the tunnel every 20 ms and
// watches the daemon's active path, then reports the time to switch, the time to fail back and
// the pings lost, and exits non-zero when the secondary did not carry the traffic.
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

struct DrillOptions {
  std::string interface_name;
  unsigned seconds = 5;
  unsigned interval_ms = 20;
  std::string admin_socket_dir;  // empty: the run directory (daemon/instance_lock.hpp)
};

int run_drill(const DrillOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
