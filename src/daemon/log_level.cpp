#include "daemon/log_level.hpp"

#include <array>
#include <utility>

namespace tandem::daemon {

Result<spdlog::level::level_enum, std::string> parse_log_level(std::string_view text) {
  using spdlog::level::level_enum;
  static constexpr std::array<std::pair<std::string_view, level_enum>, 5> kLevels{{
      {"trace", level_enum::trace},
      {"debug", level_enum::debug},
      {"info", level_enum::info},
      {"warn", level_enum::warn},
      {"error", level_enum::err},
  }};
  if (text.empty()) return level_enum::info;
  for (const auto& [name, level] : kLevels)
    if (text == name) return level;
  return Err("unknown log level '" + std::string(text) +
             "' (expected trace, debug, info, warn or error)");
}

}  // namespace tandem::daemon
