// What a `tandem drill` observed, judged: when traffic left the primary path after the drill
// took it down, when it came back after the drill ended, and how many of the pings sent through
// the tunnel meanwhile went unanswered. Plain bookkeeping over times in milliseconds since the
// drill began, so it is tested without a daemon.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tandem::cli {

struct DrillReport {
  std::optional<std::int64_t> switch_ms;    // after the drill began
  std::optional<std::int64_t> failback_ms;  // after the drill ended
  std::uint64_t pings_sent = 0;
  std::uint64_t pings_answered = 0;
  std::uint64_t pings_lost = 0;
  std::uint64_t answered_while_held = 0;  // replies while the primary was held down
  bool passed = false;
  std::string verdict;  // why it passed or failed
};

class DrillTimeline {
 public:
  // `held_ms`: how long the drill holds the primary down.
  explicit DrillTimeline(std::int64_t held_ms) : held_ms_(held_ms) {}

  // The daemon's active path ("wireguard", "l2tp-ipsec") as seen at `at_ms`.
  void active_path(std::int64_t at_ms, const std::string& path);
  void ping_sent(std::uint16_t sequence, std::int64_t at_ms);
  void ping_answered(std::uint16_t sequence, std::int64_t at_ms);

  bool switched() const { return switch_ms_.has_value(); }
  bool failed_back() const { return failback_ms_.has_value(); }
  // Judged at the end: a drill passes when traffic moved to the secondary within
  // `switch_bound_ms`, pings were answered while the primary was held down, and traffic returned
  // to the primary. Pings sent in the last `grace_ms` before the end count as neither.
  DrillReport report(std::int64_t end_ms, std::int64_t switch_bound_ms,
                     std::int64_t grace_ms) const;

 private:
  std::int64_t held_ms_;
  std::optional<std::int64_t> switch_ms_;
  std::optional<std::int64_t> failback_ms_;
  std::map<std::uint16_t, std::int64_t> sent_;
  std::map<std::uint16_t, std::int64_t> answered_;
};

std::string render_drill_text(const std::string& interface, std::int64_t held_ms,
                              std::int64_t interval_ms, const DrillReport& report);

}  // namespace tandem::cli
