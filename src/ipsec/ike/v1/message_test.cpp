// IKEv1/ISAKMP codec: a Windows-like Main Mode offer and a Quick Mode offer for L2TP/IPsec survive
// encode and decode unchanged; a header and transform are checked byte by byte against RFC 2408's
// layout; encrypted bodies are carried, decrypted bodies may end in padding; truncations refused.
#include "ipsec/ike/v1/message.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

using crypto::testing::unhex;

std::vector<std::byte> filled(std::size_t n, std::uint8_t v) {
  return std::vector<std::byte>(n, std::byte{v});
}

Attribute basic(std::uint16_t type, std::uint16_t value) {
  return {type, true, value, {}};
}

// Main Mode attributes (RFC 2409 appendix A): 1 encryption, 2 hash, 3 auth method, 4 group,
// 11 life type, 12 life duration, 14 key length.
Transform phase1(std::uint8_t number, std::uint16_t enc, std::uint16_t key, std::uint16_t hash,
                 std::uint16_t group) {
  Transform t{number,
              1,
              {basic(1, enc), basic(2, hash), basic(3, 1), basic(4, group), basic(11, 1),
               basic(12, 28800)}};
  if (key) t.attributes.push_back(basic(14, key));
  return t;
}

Message main_mode_offer() {
  Message m;
  m.header = {0x0123456789abcdefULL, 0, ExchangeType::kIdentityProtection, false, false, 0};
  SaPayload sa;
  sa.proposals.push_back({1,
                          1,
                          {},
                          {phase1(1, 7, 256, 4, 20), phase1(2, 7, 128, 2, 19),
                           phase1(3, 7, 256, 2, 14), phase1(4, 5, 0, 2, 14)}});
  m.payloads = {sa, VendorPayload{unhex("4a131c81070358455c5728f20e95452f")},  // RFC 3947
                VendorPayload{unhex("01528bbbc00696121849ab9a1c5b2a5100000001")}};
  return m;
}

TEST(Ikev1Message, MainModeOfferRoundTrips) {
  const Message m = main_mode_offer();
  const auto wire = encode_message(m);
  auto back = decode_message(wire);
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(back->header, m.header);
  EXPECT_EQ(back->payloads, m.payloads);
  EXPECT_EQ(encode_message(*back), wire);
}

TEST(Ikev1Message, QuickModeForL2tpRoundTrips) {
  SaPayload sa;
  Attribute life{2, false, 3600, unhex("00000e10")};  // SA life duration, variable form
  sa.proposals.push_back(
      {1,
       3,
       unhex("a1b2c3d4"),
       {{1,
         12,
         {basic(1, 1), life, basic(4, 4), basic(5, 2), basic(6, 128)}},  // AES-CBC, transport
        {2, 3, {basic(1, 1), basic(4, 61444), basic(5, 2)}}}});  // 3DES, UDP-encapsulated transport
  std::vector<Payload> payloads{HashPayload{filled(20, 1)},
                                sa,
                                NoncePayload{filled(32, 2)},
                                IdPayload{1, 17, 1701, unhex("c0000201")},
                                IdPayload{1, 17, 1701, unhex("c0000202")},
                                NatDPayload{filled(20, 3)},
                                NatDPayload{filled(20, 4)}};
  PayloadType first = PayloadType::kNone;
  const auto chain = encode_payloads(payloads, first);
  EXPECT_EQ(first, PayloadType::kHash);
  auto back = decode_payloads(first, chain);
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, payloads);
  // A decrypted body ends in padding, which only a padded decode accepts.
  auto padded = chain;
  padded.insert(padded.end(), 7, std::byte{0});
  EXPECT_FALSE(decode_payloads(first, padded));
  EXPECT_TRUE(decode_payloads(first, padded, true));
}

TEST(Ikev1Message, HeaderAndTransformHaveTheRfcLayout) {
  Message m;
  m.header = {0x1111111111111111ULL,
              0x2222222222222222ULL,
              ExchangeType::kIdentityProtection,
              false,
              false,
              0};
  m.payloads = {SaPayload{1, 1, {{1, 1, {}, {{1, 1, {basic(1, 7), basic(14, 128)}}}}}}};
  EXPECT_EQ(encode_message(m), unhex("1111111111111111"
                                     "2222222222222222"
                                     "01"           // next payload: SA
                                     "10"           // version 1.0
                                     "02"           // Identity Protection (Main Mode)
                                     "00"           // flags
                                     "00000000"     // message ID
                                     "00000040"     // length 64
                                     "00000024"     // SA, length 36
                                     "00000001"     // DOI: IPsec
                                     "00000001"     // situation: identity only
                                     "00000018"     // proposal, length 24
                                     "01010001"     // #1, ISAKMP, no SPI, one transform
                                     "00000010"     // transform, length 16
                                     "01010000"     // #1, KEY_IKE
                                     "80010007"     // encryption: AES-CBC
                                     "800e0080"));  // key length 128
}

TEST(Ikev1Message, CarriesEncryptedBodiesAsBytes) {
  Message m;
  m.header = {1, 2, ExchangeType::kQuickMode, true, false, 0x01020304};
  m.first = PayloadType::kHash;
  m.encrypted = filled(64, 0x99);
  auto back = decode_message(encode_message(m));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->header.encrypted);
  EXPECT_EQ(back->first, PayloadType::kHash);
  EXPECT_EQ(back->encrypted, m.encrypted);
  EXPECT_TRUE(back->payloads.empty());
}

TEST(Ikev1Message, RefusesTruncationAndForeignVersions) {
  const auto wire = encode_message(main_mode_offer());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    std::vector<std::byte> cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    if (n >= kHeaderSize) store_be32(cut.data() + 24, static_cast<std::uint32_t>(n));
    EXPECT_FALSE(decode_message(cut)) << n;
  }
  auto v2 = wire;
  v2[17] = std::byte{0x20};
  EXPECT_FALSE(decode_message(v2));
  auto doi = wire;
  doi[kHeaderSize + 7] = std::byte{2};  // the SA's DOI
  EXPECT_FALSE(decode_message(doi));
}

}  // namespace
}  // namespace tandem::ipsec::ike::v1
