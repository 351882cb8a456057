// IKEv2 message codec: a full IKE_SA_INIT and the inner payloads of IKE_AUTH survive encode and
// decode unchanged; the wire layout of a header and a proposal is checked byte by byte; and
// truncation, bad lengths and unknown critical payloads are refused.
#include "ipsec/ike/v2/message.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using crypto::testing::unhex;

std::vector<std::byte> filled(std::size_t n, std::uint8_t v) {
  return std::vector<std::byte>(n, std::byte{v});
}

Message ike_sa_init() {
  Message m;
  m.header = {0x0102030405060708ULL, 0, ExchangeType::kIkeSaInit, true, false, 0};
  SaPayload sa;
  sa.proposals.push_back({1,
                          ProtocolId::kIke,
                          {},
                          {{TransformType::kEncr, 20, 256},            // AES-GCM-16, 256-bit
                           {TransformType::kPrf, 5, std::nullopt},     // PRF_HMAC_SHA2_256
                           {TransformType::kDh, 19, std::nullopt}}});  // ECP-256
  sa.proposals.push_back({2,
                          ProtocolId::kIke,
                          {},
                          {{TransformType::kEncr, 12, 128},
                           {TransformType::kPrf, 2, std::nullopt},
                           {TransformType::kInteg, 2, std::nullopt},
                           {TransformType::kDh, 14, std::nullopt}}});
  m.payloads.push_back(sa);
  m.payloads.push_back(KePayload{19, filled(64, 0xab)});
  m.payloads.push_back(NoncePayload{filled(32, 0x5a)});
  m.payloads.push_back(NotifyPayload{ProtocolId::kNone, {}, 16388, filled(20, 1)});
  m.payloads.push_back(NotifyPayload{ProtocolId::kNone, {}, 16389, filled(20, 2)});
  m.payloads.push_back(VendorPayload{unhex("882fe56d6fd20dbc2251613b2ebe5beb")});
  return m;
}

TEST(Ikev2Message, IkeSaInitRoundTrips) {
  const Message m = ike_sa_init();
  const auto wire = encode_message(m);
  auto back = decode_message(wire);
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(back->header, m.header);
  ASSERT_EQ(back->payloads.size(), m.payloads.size());
  for (std::size_t i = 0; i < m.payloads.size(); ++i) EXPECT_EQ(back->payloads[i], m.payloads[i]);
  EXPECT_EQ(encode_message(*back), wire);
}

TEST(Ikev2Message, HeaderAndProposalHaveTheRfcLayout) {
  Message m;
  m.header = {0x1111111111111111ULL, 0x2222222222222222ULL, ExchangeType::kIkeAuth, false, true, 7};
  m.payloads.push_back(
      SaPayload{{{1, ProtocolId::kEsp, unhex("c0ffee01"), {{TransformType::kEncr, 12, 128}}}}});
  const auto wire = encode_message(m);
  const auto expected = unhex(
      "1111111111111111"  // initiator SPI
      "2222222222222222"  // responder SPI
      "21"                // next payload: SA
      "20"                // version 2.0
      "23"                // IKE_AUTH
      "20"                // flags: response, from the responder
      "00000007"          // message ID
      "00000038"          // length 56
      "0000001c"          // SA: no next payload, length 28
      "00000018"          // proposal: last, length 24
      "01030401"          // #1, ESP, SPI size 4, one transform
      "c0ffee01"          // SPI
      "0000000c"          // transform: last, length 12
      "0100000c"          // ENCR, AES-CBC
      "800e0080");        // key length 128
  EXPECT_EQ(wire, expected);
}

TEST(Ikev2Message, AuthPayloadsRoundTripInsideAnEncryptedPayload) {
  std::vector<Payload> inner;
  inner.push_back(IdPayload{true, 2, unhex("636c69656e74")});  // FQDN "client"
  inner.push_back(AuthPayload{2, filled(32, 0x77)});
  inner.push_back(ConfigPayload{1, {{1, {}}, {3, {}}}});
  inner.push_back(
      SaPayload{{{1,
                  ProtocolId::kEsp,
                  unhex("01020304"),
                  {{TransformType::kEncr, 20, 128}, {TransformType::kEsn, 0, std::nullopt}}}}});
  TrafficSelector any4{0, 0, 65535, *IpAddress::parse("0.0.0.0"),
                       *IpAddress::parse("255.255.255.255")};
  TrafficSelector l2tp{17, 1701, 1701, *IpAddress::parse("192.0.2.7"),
                       *IpAddress::parse("192.0.2.7")};
  TrafficSelector six{6, 443, 443, *IpAddress::parse("fd00::1"), *IpAddress::parse("fd00::ff")};
  inner.push_back(TsPayload{true, {any4, l2tp}});
  inner.push_back(TsPayload{false, {six}});
  inner.push_back(DeletePayload{ProtocolId::kEsp, 4, {unhex("01020304"), unhex("0a0b0c0d")}});
  PayloadType first = PayloadType::kNone;
  const auto chain = encode_payloads(inner, first);
  EXPECT_EQ(first, PayloadType::kIdi);
  auto back = decode_payloads(first, chain);
  ASSERT_TRUE(back) << back.error().what;
  ASSERT_EQ(back->size(), inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) EXPECT_EQ((*back)[i], inner[i]) << i;

  // The encrypted form: SK last, naming the first inner payload.
  Message m;
  m.header = {1, 2, ExchangeType::kIkeAuth, true, false, 1};
  m.payloads.push_back(EncryptedPayload{first, filled(80, 0xee)});
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded);
  const auto* sk = std::get_if<EncryptedPayload>(&decoded->payloads.at(0));
  ASSERT_NE(sk, nullptr);
  EXPECT_EQ(sk->first_inner, PayloadType::kIdi);
  EXPECT_EQ(sk->data.size(), 80u);
}

TEST(Ikev2Message, RefusesTruncationAndBadLengthsEverywhere) {
  const auto wire = encode_message(ike_sa_init());
  // Every truncation: the length field no longer matches, or a payload runs past the end.
  for (std::size_t n = 0; n < wire.size(); ++n) {
    std::vector<std::byte> cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    if (n >= kHeaderSize) store_be32(cut.data() + 24, static_cast<std::uint32_t>(n));
    EXPECT_FALSE(decode_message(cut)) << n;
  }
  auto v1 = wire;
  v1[17] = std::byte{0x10};
  EXPECT_FALSE(decode_message(v1));
  auto bad_len = wire;
  bad_len[kHeaderSize + 3] = std::byte{2};  // SA payload shorter than its own header
  EXPECT_FALSE(decode_message(bad_len));
}

TEST(Ikev2Message, UnknownPayloadsAreKeptUnlessCritical) {
  std::vector<Payload> chain{OpaquePayload{200, false, filled(5, 9)}, NoncePayload{filled(16, 1)}};
  PayloadType first = PayloadType::kNone;
  const auto bytes = encode_payloads(chain, first);
  auto ok = decode_payloads(first, bytes);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0], chain[0]);
  std::get<OpaquePayload>(chain[0]).critical = true;
  const auto critical = encode_payloads(chain, first);
  auto refused = decode_payloads(first, critical);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().unsupported_critical, 200);
}

TEST(Ikev2Message, RefusesNoncesOutsideTheAllowedSizes) {
  for (std::size_t n : {15u, 257u}) {
    std::vector<Payload> chain{NoncePayload{filled(n, 1)}};
    PayloadType first = PayloadType::kNone;
    const auto bytes = encode_payloads(chain, first);
    EXPECT_FALSE(decode_payloads(first, bytes)) << n;
  }
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
