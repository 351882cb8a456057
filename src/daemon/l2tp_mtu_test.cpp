// An L2TP session's MTU when [l2tp] names none, against sums worked out here from the header
// sizes: IPv4 20, UDP 4500 8, ESP header 8, the suite's IV, padding (with the 2-byte trailer) and
// ICV, then UDP 1701 8, L2TP 6 and PPP 4.
#include "daemon/l2tp_mtu.hpp"

#include <gtest/gtest.h>

#include "ipsec/ike/v1/config.hpp"

namespace tandem::daemon {
namespace {

namespace v1 = ipsec::ike::v1;

constexpr std::size_t kInside = 8 + 6 + 4 + 2;  // UDP 1701, L2TP, PPP and ESP's trailer

// The largest inner packet whose padded ESP payload fits what the underlay leaves for it.
std::size_t esp_inner(std::size_t underlay, std::size_t iv, std::size_t block, std::size_t icv) {
  return (underlay - 20 - 8 - 8 - iv - icv) / block * block - kInside;
}

control::L2tpConfig client(std::vector<v1::Phase2Suite> esp) {
  control::L2tpConfig c;
  c.role = control::L2tpRole::kLac;
  c.ipsec.emplace();
  c.ipsec->esp_proposals = std::move(esp);
  return c;
}

constexpr v1::Phase2Suite kGcm{v1::kEspAesGcm16, 256, 0, 0};
constexpr v1::Phase2Suite kCbcSha1{v1::kEspAesCbc, 128, v1::kAuthHmacSha1, 0};
constexpr v1::Phase2Suite kCbcSha256{v1::kEspAesCbc, 256, v1::kAuthHmacSha256, 0};

TEST(L2tpMtu, OneSuiteGivesItsOwnBudget) {
  // AES-GCM: an 8-byte IV, a 16-byte ICV, 4-byte alignment.
  EXPECT_EQ(l2tp_mtu_over(client({kGcm}), 1500, IpAddress::Family::kV4), esp_inner(1500, 8, 4, 16));
  EXPECT_EQ(esp_inner(1500, 8, 4, 16), 1420u);
  // AES-CBC with HMAC-SHA1-96: a 16-byte IV, a 12-byte ICV, padding to 16.
  EXPECT_EQ(l2tp_mtu_over(client({kCbcSha1}), 1500, IpAddress::Family::kV4),
            esp_inner(1500, 16, 16, 12));
  EXPECT_EQ(esp_inner(1500, 16, 16, 12), 1404u);
  EXPECT_EQ(l2tp_mtu_over(client({kCbcSha1}), 1280, IpAddress::Family::kV4),
            esp_inner(1280, 16, 16, 12));
}

TEST(L2tpMtu, SeveralSuitesGiveTheCostliest) {
  // Over 1440 bytes HMAC-SHA-256-128's four more ICV bytes cost a whole block.
  const std::size_t sha256 = esp_inner(1440, 16, 16, 16);
  EXPECT_LT(sha256, esp_inner(1440, 16, 16, 12));
  EXPECT_EQ(l2tp_mtu_over(client({kGcm, kCbcSha256, kCbcSha1}), 1440, IpAddress::Family::kV4),
            sha256);
  // No esp_proposals: the defaults, which include AES-CBC with HMAC-SHA-256.
  EXPECT_EQ(l2tp_mtu_over(client({}), 1440, IpAddress::Family::kV4), sha256);
  std::string why;
  (void)l2tp_mtu_over(client({}), 1440, IpAddress::Family::kV4, &why);
  EXPECT_NE(why.find("aes-cbc-sha256, the costliest suite"), std::string::npos) << why;
}

TEST(L2tpMtu, EachIkev1SuiteHasABudgetAtLeastAsCostly) {
  EXPECT_EQ(esp_suite_of(kGcm), hybrid::EspSuite::kAesGcm16);
  EXPECT_EQ(esp_suite_of(kCbcSha1), hybrid::EspSuite::kAesCbcSha1);
  EXPECT_EQ(esp_suite_of(kCbcSha256), hybrid::EspSuite::kAesCbcSha256);
  EXPECT_EQ(esp_suite_of({v1::kEsp3des, 0, v1::kAuthHmacSha1, 0}),
            hybrid::EspSuite::kTripleDesSha1);
  EXPECT_EQ(esp_suite_of({v1::kEsp3des, 0, v1::kAuthHmacSha256, 0}),
            hybrid::EspSuite::kAesCbcSha256);
  // The defaults once each.
  EXPECT_EQ(
      allowed_esp_suites(*client({}).ipsec),
      (std::vector<hybrid::EspSuite>{hybrid::EspSuite::kAesGcm16, hybrid::EspSuite::kAesCbcSha256,
                                     hybrid::EspSuite::kAesCbcSha1}));
}

TEST(L2tpMtu, PlainL2tpHasNoEsp) {
  control::L2tpConfig c;
  c.allow_unencrypted = true;
  EXPECT_EQ(l2tp_mtu_over(c, 1500, IpAddress::Family::kV4), 1500u - 20 - 8 - 6 - 4);
  EXPECT_EQ(l2tp_mtu_over(c, 1500, IpAddress::Family::kV6), 1500u - 40 - 8 - 6 - 4);
  // L2TP/IPsec runs over IPv4 only.
  EXPECT_EQ(l2tp_mtu_over(client({kGcm}), 1500, IpAddress::Family::kV6), 0u);
}

TEST(L2tpMtu, AGivenMtuWins) {
  control::L2tpConfig c = client({kGcm});
  c.mtu = 1300;
  c.mtu_given = true;
  std::string why;
  EXPECT_EQ(l2tp_device_mtu(c, std::nullopt, &why), 1300u);
  EXPECT_EQ(why, "as configured");
}

TEST(L2tpMtu, AGatewaySizesForAnEthernetUnderlay) {
  control::L2tpConfig c = client({kCbcSha1});
  c.role = control::L2tpRole::kLns;
  std::string why;
  EXPECT_EQ(l2tp_device_mtu(c, std::nullopt, &why), esp_inner(kAssumedUnderlayMtu, 16, 16, 12));
  EXPECT_NE(why.find("a gateway"), std::string::npos) << why;
}

TEST(L2tpMtu, AClientSizesFromThePathToItsServer) {
  // Loopback's path (64 KB) leaves far more than an mtu may be.
  std::string why;
  const Endpoint server{*IpAddress::parse("127.0.0.1"), 1701};
  EXPECT_EQ(l2tp_device_mtu(client({kGcm}), server, &why), kMaxTunnelMtu);
  EXPECT_NE(why.find("the path to 127.0.0.1:1701 carries 655"), std::string::npos) << why;
  EXPECT_NE(why.find("kept to " + std::to_string(kMaxTunnelMtu)), std::string::npos) << why;
  // A name not resolved yet: an Ethernet underlay.
  EXPECT_EQ(l2tp_device_mtu(client({kGcm}), std::nullopt, &why), 1420u);
  EXPECT_NE(why.find("not resolved"), std::string::npos) << why;
}

}  // namespace
}  // namespace tandem::daemon
