// [login_throttle]: on by default with its defaults, every key read, nonsense refused with its
// position, and the settings handed to [l2tp], where the logins are decided.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using std::chrono::seconds;
using testing::refusal;

const std::string kGateway = R"([l2tp]
mode = "lns"
allow_unencrypted = true
address = "10.77.0.1/24"
pool = "10.77.0.10-10.77.0.200"

[[l2tp.user]]
name = "alice"
password = "correct horse"
)";

TEST(LoginThrottleConfig, IsOnByDefault) {
  auto r = parse_node_config(kGateway, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->login_throttle, auth::ThrottleSettings{});
  EXPECT_TRUE(r->l2tp->login_throttle.enabled);
}

TEST(LoginThrottleConfig, ReadsEveryKeyAndHandsThemToL2tp) {
  auto r = parse_node_config(kGateway + R"(
[login_throttle]
free_failures = 1
delay = 2
max_delay = 30
user_lockout_after = 5
source_lockout_after = 0
lockout = 300
forget_after = 600
)",
                             "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const auth::ThrottleSettings& s = r->login_throttle;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.free_failures, 1u);
  EXPECT_EQ(s.delay, seconds(2));
  EXPECT_EQ(s.max_delay, seconds(30));
  EXPECT_EQ(s.user_lockout_after, 5u);
  EXPECT_EQ(s.source_lockout_after, 0u);
  EXPECT_EQ(s.lockout, seconds(300));
  EXPECT_EQ(s.forget_after, seconds(600));
  EXPECT_EQ(r->l2tp->login_throttle, s);
  r = parse_node_config(kGateway + "[login_throttle]\nenabled = false\n", "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->l2tp->login_throttle.enabled);
}

TEST(LoginThrottleConfig, RefusesNonsenseWithItsPosition) {
  EXPECT_EQ(refusal(kGateway + "[login_throttle]\ndelay = 0\n"),
            "n.toml:11:9: delay must be between 1 and 604800");
  EXPECT_EQ(refusal(kGateway + "[login_throttle]\ndelay = 10\nmax_delay = 5\n"),
            "n.toml:12:13: max_delay must be at least delay (the first delay, doubled up to "
            "max_delay)");
  EXPECT_EQ(refusal(kGateway + "[login_throttle]\nlokout = 5\n"),
            "n.toml:11:1: unknown key 'lokout' in [login_throttle]; did you mean 'lockout'?");
  EXPECT_EQ(refusal("login_throttle = 5\n" + kGateway),
            "n.toml:1:18: login_throttle must be a table: [login_throttle]");
}

}  // namespace
}  // namespace tandem::control
