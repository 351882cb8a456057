// What an IKE responder asks before it checks a peer's authentication, and tells it after: the
// node's login throttle (auth/login_throttle.hpp, kept by the daemon) as the engine sees it. The
// engine has no clock and emits no events of its own, so the time comes in and the gate does its
// own logging. Identities are in their text form ("rfc822:carol@example.org").
#pragma once

#include <optional>
#include <string>

#include "base/ip_address.hpp"
#include "base/time.hpp"

namespace tandem::ipsec::ike {

struct GateRefusal {
  std::string reason;  // "user rfc822:carol@example.org: 3 failed logins, next attempt in 4 s"
  // The first refusal of this delay or lockout: worth a log line; the flood after it is counted.
  bool first = false;
};

class LoginGate {
 public:
  virtual ~LoginGate() = default;
  // Whether `identity` may try to authenticate from `source` now; nullopt when it may.
  virtual std::optional<GateRefusal> held_back(const std::string& identity, const IpAddress& source,
                                               TimePoint now) = 0;
  // Its authentication failed in a way a guess does: an unknown identity or a wrong key.
  virtual void failed(const std::string& identity, const IpAddress& source, TimePoint now) = 0;
  virtual void succeeded(const std::string& identity) = 0;
};

}  // namespace tandem::ipsec::ike
