// PPP logins checked against an LDAP directory ([ldap]) on worker threads of their own: a bind
// can take seconds when the directory is slow or gone, and neither the data plane nor the other
// logins may wait for it. Each worker keeps its connections open between logins. The owner
// submits from its event loop and collects the answers there when `notifier()` is raised.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "auth/ldap_settings.hpp"
#include "base/result.hpp"
#include "io/notifier.hpp"

namespace tandem::daemon {

class LdapLogins {
 public:
  // Logins waiting for a worker at most; past that a login is refused at once as "busy".
  static constexpr std::size_t kMaxQueued = 256;

  enum class Outcome : unsigned char {
    kAccepted,
    kWrongPassword,   // the directory refused the bind
    kUnknownUser,     // no entry found for the name
    kNotInGroup,      // bound, but not a member of require_group
    kDirectoryError,  // unreachable, TLS refused, ambiguous search, ...: the detail says
  };
  struct Answer {
    std::uint64_t id = 0;
    Outcome outcome = Outcome::kDirectoryError;
    std::string detail;  // for the log: the DN bound as, the group missing, the error
  };

  static Result<std::unique_ptr<LdapLogins>, std::string> create(const auth::LdapSettings& s);
  // Stops the workers; one inside a directory call finishes it on its own, and answers nobody.
  ~LdapLogins();
  LdapLogins(const LdapLogins&) = delete;
  LdapLogins& operator=(const LdapLogins&) = delete;

  // False when kMaxQueued logins already wait.
  bool submit(std::uint64_t id, std::string user, std::string password);
  std::vector<Answer> take_answers();
  // Raised whenever answers wait.
  const io::Notifier& notifier() const { return notifier_; }

  static const char* failure_name(Outcome o);

 private:
  struct State;
  LdapLogins(std::shared_ptr<State> state, io::Notifier notifier);
  static void worker_main(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
  io::Notifier notifier_;
};

}  // namespace tandem::daemon
