// The metrics endpoint (metrics_endpoint.hpp).
#include "daemon/metrics_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "daemon/hybrid_interface.hpp"
#include "daemon/ipsec_tunnel_interface.hpp"
#include "daemon/l2tp_interface.hpp"
#include "daemon/uapi_client.hpp"
#include "io/unix_socket_client.hpp"
#include "metrics/exposition.hpp"

namespace tandem::daemon {
namespace {

Result<nlohmann::json, std::string> read_document(const std::string& socket) {
  auto reply = io::unix_socket_request(socket, "status\n\n");
  if (!reply) return Err(reply.error());
  auto doc = nlohmann::json::parse(*reply, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Err(socket + ": the reply is not a JSON object");
  return doc;
}

}  // namespace

StatusSockets status_sockets(const control::NodeConfig& config, std::string_view uapi_dir,
                             std::string_view status_dir) {
  StatusSockets s;
  if (config.interface) {
    const std::string& name = config.interface->name;
    s.wireguard.emplace_back(name, uapi_socket_path(uapi_dir, name));
    if (config.hybrid()) {
      // Its router's document, and its secondary path's where that serves one.
      s.documents.push_back(hybrid_socket_path(status_dir, name));
      s.optional.push_back(l2tp_status_socket_path(status_dir, name));
      s.optional.push_back(ipsec_status_socket_path(status_dir, name));
      return s;
    }
  }
  if (config.l2tp)
    s.documents.push_back(l2tp_status_socket_path(status_dir, config.l2tp->interface));
  if (config.ipsec)
    s.documents.push_back(ipsec_status_socket_path(status_dir, config.ipsec->interface));
  return s;
}

Result<metrics::NodeStatus, std::string> read_node_status(const StatusSockets& sockets) {
  metrics::NodeStatus st;
  st.now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  for (const auto& [name, socket] : sockets.wireguard) {
    auto reply = uapi_request(socket, "get=1\n\n");
    if (!reply) return Err(reply.error());
    auto parsed = control::parse_uapi_get(name, *reply);
    if (!parsed) return Err(name + ": " + parsed.error());
    if (auto status = uapi_request(socket, "status\n\n"); status)
      control::merge_peer_mtus(*parsed, *status);
    st.wireguard.push_back(std::move(*parsed));
  }
  for (const auto& socket : sockets.documents) {
    auto doc = read_document(socket);
    if (!doc) return Err(doc.error());
    st.documents.push_back(std::move(*doc));
  }
  for (const auto& socket : sockets.optional) {
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) continue;
    auto doc = read_document(socket);
    if (!doc) return Err(doc.error());
    st.documents.push_back(std::move(*doc));
  }
  return st;
}

Result<std::unique_ptr<MetricsEndpoint>, std::string> MetricsEndpoint::start(
    const control::NodeConfig& config) {
  if (!config.metrics) return std::unique_ptr<MetricsEndpoint>();
  const control::MetricsSettings& m = *config.metrics;
  StatusSockets sockets = status_sockets(config, kUapiSocketDir, kL2tpStatusSocketDir);
  auto server = io::HttpServer::start(m.listen, m.path, [sockets = std::move(sockets)] {
    auto status = read_node_status(sockets);
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
