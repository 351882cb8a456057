// RADIUS accounting of an L2TP gateway's PPP sessions (RFC 2866) and the limits an Access-Accept
// put on them (RFC 2865 5.27 Session-Timeout, 5.28 Idle-Timeout): Start when a session's IPCP
// is up, Interim-Update every interim_interval, Stop with its octets, packets, time and
// Acct-Terminate-Cause when it ends; Class echoed in each. Pure bookkeeping: the records go to
// `send`, and tick() says which sessions to hang up; the L2TP interface does both.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/radius_client.hpp"
#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "hybrid/l2tp_stack.hpp"

namespace tandem::daemon {

class SessionAccounting {
 public:
  struct Limits {
    std::optional<Duration> session_timeout;
    std::optional<Duration> idle_timeout;
    std::vector<std::string> classes;
  };
  // A session past a limit: hang it up with `reason`.
  struct Expired {
    IpAddress address;
    std::string reason;
  };
  using Send = std::function<void(auth::AccountingInput)>;
  // How often idle sessions are looked for: the idle limit holds to within this.
  static constexpr Duration kIdleCheckEvery = std::chrono::seconds(5);

  // `wall_clock` gives Event-Timestamp (seconds since 1970); `session_prefix` makes the
  // Acct-Session-Ids of this run unique among the gateway's runs.
  SessionAccounting(Duration interim_interval, Send send, std::function<std::uint32_t()> wall_clock,
                    std::string session_prefix);

  // A backend accepted the login of the session `ref`.
  void accepted(l2tp::SessionRef ref, const std::string& user, const Endpoint& peer, Limits limits);
  // Its IPCP came up with `address`: Start.
  void up(l2tp::SessionRef ref, const IpAddress& address, TimePoint now);
  // It ended (kLinkDown, with its counts): Stop. A session never up is forgotten quietly.
  void down(const hybrid::L2tpEvent& e, TimePoint now);
  // Interim updates that are due are sent; sessions past their limits are returned. `sessions`
  // gives the counts (called only when next_deadline() has passed).
  std::vector<Expired> tick(TimePoint now, const std::vector<hybrid::L2tpSessionInfo>& sessions);
  TimePoint next_deadline() const;
  std::size_t sessions() const { return sessions_.size(); }

 private:
  struct Session {
    std::string id;  // Acct-Session-Id
    std::string user;
    Endpoint peer;
    Limits limits;
    std::optional<IpAddress> address;  // set once up
    TimePoint started{};
    TimePoint next_interim = TimePoint::max();
    TimePoint last_activity{};
    std::uint64_t last_packets = 0;
    // Why we hung it up, if we did.
    std::optional<auth::radius::AcctTerminateCause> cause;
  };
  auth::AccountingInput record(const Session& s, auth::radius::AcctStatusType type,
                               TimePoint now) const;

  Duration interim_interval_;
  Send send_;
  std::function<std::uint32_t()> wall_clock_;
  std::string prefix_;
  std::uint64_t next_id_ = 1;
  std::map<l2tp::SessionRef, Session> sessions_;
  TimePoint next_idle_check_ = TimePoint::max();
};

// What ended a session, as RFC 2866 5.10 names it, from the reason the L2TP stack gave.
auth::radius::AcctTerminateCause terminate_cause_of(const std::string& reason);

}  // namespace tandem::daemon
