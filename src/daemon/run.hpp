// Entry points of the two ways to run a WireGuard node: `tandem userspace` (a drop-in for
// wireguard-go, configured over the UAPI) and `tandem up` (from Tandem's TOML config).
#pragma once

#include <string>

namespace tandem::daemon {

struct UserspaceOptions {
  std::string interface_name;
  bool foreground = false;
  std::string log_level;   // trace, debug, info, warn or error; empty: info
  std::string log_target;  // auto, stderr, journal or syslog (log_target.hpp); empty: auto
};

struct UpOptions {
  std::string config_path;
  bool daemonize = false;
  std::string log_level;   // trace, debug, info, warn or error; empty: info
  std::string log_target;  // auto, stderr, journal or syslog (log_target.hpp); empty: auto
};

// Both return a process exit code.
int run_userspace(const UserspaceOptions& options);
int run_up(const UpOptions& options);

}  // namespace tandem::daemon
