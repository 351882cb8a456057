// An account's class: a short name ("staff", "contractors") that groups accounts for the
// operator's rules, such as the directory group their logins need ([[ldap.class]]). Header only:
// the config reader, the store and the CLI check a name without linking the hybrid engines.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::hybrid {

inline constexpr std::size_t kMaxAccountClassLength = 32;

// Why `name` cannot be an account's class, or nullopt when it can: 1 to 32 of a-z, 0-9, '_'
// and '-', so that it is written the same in the config, the store, a CSV file and a log line.
inline std::optional<std::string> account_class_problem(std::string_view name) {
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!name.empty() && name.size() <= kMaxAccountClassLength && allowed) return std::nullopt;
  return "class '" + std::string(name) +
         "' must be 1 to 32 characters of a-z, 0-9, '_' and '-', such as \"staff\"";
}

}  // namespace tandem::hybrid
