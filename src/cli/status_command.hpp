// `tandem status [IFNAME] [--json]`.
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

// Every daemon `tandem up` runs is asked on its admin socket (daemon/admin_server.hpp) for all
// of its interfaces; a WireGuard interface with only a UAPI socket (`tandem userspace`,
// wireguard-go) is asked there.
struct StatusOptions {
  std::string interface_name;  // empty: every interface
  bool json = false;
  std::string admin_socket_dir;                   // empty: daemon::run_directory()
  std::string socket_dir = "/var/run/wireguard";  // daemon::kUapiSocketDir
};

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
