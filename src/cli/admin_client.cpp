#include "cli/admin_client.hpp"

#include <algorithm>
#include <filesystem>

#include "daemon/instance_lock.hpp"
#include "io/unix_socket_client.hpp"

namespace tandem::cli {

std::vector<std::string> admin_sockets(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir.empty() ? daemon::run_directory() : dir, ec))
    if (entry.path().extension() == ".admin") found.push_back(entry.path().string());
  std::sort(found.begin(), found.end());
  return found;
}

Result<nlohmann::json, std::string> ask_daemon(const std::string& socket,
                                               const control::AdminRequest& request) {
  auto reply = io::unix_socket_request(socket, control::format_admin_request(request));
  if (!reply) {
    if (reply.error().find("ermission denied") != std::string::npos)
      return Err(reply.error() +
                 " (the admin socket is for root and the group its [admin] group names: run "
                 "as root or as a member of that group)");
    return Err(reply.error());
  }
  auto body = control::parse_admin_reply(*reply);
  if (!body) return Err(socket + ": " + body.error());
  return body;
}

Result<DaemonInterface, std::string> find_interface(const std::string& dir,
                                                    const std::string& name) {
  std::string errors;
  for (const auto& socket : admin_sockets(dir)) {
    auto body = ask_daemon(socket, {control::AdminCommand::kStatus, 0});
    if (!body) {
      errors += "; " + body.error();
      continue;
    }
    for (const auto& doc : body->value("interfaces", nlohmann::json::array()))
      if (doc.is_object() && (doc.value("interface", "") == name || doc.value("name", "") == name))
        return DaemonInterface{socket, doc};
  }
  return Err("no running daemon has interface " + name + errors);
}

}  // namespace tandem::cli
