// The metrics endpoint (metrics_endpoint.hpp).
#include "daemon/metrics_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "control/admin_protocol.hpp"
#include "io/unix_socket_client.hpp"
#include "metrics/exposition.hpp"

namespace tandem::daemon {

Result<metrics::NodeStatus, std::string> read_node_status(const std::string& admin_socket) {
  metrics::NodeStatus st;
  st.now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto reply = io::unix_socket_request(
      admin_socket, control::format_admin_request(control::AdminCommand::kStatus));
  if (!reply) return Err(reply.error());
  auto body = control::parse_admin_reply(*reply);
  if (!body) return Err(admin_socket + ": " + body.error());
  control::AdminStatus split;
  control::split_admin_status(*body, split);
  if (!split.errors.empty()) return Err(admin_socket + ": " + split.errors.front());
  st.wireguard = std::move(split.wireguard);
  st.documents = std::move(split.documents);
  return st;
}

Result<std::unique_ptr<MetricsEndpoint>, std::string> MetricsEndpoint::start(
    const control::NodeConfig& config, const std::string& admin_socket) {
  if (!config.metrics) return std::unique_ptr<MetricsEndpoint>();
  const control::MetricsSettings& m = *config.metrics;
  auto server = io::HttpServer::start(m.listen, m.path, [admin_socket] {
    auto status = read_node_status(admin_socket);
    if (!status) {
      spdlog::warn("metrics: {}", status.error());
      return io::HttpResponse{503, "text/plain; charset=utf-8", status.error() + "\n"};
    }
    return io::HttpResponse{200, std::string(metrics::kContentType),
                            metrics::node_metrics_text(*status)};
  });
  if (!server) return Err("[metrics]: " + server.error());
  spdlog::info("metrics on http://{}{}", m.listen.to_string(), m.path);
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(*server)));
}

}  // namespace tandem::daemon
