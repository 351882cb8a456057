// The node's Prometheus endpoint ([metrics] in its config): an HTTP server on threads of its own
// whose every scrape asks the node's admin socket (admin_server.hpp) for its status, what
// `tandem status --json` shows, and answers it as metrics (metrics/node_metrics.hpp). The admin
// socket is served by the control thread, so a scrape reads what that thread reads, under its
// locks, and never touches an interface from another thread.
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "control/config.hpp"
#include "io/http_server.hpp"
#include "metrics/node_metrics.hpp"

namespace tandem::daemon {

// One reading of the node's admin socket at `admin_socket`: every interface it runs.
Result<metrics::NodeStatus, std::string> read_node_status(const std::string& admin_socket);

class MetricsEndpoint {
 public:
  // Serves the metrics of the node whose admin socket is `admin_socket` where [metrics] says;
  // nullptr without [metrics].
  static Result<std::unique_ptr<MetricsEndpoint>, std::string> start(
      const control::NodeConfig& config, const std::string& admin_socket);

 private:
  explicit MetricsEndpoint(std::unique_ptr<io::HttpServer> server) : server_(std::move(server)) {}
  std::unique_ptr<io::HttpServer> server_;
};

}  // namespace tandem::daemon
