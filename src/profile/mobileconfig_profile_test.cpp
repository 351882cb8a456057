#include "profile/mobileconfig_profile.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "base/seeded_rng.hpp"
#include "base/test_temp_dir.hpp"
#include "profile/test_command.hpp"
#include "profile/test_profile_input.hpp"

namespace tandem::profile {
namespace {

using testing::sample_input;

std::string profile(const ProfileInput& in, std::uint64_t seed = 1) {
  SeededRng rng(seed);
  auto out = render_mobileconfig(in, rng);
  EXPECT_TRUE(out) << out.error();
  return out ? *out : std::string();
}

// python3's plistlib loads the file and checks it as a device would read it: the payload types,
// the value types, the IPsec SharedSecret as data that decodes to the pre-shared key.
constexpr const char* kPlistCheck = R"PY(
import plistlib, re, sys
path, account, psk, want_ikev2 = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4] == "1"
p = plistlib.load(open(path, "rb"))
assert p["PayloadType"] == "Configuration", p["PayloadType"]
assert p["PayloadVersion"] == 1
uuid = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
uuids = [p["PayloadUUID"]] + [c["PayloadUUID"] for c in p["PayloadContent"]]
assert all(uuid.match(u) for u in uuids), uuids
assert len(set(uuids)) == len(uuids), uuids
assert p["PayloadDisplayName"] == "Tandem " + account, p["PayloadDisplayName"]
l2tp = p["PayloadContent"][0]
assert l2tp["PayloadType"] == "com.apple.vpn.managed"
assert l2tp["VPNType"] == "L2TP"
assert l2tp["PayloadIdentifier"].startswith(p["PayloadIdentifier"] + ".")
assert l2tp["UserDefinedName"] == "Tandem " + account + " (L2TP)"
assert l2tp["PPP"]["AuthName"] == account
assert isinstance(l2tp["PPP"]["AuthPassword"], str)
assert l2tp["PPP"]["CommRemoteAddress"] == "vpn.example.org"
assert l2tp["IPSec"]["AuthenticationMethod"] == "SharedSecret"
assert isinstance(l2tp["IPSec"]["SharedSecret"], bytes)
assert l2tp["IPSec"]["SharedSecret"] == psk, l2tp["IPSec"]["SharedSecret"]
assert l2tp["IPv4"]["OverridePrimary"] == 0
assert l2tp["DNS"]["ServerAddresses"] == ["10.77.0.53"]
assert l2tp["DNS"]["SearchDomains"] == ["corp.example"]
if want_ikev2:
    ike = p["PayloadContent"][1]
    assert ike["VPNType"] == "IKEv2"
    v2 = ike["IKEv2"]
    assert v2["RemoteAddress"] == "vpn.example.org"
    assert v2["RemoteIdentifier"] == "vpn.example.org"
    assert v2["LocalIdentifier"] == "alice@example.org"
    assert v2["AuthenticationMethod"] == "SharedSecret"
    assert v2["SharedSecret"] == "ike key of sixteen+"
    assert isinstance(v2["IKESecurityAssociationParameters"]["DiffieHellmanGroup"], int)
else:
    assert len(p["PayloadContent"]) == 1
print("ok")
)PY";

std::pair<std::string, int> plist_check(const std::string& text, const std::string& account,
                                        const std::string& psk, bool ikev2) {
  tandem::testing::TempDir dir;
  EXPECT_TRUE(dir.ok());
  std::ofstream(dir.path() + "/p.mobileconfig") << text;
  std::ofstream(dir.path() + "/check.py") << kPlistCheck;
  // Arguments pass through files: a hostile name must not meet the shell.
  std::ofstream(dir.path() + "/account") << account;
  std::ofstream(dir.path() + "/psk") << psk;
  const std::string command = "cd " + dir.path() +
                              " && python3 check.py p.mobileconfig \"$(cat account)\" "
                              "\"$(cat psk)\" " +
                              (ikev2 ? "1" : "0") + " 2>&1";
  return testing::run_shell(command);
}

TEST(MobileconfigProfile, PlistlibLoadsItWithTheRightTypesAndSecret) {
  const auto [out, status] =
      plist_check(profile(sample_input()), "alice", "l2tp ipsec pre-shared key", true);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "ok\n");
}

TEST(MobileconfigProfile, HasNoIkev2PayloadWithoutAnIkev2Login) {
  ProfileInput in = sample_input();
  in.ike.reset();
  const std::string text = profile(in);
  EXPECT_EQ(text.find("IKEv2"), std::string::npos);
  const auto [out, status] = plist_check(text, "alice", "l2tp ipsec pre-shared key", false);
  EXPECT_EQ(status, 0) << out;
}

TEST(MobileconfigProfile, EscapesAHostileAccountName) {
  ProfileInput in = sample_input();
  in.account = "<a>&\"b'</string><key>x";
  in.l2tp->user = in.account;
  in.l2tp->ipsec_psk = "psk&<>";
  const std::string text = profile(in);
  EXPECT_EQ(text.find("</string><key>x"), std::string::npos);
  EXPECT_NE(text.find("&lt;a&gt;&amp;&quot;b&apos;&lt;/string&gt;&lt;key&gt;x"), std::string::npos);
  const auto [out, status] = plist_check(text, in.account, "psk&<>", true);
  EXPECT_EQ(status, 0) << out;
}

TEST(MobileconfigProfile, DropsCharactersXmlForbids) {
  EXPECT_EQ(xml_escape("a\x01"
                       "b\x1f"
                       "c\td"),
            "abc\td");
}

TEST(MobileconfigProfile, FullTunnelOverridesThePrimaryService) {
  ProfileInput in = sample_input();
  in.routes = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  const std::string text = profile(in);
  const auto at = text.find("<key>OverridePrimary</key>");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.substr(text.find('\n', at) + 1).find("<integer>1</integer>"),
            text.substr(text.find('\n', at) + 1).find_first_not_of(' '))
      << text;
}

TEST(MobileconfigProfile, IdentifiersAreReverseDns) {
  ProfileInput in = sample_input();
  EXPECT_EQ(payload_identifier(in), "org.example.vpn.tandem.alice");
  in.endpoint_host = "192.0.2.1";
  in.account = "bob smith@x";
  EXPECT_EQ(payload_identifier(in), "tandem.192-0-2-1.tandem.bob-smith-x");
}

TEST(MobileconfigProfile, UuidsAreRandomVersion4) {
  SeededRng rng(7);
  const std::regex v4("^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string uuid = random_uuid(rng);
    EXPECT_TRUE(std::regex_match(uuid, v4)) << uuid;
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(MobileconfigProfile, RefusesAnAccountWithNoLoginAppleDials) {
  ProfileInput in = sample_input();
  in.ike.reset();
  in.l2tp->ipsec_psk.clear();
  SeededRng rng(1);
  auto out = render_mobileconfig(in, rng);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().find("neither an L2TP/IPsec login"), std::string::npos);
}

}  // namespace
}  // namespace tandem::profile
