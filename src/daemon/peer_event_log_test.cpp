#include "daemon/peer_event_log.hpp"

#include <gtest/gtest.h>

#include "crypto/key_encoding.hpp"

namespace tandem::daemon {
namespace {

using Kind = wireguard::DeviceEvent::Kind;
using std::chrono::seconds;

wireguard::PublicKey key(std::uint8_t fill) {
  wireguard::PublicKey k{};
  k.fill(std::byte{fill});
  return k;
}

Endpoint endpoint(const char* text) {
  return *Endpoint::parse(text);
}

wireguard::DeviceEvent event(Kind kind, const char* from = "192.0.2.1:51820") {
  return {kind, 1, false, endpoint(from)};
}

class PeerEventLogTest : public ::testing::Test {
 protected:
  TimePoint t0 = TimePoint(seconds(1000));
  PeerEventLog log;
};

TEST_F(PeerEventLogTest, NamesAPeerByItsConfiguredName) {
  log.set_name(key(1), "office");
  auto line = log.describe(event(Kind::kHandshakeInitiationSent), key(1), t0);
  ASSERT_TRUE(line);
  EXPECT_FALSE(line->warning);
  EXPECT_EQ(line->text, "peer office handshake initiation sent: 192.0.2.1:51820");
}

TEST_F(PeerEventLogTest, NamesAnUnnamedPeerByTheFirstEightCharactersOfItsKey) {
  const std::string b64 = crypto::base64_encode(ByteView(key(7).data(), 32));
  EXPECT_EQ(log.name_of(key(7)), b64.substr(0, 8));
  auto line = log.describe(event(Kind::kHandshakeCompleted), key(7), t0);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text.rfind("peer " + b64.substr(0, 8) + " handshake completed", 0), 0u)
      << line->text;
}

TEST_F(PeerEventLogTest, AResponseThatDoesNotAuthenticateBlamesThePresharedKey) {
  log.set_name(key(1), "office");
  auto line = log.describe(event(Kind::kResponseNotAuthenticated), key(1), t0);
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->warning);
  EXPECT_EQ(line->text,
            "peer office: handshake failed: the peer's response did not authenticate: the "
            "pre-shared keys differ, or the peer has another key for us (response from "
            "192.0.2.1:51820)");
}

TEST_F(PeerEventLogTest, AnInitiationFromAnUnknownKeyNamesThatKeyInBase64) {
  auto e = event(Kind::kInitiationFromUnknownKey);
  e.peer = 0;
  e.public_key = key(9);
  auto line = log.describe(e, std::nullopt, t0);
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->warning);
  EXPECT_NE(
      line->text.find("initiation from unknown public key " +
                      crypto::base64_encode(ByteView(key(9).data(), 32)) + " at 192.0.2.1:51820"),
      std::string::npos)
      << line->text;
}

TEST_F(PeerEventLogTest, RefusalsForOnePeerAreLoggedAtMostOncePerFiveSeconds) {
  EXPECT_TRUE(log.describe(event(Kind::kResponseNotAuthenticated), key(1), t0));
  EXPECT_FALSE(log.describe(event(Kind::kResponseNotAuthenticated), key(1), t0 + seconds(1)));
  EXPECT_FALSE(log.describe(event(Kind::kInitiationReplayed), key(1), t0 + seconds(4)));
  auto line = log.describe(event(Kind::kResponseNotAuthenticated), key(1), t0 + seconds(5));
  ASSERT_TRUE(line);
  EXPECT_NE(line->text.find("(2 more since the last report, not logged)"), std::string::npos)
      << line->text;
  // Another peer has its own allowance.
  EXPECT_TRUE(log.describe(event(Kind::kResponseNotAuthenticated), key(2), t0 + seconds(5)));
}

TEST_F(PeerEventLogTest, RefusalsWithoutAPeerAreLimitedPerSourceAddress) {
  auto e = event(Kind::kInitiationNotForUs, "198.51.100.1:1000");
  e.peer = 0;
  EXPECT_TRUE(log.describe(e, std::nullopt, t0));
  e.endpoint = endpoint("198.51.100.1:1001");  // another port of the same source
  EXPECT_FALSE(log.describe(e, std::nullopt, t0 + seconds(1)));
  e.endpoint = endpoint("198.51.100.2:1000");
  EXPECT_TRUE(log.describe(e, std::nullopt, t0 + seconds(1)));
}

TEST_F(PeerEventLogTest, AFloodFromManySourcesDoesNotGrowWithoutBound) {
  auto e = event(Kind::kInitiationNotForUs);
  e.peer = 0;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    e.endpoint = Endpoint{IpAddress::v4({10, 1, static_cast<std::uint8_t>(i >> 8),
                                         static_cast<std::uint8_t>(i & 0xff)}),
                          1};
    (void)log.describe(e, std::nullopt, t0 + seconds(6 * i / 1000));
  }
  // Once the flood has been quiet for an interval, a new source is logged again.
  e.endpoint = endpoint("10.0.0.0:1");
  EXPECT_TRUE(log.describe(e, std::nullopt, t0 + seconds(100)));
}

TEST_F(PeerEventLogTest, AFloodFromManySourcesDelaysAPeersRefusalByAtMostOneInterval) {
  auto e = event(Kind::kInitiationNotForUs);
  e.peer = 0;
  for (std::uint32_t i = 0; i < 3 * PeerEventLog::kMaxTrackedSources; ++i) {
    e.endpoint = Endpoint{IpAddress::v4({10, 2, static_cast<std::uint8_t>(i >> 8),
                                         static_cast<std::uint8_t>(i & 0xff)}),
                          1};
    (void)log.describe(e, std::nullopt, t0);
  }
  EXPECT_TRUE(log.describe(event(Kind::kResponseNotAuthenticated), key(1), t0 + seconds(5)));
}

TEST_F(PeerEventLogTest, OrdinaryEventsAreNeverRateLimited) {
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(log.describe(event(Kind::kHandshakeInitiationSent), key(1), t0));
}

}  // namespace
}  // namespace tandem::daemon
