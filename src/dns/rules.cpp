// Split-DNS rules: one hash look-up per label of the name, longest suffix first.
#include "dns/rules.hpp"

#include "dns/message.hpp"

namespace tandem::dns {

Result<RuleSet, RulesError> RuleSet::build(RulesConfig config) {
  RuleSet set;
  std::unordered_map<std::string, std::size_t> by_name;
  for (auto& group : config.groups) {
    if (group.name.empty()) return Err(RulesError{"an upstream group has no name"});
    if (group.path.empty())
      return Err(RulesError{"upstream group '" + group.name + "' has no path"});
    if (group.resolvers.empty())
      return Err(RulesError{"upstream group '" + group.name + "' has no resolver"});
    if (!by_name.emplace(group.name, set.groups_.size()).second)
      return Err(RulesError{"upstream group '" + group.name + "' is defined twice"});
    set.groups_.push_back(std::move(group));
  }
  for (const auto& rule : config.rules) {
    const auto wire = name_from_text(rule.suffix);
    if (!wire) return Err(RulesError{"'" + rule.suffix + "' is not a domain name"});
    if (wire->size() == 1)
      return Err(RulesError{"a rule for the root: name a default group instead"});
    const auto group = by_name.find(rule.group);
    if (group == by_name.end())
      return Err(RulesError{"the rule for '" + rule.suffix + "' names no defined group ('" +
                            rule.group + "')"});
    if (!set.suffixes_.emplace(*wire, group->second).second)
      return Err(RulesError{"two rules for '" + rule.suffix + "'"});
  }
  if (config.default_group) {
    const auto group = by_name.find(*config.default_group);
    if (group == by_name.end())
      return Err(RulesError{"the default group '" + *config.default_group + "' is not defined"});
    set.default_group_ = group->second;
  }
  return set;
}

std::optional<std::size_t> RuleSet::route(std::string_view name) const {
  // From the whole name towards the root: the first suffix found is the longest.
  std::size_t at = 0;
  while (at < name.size()) {
    const auto length = static_cast<unsigned char>(name[at]);
    if (length == 0) break;
    const auto hit = suffixes_.find(name.substr(at));
    if (hit != suffixes_.end()) return hit->second;
    at += 1 + length;
  }
  return default_group_;
}

}  // namespace tandem::dns
