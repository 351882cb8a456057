#include "daemon/admin_server.hpp"

#include <grp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <csignal>

#include "daemon/instance_lock.hpp"
#include "daemon/wireguard_interface.hpp"

namespace tandem::daemon {
namespace {

Result<gid_t, std::string> lookup_group(const std::string& name) {
  group entry{};
  group* found = nullptr;
  std::string buffer(16384, '\0');
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
    return Err("[admin] group \"" + name + "\" does not exist: create it (groupadd " + name +
               ") and add the operators who may use the admin socket, or remove the setting "
               "to keep the socket root's alone");
  return found->gr_gid;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void stop_by_signal() {
  ::kill(::getpid(), SIGTERM);
}

std::string admin_socket_path(const std::string& instance_name) {
  return run_directory() + "/" + instance_name + ".admin";
}

nlohmann::json wireguard_document(WireguardInterface& wg) {
  nlohmann::json doc = control::interface_status_json(wg.interface_status(), unix_now());
  doc["kind"] = "wireguard";
  return doc;
}

nlohmann::json status_document(std::string_view kind, std::string_view status_json) {
  auto doc = nlohmann::json::parse(status_json, nullptr, false);
  if (!doc.is_object()) doc = nlohmann::json::object();
  doc["kind"] = kind;
  return doc;
}

Result<std::unique_ptr<AdminServer>, std::string> AdminServer::start(io::EventLoop& loop,
                                                                     const std::string& instance,
                                                                     const std::string& group,
                                                                     AdminHandlers handlers) {
  io::SocketAccess access{0600, std::nullopt};
  if (!group.empty()) {
    auto gid = lookup_group(group);
    if (!gid) return Err(gid.error());
    access = io::SocketAccess{0660, *gid};
  }
  std::unique_ptr<AdminServer> self(new AdminServer(instance, std::move(handlers)));
  AdminServer* raw = self.get();
  auto server = io::UnixSocketServer::listen(
      loop, admin_socket_path(instance), access,
      [raw](std::string_view request, const io::PeerCredentials& peer) {
        return raw->handle(request, peer);
      });
  if (!server) return Err("admin socket: " + server.error());
  self->server_ = std::move(*server);
  spdlog::info("admin socket {} (mode {:o}{})", self->server_->path(), access.mode,
               group.empty() ? std::string() : ", group " + group);
  return self;
}

std::string AdminServer::handle(std::string_view request, const io::PeerCredentials& peer) {
  auto parsed = control::parse_admin_request(request);
  if (!parsed) return control::format_admin_error(parsed.error());
  switch (parsed->command) {
    case control::AdminCommand::kStatus: {
      nlohmann::json body{
          {"instance", instance_},
          {"pid", static_cast<long>(::getpid())},
          {"interfaces", handlers_.interfaces ? handlers_.interfaces() : nlohmann::json::array()}};
      return control::format_admin_reply(std::move(body));
    }
    case control::AdminCommand::kReload:
      spdlog::info("reload asked for on the admin socket by uid {} (pid {})", peer.uid, peer.pid);
      if (!handlers_.reload) return control::format_admin_error("this node cannot reload");
      return control::format_admin_reply(handlers_.reload());
    case control::AdminCommand::kSyncAccounts: {
      if (!handlers_.sync_accounts)
        return control::format_admin_error(
            "this node keeps no accounts in a state store ([accounts] store is not set)");
      auto synced = handlers_.sync_accounts();
      if (!synced) return control::format_admin_error(synced.error());
      if (synced->value("changed", false))
        spdlog::info("accounts synced from the store on the admin socket by uid {} (pid {})",
                     peer.uid, peer.pid);
      return control::format_admin_reply(std::move(*synced));
    }
    case control::AdminCommand::kDrill: {
      if (!handlers_.drill)
        return control::format_admin_error(
            "drills need a hybrid client with [fallback]: this node has no path to fail over to");
      spdlog::info("drill asked for on the admin socket by uid {} (pid {})", peer.uid, peer.pid);
      auto started = handlers_.drill(parsed->seconds);
      if (!started) return control::format_admin_error(started.error());
      return control::format_admin_reply(std::move(*started));
    }
    case control::AdminCommand::kStop:
      if (!handlers_.stop) return control::format_admin_error("this node cannot be stopped here");
      spdlog::info("stop asked for on the admin socket by uid {} (pid {})", peer.uid, peer.pid);
      handlers_.stop();
      return control::format_admin_reply({{"stopping", true}});
  }
  return control::format_admin_error("unhandled command");
}

}  // namespace tandem::daemon
