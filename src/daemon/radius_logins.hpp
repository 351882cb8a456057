// PPP logins checked by RADIUS servers ([radius]) and the sessions' accounting, on a thread of
// their own: the sans-I/O engine (auth/radius_client.hpp) runs there on its own event loop with
// its UDP sockets, so a slow or dead server holds up neither the data plane nor the L2TP loop,
// and no login waits for another. Logins and accounting records are handed over under a lock
// and the loop woken; verdicts come back the same way and `notifier()` is raised.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/radius_client.hpp"
#include "base/result.hpp"
#include "daemon/login_backend.hpp"

namespace tandem::daemon {

class RadiusLogins final : public LoginBackend {
 public:
  // Logins waiting at most; past that a login is refused at once as "busy".
  static constexpr std::size_t kMaxQueued = 1024;

  static Result<std::unique_ptr<RadiusLogins>, std::string> create(
      const auth::RadiusSettings& settings);
  // Stops the thread; requests in flight are abandoned (accounting records included).
  ~RadiusLogins() override;
  RadiusLogins(const RadiusLogins&) = delete;
  RadiusLogins& operator=(const RadiusLogins&) = delete;

  std::string describe() const override;
  bool submit(BackendLogin login) override;
  std::vector<BackendVerdict> take_verdicts() override;
  const io::Notifier& notifier() const override;

  // An Accounting-Request to send; its outcome is logged, never waited for.
  void account(auth::AccountingInput record);

 private:
  struct State;
  explicit RadiusLogins(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The verdict an engine's result makes (radius_logins.cpp), for tests.
BackendVerdict verdict_of(const auth::AccessResult& result, std::uint64_t id);

}  // namespace tandem::daemon
