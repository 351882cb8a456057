// tandem account's pieces that need no store: times as an operator writes them, and how accounts
// are printed (never a secret).
#include "cli/account_command.hpp"

#include <gtest/gtest.h>

#include "cli/account_view.hpp"

namespace tandem::cli {
namespace {

TEST(AccountCommand, ReadsTimesInSecondsMinutesHoursAndDays) {
  EXPECT_EQ(parse_seconds("90"), 90);
  EXPECT_EQ(parse_seconds("90s"), 90);
  EXPECT_EQ(parse_seconds("30m"), 1800);
  EXPECT_EQ(parse_seconds("24h"), 86400);
  EXPECT_EQ(parse_seconds("7d"), 7 * 86400);
  EXPECT_FALSE(parse_seconds(""));
  EXPECT_FALSE(parse_seconds("h"));
  EXPECT_FALSE(parse_seconds("-5m"));
  EXPECT_FALSE(parse_seconds("5 weeks"));
}

store::AccountRecord alice(WallTime now) {
  store::AccountRecord a;
  a.name = "alice";
  a.ipv4 = *IpAddress::parse("10.77.0.10");
  a.ipv4_leased = true;
  store::WireguardKey old_key;
  old_key.public_key.fill(std::byte{1});
  old_key.not_after = now - std::chrono::hours(1);
  store::WireguardKey key;
  key.public_key.fill(std::byte{2});
  key.preshared_key = crypto::Key32{};
  a.wireguard_keys = {old_key, key};
  a.ppp = store::PppCredential{*crypto::nt_password_hash("secret"), std::string("secret")};
  return a;
}

TEST(AccountView, TheTableCountsOnlyKeysValidNowAndShowsNoSecret) {
  const WallTime now{std::chrono::hours(1000000)};
  const std::string table = render_account_table({alice(now)}, now);
  EXPECT_NE(table.find("NAME   STATE   IPV4        IPV6  KEYS  LOGINS"), std::string::npos)
      << table;
  EXPECT_NE(
      table.find("alice  active  10.77.0.10  -     1     wireguard,l2tp (clear password kept)"),
      std::string::npos)
      << table;
  const std::string shown = render_account(alice(now), now);
  EXPECT_NE(shown.find(", ended "), std::string::npos) << shown;
  EXPECT_NE(shown.find("with a pre-shared key"), std::string::npos);
  EXPECT_EQ(shown.find("secret"), std::string::npos) << "no password in the output";
  const auto json = account_json(alice(now), now);
  EXPECT_EQ(json["wireguard_keys"][0]["valid"], false);
  EXPECT_EQ(json["wireguard_keys"][1]["valid"], true);
  EXPECT_EQ(json["ipv4"]["leased"], true);
  EXPECT_EQ(json.dump().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace tandem::cli
