// [ldap]: directory logins for an L2TP gateway, read with its defaults, handed to [l2tp], and
// refused where they cannot work (MS-CHAPv2, local users beside it, a cleartext bind across the
// network, a hybrid gateway) with the reason.
#include <gtest/gtest.h>

#include "control/config.hpp"
#include "control/config_test_support.hpp"

namespace tandem::control {
namespace {

using testing::refusal;
using testing::with;

const std::string kGateway = R"([l2tp]
mode = "lns"
allow_unencrypted = true
address = "10.77.0.1/24"
pool = "10.77.0.10-10.77.0.200"

[ldap]
uri = "ldap://127.0.0.1:3389"
base = "ou=people,dc=example,dc=org"
)";

TEST(LdapConfig, TurnsDirectoryLoginsOnWithPapAndNoLocalUsers) {
  auto r = parse_node_config(kGateway, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->ldap);
  ASSERT_TRUE(r->l2tp->ldap);
  EXPECT_EQ(*r->ldap, *r->l2tp->ldap);
  EXPECT_EQ(r->ldap->filter, "(uid={user})");
  EXPECT_EQ(r->ldap->workers, 2u);
  EXPECT_EQ(r->ldap->timeout, std::chrono::seconds(5));
  EXPECT_EQ(r->l2tp->auth, std::vector<ppp::AuthMethod>{ppp::AuthMethod::kPap});
  EXPECT_TRUE(r->l2tp->users.empty());
}

const std::string kEveryKey = R"X(uri = "ldap://ldap.example.org"
start_tls = true
ca_file = "/etc/tandem/ldap-ca.pem"
filter = "(&(objectClass=person)(uid={user}))"
bind_dn = "cn=tandem,dc=example,dc=org"
bind_password = "service secret"
require_group = "cn=vpn,ou=groups,dc=example,dc=org"
group_membership = "member"
timeout = 3
workers = 4)X";

TEST(LdapConfig, ReadsEveryKey) {
  auto r =
      parse_node_config(with(kGateway, "uri = \"ldap://127.0.0.1:3389\"", kEveryKey), "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const auth::LdapSettings& s = *r->ldap;
  EXPECT_TRUE(s.start_tls);
  EXPECT_EQ(s.ca_file, "/etc/tandem/ldap-ca.pem");
  EXPECT_EQ(s.bind_password, "service secret");
  EXPECT_EQ(s.group_membership, auth::LdapGroupMembership::kMember);
  EXPECT_EQ(s.require_group, "cn=vpn,ou=groups,dc=example,dc=org");
  EXPECT_EQ(s.timeout, std::chrono::seconds(3));
  EXPECT_EQ(s.workers, 4u);
}

TEST(LdapConfig, MsChapV2IsRefusedWithTheReason) {
  const std::string e = refusal(with(kGateway, "pool = ", "auth = [\"mschapv2\"]\npool = "));
  EXPECT_NE(e.find("n.toml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("MS-CHAPv2 send only a hash"), std::string::npos) << e;
}

TEST(LdapConfig, LocalUsersBesideItAreRefused) {
  const std::string e = refusal(with(kGateway, "[ldap]", R"([[l2tp.user]]
name = "alice"
password = "correct horse"

[ldap])"));
  EXPECT_NE(e.find("the backend checks every login: remove the [[l2tp.user]]"), std::string::npos)
      << e;
}

TEST(LdapConfig, ACleartextBindAcrossTheNetworkIsRefused) {
  const std::string e = refusal(with(kGateway, "ldap://127.0.0.1:3389", "ldap://ldap.example.org"));
  EXPECT_NE(e.find("use ldaps://, or start_tls = true"), std::string::npos) << e;
  EXPECT_TRUE(parse_node_config(with(kGateway, "ldap://127.0.0.1:3389", "ldaps://ldap.example.org"),
                                "n.toml"));
}

TEST(LdapConfig, NonsenseIsRefused) {
  EXPECT_NE(refusal(with(kGateway, "base = ", "user_dn = \"uid={user},dc=x\"\nbase = "))
                .find("either user_dn"),
            std::string::npos);
  EXPECT_NE(refusal(with(kGateway, "base = ", "filter = \"(uid=alice)\"\nbase = "))
                .find("filter must contain {user}"),
            std::string::npos);
  EXPECT_NE(refusal(with(kGateway, "base = ", "group_membership = \"member\"\nbase = "))
                .find("give require_group"),
            std::string::npos);
  EXPECT_NE(refusal(with(kGateway, "base = ", "bind_dn = \"cn=x\"\nbase = "))
                .find("bind_dn needs bind_password"),
            std::string::npos);
  EXPECT_NE(refusal(with(kGateway, "base = ", "sizelimit = 3\nbase = ")).find("unknown key"),
            std::string::npos);
  const std::string client = R"([l2tp]
mode = "lac"
allow_unencrypted = true
server = "10.77.0.1"

[[l2tp.session]]
user = "alice"
password = "correct horse"

[ldap]
uri = "ldap://127.0.0.1"
base = "dc=x"
)";
  EXPECT_NE(refusal(client).find("needs [l2tp] with mode = \"lns\""), std::string::npos)
      << refusal(client);
}

const std::string kHybridGateway = testing::kHybridGatewayInterface + R"([l2tp]
mode = "lns"

[l2tp.ipsec]
psk = "a pre-shared key of some length"

[ldap]
uri = "ldaps://ldap.example.org"
user_dn = "uid={user},ou=people,dc=example,dc=org"

[[account]]
name = "alice"
address = "10.77.0.2"
)";

TEST(LdapConfig, AHybridGatewaysAccountsNeedNoPasswordOfTheirOwn) {
  auto r = parse_node_config(kHybridGateway, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->l2tp->ldap);
  ASSERT_EQ(r->accounts.size(), 1u);
  EXPECT_FALSE(r->accounts[0].password);
  EXPECT_EQ(r->l2tp->auth, std::vector<ppp::AuthMethod>{ppp::AuthMethod::kPap});
}

TEST(LdapConfig, AHybridAccountsOwnPasswordIsRefusedBesideIt) {
  const std::string e = refusal(
      with(kHybridGateway, "address = \"10.77.0.2\"", "address = \"10.77.0.2\"\npassword = \"x\""));
  EXPECT_NE(e.find("with [ldap] the backend checks the L2TP passwords: remove this from "
                   "account 'alice'"),
            std::string::npos)
      << e;
}

const std::string kClassRules = R"(
[[ldap.class]]
name = "staff"
require_group = "cn=vpn-staff,ou=groups,dc=example,dc=org"

[[ldap.class]]
name = "contractors"
require_group = "cn=vpn-contractors,ou=groups,dc=example,dc=org"
)";

const std::string kClassedAccounts = R"(
[[account]]
name = "bob"
address = "10.77.0.3"
class = "contractors"

[[account]]
name = "carol"
address = "10.77.0.4"
class = "staff"
)";

TEST(LdapConfig, AHybridGatewayReadsAccountClassesAndAGroupPerClass) {
  auto r = parse_node_config(kHybridGateway + kClassRules + kClassedAccounts, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->accounts.size(), 3u);
  EXPECT_EQ(r->accounts[0].account_class, std::nullopt);
  EXPECT_EQ(r->accounts[1].account_class, "contractors");
  const std::vector<auth::LdapClassRule> rules{
      {"staff", "cn=vpn-staff,ou=groups,dc=example,dc=org"},
      {"contractors", "cn=vpn-contractors,ou=groups,dc=example,dc=org"}};
  EXPECT_EQ(r->ldap->classes, rules);
  EXPECT_EQ(r->l2tp->ldap->classes, rules);
  EXPECT_TRUE(r->warnings.empty());
  // group_membership may say how the class rules are read when there is no require_group.
  auto member = parse_node_config(
      with(kHybridGateway, "user_dn = ", "group_membership = \"member\"\nuser_dn = ") +
          kClassRules + kClassedAccounts,
      "n.toml");
  ASSERT_TRUE(member) << member.error().to_string();
  EXPECT_EQ(member->ldap->group_membership, auth::LdapGroupMembership::kMember);
}

TEST(LdapConfig, AClassThatIsNoClassNameIsRefusedNamingTheAccount) {
  const std::string e = refusal(with(kHybridGateway, "address = \"10.77.0.2\"",
                                     "address = \"10.77.0.2\"\nclass = \"Staff Members\""));
  EXPECT_NE(e.find("n.toml:19:9: account 'alice': class 'Staff Members' must be 1 to 32 "
                   "characters of a-z, 0-9, '_' and '-'"),
            std::string::npos)
      << e;
  EXPECT_NE(refusal(with(kHybridGateway, "address = \"10.77.0.2\"",
                         "address = \"10.77.0.2\"\nclass = \"" + std::string(33, 'a') + "\""))
                .find("1 to 32 characters"),
            std::string::npos);
}

TEST(LdapConfig, ClassRulesAreRefusedOnAPlainL2tpGatewayWithTheReason) {
  const std::string e = refusal(kGateway + kClassRules);
  EXPECT_NE(e.find("this L2TP gateway has no accounts ([[account]] or [accounts] store), so no "
                   "classes: use [ldap] require_group for every login"),
            std::string::npos)
      << e;
}

TEST(LdapConfig, BadClassRulesAreRefused) {
  const std::string gateway = kHybridGateway + kClassedAccounts;
  EXPECT_NE(refusal(gateway + kClassRules +
                    "\n[[ldap.class]]\nname = \"staff\"\nrequire_group "
                    "= \"cn=other\"\n")
                .find("two [[ldap.class]] tables name class 'staff' (the first at line 30)"),
            std::string::npos)
      << refusal(gateway + kClassRules +
                 "\n[[ldap.class]]\nname = \"staff\"\nrequire_group "
                 "= \"cn=other\"\n");
  EXPECT_NE(refusal(gateway + "\n[[ldap.class]]\nname = \"staff\"\n")
                .find("[[ldap.class]] 'staff' needs require_group"),
            std::string::npos);
  EXPECT_NE(refusal(gateway + "\n[[ldap.class]]\nrequire_group = \"cn=x\"\n").find("needs name"),
            std::string::npos);
  EXPECT_NE(refusal(gateway + "\n[[ldap.class]]\nname = \"Staff\"\nrequire_group = \"cn=x\"\n")
                .find("[[ldap.class]] class 'Staff' must be"),
            std::string::npos);
  EXPECT_NE(refusal(gateway + "\n[[ldap.class]]\nname = \"staff\"\ngroup = \"cn=x\"\n")
                .find("unknown key 'group' in [[ldap.class]]"),
            std::string::npos);
}

// Accounts may get the class later (a reload, or the store), so a rule nobody uses yet is a
// warning, not a refusal; a store's gateway has no accounts in the file to compare with.
TEST(LdapConfig, AClassRuleNoAccountUsesIsWarnedAbout) {
  const std::string interns = "\n[[ldap.class]]\nname = \"interns\"\nrequire_group = \"cn=i\"\n";
  auto r = parse_node_config(kHybridGateway + kClassRules + kClassedAccounts + interns, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0],
            "[[ldap.class]] 'interns' is the class of no [[account]] in n.toml, so its "
            "require_group applies to no login; give an account class = \"interns\" or remove "
            "the rule");
  const std::string store_gateway =
      with(with(kHybridGateway, "[[account]]\nname = \"alice\"\naddress = \"10.77.0.2\"\n", ""),
           "[l2tp]", "[accounts]\nstore = \"/var/lib/tandem/gw.db\"\n\n[l2tp]") +
      interns;
  auto stored = parse_node_config(store_gateway, "n.toml");
  ASSERT_TRUE(stored) << stored.error().to_string();
  EXPECT_TRUE(stored->warnings.empty());
  EXPECT_EQ(stored->ldap->classes.size(), 1u);
}

}  // namespace
}  // namespace tandem::control
