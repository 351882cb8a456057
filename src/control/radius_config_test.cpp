// [radius]: servers read with their defaults (ports 1812/1813, Message-Authenticator required),
// handed to [l2tp], an opt-out warned about, and nonsense refused with the reason.
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
host_name = "gw1"
auth = ["mschapv2", "pap"]
address = "10.77.0.1/24"
pool = "10.77.0.10-10.77.0.200"

[radius]
interim_interval = 600

[[radius.server]]
address = "10.0.0.5"
secret = "a shared secret of length"

[[radius.server]]
name = "backup"
address = "10.0.0.6:11812"
secret = "another shared secret"
accounting_port = 0
timeout = 1
retries = 0
)";

TEST(RadiusConfig, ReadsServersWithTheirDefaultsAndHandsThemToL2tp) {
  auto r = parse_node_config(kGateway, "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->radius);
  ASSERT_TRUE(r->l2tp->radius);
  EXPECT_EQ(*r->radius, *r->l2tp->radius);
  const auth::RadiusSettings& s = *r->radius;
  EXPECT_EQ(s.interim_interval, std::chrono::seconds(600));
  EXPECT_EQ(s.client.nas_identifier, "gw1");
  ASSERT_EQ(s.client.authentication.size(), 2u);
  EXPECT_EQ(s.client.authentication[0].endpoint.to_string(), "10.0.0.5:1812");
  EXPECT_EQ(s.client.authentication[0].name, "10.0.0.5:1812");
  EXPECT_TRUE(s.client.authentication[0].require_message_authenticator);
  EXPECT_EQ(s.client.authentication[0].timeout, std::chrono::seconds(3));
  EXPECT_EQ(s.client.authentication[0].retries, 2u);
  EXPECT_EQ(s.client.authentication[1].name, "backup");
  EXPECT_EQ(s.client.authentication[1].endpoint.to_string(), "10.0.0.6:11812");
  EXPECT_EQ(s.client.authentication[1].retries, 0u);
  // Accounting only where a port is left for it.
  ASSERT_EQ(s.client.accounting.size(), 1u);
  EXPECT_EQ(s.client.accounting[0].endpoint.to_string(), "10.0.0.5:1813");
  // Every method: RADIUS checks CHAP and MS-CHAPv2 too.
  EXPECT_EQ(r->l2tp->auth.size(), 2u);
  EXPECT_TRUE(r->l2tp->users.empty());
}

TEST(RadiusConfig, AnOptOutOfMessageAuthenticatorIsWarnedAbout) {
  auto r = parse_node_config(with(kGateway, "accounting_port = 0",
                                  "accounting_port = 0\nrequire_message_authenticator = false"),
                             "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->radius->client.authentication[1].require_message_authenticator);
  bool warned = false;
  for (const auto& w : r->warnings) warned |= w.find("BlastRADIUS") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(RadiusConfig, NonsenseIsRefused) {
  const auto refused_with = [](const std::string& text, const std::string& part) {
    const std::string e = refusal(text);
    EXPECT_NE(e.find(part), std::string::npos) << e;
  };
  refused_with(with(kGateway, "\"a shared secret of length\"", "\"short\""), "at least 16");
  refused_with(with(kGateway, "address = \"10.0.0.5\"", "address = \"radius.example.org\""),
               "no host names");
  refused_with(with(kGateway, "interim_interval = 600", "interim_interval = 5"), "at least 10");
  refused_with(with(kGateway, "name = \"backup\"", "name = \"10.0.0.5:1812\""), "two [[radius");
  refused_with(
      with(kGateway, "[radius]", "[ldap]\nuri = \"ldap://127.0.0.1\"\nbase = \"dc=x\"\n\n[radius]"),
      "not both");
  refused_with(
      with(kGateway, "pool = \"10.77.0.10-10.77.0.200\"",
           "pool = \"10.77.0.10-10.77.0.200\"\n\n[[l2tp.user]]\nname = \"a\"\npassword = \"b\""),
      "remove the [[l2tp.user]]");
}

TEST(RadiusConfig, ARadsecServerHasItsPortSecretAndNoRetransmissions) {
  auto r = parse_node_config(with(kGateway, R"([[radius.server]]
address = "10.0.0.5")",
                                  R"([[radius.server]]
address = "10.0.0.5"
transport = "tls"
ca_file = "/etc/tandem/radsec-ca.pem"
certificate = "gw.pem"
private_key = "gw.key")"),
                             "n.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  const auth::RadiusServer& s = r->radius->client.authentication[0];
  EXPECT_EQ(s.endpoint.to_string(), "10.0.0.5:2083");
  EXPECT_EQ(s.retries, 0u);
  ASSERT_TRUE(s.tls);
  EXPECT_EQ(s.tls->ca_file, "/etc/tandem/radsec-ca.pem");
  EXPECT_TRUE(s.tls->certificate.ends_with("/gw.pem")) << s.tls->certificate;  // beside the file
  // Accounting on the same connection.
  EXPECT_EQ(r->radius->client.accounting[0].endpoint.to_string(), "10.0.0.5:2083");
}

TEST(RadiusConfig, RadsecSettingsAreChecked) {
  const std::string tls = R"([[radius.server]]
address = "10.0.0.9"
transport = "tls"
)";
  const auto refused_with = [](const std::string& text, const std::string& part) {
    const std::string e = refusal(text);
    EXPECT_NE(e.find(part), std::string::npos) << e;
  };
  refused_with(kGateway + tls, "needs ca_file");
  refused_with(kGateway + tls + "ca_file = \"/ca.pem\"\ncertificate = \"/c.pem\"\n",
               "certificate and private_key together");
  refused_with(kGateway + tls + "ca_file = \"/ca.pem\"\nretries = 2\n", "remove retries");
  refused_with(with(kGateway, "accounting_port = 0", "accounting_port = 0\nca_file = \"/ca.pem\""),
               "for transport = \"tls\"");
}

}  // namespace
}  // namespace tandem::control
