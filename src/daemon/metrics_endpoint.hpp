// The node's Prometheus endpoint ([metrics] in its config): an HTTP server on threads of its own
// whose every scrape asks the node's status sockets for their documents, the ones
// `tandem status --json` shows, and answers them as metrics (metrics/node_metrics.hpp). The
// sockets are served by the interfaces' control threads, so a scrape reads what they read,
// under their locks, and never touches an interface from another thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "control/config.hpp"
#include "io/http_server.hpp"
#include "metrics/node_metrics.hpp"

namespace tandem::daemon {

// Which sockets describe the node of `config`: each WireGuard interface's UAPI socket (by its
// name), and the hybrid, L2TP and IPsec status sockets; `optional` ones (a hybrid interface's
// secondary path) are read when they exist.
struct StatusSockets {
  std::vector<std::pair<std::string, std::string>> wireguard;  // interface name, socket
  std::vector<std::string> documents;
  std::vector<std::string> optional;
};
StatusSockets status_sockets(const control::NodeConfig& config, std::string_view uapi_dir,
                             std::string_view status_dir);

// One reading of every socket; an error names the socket that did not answer.
Result<metrics::NodeStatus, std::string> read_node_status(const StatusSockets& sockets);

class MetricsEndpoint {
 public:
  // Serves the node's metrics where [metrics] says; nullptr without [metrics].
  static Result<std::unique_ptr<MetricsEndpoint>, std::string> start(
      const control::NodeConfig& config);

 private:
  explicit MetricsEndpoint(std::unique_ptr<io::HttpServer> server) : server_(std::move(server)) {}
  std::unique_ptr<io::HttpServer> server_;
};

}  // namespace tandem::daemon
