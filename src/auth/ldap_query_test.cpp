#include "auth/ldap_query.hpp"

#include <gtest/gtest.h>

namespace tandem::auth {
namespace {

LdapSettings search_settings() {
  LdapSettings s;
  s.uri = "ldap://10.0.0.1";
  s.base = "ou=people,dc=example,dc=org";
  return s;
}

TEST(LdapQuery, FilterMetacharactersInANameAreEscaped) {
  EXPECT_EQ(escape_filter_value("alice"), "alice");
  EXPECT_EQ(escape_filter_value("*"), "\\2a");
  EXPECT_EQ(escape_filter_value("a)(|(uid=*"), "a\\29\\28|\\28uid=\\2a");
  EXPECT_EQ(escape_filter_value(std::string_view("a\\b\0c", 5)), "a\\5cb\\00c");
}

TEST(LdapQuery, AnInjectedNameStaysOneAssertion) {
  const std::string f = user_filter(search_settings(), "*)(uid=*))(|(uid=*");
  EXPECT_EQ(f, "(uid=\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a)");
  // Only the template's own parentheses are left unescaped.
  int depth = 0, opened = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\') {
      i += 2;
      continue;
    }
    if (f[i] == '(') ++depth, ++opened;
    if (f[i] == ')') --depth;
  }
  EXPECT_EQ(depth, 0);
  EXPECT_EQ(opened, 1);
}

TEST(LdapQuery, DnSpecialCharactersAreEscaped) {
  EXPECT_EQ(escape_dn_value("alice"), "alice");
  EXPECT_EQ(escape_dn_value("a,ou=admins"), "a\\,ou\\=admins");
  EXPECT_EQ(escape_dn_value(" #lead"), "\\ #lead");
  EXPECT_EQ(escape_dn_value("#lead"), "\\#lead");
  EXPECT_EQ(escape_dn_value("trail "), "trail\\ ");
  EXPECT_EQ(escape_dn_value("a+b\"c;d<e>f\\"), "a\\+b\\\"c\\;d\\<e\\>f\\\\");
}

TEST(LdapQuery, TemplatesAreFilledEverywhere) {
  EXPECT_EQ(fill_template("(|(uid={user})(mail={user}))", "bob"), "(|(uid=bob)(mail=bob))");
  LdapSettings s = search_settings();
  EXPECT_FALSE(user_dn(s, "bob"));
  s.base.clear();
  s.user_dn = "uid={user},ou=people,dc=example,dc=org";
  EXPECT_EQ(user_dn(s, "b,ob"), "uid=b\\,ob,ou=people,dc=example,dc=org");
}

TEST(LdapQuery, GroupFilterEscapesTheMembersDn) {
  EXPECT_EQ(group_member_filter(LdapGroupMembership::kMember, "uid=a(1),dc=x"),
            "(member=uid=a\\281\\29,dc=x)");
  EXPECT_EQ(group_member_filter(LdapGroupMembership::kUniqueMember, "uid=a,dc=x"),
            "(uniqueMember=uid=a,dc=x)");
}

TEST(LdapQuery, DnsCompareWithoutCaseOrSpacesAroundSeparators) {
  EXPECT_TRUE(same_dn("cn=VPN, ou=Groups,dc=example,dc=org", "CN=vpn,ou=groups,DC=Example,dc=org"));
  EXPECT_TRUE(same_dn("cn = vpn , dc=x", "cn=vpn,dc=x"));
  EXPECT_FALSE(same_dn("cn=vpn users,dc=x", "cn=vpnusers,dc=x"));
  EXPECT_FALSE(same_dn("cn=vpn,dc=x", "cn=vpn2,dc=x"));
}

TEST(LdapQuery, EmptyPasswordsNeverReachTheDirectory) {
  EXPECT_TRUE(refuse_before_bind("alice", ""));
  EXPECT_TRUE(refuse_before_bind("", "secret"));
  EXPECT_TRUE(refuse_before_bind("alice", std::string_view("se\0cret", 7)));
  EXPECT_FALSE(refuse_before_bind("alice", "secret"));
}

TEST(LdapQuery, SettingsAreChecked) {
  EXPECT_EQ(check_settings(search_settings()), "");
  LdapSettings s = search_settings();
  s.uri = "http://x";
  EXPECT_NE(check_settings(s), "");
  s = search_settings();
  s.uri = "ldaps://x";
  s.start_tls = true;
  EXPECT_NE(check_settings(s), "");
  s = search_settings();
  s.user_dn = "uid={user},dc=x";
  EXPECT_NE(check_settings(s), "");  // both ways to find the user
  s.base.clear();
  s.user_dn = "uid=alice,dc=x";
  EXPECT_NE(check_settings(s), "");  // no {user}
  s = search_settings();
  s.filter = "uid={user}";
  EXPECT_NE(check_settings(s), "");
  s = search_settings();
  s.bind_dn = "cn=tandem,dc=x";
  EXPECT_NE(check_settings(s), "");
}

// A class with a rule takes its group; any other login, with a class or without, takes
// require_group, and with none of either every user who binds is let in.
TEST(LdapQuery, AClassRuleReplacesRequireGroupForItsAccountsOnly) {
  LdapSettings s = search_settings();
  s.classes = {{"staff", "cn=vpn-staff,dc=x"}, {"contractors", "cn=vpn-contractors,dc=x"}};
  EXPECT_EQ(group_rule(s, "bob", "contractors").group, "cn=vpn-contractors,dc=x");
  EXPECT_EQ(group_rule(s, "bob", "contractors").reason,
            "account bob, class contractors: its [[ldap.class]]");
  EXPECT_EQ(group_rule(s, "alice", "staff").group, "cn=vpn-staff,dc=x");
  EXPECT_EQ(group_rule(s, "dave", "interns").group, "");
  EXPECT_EQ(group_rule(s, "carol", std::nullopt).group, "");
  EXPECT_EQ(group_rule(s, "carol", std::nullopt).reason,
            "account carol, no class: no group required");
  s.require_group = "cn=vpn,dc=x";
  EXPECT_EQ(group_rule(s, "dave", "interns").group, "cn=vpn,dc=x");
  EXPECT_EQ(group_rule(s, "dave", "interns").reason,
            "account dave, class interns: [ldap] require_group (no [[ldap.class]] names interns)");
  EXPECT_EQ(group_rule(s, "carol", std::nullopt).group, "cn=vpn,dc=x");
  EXPECT_EQ(group_rule(s, "carol", std::nullopt).reason,
            "account carol, no class: [ldap] require_group");
  EXPECT_EQ(group_rule(s, "alice", "staff").group, "cn=vpn-staff,dc=x");
}

}  // namespace
}  // namespace tandem::auth
