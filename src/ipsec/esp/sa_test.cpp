// ESP security associations: inbound known answers from draft-mcgrew-gcm-test-01 (whole ESP
// packets rebuilt from its vectors), every transform sealed and opened back, anti-replay, tampering
// anywhere, sequence-number exhaustion, and refused key material.
#include "ipsec/esp/sa.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/seeded_rng.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::ipsec::esp {
namespace {

using crypto::testing::unhex;

std::vector<std::byte> cat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A slot with room on both sides, holding `bytes` at offset 64.
struct Slot {
  explicit Slot(const std::vector<std::byte>& bytes) : storage(512) {
    std::copy(bytes.begin(), bytes.end(), storage.begin() + 64);
    packet = Packet{storage.data(), storage.size(), 64, bytes.size(), {}};
  }
  std::vector<std::byte> bytes() const {
    const auto b = packet.bytes();
    return {b.begin(), b.end()};
  }
  std::vector<std::byte> storage;
  Packet packet;
};

SaKeys gcm_keys(const std::string& key_and_salt) {
  return SaKeys{Cipher::kAesGcm16, unhex(key_and_salt), Integrity::kNone, {}};
}

struct McGrewCase {
  std::string name, spi, seq, key_and_salt, iv, plain, cipher, tag;
};

TEST(EspInbound, OpensThePublishedGcmPackets) {
  const McGrewCase cases[] = {
      {"aes-192", "0000a5f8", "0000000a",
       "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe", "facedbaddecaf888",
       "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001",
       "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0315b27452144cc77",
       "95457b9652037f5318027b5b4cd7a636"},
      {"aes-256", "4a2cbfe3", "00000002",
       "abbccddef00112233445566778899aababbccddef00112233445566778899aab11223344",
       "0102030405060708",
       "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b4"
       "0101040201020201",
       "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f054565"
       "9f14e99def842d8e",
       "b335f4eecfdbf831824b4c4915956c96"},
  };
  for (const auto& c : cases) {
    const auto spi = unhex(c.spi);
    const std::uint32_t spi_value = spi_of(spi);
    auto sa = InboundSa::create(spi_value, gcm_keys(c.key_and_salt));
    ASSERT_TRUE(sa) << sa.error();
    Slot slot(cat({spi, unhex(c.seq), unhex(c.iv), unhex(c.cipher), unhex(c.tag)}));
    auto next = sa->open(slot.packet);
    ASSERT_TRUE(next) << c.name << ": " << open_error_name(next.error());
    // The plaintext ends with the trailer: padding, its length, the next header.
    const auto plain = unhex(c.plain);
    const std::size_t pad = std::to_integer<std::size_t>(plain[plain.size() - 2]);
    EXPECT_EQ(*next, std::to_integer<std::uint8_t>(plain.back())) << c.name;
    EXPECT_EQ(slot.bytes(), std::vector<std::byte>(plain.begin(), plain.end() - 2 - pad)) << c.name;
  }
}

struct TransformCase {
  std::string name;
  SaKeys keys;
};

std::vector<TransformCase> transforms() {
  SeededRng rng(5);
  auto random = [&](std::size_t n) {
    std::vector<std::byte> v(n);
    rng.fill(v);
    return v;
  };
  return {
      {"gcm128", {Cipher::kAesGcm16, random(20), Integrity::kNone, {}}},
      {"gcm256", {Cipher::kAesGcm16, random(36), Integrity::kNone, {}}},
      {"cbc128_sha1", {Cipher::kAesCbc, random(16), Integrity::kHmacSha1_96, random(20)}},
      {"cbc256_sha256", {Cipher::kAesCbc, random(32), Integrity::kHmacSha256_128, random(32)}},
      {"3des_sha1", {Cipher::kTripleDesCbc, random(24), Integrity::kHmacSha1_96, random(20)}},
  };
}

class EachTransform : public ::testing::TestWithParam<std::size_t> {
 protected:
  TransformCase tc = transforms()[GetParam()];
  SeededRng rng{9};
};

TEST_P(EachTransform, SealsAndOpensEveryPayloadLength) {
  auto out = OutboundSa::create(0x1000 + static_cast<std::uint32_t>(GetParam()), tc.keys);
  auto in = InboundSa::create(0x1000 + static_cast<std::uint32_t>(GetParam()), tc.keys);
  ASSERT_TRUE(out && in);
  for (std::size_t len = 0; len < 70; ++len) {
    std::vector<std::byte> payload(len);
    for (std::size_t i = 0; i < len; ++i) payload[i] = std::byte(i * 7 + 3);
    Slot slot(payload);
    ASSERT_TRUE(out->seal(slot.packet, kNextUdp, rng)) << len;
    EXPECT_EQ(slot.packet.length, len + out->overhead_for(len)) << len;
    EXPECT_EQ(spi_of(slot.packet.bytes()), out->spi());
    auto next = in->open(slot.packet);
    ASSERT_TRUE(next) << tc.name << " " << len << ": " << open_error_name(next.error());
    EXPECT_EQ(*next, kNextUdp);
    EXPECT_EQ(slot.bytes(), payload) << len;
  }
  EXPECT_EQ(out->last_sequence(), 70u);
  EXPECT_EQ(in->stats().packets, 70u);
}

TEST_P(EachTransform, RefusesReplaysAndTamperingAnywhere) {
  auto out = OutboundSa::create(0x2000, tc.keys);
  auto in = InboundSa::create(0x2000, tc.keys);
  ASSERT_TRUE(out && in);
  Slot original(std::vector<std::byte>(40, std::byte{0x42}));
  ASSERT_TRUE(out->seal(original.packet, kNextIpv4, rng));
  const auto sealed = original.bytes();
  // Flip one bit in each byte after the SPI: sequence number, IV, ciphertext, ICV.
  for (std::size_t i = 4; i < sealed.size(); ++i) {
    auto forged = sealed;
    forged[i] ^= std::byte{0x10};
    Slot slot(forged);
    auto r = in->open(slot.packet);
    ASSERT_FALSE(r) << tc.name << " byte " << i;
    EXPECT_EQ(r.error(), OpenError::kAuthentication) << tc.name << " byte " << i;
  }
  EXPECT_EQ(in->window().top(), 0u) << "forged packets must not move the window";
  Slot genuine(sealed);
  ASSERT_TRUE(in->open(genuine.packet));
  Slot replay(sealed);
  auto again = in->open(replay.packet);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), OpenError::kReplay);
  EXPECT_EQ(in->stats().replayed, 1u);
  auto wrong_spi = sealed;
  wrong_spi[0] ^= std::byte{1};
  Slot other(wrong_spi);
  EXPECT_EQ(in->open(other.packet).error(), OpenError::kWrongSpi);
}

INSTANTIATE_TEST_SUITE_P(Esp, EachTransform, ::testing::Values(0u, 1u, 2u, 3u, 4u),
                         [](const auto& param_info) {
                           return transforms()[param_info.param].name;
                         });

TEST(EspOutbound, StopsBeforeTheSequenceNumberWraps) {
  auto out = OutboundSa::create(7, transforms()[0].keys);
  ASSERT_TRUE(out);
  SeededRng rng(1);
  EXPECT_FALSE(out->needs_rekey());
  out->skip_to_sequence_for_test(0xfffffffeU);
  EXPECT_TRUE(out->needs_rekey());
  Slot a(std::vector<std::byte>(10));
  ASSERT_TRUE(out->seal(a.packet, kNextUdp, rng));
  EXPECT_EQ(out->last_sequence(), 0xffffffffU);
  Slot b(std::vector<std::byte>(10));
  auto r = out->seal(b.packet, kNextUdp, rng);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SealError::kSequenceExhausted);
}

TEST(EspOutbound, NeedsRoomAroundThePayload) {
  auto out = OutboundSa::create(7, transforms()[2].keys);
  SeededRng rng(1);
  std::vector<std::byte> storage(100);
  Packet tight{storage.data(), storage.size(), 8, 60, {}};
  EXPECT_EQ(out->seal(tight, kNextUdp, rng).error(), SealError::kNoRoom);
  EXPECT_EQ(out->last_sequence(), 0u) << "a refused packet uses no sequence number";
}

TEST(EspSa, RefusesUnsafeOrMalformedKeys) {
  EXPECT_FALSE(OutboundSa::create(
      1, {Cipher::kAesCbc, unhex("00112233445566778899aabbccddeeff"), Integrity::kNone, {}}));
  EXPECT_FALSE(OutboundSa::create(1, {Cipher::kAesGcm16, std::vector<std::byte>(20),
                                      Integrity::kHmacSha1_96, std::vector<std::byte>(20)}));
  EXPECT_FALSE(
      OutboundSa::create(1, {Cipher::kAesGcm16, std::vector<std::byte>(16), Integrity::kNone, {}}));
  EXPECT_FALSE(InboundSa::create(1, {Cipher::kAesCbc, std::vector<std::byte>(16),
                                     Integrity::kHmacSha1_96, std::vector<std::byte>(16)}));
  EXPECT_FALSE(InboundSa::create(1, {Cipher::kAesCbc, std::vector<std::byte>(17),
                                     Integrity::kHmacSha256_128, std::vector<std::byte>(32)}));
}

}  // namespace
}  // namespace tandem::ipsec::esp
