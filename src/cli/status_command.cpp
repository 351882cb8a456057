#include "cli/status_command.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/hybrid_status_view.hpp"
#include "cli/l2tp_status_view.hpp"
#include "cli/status_view.hpp"
#include "daemon/hybrid_interface.hpp"
#include "daemon/ipsec_tunnel_interface.hpp"
#include "daemon/l2tp_interface.hpp"
#include "daemon/uapi_client.hpp"
#include "io/unix_socket_client.hpp"

namespace tandem::cli {
namespace {

// Interface names with a socket of `extension` in `dir`, sorted.
std::vector<std::string> sockets_in(const std::string& dir, const std::string& extension) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == extension) names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  // WireGuard interfaces answer the UAPI; L2TP and IPsec interfaces a JSON status document.
  std::vector<std::string> wg_names, document_paths;
  if (!options.interface_name.empty()) {
    const auto l2tp_path =
        daemon::l2tp_status_socket_path(options.l2tp_socket_dir, options.interface_name);
    const auto ipsec_path =
        daemon::ipsec_status_socket_path(options.l2tp_socket_dir, options.interface_name);
    const auto hybrid_path =
        daemon::hybrid_socket_path(options.l2tp_socket_dir, options.interface_name);
    std::error_code ec;
    if (std::filesystem::exists(hybrid_path, ec)) {
      // A hybrid interface: its router's view, its WireGuard path, its L2TP or IPsec path.
      document_paths.push_back(hybrid_path);
      wg_names.push_back(options.interface_name);
      if (std::filesystem::exists(l2tp_path, ec)) document_paths.push_back(l2tp_path);
      if (std::filesystem::exists(ipsec_path, ec)) document_paths.push_back(ipsec_path);
    } else if (std::filesystem::exists(l2tp_path, ec))
      document_paths.push_back(l2tp_path);
    else if (std::filesystem::exists(ipsec_path, ec))
      document_paths.push_back(ipsec_path);
    else
      wg_names.push_back(options.interface_name);
  } else {
    wg_names = sockets_in(options.socket_dir, ".sock");
    for (const auto& name : sockets_in(options.l2tp_socket_dir, ".hybrid"))
      document_paths.push_back(daemon::hybrid_socket_path(options.l2tp_socket_dir, name));
    for (const auto& name : sockets_in(options.l2tp_socket_dir, ".l2tp"))
      document_paths.push_back(daemon::l2tp_status_socket_path(options.l2tp_socket_dir, name));
    for (const auto& name : sockets_in(options.l2tp_socket_dir, ".ipsec"))
      document_paths.push_back(daemon::ipsec_status_socket_path(options.l2tp_socket_dir, name));
  }

  std::vector<InterfaceStatus> interfaces;
  int rc = 0;
  for (const auto& name : wg_names) {
    const auto path = daemon::uapi_socket_path(options.socket_dir, name);
    auto reply = daemon::uapi_request(path, "get=1\n\n");
    if (!reply.ok()) {
      err << "status: " << reply.error() << '\n';
      rc = 1;
      continue;
    }
    auto parsed = parse_uapi_get(name, *reply);
    if (!parsed.ok()) {
      err << "status: " << name << ": " << parsed.error() << '\n';
      rc = 1;
      continue;
    }
    // Tandem answers "status" on the same socket with each peer's MTU and its probing; another
    // daemon (wireguard-go) refuses it, and the view stays what `wg show` shows.
    if (auto mtus = daemon::uapi_request(path, "status\n\n"); mtus.ok())
      merge_peer_mtus(*parsed, *mtus);
    interfaces.push_back(std::move(parsed).value());
  }
  std::vector<nlohmann::json> l2tp;
  for (const auto& path : document_paths) {
    const std::string name = std::filesystem::path(path).stem().string();
    auto reply = io::unix_socket_request(path, "status\n\n");
    if (!reply.ok()) {
      err << "status: " << reply.error() << '\n';
      rc = 1;
      continue;
    }
    auto doc = nlohmann::json::parse(*reply, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      err << "status: " << name << ": the daemon's reply is not a JSON object\n";
      rc = 1;
      continue;
    }
    l2tp.push_back(std::move(doc));
  }

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (options.json) {
    // One array: WireGuard interfaces as `wg`-style documents, then L2TP interfaces.
    auto all = nlohmann::json::parse(render_json(interfaces, now), nullptr, false);
    if (!all.is_array()) all = nlohmann::json::array();
    for (auto& doc : l2tp) all.push_back(std::move(doc));
    out << all.dump(2) << '\n';
  } else if (interfaces.empty() && l2tp.empty() && rc == 0) {
    out << "no interfaces\n";
  } else {
    if (!interfaces.empty()) out << render_text(interfaces, now);
    for (std::size_t i = 0; i < l2tp.size(); ++i)
      out << (i > 0 || !interfaces.empty() ? "\n" : "")
          << (l2tp[i].contains("role") && l2tp[i].contains("counters") ? render_hybrid_text(l2tp[i])
              : l2tp[i].value("kind", "") == "ipsec" ? render_ipsec_interface_text(l2tp[i])
                                                     : render_l2tp_text(l2tp[i]));
  }
  return rc;
}

}  // namespace tandem::cli
