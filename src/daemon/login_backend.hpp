// A credential backend that decides PPP logins away from the event loop: an LDAP directory
// (ldap_logins.hpp) or RADIUS servers. The L2TP gateway submits a login and goes on; when
// `notifier()` is raised it takes the verdicts and finishes each waiting session's login.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "io/notifier.hpp"
#include "ppp/auth.hpp"

namespace tandem::daemon {

struct BackendLogin {
  std::uint64_t id = 0;
  ppp::AuthRequest request;  // wiped by the backend once it is done with it
  Endpoint peer;             // where the tunnel comes from
  // The directory group the user must be a member of, when the gateway chose it for this login
  // (a hybrid gateway, from the account's class: auth::group_rule); empty: none. nullopt: the
  // backend's own rule ([ldap] require_group). `group_reason` says where it came from, for the
  // log ("account bob, class contractors").
  std::optional<std::string> require_group;
  std::string group_reason;
};

struct BackendVerdict {
  std::uint64_t id = 0;
  bool accepted = false;
  // Refused: a word for the metrics (wrong_password, unknown_user, not_in_group, ...), whether it
  // looks like a guess (counted by the login throttle), what the client is told, and the
  // backend's own account of it for the gateway's log (never a secret).
  const char* failure = "";
  bool guess = false;
  std::string told_client;
  std::string detail;
  // Accepted: what the backend says about the session.
  std::string authenticator_response;  // MS-CHAPv2's "S=..." (RADIUS MS-CHAP2-Success)
  std::optional<IpAddress> address;    // RADIUS Framed-IP-Address
  std::optional<Duration> session_timeout;
  std::optional<Duration> idle_timeout;
  std::vector<std::string> classes;  // RADIUS Class, echoed in accounting
};

class LoginBackend {
 public:
  virtual ~LoginBackend() = default;
  // "the directory at ldaps://...", for the start-up log line.
  virtual std::string describe() const = 0;
  // False when the backend is too busy to take the login now (it is refused at once).
  virtual bool submit(BackendLogin login) = 0;
  virtual std::vector<BackendVerdict> take_verdicts() = 0;
  // Raised whenever verdicts wait.
  virtual const io::Notifier& notifier() const = 0;
};

}  // namespace tandem::daemon
