// MAC1, MAC2 and cookie replies between an initiator's CookieMaker and a responder's checker.
#include "wireguard/cookie.hpp"

#include <gtest/gtest.h>

#include "wireguard/test_network.hpp"

namespace tandem::wireguard {
namespace {

using namespace std::chrono_literals;

struct CookieSetup {
  testing::SeededRng rng{3};
  StaticIdentity responder = make_static_identity(crypto::x25519_generate_private(rng));
  StaticIdentity initiator = make_static_identity(crypto::x25519_generate_private(rng));
  RemoteStatic responder_remote = make_remote_static(initiator, responder.public_key, Key{});
  CookieChecker checker;
  CookieMaker maker;
  Endpoint source = *Endpoint::parse("192.0.2.7:4444");
  TimePoint now{100s};
  std::array<std::byte, InitiationLayout::kSize> msg{};
  CookieSetup() {
    checker.set_identity(responder);
    msg[0] = std::byte{1};
    for (std::size_t i = 4; i < InitiationLayout::kMac1; ++i) msg[i] = std::byte(i);
  }
};

TEST(Cookie, Mac1ProvesKnowledgeOfResponderKey) {
  CookieSetup s;
  s.maker.add_macs(s.msg, s.responder_remote, s.now);
  EXPECT_EQ(s.checker.check(s.msg, s.source, false, s.rng, s.now),
            CookieChecker::MacStatus::kValidMac1);
  s.msg[10] ^= std::byte{1};
  EXPECT_EQ(s.checker.check(s.msg, s.source, false, s.rng, s.now),
            CookieChecker::MacStatus::kInvalidMac1);
}

TEST(Cookie, ReplyGivesACookieThatMakesMac2Valid) {
  CookieSetup s;
  s.maker.add_macs(s.msg, s.responder_remote, s.now);
  EXPECT_EQ(s.checker.check(s.msg, s.source, true, s.rng, s.now),
            CookieChecker::MacStatus::kValidMac1);
  std::array<std::byte, CookieReplyLayout::kSize> reply{};
  s.checker.make_reply(s.msg, s.source, s.rng, s.now, reply);
  ASSERT_TRUE(s.maker.consume_reply(reply, s.responder_remote, s.now));
  // A second copy of the same reply is not accepted.
  EXPECT_FALSE(s.maker.consume_reply(reply, s.responder_remote, s.now));
  s.maker.add_macs(s.msg, s.responder_remote, s.now + 1s);
  EXPECT_EQ(s.checker.check(s.msg, s.source, true, s.rng, s.now + 1s),
            CookieChecker::MacStatus::kValidMac1AndCookie);
}

TEST(Cookie, CookieIsBoundToSourceAddress) {
  CookieSetup s;
  s.maker.add_macs(s.msg, s.responder_remote, s.now);
  std::array<std::byte, CookieReplyLayout::kSize> reply{};
  s.checker.make_reply(s.msg, s.source, s.rng, s.now, reply);
  ASSERT_TRUE(s.maker.consume_reply(reply, s.responder_remote, s.now));
  s.maker.add_macs(s.msg, s.responder_remote, s.now);
  const Endpoint elsewhere = *Endpoint::parse("192.0.2.8:4444");
  EXPECT_EQ(s.checker.check(s.msg, elsewhere, true, s.rng, s.now),
            CookieChecker::MacStatus::kValidMac1);
}

TEST(Cookie, CookieExpiresWithTheSecret) {
  CookieSetup s;
  s.maker.add_macs(s.msg, s.responder_remote, s.now);
  std::array<std::byte, CookieReplyLayout::kSize> reply{};
  s.checker.make_reply(s.msg, s.source, s.rng, s.now, reply);
  ASSERT_TRUE(s.maker.consume_reply(reply, s.responder_remote, s.now));
  EXPECT_TRUE(s.maker.has_fresh_cookie(s.now + 100s));
  EXPECT_FALSE(s.maker.has_fresh_cookie(s.now + 116s));
}

TEST(Cookie, ReplyForAnotherMessageIsRejected) {
  CookieSetup s;
  s.maker.add_macs(s.msg, s.responder_remote, s.now);
  auto other = s.msg;
  other[InitiationLayout::kMac1] ^= std::byte{1};
  std::array<std::byte, CookieReplyLayout::kSize> reply{};
  // The reply's AEAD is bound to the mac1 of the message it answers.
  s.checker.make_reply(other, s.source, s.rng, s.now, reply);
  EXPECT_FALSE(s.maker.consume_reply(reply, s.responder_remote, s.now));
}

}  // namespace
}  // namespace tandem::wireguard
