// The daemon's --log-level: which spdlog severities reach the log.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tandem::daemon {

// "trace", "debug", "info", "warn" or "error"; empty means the default, info. Anything else is
// refused with a message naming the accepted levels.
Result<spdlog::level::level_enum, std::string> parse_log_level(std::string_view text);

}  // namespace tandem::daemon
