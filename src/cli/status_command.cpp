#include "cli/status_command.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/admin_client.hpp"
#include "cli/hybrid_status_view.hpp"
#include "cli/l2tp_status_view.hpp"
#include "cli/status_view.hpp"
#include "control/admin_protocol.hpp"
#include "daemon/uapi_client.hpp"

namespace tandem::cli {
namespace {

// UAPI sockets in `dir`, sorted, by interface name.
std::vector<std::string> uapi_names(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".sock") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Gathered : control::AdminStatus {
  int rc = 0;
};

std::string interface_of(const nlohmann::json& doc) {
  if (doc.contains("interface") && doc["interface"].is_string()) return doc["interface"];
  if (doc.contains("name") && doc["name"].is_string()) return doc["name"];
  return {};
}

// A WireGuard daemon with only a UAPI socket (`tandem userspace`, wireguard-go).
void ask_uapi_socket(const std::string& socket_dir, const std::string& name, Gathered& g,
                     std::ostream& err) {
  const auto path = daemon::uapi_socket_path(socket_dir, name);
  auto reply = daemon::uapi_request(path, "get=1\n\n");
  if (!reply.ok()) {
    err << "status: " << reply.error() << '\n';
    g.rc = 1;
    return;
  }
  auto parsed = parse_uapi_get(name, *reply);
  if (!parsed.ok()) {
    err << "status: " << name << ": " << parsed.error() << '\n';
    g.rc = 1;
    return;
  }
  // Tandem answers "status" on the same socket with each peer's MTU and its probing; another
  // daemon (wireguard-go) refuses it, and the view stays what `wg show` shows.
  if (auto mtus = daemon::uapi_request(path, "status\n\n"); mtus.ok())
    merge_peer_mtus(*parsed, *mtus);
  g.wireguard.push_back(std::move(parsed).value());
}

}  // namespace

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  Gathered g;
  // Every daemon `tandem up` runs answers for all of its interfaces on its admin socket. What
  // went wrong with one is said unless only another daemon's interface was asked for.
  for (const auto& socket : admin_sockets(options.admin_socket_dir)) {
    auto body = ask_daemon(socket, {control::AdminCommand::kStatus, 0});
    if (body)
      control::split_admin_status(*body, g);
    else
      g.errors.push_back(body.error());
  }
  // WireGuard interfaces no admin socket spoke for.
  for (const auto& name : uapi_names(options.socket_dir)) {
    const bool known = std::any_of(g.wireguard.begin(), g.wireguard.end(),
                                   [&](const InterfaceStatus& s) { return s.name == name; });
    if (!known && (options.interface_name.empty() || options.interface_name == name))
      ask_uapi_socket(options.socket_dir, name, g, err);
  }
  if (!options.interface_name.empty()) {
    std::erase_if(g.wireguard,
                  [&](const InterfaceStatus& s) { return s.name != options.interface_name; });
    std::erase_if(g.documents, [&](const nlohmann::json& d) {
      return interface_of(d) != options.interface_name;
    });
    if (g.wireguard.empty() && g.documents.empty()) {
      for (const auto& e : g.errors) err << "status: " << e << '\n';
      err << "status: no interface " << options.interface_name
          << " (no running daemon has it: tandem up starts one)\n";
      return 1;
    }
  } else {
    for (const auto& e : g.errors) err << "status: " << e << '\n';
    if (!g.errors.empty()) g.rc = 1;
  }

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (options.json) {
    // One array: WireGuard interfaces as `wg`-style documents, then the others.
    auto all = nlohmann::json::parse(render_json(g.wireguard, now), nullptr, false);
    if (!all.is_array()) all = nlohmann::json::array();
    for (auto& doc : g.documents) all.push_back(std::move(doc));
    out << all.dump(2) << '\n';
  } else if (g.wireguard.empty() && g.documents.empty() && g.rc == 0) {
    out << "no interfaces\n";
  } else {
    if (!g.wireguard.empty()) out << render_text(g.wireguard, now);
    for (std::size_t i = 0; i < g.documents.size(); ++i) {
      const auto& d = g.documents[i];
      const std::string kind = d.value("kind", "");
      out << (i > 0 || !g.wireguard.empty() ? "\n" : "")
          << (kind == "hybrid" || kind == "nested" ? render_hybrid_text(d)
              : kind == "ipsec"                    ? render_ipsec_interface_text(d)
                                                   : render_l2tp_text(d));
    }
  }
  return g.rc;
}

}  // namespace tandem::cli
