#include "daemon/login_throttle_gate.hpp"

#include <spdlog/spdlog.h>

#include "daemon/event_sink.hpp"

namespace tandem::daemon {
void report_throttle(const auth::ThrottleEvent& e, const std::string& name) {
  const std::string scope(auth::throttle_scope_name(e.scope));
  // An address's count spans names: the last one it tried says what it was after.
  const std::string last =
      e.scope == auth::ThrottleScope::kSource ? " (the last as '" + name + "')" : "";
  if (e.locked_out)
    spdlog::warn("logins: {} {} locked out for {} s after {} failed logins{}", scope, e.key,
                 auth::whole_seconds_up(e.wait), e.failures, last);
  else
    spdlog::info("logins: {} {} must wait {} s after {} failed logins{}", scope, e.key,
                 auth::whole_seconds_up(e.wait), e.failures, last);
  events().emit(e.locked_out ? "login.locked_out" : "login.delayed",
                {{"scope", scope},
                 {"key", e.key},
                 {"failures", e.failures},
                 {"seconds", auth::whole_seconds_up(e.wait)}});
}

nlohmann::json throttle_json(const auth::LoginThrottle& throttle, TimePoint now) {
  if (!throttle.settings().enabled) return {{"enabled", false}};
  const auth::ThrottleCounts c = throttle.counts(now);
  return {{"enabled", true},
          {"users_waiting", c.users_waiting},
          {"users_locked_out", c.users_locked},
          {"sources_waiting", c.sources_waiting},
          {"sources_locked_out", c.sources_locked}};
}

std::optional<ipsec::ike::GateRefusal> IkeLoginThrottle::held_back(const std::string& identity,
                                                                   const IpAddress& source,
                                                                   TimePoint now) {
  if (now >= next_forget_) {
    throttle_.forget_old(now);
    next_forget_ = now + kThrottleForgetEvery;
  }
  auth::ThrottleDecision d = throttle_.check(identity, source, now);
  if (d.allowed) return std::nullopt;
  return ipsec::ike::GateRefusal{std::move(d.reason), d.first_refusal};
}

void IkeLoginThrottle::failed(const std::string& identity, const IpAddress& source, TimePoint now) {
  for (const auto& e : throttle_.failed(identity, source, now)) report_throttle(e, identity);
}

}  // namespace tandem::daemon
