// The admin socket: the one local socket through which the CLI talks to a running daemon
// (control/admin_protocol.hpp), at RUN_DIR/NAME.admin beside the pidfile (instance_lock.hpp).
// It answers on the daemon's control thread, the thread that owns what it reports and changes.
//
// Who may use it is the socket file's business: owned by the daemon's user (root), mode 0600, or
// 0660 with the group `[admin] group` names, so that operators in that group need no root shell.
// Requests that change something are logged with the uid and pid that sent them.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "control/admin_protocol.hpp"
#include "io/event_loop.hpp"
#include "io/unix_socket_server.hpp"

namespace tandem::daemon {

class WireguardInterface;

// run_directory() + "/" + name + ".admin".
std::string admin_socket_path(const std::string& instance_name);

// A plain WireGuard interface's document for the admin status: `tandem status --json`'s shape,
// with "kind": "wireguard".
nlohmann::json wireguard_document(WireguardInterface& wg);
// An interface's own JSON status text as a document with "kind" added ({} if it does not parse).
nlohmann::json status_document(std::string_view kind, std::string_view status_json);

struct AdminHandlers {
  // One document per interface this daemon runs.
  std::function<nlohmann::json()> interfaces;
  // Reads the config again and applies it; {"applied": bool, "message": "..."}.
  std::function<nlohmann::json()> reload;
  // Applies the state store's changes now; empty for a node without a store.
  std::function<Result<nlohmann::json, std::string>()> sync_accounts;
  // Holds a hybrid client's WireGuard path down for that many seconds; empty where there is
  // no fallback to drill.
  std::function<Result<nlohmann::json, std::string>(unsigned seconds)> drill;
  // Starts the daemon's shutdown in a way that lets the reply go out first (stop_by_signal does).
  std::function<void()> stop;
};

// The admin socket's stop: SIGTERM to this process, so that a stop asked for on the socket takes
// the one shutdown path of every node kind (L2TP hang-ups, IPsec Deletes, the down hooks).
void stop_by_signal();

class AdminServer {
 public:
  // Serves admin_socket_path(instance) on `loop`; `group` (a group name, may be empty) as in
  // [admin] group. Fails, naming the fix, for a group that does not exist.
  static Result<std::unique_ptr<AdminServer>, std::string> start(io::EventLoop& loop,
                                                                 const std::string& instance,
                                                                 const std::string& group,
                                                                 AdminHandlers handlers);
  const std::string& path() const { return server_->path(); }

 private:
  AdminServer(std::string instance, AdminHandlers handlers)
      : instance_(std::move(instance)), handlers_(std::move(handlers)) {}
  std::string handle(std::string_view request, const io::PeerCredentials& peer);

  std::string instance_;
  AdminHandlers handlers_;
  std::unique_ptr<io::UnixSocketServer> server_;
};

}  // namespace tandem::daemon
