// The node's login throttle (auth/login_throttle.hpp) as the daemon runs it: what a delay or
// lockout leaves behind (a log line and a login.delayed / login.locked_out event), the counts for
// status documents, and the IKEv2 responder's gate (ipsec/ike/login_gate.hpp), which holds back
// an identity or address that has guessed too often before its AUTH is looked at. The L2TP
// gateway's PPP logins keep a throttle of their own (l2tp_logins.cpp): a PPP user name and an
// IKE identity are different names. Control thread only.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/login_throttle.hpp"
#include "ipsec/ike/login_gate.hpp"

namespace tandem::daemon {

// How often a throttle's keeper sheds the counts nobody needs any more (LoginThrottle::forget_old).
inline constexpr Duration kThrottleForgetEvery = std::chrono::minutes(1);

// Logs what a failure changed and emits its event; `name` is the user or identity that failed.
void report_throttle(const auth::ThrottleEvent& event, const std::string& name);
// {"enabled", "users_waiting", "users_locked_out", "sources_waiting", "sources_locked_out"}.
nlohmann::json throttle_json(const auth::LoginThrottle& throttle, TimePoint now);

class IkeLoginThrottle final : public ipsec::ike::LoginGate {
 public:
  explicit IkeLoginThrottle(const auth::ThrottleSettings& settings) : throttle_(settings) {}

  std::optional<ipsec::ike::GateRefusal> held_back(const std::string& identity,
                                                   const IpAddress& source, TimePoint now) override;
  void failed(const std::string& identity, const IpAddress& source, TimePoint now) override;
  void succeeded(const std::string& identity) override { throttle_.succeeded(identity); }

  nlohmann::json status_json(TimePoint now) const { return throttle_json(throttle_, now); }

 private:
  auth::LoginThrottle throttle_;
  TimePoint next_forget_{};
};

}  // namespace tandem::daemon
