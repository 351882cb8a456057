// tandem account's pieces that need no store: times as an operator writes them, and how accounts
// are printed (never a secret).
#include "cli/account_command.hpp"

#include <gtest/gtest.h>

#include "cli/account_csv.hpp"
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

TEST(AccountView, ShowsTheClassInEveryViewAndADashWithout) {
  const WallTime now{std::chrono::hours(1000000)};
  store::AccountRecord a = alice(now);
  a.account_class = "staff";
  EXPECT_NE(render_account(a, now).find("\n  class: staff\n"), std::string::npos)
      << render_account(a, now);
  EXPECT_EQ(account_json(a, now)["class"], "staff");
  store::AccountRecord carol = alice(now);
  carol.name = "carol";
  const std::string table = render_account_table({a, carol}, now);
  EXPECT_NE(table.find("  CLASS\n"), std::string::npos) << table;
  EXPECT_NE(table.find("  staff\n"), std::string::npos) << table;
  EXPECT_NE(table.find("  -\n"), std::string::npos) << table;
  EXPECT_EQ(render_account(carol, now).find("class:"), std::string::npos);
  EXPECT_FALSE(account_json(carol, now).contains("class"));
}

TEST(AccountView, EventsShowNewestFirstWithTheirDetail) {
  store::Event revoked;
  revoked.at = WallTime{std::chrono::seconds(1'800'000'000)};
  revoked.kind = "account.revoked";
  revoked.account = "alice";
  revoked.detail = R"({"was":"active"})";
  store::Event broken = revoked;  // a detail that is not JSON is shown as it is
  broken.kind = "other.kind";
  broken.account = "";
  broken.detail = "not json";
  EXPECT_EQ(render_events({revoked, broken}),
            "2027-01-15T08:00:00Z  account.revoked  alice  {\"was\":\"active\"}\n"
            "2027-01-15T08:00:00Z  other.kind  -  not json\n");
  const auto json = events_json({revoked, broken});
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["event"], "account.revoked");
  EXPECT_EQ(json[0]["detail"]["was"], "active");
  EXPECT_EQ(json[1]["detail"], "not json");
}

TEST(AccountCsv, ReadsEveryColumnAndQuotedFields) {
  const std::string key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
  const auto parsed = parse_account_csv(
      "name,public_key,password,ipv4,subnets\r\n"
      "alice," +
          key +
          ",,10.77.0.2,\n"
          "\n"
          "bob,,\"pa,ss \"\"word\"\"\",,192.168.50.0/24; 192.168.51.0/24\n",
      false);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_TRUE(parsed->rejections.empty());
  EXPECT_EQ(parsed->rows[0].name, "alice");
  ASSERT_EQ(parsed->rows[0].wireguard_keys.size(), 1u);
  EXPECT_EQ(parsed->rows[0].ipv4, IpAddress::parse("10.77.0.2"));
  EXPECT_FALSE(parsed->rows[0].ppp.has_value());
  ASSERT_TRUE(parsed->rows[1].ppp.has_value());
  EXPECT_EQ(parsed->rows[1].ppp->password, "pa,ss \"word\"");
  EXPECT_EQ(parsed->rows[1].subnets.size(), 2u);
  EXPECT_EQ(parsed->lines, (std::vector<std::size_t>{2, 4}));
  EXPECT_TRUE(parsed->has_passwords);
}

TEST(AccountCsv, ReadsWhereTheGatewayProbesTheAccountsPathMtu) {
  const auto parsed = parse_account_csv(
      "name,password,subnets,mtu_probe_target\n"
      "site,pw,192.168.50.0/24,192.168.50.1\n"
      "road,pw,,\n"
      "bad,pw,,192.168.50\n",
      false);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_EQ(parsed->rows[0].mtu_probe_target, IpAddress::parse("192.168.50.1"));
  EXPECT_EQ(parsed->rows[1].mtu_probe_target, std::nullopt);
  ASSERT_EQ(parsed->rejections.size(), 1u);
  EXPECT_EQ(parsed->rejections[0].reason, "mtu_probe_target '192.168.50' is not an address");
}

TEST(AccountCsv, ReadsTheAccountsClass) {
  const auto parsed = parse_account_csv(
      "name,password,class\n"
      "alice,pw,staff\n"
      "carol,pw,\n"
      "bob,pw,Contractors\n",
      false);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_EQ(parsed->rows[0].account_class, "staff");
  EXPECT_EQ(parsed->rows[1].account_class, std::nullopt);
  ASSERT_EQ(parsed->rejections.size(), 1u);
  EXPECT_EQ(parsed->rejections[0].line, 4u);
  EXPECT_NE(parsed->rejections[0].reason.find("class 'Contractors' must be 1 to 32"),
            std::string::npos)
      << parsed->rejections[0].reason;
}

TEST(AccountCsv, BadRowsAreReportedByLineAndBadHeadersRefused) {
  const auto parsed = parse_account_csv(
      "name,public_key,ipv4\n"
      "a,notakey,\n"
      "b,,\n"
      "c,,,extra\n"
      ",,10.0.0.1\n",
      false);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->rows.empty());
  ASSERT_EQ(parsed->rejections.size(), 4u);
  EXPECT_EQ(parsed->rejections[0].line, 2u);
  EXPECT_NE(parsed->rejections[0].reason.find("not a base64 WireGuard key"), std::string::npos);
  EXPECT_NE(parsed->rejections[1].reason.find("neither public_key nor password"),
            std::string::npos);
  EXPECT_NE(parsed->rejections[2].reason.find("4 fields, the header has 3"), std::string::npos);
  EXPECT_EQ(parsed->rejections[3].reason, "no name");
  EXPECT_FALSE(parse_account_csv("nom,public_key\n", false).ok());
  EXPECT_FALSE(parse_account_csv("public_key\nabc\n", false).ok()) << "no name column";
  EXPECT_FALSE(parse_account_csv("", false).ok());
  const auto open_quote = parse_account_csv("name,password\nx,\"never closed\n", false);
  ASSERT_TRUE(open_quote.ok());
  ASSERT_EQ(open_quote->rejections.size(), 1u);
  EXPECT_EQ(open_quote->rejections[0].reason, "a quote that never closes");
}

}  // namespace
}  // namespace tandem::cli
