// Throttling of failed logins, asked before any credential backend is: each user name and each
// source address has a count of recent failures. After `free_failures` of them the next attempt
// must wait (a delay that doubles with each further failure, up to `max_delay`), and at
// `user_lockout_after` / `source_lockout_after` the name or the address is locked out for
// `lockout`. A password-guessing flood is thus answered here, at no cost to the backends (a
// RADIUS or LDAP server, or the store), and touches only the names and addresses it uses: a user
// who logs in from elsewhere under another name never waits for it.
//
// The lockout of a name can be triggered by anyone who knows the name, which is the usual price of
// a lockout; `user_lockout_after = 0` turns it off (back-off alone), and a success clears the
// name's count. An IPv6 source counts by its /64, which one host commonly holds whole.
//
// Sans-I/O: the caller passes the time and reports each outcome; events come back to be logged.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"

namespace tandem::auth {

struct ThrottleSettings {
  bool enabled = true;
  unsigned free_failures = 3;                // per name and per address, before any delay
  Duration delay = std::chrono::seconds(1);  // the first, doubled with each failure after it
  Duration max_delay = std::chrono::seconds(60);
  unsigned user_lockout_after = 10;    // failures of one name; 0: never locked out
  unsigned source_lockout_after = 30;  // failures from one address (a NAT hides many users)
  Duration lockout = std::chrono::minutes(15);
  Duration forget_after = std::chrono::minutes(15);  // a count left alone this long is cleared
  bool operator==(const ThrottleSettings&) const = default;
};

enum class ThrottleScope { kUser, kSource };

struct ThrottleDecision {
  bool allowed = true;
  // Refused: which count refused it, whether that is a lockout (rather than a delay), until when,
  // and the reason in words ("user alice: 3 failed logins, next attempt in 4 s").
  ThrottleScope scope = ThrottleScope::kUser;
  bool locked_out = false;
  TimePoint until{};
  std::string reason;
  // The first refusal of this delay or lockout: worth a log line and an event; the ones after it
  // (a flood) are counted only.
  bool first_refusal = false;
};

// What a failure changed: a delay begun or grown, or a lockout begun.
struct ThrottleEvent {
  ThrottleScope scope = ThrottleScope::kUser;
  std::string key;  // the name, or the address (an IPv6 /64 as a prefix)
  unsigned failures = 0;
  bool locked_out = false;
  Duration wait{};  // how long attempts are refused from now
};

struct ThrottleCounts {
  std::size_t users_waiting = 0, users_locked = 0;
  std::size_t sources_waiting = 0, sources_locked = 0;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottleSettings settings = {}) : settings_(settings) {}

  const ThrottleSettings& settings() const { return settings_; }
  // A reload: counts are kept, the next decisions follow the new settings.
  void set_settings(const ThrottleSettings& settings) { settings_ = settings; }

  // Whether `user` may try to log in from `source` now. Refusals are not failures: they change
  // no count (the caller asked no backend).
  ThrottleDecision check(const std::string& user, const std::optional<IpAddress>& source,
                         TimePoint now);
  // A login that a backend refused for its credentials (a wrong password, an unknown name).
  std::vector<ThrottleEvent> failed(const std::string& user, const std::optional<IpAddress>& source,
                                    TimePoint now);
  // A login that succeeded: the name's count is cleared (the address's is not: one good
  // password must not open the door to guessing the others from there).
  void succeeded(const std::string& user);

  ThrottleCounts counts(TimePoint now) const;
  // Sheds counts left alone for forget_after; the caller runs it now and then.
  void forget_old(TimePoint now);

  // The key an address counts under: IPv4 as it is, IPv6 by its /64.
  static std::string source_key(const IpAddress& address);

 private:
  struct Record {
    unsigned failures = 0;
    TimePoint last_failure{};
    TimePoint refused_until{};  // a delay or a lockout
    bool locked_out = false;
    bool refusal_reported = false;
  };
  struct Table {
    std::map<std::string, Record> records;
    TimePoint full_until{};  // full of live counts until then (make_room)
  };
  bool make_room(Table& table, TimePoint now);
  // The refusal `table`'s count for `key` holds a login to now, if any (a stale count goes).
  std::optional<ThrottleDecision> held_back(Table& table, ThrottleScope scope,
                                            const std::string& key, TimePoint now);
  std::optional<ThrottleDecision> refusal(ThrottleScope scope, const std::string& key, Record& r,
                                          TimePoint now);
  std::optional<ThrottleEvent> count_failure(ThrottleScope scope, const std::string& key, Record& r,
                                             unsigned lockout_after, TimePoint now);
  bool stale(const Record& r, TimePoint now) const;

  ThrottleSettings settings_;
  Table users_;
  Table sources_;
};

std::string_view throttle_scope_name(ThrottleScope scope);  // "user", "source"
// Whole seconds, rounded up, at least 1: how long a delay or lockout is said to last.
long long whole_seconds_up(Duration d);

}  // namespace tandem::auth
