#include "cli/drill_report.hpp"

#include <fmt/format.h>

namespace tandem::cli {

void DrillTimeline::active_path(std::int64_t at_ms, const std::string& path) {
  if (!switch_ms_ && path != "wireguard") switch_ms_ = at_ms;
  // Failback counts only once the drill is over and traffic had moved at all.
  if (switch_ms_ && !failback_ms_ && at_ms >= held_ms_ && path == "wireguard")
    failback_ms_ = at_ms - held_ms_;
}

void DrillTimeline::ping_sent(std::uint16_t sequence, std::int64_t at_ms) {
  sent_[sequence] = at_ms;
}

void DrillTimeline::ping_answered(std::uint16_t sequence, std::int64_t at_ms) {
  if (sent_.contains(sequence) && !answered_.contains(sequence)) answered_[sequence] = at_ms;
}

DrillReport DrillTimeline::report(std::int64_t end_ms, std::int64_t switch_bound_ms,
                                  std::int64_t grace_ms) const {
  DrillReport r;
  r.switch_ms = switch_ms_;
  r.failback_ms = failback_ms_;
  for (const auto& [sequence, at] : sent_) {
    if (at >= end_ms - grace_ms) continue;  // its reply may still be on its way
    ++r.pings_sent;
    const auto answer = answered_.find(sequence);
    if (answer == answered_.end()) {
      ++r.pings_lost;
      continue;
    }
    ++r.pings_answered;
    if (at >= 0 && at < held_ms_) ++r.answered_while_held;
  }
  if (!switch_ms_ || *switch_ms_ > switch_bound_ms) {
    r.verdict = switch_ms_ ? fmt::format("traffic moved only after {} ms", *switch_ms_)
                           : "traffic never left the primary path";
  } else if (r.answered_while_held == 0) {
    r.verdict =
        "no ping was answered while the primary was down: the secondary did not carry "
        "the traffic";
  } else if (!failback_ms_) {
    r.verdict = "traffic did not return to the primary path";
  } else {
    r.passed = true;
    r.verdict = "the secondary carried the traffic and it returned to the primary";
  }
  return r;
}

std::string render_drill_text(const std::string& interface, std::int64_t held_ms,
                              std::int64_t interval_ms, const DrillReport& r) {
  std::string out = fmt::format("drill on {}: WireGuard held down for {:.1f} s\n", interface,
                                static_cast<double>(held_ms) / 1000.0);
  out += r.switch_ms
             ? fmt::format("  switch to the secondary: {} ms after the drill began\n", *r.switch_ms)
             : "  switch to the secondary: none\n";
  out += r.failback_ms ? fmt::format("  failback to WireGuard: {:.1f} s after the drill ended\n",
                                     static_cast<double>(*r.failback_ms) / 1000.0)
                       : "  failback to WireGuard: none\n";
  out += fmt::format(
      "  pings through the tunnel every {} ms: {} sent, {} answered ({} while WireGuard was "
      "down), {} lost\n",
      interval_ms, r.pings_sent, r.pings_answered, r.answered_while_held, r.pings_lost);
  out += fmt::format("  {}: {}\n", r.passed ? "PASS" : "FAIL", r.verdict);
  return out;
}

}  // namespace tandem::cli
