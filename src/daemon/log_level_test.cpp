#include "daemon/log_level.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

TEST(LogLevel, AcceptsEachDocumentedLevel) {
  EXPECT_EQ(parse_log_level("trace").value(), spdlog::level::trace);
  EXPECT_EQ(parse_log_level("debug").value(), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("info").value(), spdlog::level::info);
  EXPECT_EQ(parse_log_level("warn").value(), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("error").value(), spdlog::level::err);
}

TEST(LogLevel, DefaultsToInfo) {
  EXPECT_EQ(parse_log_level("").value(), spdlog::level::info);
}

TEST(LogLevel, RefusesAnUnknownLevelNamingTheAcceptedOnes) {
  auto parsed = parse_log_level("verbose");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error(),
            "unknown log level 'verbose' (expected trace, debug, info, warn or error)");
  EXPECT_FALSE(parse_log_level("INFO"));
  EXPECT_FALSE(parse_log_level("err"));
}

}  // namespace
}  // namespace tandem::daemon
