// The fallback controller: the policy is in fallback.hpp; this file settles what the header
// leaves open.
//
// Probes. One request per path every probe_interval, on the primary always and on the secondary
// while it is warm or dialled (an on-demand secondary that is not dialled is not probed). Probes
// go out even while the protocol is not up: for WireGuard, traffic is what starts the handshake.
// A probe not answered within down_after is lost; a reply after that, or to a sequence never
// sent on that path, is ignored. A healthy path silent for half of down_after is probed four
// times as often until it answers or is down: with the defaults, three probes lost in a row
// would otherwise make a silence, and at 10 % random loss that happens every few minutes; with
// the quick probes it takes six or more.
//
// Health. A path is healthy while its protocol is up, no drill holds it down, a probe was
// answered within down_after, and the lost share of the resolved probes in the window is below
// down_loss. The share is judged only once the window is half full (kMinLossSamples at least),
// so that start-up is not judged on one probe. A probe sent or expired while the path was already
// silent for down_after is not charged to the window: that outage is judged by the silence rule,
// and charging it as loss too would keep a recovered path "lossy" for a whole window after a
// blackhole. An unhealthy path is healthy again after up_after answers in a row, counted in
// sending order (a probe lost after the first of them, a protocol down, the end of a drill
// restart the count), with the share below half of down_loss: a path at 30 % loss measures
// anywhere from 20 % to 40 % over 40 probes, and without that margin it would come back every
// few seconds.
//
// Start-up. A fresh path (just constructed, or an on-demand secondary just dialled) is neither
// up nor down until it has had earn_time() to earn health: up_after probes plus down_after for
// the last answer. The secondary therefore cannot take the traffic at start-up merely because
// it answered a few milliseconds before the primary; a primary that never comes up hands over
// when that time is out (1.1 s with the defaults).
//
// Switching. Traffic stays on the primary while it is healthy or still starting; it moves to the
// secondary when the primary is down and the secondary healthy; with both down it stays where it
// is. It returns when the primary has been healthy for the current hold, or at once when the
// secondary fails while the primary is healthy (staying on a dead path protects nothing). Any
// return to the primary counts as a failback for the flap rule: the first primary failure within
// flap_window of it doubles the hold (up to failback_hold_max), once per failback; once traffic
// has been on a healthy primary for flap_window, the hold is back to failback_hold.
//
// On demand. The secondary is dialled when the primary goes down (once: it stays dialled through
// further flaps) and hung up once traffic has been on a healthy primary for flap_window, the
// same period after which a primary failure no longer counts as a flap: a flapping primary
// keeps its standby warm, and a stable one does not pay for it.
//
// Timers. next_deadline() is the earliest moment any of this can change by time alone, so a
// driver that calls on_timer only then sees every transition at its exact time.
#include "hybrid/fallback.hpp"

#include <algorithm>
#include <cmath>

namespace tandem::hybrid {
namespace {

// The lost share is judged over at least half the window and at least this many resolved probes
// (or the whole window when it is smaller): one lost probe out of three at start-up is noise, not
// a 33 % loss.
constexpr std::size_t kMinLossSamples = 10;

std::string format_duration(Duration duration) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string with_role(PathRole role, const std::string& text) {
  return std::string(path_role_name(role)) + " " + text;
}

}  // namespace

const char* path_role_name(PathRole role) {
  return role == PathRole::kPrimary ? "primary" : "secondary";
}

FallbackController::FallbackController(FallbackConfig config, TimePoint now)
    : config_(config), active_since_(now), hold_(config.failback_hold) {
  for (auto& path : paths_) restart(path, now);
  track(PathRole::kSecondary).dialled = config_.warm_secondary;
}

const PathHealth& FallbackController::health(PathRole role) const {
  return track(role).health;
}

void FallbackController::on_protocol_state(PathRole role, bool up, const std::string& detail,
                                           TimePoint now, FallbackOutput& out) {
  advance(now);
  PathTrack& path = track(role);
  path.health.protocol_up = up;
  path.protocol_detail = detail;
  if (!up) path.health.answered_in_a_row = 0;
  settle(now, out);
}

void FallbackController::on_probe_reply(PathRole role, std::uint64_t sequence, TimePoint now,
                                        FallbackOutput& out) {
  advance(now);
  PathTrack& path = track(role);
  const auto it = std::find_if(path.outstanding.begin(), path.outstanding.end(),
                               [&](const Outstanding& o) { return o.sequence == sequence; });
  if (it != path.outstanding.end()) {
    path.health.last_rtt = now - it->sent;
    path.health.last_answer = now;
    extend_streak(path, sequence);
    ++path.health.probes_answered;
    path.outstanding.erase(it);
    record(path, true);
  }
  settle(now, out);
}

void FallbackController::on_timer(TimePoint now, FallbackOutput& out) {
  advance(now);
  settle(now, out);
}

void FallbackController::force_down(PathRole role, TimePoint until, TimePoint now,
                                    FallbackOutput& out) {
  advance(now);
  if (until > now) {
    PathTrack& path = track(role);
    path.forced_until = until;
    path.health.forced_down = true;
  }
  settle(now, out);
}

TimePoint FallbackController::next_deadline() const {
  TimePoint next = TimePoint::max();
  const auto consider = [&next](TimePoint at) { next = std::min(next, at); };
  for (const PathRole role : {PathRole::kPrimary, PathRole::kSecondary}) {
    const PathTrack& path = track(role);
    if (path.forced_until) consider(*path.forced_until);
    if (!probed(role)) continue;
    consider(next_probe_at(path));
    if (!path.outstanding.empty()) consider(path.outstanding.front().sent + config_.down_after);
    // A down path recovers only through answers; the others can fail by time alone.
    if (path.status == Status::kStarting && !path.grace_over) {
      consider(path.started + earn_time());
    } else if (path.status != Status::kDown) {
      consider(silence_since(path) + config_.down_after);
    }
  }
  const PathTrack& primary = track(PathRole::kPrimary);
  if (primary.status == Status::kUp) {
    if (active_ == PathRole::kSecondary) {
      consider(*primary.healthy_since + hold_);
    } else if (hold_ != config_.failback_hold ||
               (!config_.warm_secondary && track(PathRole::kSecondary).dialled)) {
      consider(*primary_stable_since() + config_.flap_window);
    }
  }
  return next;
}

bool FallbackController::probed(PathRole role) const {
  return role == PathRole::kPrimary || track(role).dialled;
}

Duration FallbackController::earn_time() const {
  const unsigned answers = std::max(config_.up_after, 1u);
  return config_.probe_interval * (answers - 1) + config_.down_after;
}

TimePoint FallbackController::silence_since(const PathTrack& path) const {
  return path.health.last_answer ? std::max(*path.health.last_answer, path.started) : path.started;
}

bool FallbackController::loss_judged(const PathTrack& path) const {
  const std::size_t window = config_.loss_window;
  const std::size_t needed = std::min(std::max(kMinLossSamples, window / 2), window);
  return needed > 0 && path.window.size() >= needed;
}

bool FallbackController::silent_at(const PathTrack& path, TimePoint at) const {
  return at - silence_since(path) >= config_.down_after;
}

// The regular cadence, quickened on a healthy path that has been silent for half of down_after:
// a few probes lost in a row to random loss are then not taken for an outage, while a dead path
// is still declared down at exactly down_after.
TimePoint FallbackController::next_probe_at(const PathTrack& path) const {
  if (path.status != Status::kUp) return path.next_probe;
  const TimePoint since = silence_since(path);
  const TimePoint quick =
      std::max(since + config_.down_after / 2, path.last_sent + config_.probe_interval / 4);
  return quick < since + config_.down_after ? std::min(quick, path.next_probe) : path.next_probe;
}

std::optional<std::string> FallbackController::down_reason(const PathTrack& path,
                                                           TimePoint now) const {
  if (!path.health.protocol_up) {
    return "protocol: " + (path.protocol_detail.empty() ? "down" : path.protocol_detail);
  }
  if (path.health.forced_down) return "drill";
  const Duration silent = now - silence_since(path);
  if (silent >= config_.down_after) return "no probe answered for " + format_duration(silent);
  if (loss_judged(path) && path.health.loss >= config_.down_loss) {
    return std::to_string(std::lround(path.health.loss * 100)) + "% of " +
           std::to_string(path.window.size()) + " probes lost";
  }
  return std::nullopt;
}

// Traffic has been on a healthy primary since then (only while it is).
std::optional<TimePoint> FallbackController::primary_stable_since() const {
  const PathTrack& primary = track(PathRole::kPrimary);
  if (active_ != PathRole::kPrimary || primary.status != Status::kUp) return std::nullopt;
  return std::max(active_since_, *primary.healthy_since);
}

// Everything due by time alone before an input is looked at: drills that ended, probes lost.
void FallbackController::advance(TimePoint now) {
  for (const PathRole role : {PathRole::kPrimary, PathRole::kSecondary}) {
    PathTrack& path = track(role);
    if (path.forced_until && *path.forced_until <= now) {
      path.forced_until.reset();
      path.health.forced_down = false;
      path.health.answered_in_a_row = 0;  // answers during the drill do not count
    }
    expire_probes(role, now);
  }
}

// What follows from the new state: health, the active path, the hold, probes due.
void FallbackController::settle(TimePoint now, FallbackOutput& out) {
  update_health(PathRole::kPrimary, now, out);
  update_health(PathRole::kSecondary, now, out);
  decide(now, out);
  relax(now, out);
  send_probes(now, out);
}

void FallbackController::expire_probes(PathRole role, TimePoint now) {
  PathTrack& path = track(role);
  auto it = path.outstanding.begin();
  for (; it != path.outstanding.end() && it->sent + config_.down_after <= now; ++it) {
    const TimePoint expired_at = it->sent + config_.down_after;
    // A probe lost in the outage that expires after the first answers of the recovery is older
    // than their streak and does not break it (extend_streak).
    if (it->sequence > path.streak_from) path.health.answered_in_a_row = 0;
    if (!it->sent_silent && !silent_at(path, expired_at)) record(path, false);
  }
  path.outstanding.erase(path.outstanding.begin(), it);
}

// "In a row" is in sending order. An older probe still unanswered after the streak began is a
// gap, so the row starts again at this answer; one older than the streak (lost in the outage
// the path is recovering from) is not.
void FallbackController::extend_streak(PathTrack& path, std::uint64_t sequence) {
  const bool gap = std::any_of(
      path.outstanding.begin(), path.outstanding.end(),
      [&](const Outstanding& o) { return o.sequence > path.streak_from && o.sequence < sequence; });
  if (path.health.answered_in_a_row == 0 || gap) {
    path.health.answered_in_a_row = 0;
    path.streak_from = sequence;
  }
  ++path.health.answered_in_a_row;
}

void FallbackController::record(PathTrack& path, bool answered) {
  if (config_.loss_window == 0) return;
  path.window.push_back(answered);
  if (path.window.size() > config_.loss_window) path.window.erase(path.window.begin());
  const auto lost = std::count(path.window.begin(), path.window.end(), false);
  path.health.loss = static_cast<double>(lost) / static_cast<double>(path.window.size());
}

void FallbackController::update_health(PathRole role, TimePoint now, FallbackOutput& out) {
  if (!probed(role)) return;
  PathTrack& path = track(role);
  if (!path.grace_over && now >= path.started + earn_time()) path.grace_over = true;
  const auto reason = down_reason(path, now);
  const unsigned in_a_row = path.health.answered_in_a_row;
  // Hysteresis on loss too: a path whose share hovers at down_loss must not come and go.
  const bool earned = !reason && in_a_row >= std::max(config_.up_after, 1u) &&
                      (!loss_judged(path) || path.health.loss < config_.down_loss / 2);
  switch (path.status) {
    case Status::kUp:
      if (reason) set_healthy(role, false, *reason, now, out);
      break;
    case Status::kStarting:
      if (earned) {
        set_healthy(role, true, std::to_string(in_a_row) + " probes answered in a row", now, out);
      } else if (reason && path.grace_over) {
        set_healthy(role, false, *reason, now, out);
      }
      break;
    case Status::kDown:
      if (earned) {
        set_healthy(role, true, std::to_string(in_a_row) + " probes answered in a row", now, out);
      }
      break;
  }
}

void FallbackController::set_healthy(PathRole role, bool healthy, const std::string& reason,
                                     TimePoint now, FallbackOutput& out) {
  PathTrack& path = track(role);
  path.status = healthy ? Status::kUp : Status::kDown;
  path.health.healthy = healthy;
  path.healthy_since = healthy ? std::optional<TimePoint>(now) : std::nullopt;
  path.down_reason = healthy ? std::string() : reason;
  out.events.push_back({healthy ? FallbackEventType::kPathUp : FallbackEventType::kPathDown, role,
                        role, reason, Duration{}, now});
  if (healthy || role != PathRole::kPrimary) return;
  // The failure proves the last failback premature; it does so once, so the failures of a primary
  // that flaps while the traffic stays away do not grow the hold any further.
  if (last_failback_ && now - *last_failback_ < config_.flap_window) {
    hold_ = std::min(hold_ * 2, config_.failback_hold_max);
  }
  last_failback_.reset();
  if (!track(PathRole::kSecondary).dialled) {
    dial_secondary(with_role(role, "down: " + reason), now, out);
  }
}

void FallbackController::decide(TimePoint now, FallbackOutput& out) {
  const PathTrack& primary = track(PathRole::kPrimary);
  const PathTrack& secondary = track(PathRole::kSecondary);
  if (active_ == PathRole::kPrimary) {
    if (primary.status == Status::kDown && secondary.status == Status::kUp) {
      switch_to(PathRole::kSecondary, "primary down: " + primary.down_reason,
                now - silence_since(primary), now, out);
    }
    return;
  }
  if (primary.status != Status::kUp) return;  // secondary healthy, or both down: stay
  if (secondary.status != Status::kUp) {
    switch_to(PathRole::kPrimary, "secondary down: " + secondary.down_reason,
              now - silence_since(secondary), now, out);
    return;
  }
  const Duration healthy_for = now - *primary.healthy_since;
  if (healthy_for >= hold_) {
    switch_to(PathRole::kPrimary, "primary healthy for " + format_duration(healthy_for),
              healthy_for, now, out);
  }
}

Duration FallbackController::time_active(PathRole role, TimePoint now) const {
  Duration t = time_active_before_[static_cast<std::size_t>(role)];
  if (role == active_ && now > active_since_) t += now - active_since_;
  return t;
}

void FallbackController::switch_to(PathRole role, const std::string& reason, Duration silent_for,
                                   TimePoint now, FallbackOutput& out) {
  const FallbackEvent event{FallbackEventType::kSwitched, active_, role, reason, silent_for, now};
  out.events.push_back(event);
  last_switch_ = event;
  ++switches_to_[static_cast<std::size_t>(role)];
  time_active_before_[static_cast<std::size_t>(active_)] += now - active_since_;
  active_ = role;
  active_since_ = now;
  if (role == PathRole::kPrimary) last_failback_ = now;
}

// A primary that has carried the traffic for flap_window is stable: the hold relaxes and an
// on-demand secondary is no longer needed.
void FallbackController::relax(TimePoint now, FallbackOutput& out) {
  const auto stable_since = primary_stable_since();
  if (!stable_since || now - *stable_since < config_.flap_window) return;
  hold_ = config_.failback_hold;
  if (!config_.warm_secondary && track(PathRole::kSecondary).dialled) hang_up_secondary(now, out);
}

void FallbackController::dial_secondary(const std::string& reason, TimePoint now,
                                        FallbackOutput& out) {
  PathTrack& secondary = track(PathRole::kSecondary);
  restart(secondary, now);
  secondary.dialled = true;
  out.events.push_back({FallbackEventType::kDialSecondary, PathRole::kPrimary, PathRole::kSecondary,
                        reason, Duration{}, now});
}

void FallbackController::hang_up_secondary(TimePoint now, FallbackOutput& out) {
  PathTrack& secondary = track(PathRole::kSecondary);
  const std::string reason =
      "primary carried the traffic for " + format_duration(now - *primary_stable_since());
  out.events.push_back({FallbackEventType::kHangUpSecondary, PathRole::kPrimary,
                        PathRole::kSecondary, reason, Duration{}, now});
  // Health consumers saw it come up; tell them it is gone, though nothing failed.
  if (secondary.status == Status::kUp) {
    out.events.push_back({FallbackEventType::kPathDown, PathRole::kSecondary, PathRole::kSecondary,
                          "hung up", Duration{}, now});
  }
  restart(secondary, now);
  secondary.dialled = false;
}

// A path starting afresh: nothing it did before is evidence about the new connection.
void FallbackController::restart(PathTrack& path, TimePoint now) {
  path.status = Status::kStarting;
  path.started = now;
  path.grace_over = false;
  path.down_reason.clear();
  path.outstanding.clear();
  path.window.clear();
  path.healthy_since.reset();
  path.next_probe = now;
  path.health.healthy = false;
  path.health.answered_in_a_row = 0;
  path.health.loss = 0.0;
}

void FallbackController::send_probes(TimePoint now, FallbackOutput& out) {
  for (const PathRole role : {PathRole::kPrimary, PathRole::kSecondary}) {
    PathTrack& path = track(role);
    if (!probed(role) || next_probe_at(path) > now) continue;
    out.probes.push_back({role, next_sequence_});
    path.outstanding.push_back({next_sequence_, now, silent_at(path, now)});
    ++next_sequence_;
    ++path.health.probes_sent;
    path.last_sent = now;
    if (path.next_probe > now) continue;  // a quick probe: the cadence goes on
    // Keep the cadence, but a driver that was late gets one probe, not a burst.
    path.next_probe += config_.probe_interval;
    if (path.next_probe <= now) path.next_probe = now + config_.probe_interval;
  }
}

}  // namespace tandem::hybrid
