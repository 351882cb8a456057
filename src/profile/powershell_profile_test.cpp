#include "profile/powershell_profile.hpp"

#include <gtest/gtest.h>

#include "profile/test_profile_input.hpp"

namespace tandem::profile {
namespace {

using testing::has_line;
using testing::refusal;
using testing::sample_input;

std::string script(const ProfileInput& in) {
  return testing::made(render_powershell(in));
}

TEST(PowershellProfile, AddsAnL2tpIpsecConnectionWithEveryParameter) {
  const std::string s = script(sample_input());
  EXPECT_TRUE(s.starts_with("\xEF\xBB\xBF# Tandem alice: L2TP/IPsec")) << s;
  EXPECT_TRUE(has_line(s, "param([switch]$BehindNat)")) << s;
  EXPECT_TRUE(has_line(s,
                       "Remove-VpnConnection -Name 'Tandem alice' -Force "
                       "-ErrorAction SilentlyContinue"))
      << s;
  EXPECT_TRUE(has_line(s,
                       "Add-VpnConnection -Name 'Tandem alice' -ServerAddress "
                       "'vpn.example.org' -TunnelType L2tp `"))
      << s;
  EXPECT_TRUE(has_line(s,
                       "    -L2tpPsk 'l2tp ipsec pre-shared key' -AuthenticationMethod MSChapv2 "
                       "-EncryptionLevel Required `"))
      << s;
  EXPECT_TRUE(has_line(s,
                       "    -RememberCredential -Force -SplitTunneling -DnsSuffix "
                       "'corp.example'"))
      << s;
}

TEST(PowershellProfile, RoutesTheIpv4SplitRoutesOnly) {
  const std::string s = script(sample_input());
  EXPECT_TRUE(has_line(s,
                       "Add-VpnConnectionRoute -ConnectionName 'Tandem alice' "
                       "-DestinationPrefix '10.77.0.0/24'"))
      << s;
  EXPECT_TRUE(has_line(s,
                       "Add-VpnConnectionRoute -ConnectionName 'Tandem alice' "
                       "-DestinationPrefix '192.168.50.0/24'"))
      << s;
  // L2TP carries IPv4 only.
  EXPECT_EQ(s.find("fd77::"), std::string::npos) << s;
}

TEST(PowershellProfile, FullTunnelHasNoSplitTunnelingNorRoutes) {
  ProfileInput in = sample_input();
  in.routes = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  in.dns_search.clear();
  const std::string s = script(in);
  EXPECT_TRUE(has_line(s, "    -RememberCredential -Force")) << s;
  EXPECT_EQ(s.find("-SplitTunneling"), std::string::npos);
  EXPECT_EQ(s.find("Add-VpnConnectionRoute"), std::string::npos);
}

TEST(PowershellProfile, SavesTheLoginWithOneDial) {
  const std::string s = script(sample_input());
  EXPECT_TRUE(has_line(s, "rasdial 'Tandem alice' 'alice' 'correct horse'")) << s;
  EXPECT_TRUE(has_line(s, "rasdial 'Tandem alice' /disconnect | Out-Null")) << s;
}

TEST(PowershellProfile, APasswordWithADoubleQuoteIsTypedAtFirstConnection) {
  ProfileInput in = sample_input();
  in.l2tp->password = "say \"hi\"";
  const std::string s = script(in);
  EXPECT_EQ(s.find("\nrasdial "), std::string::npos) << s;
  EXPECT_EQ(s.find("say"), std::string::npos);
  EXPECT_NE(s.find("type it at the first connection"), std::string::npos) << s;
}

TEST(PowershellProfile, SetsTheNatRegistryValueOnRequestAndWarnsOfTheReboot) {
  const std::string s = script(sample_input());
  EXPECT_TRUE(has_line(s, "if ($BehindNat) {")) << s;
  EXPECT_TRUE(has_line(s,
                       "  Set-ItemProperty -Path "
                       "'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\PolicyAgent' `"))
      << s;
  EXPECT_TRUE(has_line(s,
                       "      -Name 'AssumeUDPEncapsulationContextOnSendRule' -Type DWord "
                       "-Value 2"))
      << s;
  EXPECT_NE(s.find("Write-Warning 'Restart Windows before connecting"), std::string::npos);
}

TEST(PowershellProfile, DoublesEverySingleQuoteInStrings) {
  EXPECT_EQ(powershell_quote("O'Brien"), "'O''Brien'");
  EXPECT_EQ(powershell_quote("a\xE2\x80\x98"
                             "b\xE2\x80\x99"
                             "c"),
            "'a\xE2\x80\x98\xE2\x80\x98"
            "b\xE2\x80\x99\xE2\x80\x99"
            "c'");
  EXPECT_EQ(powershell_quote("$(rm -r C:\\) `n"), "'$(rm -r C:\\) `n'");
  EXPECT_EQ(powershell_quote("\xE2\x80\x9C"), "'\xE2\x80\x9C'");  // a double quote stays single
}

TEST(PowershellProfile, QuotesAHostileAccountAndPassword) {
  ProfileInput in = sample_input();
  in.account = "x'; Remove-Item -Recurse C:\\ #";
  in.l2tp->user = in.account;
  in.l2tp->password = "p'w";
  in.l2tp->ipsec_psk = "k'ey";
  const std::string s = script(in);
  EXPECT_TRUE(has_line(s,
                       "rasdial 'Tandem x''; Remove-Item -Recurse C:\\ #' "
                       "'x''; Remove-Item -Recurse C:\\ #' 'p''w'"))
      << s;
  EXPECT_NE(s.find("-L2tpPsk 'k''ey'"), std::string::npos);
}

TEST(PowershellProfile, RefusesWithoutAnL2tpIpsecLogin) {
  ProfileInput in = sample_input();
  in.l2tp->ipsec_psk.clear();
  EXPECT_NE(refusal(render_powershell(in)).find("Windows does not dial"), std::string::npos);
  in.l2tp.reset();
  EXPECT_NE(refusal(render_powershell(in)).find("no L2TP login"), std::string::npos);
}

}  // namespace
}  // namespace tandem::profile
