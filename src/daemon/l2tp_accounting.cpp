#include "daemon/l2tp_accounting.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tandem::daemon {

auth::radius::AcctTerminateCause terminate_cause_of(const std::string& reason) {
  const auto has = [&](std::string_view word) { return reason.find(word) != std::string::npos; };
  if (has("timeout") || has("timed out") || has("no answer") || has("dead") || has("lost"))
    return auth::radius::AcctTerminateCause::kLostCarrier;
  if (has("shut") || has("stopping")) return auth::radius::AcctTerminateCause::kNasReboot;
  if (has("revoked") || has("disabled") || has("removed") || has("admin"))
    return auth::radius::AcctTerminateCause::kAdminReset;
  return auth::radius::AcctTerminateCause::kUserRequest;
}

SessionAccounting::SessionAccounting(Duration interim_interval, Send send,
                                     std::function<std::uint32_t()> wall_clock,
                                     std::string session_prefix)
    : interim_interval_(interim_interval),
      send_(std::move(send)),
      wall_clock_(std::move(wall_clock)),
      prefix_(std::move(session_prefix)) {}

void SessionAccounting::accepted(l2tp::SessionRef ref, const std::string& user,
                                 const Endpoint& peer, Limits limits) {
  Session s;
  s.id = fmt::format("{}-{:x}", prefix_, next_id_++);
  s.user = user;
  s.peer = peer;
  s.limits = std::move(limits);
  sessions_[ref] = std::move(s);
}

auth::AccountingInput SessionAccounting::record(const Session& s, auth::radius::AcctStatusType type,
                                                TimePoint now) const {
  auth::AccountingInput r;
  r.status_type = type;
  r.session_id = s.id;
  r.user_name = s.user;
  r.framed_ip_address = s.address;
  r.calling_station_id = s.peer.address.to_string();
  for (const auto& c : s.limits.classes) {
    const auto* p = reinterpret_cast<const std::byte*>(c.data());
    r.classes.emplace_back(p, p + c.size());
  }
  if (type != auth::radius::AcctStatusType::kStart)
    r.session_time = std::chrono::duration_cast<std::chrono::seconds>(now - s.started);
  r.event_timestamp = wall_clock_();
  return r;
}

void SessionAccounting::up(l2tp::SessionRef ref, const IpAddress& address, TimePoint now) {
  auto it = sessions_.find(ref);
  if (it == sessions_.end() || it->second.address) return;
  Session& s = it->second;
  s.address = address;
  s.started = now;
  s.last_activity = now;
  if (interim_interval_ > Duration::zero()) s.next_interim = now + interim_interval_;
  if (s.limits.idle_timeout) next_idle_check_ = std::min(next_idle_check_, now + kIdleCheckEvery);
  send_(record(s, auth::radius::AcctStatusType::kStart, now));
}

void SessionAccounting::down(const hybrid::L2tpEvent& e, TimePoint now) {
  auto it = sessions_.find(e.ref);
  if (it == sessions_.end()) return;
  Session s = std::move(it->second);
  sessions_.erase(it);
  if (!s.address) return;
  auth::AccountingInput r = record(s, auth::radius::AcctStatusType::kStop, now);
  // The NAS's view: input is what the user sent.
  r.input_octets = e.rx_bytes;
  r.output_octets = e.tx_bytes;
  r.input_packets = static_cast<std::uint32_t>(e.rx_packets);
  r.output_packets = static_cast<std::uint32_t>(e.tx_packets);
  r.terminate_cause = s.cause ? *s.cause : terminate_cause_of(e.detail);
  send_(std::move(r));
}

std::vector<SessionAccounting::Expired> SessionAccounting::tick(
    TimePoint now, const std::vector<hybrid::L2tpSessionInfo>& sessions) {
  std::vector<Expired> expired;
  std::map<l2tp::SessionRef, const hybrid::L2tpSessionInfo*> info;
  for (const auto& i : sessions) info[i.ref] = &i;
  const bool idle_check = now >= next_idle_check_;
  if (idle_check) next_idle_check_ = TimePoint::max();
  for (auto& [ref, s] : sessions_) {
    if (!s.address || s.cause) continue;
    const auto found = info.find(ref);
    const hybrid::L2tpSessionInfo* i = found == info.end() ? nullptr : found->second;
    if (i && now >= s.next_interim) {
      auth::AccountingInput r = record(s, auth::radius::AcctStatusType::kInterimUpdate, now);
      r.input_octets = i->rx_bytes;
      r.output_octets = i->tx_bytes;
      r.input_packets = static_cast<std::uint32_t>(i->rx_packets);
      r.output_packets = static_cast<std::uint32_t>(i->tx_packets);
      send_(std::move(r));
      s.next_interim = now + interim_interval_;
    }
    if (s.limits.session_timeout && now - s.started >= *s.limits.session_timeout) {
      s.cause = auth::radius::AcctTerminateCause::kSessionTimeout;
      expired.push_back({*s.address, "Session-Timeout reached"});
      continue;
    }
    if (s.limits.idle_timeout && idle_check) {
      const std::uint64_t packets = i ? i->rx_packets + i->tx_packets : s.last_packets;
      if (packets != s.last_packets) {
        s.last_packets = packets;
        s.last_activity = now;
      } else if (now - s.last_activity >= *s.limits.idle_timeout) {
        s.cause = auth::radius::AcctTerminateCause::kIdleTimeout;
        expired.push_back({*s.address, "Idle-Timeout reached"});
        continue;
      }
      next_idle_check_ = std::min(next_idle_check_, now + kIdleCheckEvery);
    }
  }
  return expired;
}

TimePoint SessionAccounting::next_deadline() const {
  TimePoint next = next_idle_check_;
  for (const auto& [ref, s] : sessions_) {
    if (!s.address || s.cause) continue;
    next = std::min(next, s.next_interim);
    if (s.limits.session_timeout) next = std::min(next, s.started + *s.limits.session_timeout);
  }
  return next;
}

}  // namespace tandem::daemon
