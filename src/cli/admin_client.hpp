// The CLI's side of the admin socket (daemon/admin_server.hpp): finding the daemons that run
// here and asking them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "control/admin_protocol.hpp"

namespace tandem::cli {

// The admin sockets in `dir` (empty: the run directory, daemon/instance_lock.hpp), sorted.
std::vector<std::string> admin_sockets(const std::string& dir);

// The body of the daemon's reply, or why there is none: the daemon's own error, or a socket it
// cannot use (a permission error says who may).
Result<nlohmann::json, std::string> ask_daemon(const std::string& socket,
                                               const control::AdminRequest& request);

// The daemon that runs interface `name`, and its status document of it ("kind" says which).
struct DaemonInterface {
  std::string socket;
  nlohmann::json document;
};
Result<DaemonInterface, std::string> find_interface(const std::string& dir,
                                                    const std::string& name);

}  // namespace tandem::cli
