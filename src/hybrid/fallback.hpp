// The fallback controller: which of two paths to the same remote node carries the traffic. The
// primary (WireGuard, the fast path) carries it while healthy; when it is not, the secondary
// (L2TP/IPsec, or an IKEv2 ESP tunnel between sites) takes over, and once the primary has been
// healthy for a hold-down period the traffic goes back. The inner address is the same on both,
// so connections survive either switch.
//
// Health combines two signals:
//  - the protocol's own view (on_protocol_state): a WireGuard session, an open PPP link, an
//    installed Child SA; a protocol that says down (handshake given up, LCP echo lost, DPD) makes
//    the path unhealthy at once;
//  - in-tunnel probes (probe.hpp) the far end answers: the controller asks for one per path every
//    probe_interval; a path is down when none has been answered for down_after, or when the
//    share of lost probes over the last loss_window reaches down_loss (30 % loss makes a path
//    useless for TCP), and up again after up_after answered probes in a row. fallback.cpp gives
//    the finer rules (quicker probes on a quiet path, a margin on loss for coming back, start-up).
// Hysteresis: the primary must stay healthy for failback_hold before traffic returns; each time it
// fails again within flap_window of a failback, the hold doubles (up to failback_hold_max), and
// it returns to failback_hold after a stable flap_window.
//
// The secondary is warm by default (kept up and probed, so a switch costs nothing); with
// warm_secondary = false the controller asks for it to be dialled when the primary fails
// (kDialSecondary) and hung up once traffic is back on the primary (kHangUpSecondary).
//
// Every switch is an event with its reason and how long the old path had been silent. Sans-I/O
// and single-threaded: time comes in, probe requests and events go out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "hybrid/path.hpp"

namespace tandem::hybrid {

const char* path_role_name(PathRole role);  // "primary", "secondary"

struct FallbackConfig {
  Duration probe_interval = std::chrono::milliseconds(200);
  Duration down_after = std::chrono::milliseconds(700);  // silence that makes a path down
  unsigned up_after = 3;                                 // answered probes in a row
  double down_loss = 0.30;                               // lost share that makes a path down
  // Probes the share is taken over. Not fewer: over 20, a path with 10 % random loss shows 30 %
  // about once a minute.
  unsigned loss_window = 40;
  Duration failback_hold = std::chrono::seconds(5);
  Duration failback_hold_max = std::chrono::seconds(60);
  Duration flap_window = std::chrono::seconds(30);
  bool warm_secondary = true;
};

enum class FallbackEventType : std::uint8_t {
  kSwitched,         // traffic moved `from` -> `to`
  kPathDown,         // `to` names the path that became unhealthy
  kPathUp,           // `to` names the path that became healthy
  kDialSecondary,    // on-demand secondary: bring it up now
  kHangUpSecondary,  // on-demand secondary: no longer needed
};

struct FallbackEvent {
  FallbackEventType type = FallbackEventType::kSwitched;
  PathRole from = PathRole::kPrimary;
  PathRole to = PathRole::kPrimary;
  std::string reason;  // "no probe answered for 700 ms", "32% of 20 probes lost",
                       // "protocol: handshake gave up", "primary healthy for 5 s", ...
  // kSwitched away from an unhealthy path: time since that path last answered a probe (or, if it
  // never did, since the controller started); kSwitched back: how long the primary was healthy.
  Duration silent_for{};
  TimePoint at{};
};

struct ProbeRequest {
  PathRole role = PathRole::kPrimary;
  std::uint64_t sequence = 0;
};

struct FallbackOutput {
  std::vector<ProbeRequest> probes;  // send one probe on each named path now
  std::vector<FallbackEvent> events;
  void clear() {
    probes.clear();
    events.clear();
  }
};

struct PathHealth {
  bool protocol_up = false;
  bool healthy = false;
  bool forced_down = false;  // a drill holds it down
  std::optional<TimePoint> last_answer;
  std::optional<Duration> last_rtt;
  unsigned answered_in_a_row = 0;
  double loss = 0.0;  // share of the resolved probes in the window that were lost
  std::uint64_t probes_sent = 0;
  std::uint64_t probes_answered = 0;
};

class FallbackController {
 public:
  FallbackController(FallbackConfig config, TimePoint now);

  // Every call below appends what it causes to `out` (it does not clear it).

  // The protocol's view of a path changed; `detail` becomes part of the reason.
  void on_protocol_state(PathRole role, bool up, const std::string& detail, TimePoint now,
                         FallbackOutput& out);
  // A probe reply arrived on `role` (replies to unknown or expired sequences are ignored).
  void on_probe_reply(PathRole role, std::uint64_t sequence, TimePoint now, FallbackOutput& out);
  void on_timer(TimePoint now, FallbackOutput& out);
  TimePoint next_deadline() const;

  // A drill: `role` counts as unhealthy until `until`, whatever it answers; then it must earn
  // health again like any recovering path.
  void force_down(PathRole role, TimePoint until, TimePoint now, FallbackOutput& out);

  PathRole active() const { return active_; }
  const PathHealth& health(PathRole role) const;
  const std::optional<FallbackEvent>& last_switch() const { return last_switch_; }
  Duration current_failback_hold() const { return hold_; }
  const FallbackConfig& config() const { return config_; }
  // Switches that moved the traffic onto `role` since construction (onto the secondary: the
  // failovers), and how long it has carried the traffic in all, up to `now`.
  std::uint64_t switches_to(PathRole role) const {
    return switches_to_[static_cast<std::size_t>(role)];
  }
  Duration time_active(PathRole role, TimePoint now) const;

 private:
  // kStarting: not judged yet (just constructed, or an on-demand secondary just dialled); it
  // becomes kDown only once it has had the time to earn health (earn_time()) and has not.
  enum class Status : std::uint8_t { kStarting, kUp, kDown };
  struct Outstanding {
    std::uint64_t sequence = 0;
    TimePoint sent{};
    bool sent_silent = false;  // sent while the path was already silent for down_after
  };
  struct PathTrack {
    PathHealth health;
    Status status = Status::kStarting;
    TimePoint started{};  // construction, or the dial of an on-demand secondary
    bool grace_over = false;
    std::string protocol_detail;
    std::string down_reason;               // why it is kDown, for the switch reason
    std::vector<Outstanding> outstanding;  // probes sent, not yet answered or expired
    std::vector<bool> window;              // resolved probes, oldest first: true = answered
    std::uint64_t streak_from = 0;         // the first probe of answered_in_a_row
    std::optional<TimePoint> forced_until;
    std::optional<TimePoint> healthy_since;
    TimePoint next_probe{};  // the regular cadence
    TimePoint last_sent{};
    bool dialled = true;  // on-demand secondary: whether it should be up
  };

  PathTrack& track(PathRole role) { return paths_[static_cast<std::size_t>(role)]; }
  const PathTrack& track(PathRole role) const { return paths_[static_cast<std::size_t>(role)]; }
  bool probed(PathRole role) const;
  Duration earn_time() const;
  TimePoint silence_since(const PathTrack& path) const;
  bool loss_judged(const PathTrack& path) const;
  bool silent_at(const PathTrack& path, TimePoint at) const;
  TimePoint next_probe_at(const PathTrack& path) const;
  std::optional<std::string> down_reason(const PathTrack& path, TimePoint now) const;
  std::optional<TimePoint> primary_stable_since() const;

  void advance(TimePoint now);
  void settle(TimePoint now, FallbackOutput& out);
  void expire_probes(PathRole role, TimePoint now);
  void extend_streak(PathTrack& path, std::uint64_t sequence);
  void record(PathTrack& path, bool answered);
  void update_health(PathRole role, TimePoint now, FallbackOutput& out);
  void set_healthy(PathRole role, bool healthy, const std::string& reason, TimePoint now,
                   FallbackOutput& out);
  void decide(TimePoint now, FallbackOutput& out);
  void switch_to(PathRole role, const std::string& reason, Duration silent_for, TimePoint now,
                 FallbackOutput& out);
  void relax(TimePoint now, FallbackOutput& out);
  void dial_secondary(const std::string& reason, TimePoint now, FallbackOutput& out);
  void hang_up_secondary(TimePoint now, FallbackOutput& out);
  void restart(PathTrack& path, TimePoint now);
  void send_probes(TimePoint now, FallbackOutput& out);

  FallbackConfig config_;
  std::array<PathTrack, 2> paths_;
  PathRole active_ = PathRole::kPrimary;
  TimePoint active_since_;
  std::uint64_t next_sequence_ = 1;
  Duration hold_;
  std::optional<TimePoint> last_failback_;
  std::optional<FallbackEvent> last_switch_;
  std::array<std::uint64_t, 2> switches_to_{};
  std::array<Duration, 2> time_active_before_{};  // each role's time before active_since_
};

}  // namespace tandem::hybrid
