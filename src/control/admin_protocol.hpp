// The admin socket's protocol (daemon/admin_server.hpp): the one local socket through which the
// CLI talks to a running daemon. A request is one JSON object on a line, such as
// {"command":"status"}, ended by a blank line like every Tandem socket request; the reply is one
// JSON object ended the same way, {"ok":true,...} or {"ok":false,"error":"why, and the fix"}.
// Who may ask is decided by the socket file's owner, group and mode, not by the protocol.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "control/uapi_status.hpp"

namespace tandem::control {

enum class AdminCommand {
  kStatus,        // every interface and account this daemon runs
  kReload,        // read the config file again and apply it (what SIGHUP does), with the report
  kSyncAccounts,  // apply the state store's changes now rather than at the next poll
  kDrill,         // a failover drill: hold a hybrid client's WireGuard path down for "seconds"
  kStop,          // shut down as SIGTERM does (the reply comes first); `tandem down`
};

std::string_view admin_command_name(AdminCommand command);

struct AdminRequest {
  AdminCommand command = AdminCommand::kStatus;
  unsigned seconds = 0;  // kDrill: 1 to kMaxDrillSeconds
  bool operator==(const AdminRequest&) const = default;
};
inline constexpr unsigned kMaxDrillSeconds = 3600;

// A request as the daemon receives it (with or without its blank line); the error says what a
// well-formed request looks like.
Result<AdminRequest, std::string> parse_admin_request(std::string_view text);
std::string format_admin_request(const AdminRequest& request);
inline std::string format_admin_request(AdminCommand command) {
  return format_admin_request(AdminRequest{command, 0});
}

// Replies: `body` (an object) with "ok": true added, or an error.
std::string format_admin_reply(nlohmann::json body);
std::string format_admin_error(std::string_view why);
// The body of a successful reply, or the daemon's error (or why the text is no reply at all).
Result<nlohmann::json, std::string> parse_admin_reply(std::string_view text);

// A status reply's interfaces, split as they are rendered and exported: WireGuard interfaces
// (a hybrid or nested interface's WireGuard path among them) as `wg` sees them, and every other
// document (hybrid, nested, L2TP, IPsec; each with its "kind") in the order they came. A document
// that does not read is named in `errors` and left out.
struct AdminStatus {
  std::vector<InterfaceStatus> wireguard;
  std::vector<nlohmann::json> documents;
  std::vector<std::string> errors;
};
void split_admin_status(const nlohmann::json& body, AdminStatus& into);

}  // namespace tandem::control
