// PPP logins checked against an LDAP directory ([ldap]) on worker threads of their own: a bind
// can take seconds when the directory is slow or gone, and neither the data plane nor the other
// logins may wait for it. Each worker keeps its connections open between logins. PAP only: a
// bind needs the password itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "auth/ldap_settings.hpp"
#include "base/result.hpp"
#include "daemon/login_backend.hpp"
#include "io/notifier.hpp"

namespace tandem::daemon {

class LdapLogins final : public LoginBackend {
 public:
  // Logins waiting for a worker at most; past that a login is refused at once as "busy".
  static constexpr std::size_t kMaxQueued = 256;

  static Result<std::unique_ptr<LdapLogins>, std::string> create(const auth::LdapSettings& s);
  // Stops the workers; one inside a directory call finishes it on its own, and answers nobody.
  ~LdapLogins() override;
  LdapLogins(const LdapLogins&) = delete;
  LdapLogins& operator=(const LdapLogins&) = delete;

  std::string describe() const override;
  bool submit(BackendLogin login) override;
  std::vector<BackendVerdict> take_verdicts() override;
  const io::Notifier& notifier() const override { return notifier_; }

 private:
  struct State;
  LdapLogins(std::shared_ptr<State> state, io::Notifier notifier);
  static void worker_main(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
  io::Notifier notifier_;
};

}  // namespace tandem::daemon
