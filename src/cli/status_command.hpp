// `tandem status [IFNAME] [--json]`.
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

struct StatusOptions {
  std::string interface_name;  // empty: every interface with a socket in the UAPI directory
  bool json = false;
  std::string socket_dir = "/var/run/wireguard";    // daemon::kUapiSocketDir
  std::string l2tp_socket_dir = "/var/run/tandem";  // daemon::kL2tpStatusSocketDir
};

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
