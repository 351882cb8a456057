// Parallel paths: a client's or site's ordered rules that send each class of inner traffic on a
// path of its own while both paths are up, instead of everything on the fallback's active path.
// A rule matches on source and destination prefixes, IP protocol, ports and DSCP; the first rule
// that matches decides. When its path is not usable the rule says what happens: the packet takes
// the other path (the default), or it is dropped (fail-closed: traffic that must never take the
// other tunnel). Packets no rule takes follow the fallback, as without rules.
//
// Sans-I/O and single-threaded; decide() neither allocates nor builds addresses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "hybrid/traffic_rule.hpp"

namespace tandem::hybrid {

struct TrafficRuleCounters {
  std::uint64_t packets = 0;   // matched
  std::uint64_t rerouted = 0;  // its path was not usable: sent on the other one
  std::uint64_t dropped = 0;   // its path was not usable and the rule is fail-closed
};

// Where one packet goes: a path, or nowhere (a fail-closed rule whose path is down).
struct TrafficDecision {
  std::optional<PathRole> path;
  std::optional<std::size_t> rule;  // the rule that matched, if any
};

class TrafficPolicy {
 public:
  TrafficPolicy() = default;
  explicit TrafficPolicy(std::vector<TrafficRule> rules);

  bool empty() const { return rules_.empty(); }
  // The first rule that matches a whole IPv4/IPv6 packet; nullopt for none (or not a packet).
  std::optional<std::size_t> match(ByteView packet) const;
  // `active` is the fallback's choice for traffic no rule takes; `usable` says whether each path
  // (primary, secondary) can carry traffic now. Counts what it decides.
  TrafficDecision decide(ByteView packet, PathRole active, bool primary_usable,
                         bool secondary_usable);

  const std::vector<TrafficRule>& rules() const { return rules_; }
  const std::vector<TrafficRuleCounters>& counters() const { return counters_; }

 private:
  std::vector<TrafficRule> rules_;
  std::vector<TrafficRuleCounters> counters_;
};

}  // namespace tandem::hybrid
