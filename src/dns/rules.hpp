// Split-DNS routing: which upstream group answers a name. A rule maps a domain suffix to a group;
// a name matches a suffix by whole labels ("corp.example" takes "a.corp.example" and
// "corp.example", never "xcorp.example"), the longest matching suffix wins, and a name no rule
// takes goes to the default group, or is refused when there is none. Reverse zones
// ("10.in-addr.arpa") are suffixes like any other.
//
// A group is reached through one path (an opaque name the daemon interprets: "tunnel:wg0",
// "underlay") and holds its resolvers in order of preference. A query never leaves its group:
// when every resolver of a private suffix's group fails, the client gets SERVFAIL, and the name
// is never asked of the default group.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace tandem::dns {

struct UpstreamGroup {
  std::string name;
  std::string path;  // how its resolvers are reached, e.g. "tunnel:wg0" or "underlay"
  std::vector<Endpoint> resolvers;  // tried in this order
};

struct Rule {
  std::string suffix;  // "corp.example", "10.in-addr.arpa"
  std::string group;   // an UpstreamGroup's name
};

struct RulesConfig {
  std::vector<UpstreamGroup> groups;
  std::vector<Rule> rules;
  // The group for names no rule takes; none: such names are refused.
  std::optional<std::string> default_group;
};

struct RulesError {
  std::string message;  // what is wrong, naming the rule or group; config adds the position
};

class RuleSet {
 public:
  // Checks the whole configuration: group names unique and each group with a path and at least
  // one resolver; every rule's suffix a valid name other than the root, not repeated, and its
  // group defined; the default group, when given, defined.
  static Result<RuleSet, RulesError> build(RulesConfig config);

  // The index of the group for `name` (lower-case wire form), or nullopt when no rule takes it
  // and there is no default group.
  std::optional<std::size_t> route(std::string_view name) const;
  const UpstreamGroup& group(std::size_t index) const { return groups_[index]; }
  std::size_t group_count() const { return groups_.size(); }

 private:
  RuleSet() = default;

  std::vector<UpstreamGroup> groups_;
  // Looked up by string_view: no copy of the name per label.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>>
      suffixes_;  // wire form -> group index
  std::optional<std::size_t> default_group_;
};

}  // namespace tandem::dns
