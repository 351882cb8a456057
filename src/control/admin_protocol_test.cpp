#include "control/admin_protocol.hpp"

#include <gtest/gtest.h>

namespace tandem::control {
namespace {

TEST(AdminProtocol, EveryCommandSurvivesTheRoundTrip) {
  for (AdminRequest r : {AdminRequest{AdminCommand::kStatus, 0},
                         {AdminCommand::kReload, 0},
                         {AdminCommand::kSyncAccounts, 0},
                         {AdminCommand::kDrill, 30},
                         {AdminCommand::kStop, 0}}) {
    auto parsed = parse_admin_request(format_admin_request(r));
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(format_admin_request(AdminCommand::kStatus), "{\"command\":\"status\"}\n\n");
}

TEST(AdminProtocol, ADrillNeedsItsDuration) {
  EXPECT_FALSE(parse_admin_request(R"({"command":"drill"})").ok());
  EXPECT_FALSE(parse_admin_request(R"({"command":"drill","seconds":0})").ok());
  EXPECT_FALSE(parse_admin_request(R"({"command":"drill","seconds":3601})").ok());
  EXPECT_FALSE(parse_admin_request(R"({"command":"drill","seconds":-5})").ok());
  auto ok = parse_admin_request(R"({"command":"drill","seconds":3600})");
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->seconds, 3600u);
}

TEST(AdminProtocol, AStatusSplitsIntoWireguardInterfacesAndDocuments) {
  const auto wg = [](const char* name) {
    return nlohmann::json{{"kind", "wireguard"}, {"name", name},
                          {"public_key", ""},    {"listen_port", 51820},
                          {"fwmark", 0},         {"peers", nlohmann::json::array()}};
  };
  nlohmann::json body{
      {"interfaces",
       {wg("wg0"),
        {{"kind", "hybrid"},
         {"interface", "hy0"},
         {"wireguard", wg("hy0")},
         {"l2tp", {{"kind", "l2tp"}, {"interface", "hy0"}, {"ipsec", {{"ike_sas", 1}}}}}},
        {{"kind", "wireguard"}, {"name", "broken"}},
        {{"kind", "ipsec"}, {"interface", "es0"}}}}};
  AdminStatus status;
  split_admin_status(body, status);
  ASSERT_EQ(status.wireguard.size(), 2u);
  EXPECT_EQ(status.wireguard[0].name, "wg0");
  EXPECT_EQ(status.wireguard[1].name, "hy0");
  ASSERT_EQ(status.documents.size(), 3u);
  EXPECT_EQ(status.documents[0]["kind"], "hybrid");
  EXPECT_FALSE(status.documents[0].contains("wireguard"));
  EXPECT_FALSE(status.documents[0].contains("l2tp"));
  EXPECT_EQ(status.documents[1]["kind"], "l2tp");
  EXPECT_EQ(status.documents[1]["ipsec"]["ike_sas"], 1);  // its IKE state stays in it
  EXPECT_EQ(status.documents[2]["kind"], "ipsec");
  ASSERT_EQ(status.errors.size(), 1u);
}

TEST(AdminProtocol, RequestsThatAreNotCommandsAreExplained) {
  auto garbage = parse_admin_request("get=1\n\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().find(R"({"command":"status"})"), std::string::npos);
  auto unknown = parse_admin_request(R"({"command":"explode"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("unknown command \"explode\""), std::string::npos);
  EXPECT_NE(unknown.error().find("sync-accounts"), std::string::npos);
  EXPECT_FALSE(parse_admin_request(R"({"command":7})").ok());
  EXPECT_FALSE(parse_admin_request("[]").ok());
}

TEST(AdminProtocol, RepliesCarryTheBodyOrTheError) {
  auto ok = parse_admin_reply(format_admin_reply({{"interfaces", nlohmann::json::array()}}));
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_TRUE(ok->contains("interfaces"));
  EXPECT_FALSE(ok->contains("ok"));
  auto refused = parse_admin_reply(format_admin_error("no store: add [accounts] store"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "no store: add [accounts] store");
  EXPECT_FALSE(parse_admin_reply("errno=0\n\n").ok());
  EXPECT_FALSE(parse_admin_reply(R"({"ok":"yes"})").ok());
}

TEST(AdminProtocol, AReplyWithBrokenUtf8StillFormats) {
  const std::string reply = format_admin_reply({{"name", std::string("caf\xe9")}});
  EXPECT_TRUE(parse_admin_reply(reply).ok());
}

}  // namespace
}  // namespace tandem::control
