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

}  // namespace
}  // namespace tandem::control
