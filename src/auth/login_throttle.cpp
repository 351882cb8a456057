#include "auth/login_throttle.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tandem::auth {
namespace {

// Counts kept per scope. Past this, the counts that hold nobody back yet are shed; while every
// one left holds someone back, a new name or address goes uncounted (a flood from that many at
// once is past what one gateway's throttle can hold, and its refusals still show it).
constexpr std::size_t kMaxRecords = 16384;

}  // namespace

long long whole_seconds_up(Duration d) {
  return std::max<long long>(std::chrono::ceil<std::chrono::seconds>(d).count(), 1);
}

std::string_view throttle_scope_name(ThrottleScope scope) {
  return scope == ThrottleScope::kUser ? "user" : "source";
}

std::string LoginThrottle::source_key(const IpAddress& address) {
  if (address.is_v4()) return address.to_string();
  return IpPrefix(address, 64).to_string();
}

bool LoginThrottle::stale(const Record& r, TimePoint now) const {
  return r.refused_until <= now && (r.locked_out || now - r.last_failure >= settings_.forget_after);
}

std::optional<ThrottleDecision> LoginThrottle::refusal(ThrottleScope scope, const std::string& key,
                                                       Record& r, TimePoint now) {
  if (r.refused_until <= now) return std::nullopt;
  ThrottleDecision d;
  d.allowed = false;
  d.scope = scope;
  d.locked_out = r.locked_out;
  d.until = r.refused_until;
  const long long seconds = whole_seconds_up(r.refused_until - now);
  d.reason = r.locked_out ? fmt::format("{} {}: locked out after {} failed logins, for {} s more",
                                        throttle_scope_name(scope), key, r.failures, seconds)
                          : fmt::format("{} {}: {} failed logins, next attempt allowed in {} s",
                                        throttle_scope_name(scope), key, r.failures, seconds);
  d.first_refusal = !r.refusal_reported;
  r.refusal_reported = true;
  return d;
}

std::optional<ThrottleDecision> LoginThrottle::held_back(Table& table, ThrottleScope scope,
                                                         const std::string& key, TimePoint now) {
  auto it = table.records.find(key);
  if (it == table.records.end()) return std::nullopt;
  if (stale(it->second, now)) {
    table.records.erase(it);
    return std::nullopt;
  }
  return refusal(scope, key, it->second, now);
}

ThrottleDecision LoginThrottle::check(const std::string& user,
                                      const std::optional<IpAddress>& source, TimePoint now) {
  if (!settings_.enabled) return {};
  if (auto refused = held_back(users_, ThrottleScope::kUser, user, now)) return *refused;
  if (source)
    if (auto refused = held_back(sources_, ThrottleScope::kSource, source_key(*source), now))
      return *refused;
  return {};
}

std::optional<ThrottleEvent> LoginThrottle::count_failure(ThrottleScope scope,
                                                          const std::string& key, Record& r,
                                                          unsigned lockout_after, TimePoint now) {
  if (stale(r, now)) r = Record{};
  ++r.failures;
  r.last_failure = now;
  r.refusal_reported = false;
  ThrottleEvent e{scope, key, r.failures, false, {}};
  if (lockout_after != 0 && r.failures >= lockout_after) {
    r.locked_out = true;
    r.refused_until = now + settings_.lockout;
    e.locked_out = true;
    e.wait = settings_.lockout;
    return e;
  }
  if (r.failures <= settings_.free_failures) return std::nullopt;
  Duration wait = settings_.delay;
  for (unsigned k = settings_.free_failures + 1; k < r.failures && wait < settings_.max_delay; ++k)
    wait *= 2;
  e.wait = std::min(wait, settings_.max_delay);
  r.refused_until = now + e.wait;
  return e;
}

bool LoginThrottle::make_room(Table& table, TimePoint now) {
  if (table.records.size() < kMaxRecords) return true;
  // Full of counts that all hold someone back: no scan helps before the first of them ends.
  if (now < table.full_until) return false;
  std::erase_if(table.records, [&](const auto& entry) {
    return stale(entry.second, now) || entry.second.refused_until <= now;
  });
  if (table.records.size() < kMaxRecords) return true;
  table.full_until = TimePoint::max();
  for (const auto& [key, r] : table.records)
    table.full_until = std::min(table.full_until, r.refused_until);
  return false;
}

std::vector<ThrottleEvent> LoginThrottle::failed(const std::string& user,
                                                 const std::optional<IpAddress>& source,
                                                 TimePoint now) {
  std::vector<ThrottleEvent> events;
  if (!settings_.enabled) return events;
  const auto count = [&](Table& table, ThrottleScope scope, const std::string& key,
                         unsigned lockout_after) {
    auto it = table.records.find(key);
    if (it == table.records.end()) {
      if (!make_room(table, now)) return;
      it = table.records.emplace(key, Record{}).first;
    }
    if (auto e = count_failure(scope, key, it->second, lockout_after, now))
      events.push_back(std::move(*e));
  };
  count(users_, ThrottleScope::kUser, user, settings_.user_lockout_after);
  if (source)
    count(sources_, ThrottleScope::kSource, source_key(*source), settings_.source_lockout_after);
  return events;
}

void LoginThrottle::succeeded(const std::string& user) {
  users_.records.erase(user);
}

ThrottleCounts LoginThrottle::counts(TimePoint now) const {
  ThrottleCounts c;
  for (const auto& [key, r] : users_.records)
    if (r.refused_until > now) ++(r.locked_out ? c.users_locked : c.users_waiting);
  for (const auto& [key, r] : sources_.records)
    if (r.refused_until > now) ++(r.locked_out ? c.sources_locked : c.sources_waiting);
  return c;
}

void LoginThrottle::forget_old(TimePoint now) {
  const auto is_stale = [&](const auto& entry) { return stale(entry.second, now); };
  std::erase_if(users_.records, is_stale);
  std::erase_if(sources_.records, is_stale);
}

}  // namespace tandem::auth
