#include "daemon/log_target.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

TEST(LogTarget, AcceptsEachDocumentedTarget) {
  EXPECT_EQ(parse_log_target("auto").value(), LogTarget::kAuto);
  EXPECT_EQ(parse_log_target("stderr").value(), LogTarget::kStderr);
  EXPECT_EQ(parse_log_target("journal").value(), LogTarget::kJournal);
  EXPECT_EQ(parse_log_target("syslog").value(), LogTarget::kSyslog);
  EXPECT_EQ(parse_log_target("").value(), LogTarget::kAuto);
}

TEST(LogTarget, RefusesAnUnknownTargetNamingTheAcceptedOnes) {
  auto t = parse_log_target("file");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("'file'"), std::string::npos);
  EXPECT_NE(t.error().find("auto, stderr, journal or syslog"), std::string::npos);
}

TEST(LogTarget, RefusesStderrForADaemonThatDetaches) {
  auto t = parse_log_target_option("stderr", true);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("/dev/null"), std::string::npos);
  EXPECT_EQ(parse_log_target_option("stderr", false).value(), LogTarget::kStderr);
  EXPECT_EQ(parse_log_target_option("syslog", true).value(), LogTarget::kSyslog);
}

TEST(LogTarget, DetachedGoesToTheJournalWhenItsSocketExistsElseSyslog) {
  EXPECT_EQ(choose_log_target(LogTarget::kAuto, {true, false, true}), LogTarget::kJournal);
  EXPECT_EQ(choose_log_target(LogTarget::kAuto, {true, false, false}), LogTarget::kSyslog);
}

TEST(LogTarget, ForegroundUnderAJournalStreamUpgradesToTheNativeProtocol) {
  EXPECT_EQ(choose_log_target(LogTarget::kAuto, {false, true, true}), LogTarget::kJournal);
  // A stale JOURNAL_STREAM without a journal to talk to: stderr still reaches somebody.
  EXPECT_EQ(choose_log_target(LogTarget::kAuto, {false, true, false}), LogTarget::kStderr);
}

TEST(LogTarget, ForegroundOnATerminalStaysOnStderr) {
  EXPECT_EQ(choose_log_target(LogTarget::kAuto, {false, false, true}), LogTarget::kStderr);
}

TEST(LogTarget, AnExplicitTargetIsKept) {
  EXPECT_EQ(choose_log_target(LogTarget::kSyslog, {false, true, true}), LogTarget::kSyslog);
  EXPECT_EQ(choose_log_target(LogTarget::kStderr, {true, false, true}), LogTarget::kStderr);
}

}  // namespace
}  // namespace tandem::daemon
