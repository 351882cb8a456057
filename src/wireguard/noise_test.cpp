// The handshake on its own: both sides derive matching keys; tampering, replays, floods and
// wrong keys fail.
#include "wireguard/noise.hpp"

#include <gtest/gtest.h>

#include "wireguard/test_network.hpp"

namespace tandem::wireguard {
namespace {

using testing::SeededRng;

struct Sides {
  SeededRng rng{7};
  StaticIdentity initiator = make_static_identity(crypto::x25519_generate_private(rng));
  StaticIdentity responder = make_static_identity(crypto::x25519_generate_private(rng));
  Key psk;
  RemoteStatic responder_at_initiator = make_remote_static(initiator, responder.public_key, psk);
  RemoteStatic initiator_at_responder = make_remote_static(responder, initiator.public_key, psk);
  Handshake i_hs, r_hs;
  std::array<std::byte, InitiationLayout::kSize> initiation{};
  std::array<std::byte, ResponseLayout::kSize> response{};
  WallTime wall = WallTime(std::chrono::seconds(1'700'000'000));
  TimePoint now{std::chrono::seconds(10)};
};

TEST(Noise, BothSidesDeriveMirroredTransportKeys) {
  Sides s;
  ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 11, s.rng, s.wall,
                                s.initiation));
  auto opening = open_initiation(s.responder, s.initiation);
  ASSERT_TRUE(opening);
  EXPECT_EQ(opening->remote_static, s.initiator.public_key);
  EXPECT_EQ(opening->sender_index, 11u);
  ASSERT_EQ(consume_initiation(*opening, s.initiator_at_responder, s.r_hs, s.initiation, s.now),
            ConsumeStatus::kOk);
  ASSERT_TRUE(
      create_response(s.responder, s.initiator_at_responder, s.r_hs, 22, s.rng, s.response));
  ASSERT_TRUE(consume_response(s.initiator, s.responder_at_initiator, s.i_hs, s.response));
  auto ik = derive_session(s.i_hs);
  auto rk = derive_session(s.r_hs);
  ASSERT_TRUE(ik && rk);
  EXPECT_TRUE(
      std::equal(ik->send.bytes().begin(), ik->send.bytes().end(), rk->receive.bytes().begin()));
  EXPECT_TRUE(
      std::equal(ik->receive.bytes().begin(), ik->receive.bytes().end(), rk->send.bytes().begin()));
  EXPECT_FALSE(
      std::equal(ik->send.bytes().begin(), ik->send.bytes().end(), ik->receive.bytes().begin()));
  EXPECT_EQ(ik->local_index, 11u);
  EXPECT_EQ(ik->remote_index, 22u);
  EXPECT_EQ(rk->local_index, 22u);
  EXPECT_EQ(rk->remote_index, 11u);
  EXPECT_TRUE(ik->we_initiated);
  EXPECT_FALSE(rk->we_initiated);
  EXPECT_EQ(s.i_hs.stage, HandshakeStage::kZeroed);
}

TEST(Noise, InitiationForAnotherResponderDoesNotOpen) {
  Sides s;
  ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 1, s.rng, s.wall,
                                s.initiation));
  const StaticIdentity other = make_static_identity(crypto::x25519_generate_private(s.rng));
  EXPECT_FALSE(open_initiation(other, s.initiation));
}

TEST(Noise, TamperedInitiationFails) {
  Sides s;
  ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 1, s.rng, s.wall,
                                s.initiation));
  for (std::size_t offset : {InitiationLayout::kEphemeral, InitiationLayout::kStatic + 3}) {
    auto copy = s.initiation;
    copy[offset] ^= std::byte{0x80};
    EXPECT_FALSE(open_initiation(s.responder, copy)) << offset;
  }
  auto copy = s.initiation;
  copy[InitiationLayout::kTimestamp + 1] ^= std::byte{1};
  auto opening = open_initiation(s.responder, copy);
  ASSERT_TRUE(opening);
  EXPECT_EQ(consume_initiation(*opening, s.initiator_at_responder, s.r_hs, copy, s.now),
            ConsumeStatus::kDecryptFailed);
}

TEST(Noise, OlderOrEqualTimestampIsAReplay) {
  Sides s;
  ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 1, s.rng, s.wall,
                                s.initiation));
  auto opening = open_initiation(s.responder, s.initiation);
  ASSERT_EQ(consume_initiation(*opening, s.initiator_at_responder, s.r_hs, s.initiation, s.now),
            ConsumeStatus::kOk);
  EXPECT_EQ(consume_initiation(*opening, s.initiator_at_responder, s.r_hs, s.initiation,
                               s.now + std::chrono::seconds(5)),
            ConsumeStatus::kReplayedTimestamp);
}

TEST(Noise, InitiationsFasterThanFiftyPerSecondAreAFlood) {
  Sides s;
  for (int i = 0; i < 2; ++i) {
    s.wall += std::chrono::seconds(1);
    ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 1, s.rng, s.wall,
                                  s.initiation));
    auto opening = open_initiation(s.responder, s.initiation);
    const auto status = consume_initiation(*opening, s.initiator_at_responder, s.r_hs, s.initiation,
                                           s.now + std::chrono::milliseconds(i * 5));
    EXPECT_EQ(status, i == 0 ? ConsumeStatus::kOk : ConsumeStatus::kFlood);
  }
}

TEST(Noise, ResponseWithWrongPresharedKeyFails) {
  Sides s;
  s.initiator_at_responder.preshared_key.bytes()[5] = std::byte{9};
  ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 1, s.rng, s.wall,
                                s.initiation));
  auto opening = open_initiation(s.responder, s.initiation);
  ASSERT_EQ(consume_initiation(*opening, s.initiator_at_responder, s.r_hs, s.initiation, s.now),
            ConsumeStatus::kOk);
  ASSERT_TRUE(create_response(s.responder, s.initiator_at_responder, s.r_hs, 2, s.rng, s.response));
  EXPECT_FALSE(consume_response(s.initiator, s.responder_at_initiator, s.i_hs, s.response));
  EXPECT_EQ(s.i_hs.stage, HandshakeStage::kCreatedInitiation);
}

TEST(Noise, ResponseToAnotherIndexIsRefused) {
  Sides s;
  ASSERT_TRUE(create_initiation(s.initiator, s.responder_at_initiator, s.i_hs, 1, s.rng, s.wall,
                                s.initiation));
  auto opening = open_initiation(s.responder, s.initiation);
  ASSERT_EQ(consume_initiation(*opening, s.initiator_at_responder, s.r_hs, s.initiation, s.now),
            ConsumeStatus::kOk);
  ASSERT_TRUE(create_response(s.responder, s.initiator_at_responder, s.r_hs, 2, s.rng, s.response));
  store_le32(s.response.data() + ResponseLayout::kReceiver, 99);
  EXPECT_FALSE(consume_response(s.initiator, s.responder_at_initiator, s.i_hs, s.response));
}

TEST(Noise, LowOrderPeerKeyIsRefused) {
  Sides s;
  const Key zero_psk;
  // The all-zero point is of small order: DH with it yields zero, which Noise must reject.
  const RemoteStatic bad = make_remote_static(s.initiator, PublicKey{}, zero_psk);
  EXPECT_FALSE(bad.static_static_ok());
  EXPECT_FALSE(create_initiation(s.initiator, bad, s.i_hs, 1, s.rng, s.wall, s.initiation));
}

}  // namespace
}  // namespace tandem::wireguard
