// The RADIUS codec against RFC 2865 section 7.1's example (User-Password hiding and the Response
// Authenticator, secret "xyzzy5461"), Message-Authenticator and multi-block hiding against
// values computed independently (Python's hmac and hashlib), and round trips and refusals.
#include "auth/radius_packet.hpp"

#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"
#include "crypto/test_hex.hpp"

namespace tandem::auth::radius {
namespace {

using crypto::testing::unhex;
using crypto::testing::unhex_array;

constexpr std::string_view kSecret = "xyzzy5461";
// RFC 2865 7.1: "nemo" / "arctangent" from NAS 192.168.1.16, port 3.
const std::string kRfcRequest =
    "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406"
    "c0a80110050600000003";
const std::string kRfcAccept =
    "0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103";
const Authenticator kRfcRequestAuthenticator = unhex_array<16>("0f403f9473978057bd83d5cb98f4227a");

TEST(RadiusPacket, DecodesTheRfc2865AccessRequestExample) {
  const auto bytes = unhex(kRfcRequest);
  auto p = decode(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, Code::kAccessRequest);
  EXPECT_EQ(p->identifier, 0);
  EXPECT_EQ(p->authenticator, kRfcRequestAuthenticator);
  ASSERT_EQ(p->attributes.size(), 4u);
  EXPECT_EQ(text_value(p->find(AttributeType::kUserName)->value), "nemo");
  EXPECT_EQ(address_value(*p->find(AttributeType::kNasIpAddress))->to_string(), "192.168.1.16");
  EXPECT_EQ(integer_value(p->attributes[3]), 3u);  // NAS-Port
  // Encoding what was decoded gives the same bytes.
  EXPECT_EQ(encode(*p).value(), bytes);
}

TEST(RadiusPacket, HidesUserPasswordAsTheRfcExampleDoes) {
  const auto hidden = hide_user_password("arctangent", kSecret, kRfcRequestAuthenticator);
  ASSERT_TRUE(hidden);
  EXPECT_EQ(*hidden, unhex("0dbe708d93d413ce3196e43f782a0aee"));
  EXPECT_EQ(unhide_user_password(*hidden, kSecret, kRfcRequestAuthenticator), "arctangent");
}

TEST(RadiusPacket, HidesLongPasswordsBlockByBlock) {
  const std::string password = "correct horse battery staple, twice";  // 35 bytes: 3 blocks
  const auto hidden = hide_user_password(password, kSecret, kRfcRequestAuthenticator);
  ASSERT_TRUE(hidden);
  EXPECT_EQ(*hidden, unhex("0fa3618b97d9008b378d964c1d0a688ff81cf1b33b8febbd4ef4b9360c881a53383119"
                           "ad10e0a835c11b8ffb826127a7"));
  EXPECT_EQ(unhide_user_password(*hidden, kSecret, kRfcRequestAuthenticator), password);
  EXPECT_EQ(hide_user_password("", kSecret, kRfcRequestAuthenticator)->size(), 16u);
  EXPECT_EQ(hide_user_password(std::string(128, 'x'), kSecret, kRfcRequestAuthenticator)->size(),
            128u);
  EXPECT_FALSE(hide_user_password(std::string(129, 'x'), kSecret, kRfcRequestAuthenticator));
  EXPECT_FALSE(unhide_user_password(unhex("0011"), kSecret, kRfcRequestAuthenticator));
}

TEST(RadiusPacket, ChecksTheRfcExampleResponseAuthenticator) {
  const auto accept = unhex(kRfcAccept);
  EXPECT_TRUE(response_authenticator_valid(accept, kRfcRequestAuthenticator, kSecret));
  EXPECT_FALSE(response_authenticator_valid(accept, kRfcRequestAuthenticator, "xyzzy5462"));
  auto other = kRfcRequestAuthenticator;
  other[0] ^= std::byte{1};
  EXPECT_FALSE(response_authenticator_valid(accept, other, kSecret));
  auto tampered = accept;
  tampered.back() ^= std::byte{1};
  EXPECT_FALSE(response_authenticator_valid(tampered, kRfcRequestAuthenticator, kSecret));
  const auto p = decode(accept);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, Code::kAccessAccept);
  EXPECT_EQ(integer_value(*p->find(AttributeType::kServiceType)), 1u);  // Login
}

TEST(RadiusPacket, SignsAnAccessRequestsMessageAuthenticator) {
  auto p = decode(unhex(kRfcRequest)).value();
  p.attributes.push_back(empty_message_authenticator());
  auto bytes = encode(p).value();
  ASSERT_EQ(bytes.size(), 0x4au);
  EXPECT_EQ(check_message_authenticator(bytes, kSecret, std::nullopt),
            MessageAuthenticatorCheck::kInvalid);
  ASSERT_TRUE(sign_message_authenticator(bytes, kSecret, std::nullopt));
  EXPECT_EQ(std::vector<std::byte>(bytes.end() - 16, bytes.end()),
            unhex("63b78a6b9d2f149989fbf57ea21d194c"));
  EXPECT_EQ(check_message_authenticator(bytes, kSecret, std::nullopt),
            MessageAuthenticatorCheck::kValid);
  EXPECT_EQ(check_message_authenticator(bytes, "other", std::nullopt),
            MessageAuthenticatorCheck::kInvalid);
  EXPECT_EQ(check_message_authenticator(unhex(kRfcRequest), kSecret, std::nullopt),
            MessageAuthenticatorCheck::kAbsent);
}

TEST(RadiusPacket, SignsAResponseOverTheRequestAuthenticator) {
  auto p = decode(unhex(kRfcAccept)).value();
  p.attributes.push_back(empty_message_authenticator());
  auto bytes = encode(p).value();
  sign_response(bytes, kRfcRequestAuthenticator, kSecret);
  EXPECT_EQ(std::vector<std::byte>(bytes.end() - 16, bytes.end()),
            unhex("21498eb0fb73825e2183df0ef3878f91"));
  EXPECT_EQ(std::vector<std::byte>(bytes.begin() + 4, bytes.begin() + 20),
            unhex("f79c0e9ea1d0f6fad6ed99d3f8524f76"));
  EXPECT_TRUE(response_authenticator_valid(bytes, kRfcRequestAuthenticator, kSecret));
  EXPECT_EQ(check_message_authenticator(bytes, kSecret, kRfcRequestAuthenticator),
            MessageAuthenticatorCheck::kValid);
  // Computed over the response's own authenticator, it is wrong: RFC 3579 3.2 uses the request's.
  EXPECT_EQ(check_message_authenticator(bytes, kSecret, std::nullopt),
            MessageAuthenticatorCheck::kInvalid);
}

TEST(RadiusPacket, SignsAccountingRequestsOverZeros) {
  Packet p;
  p.code = Code::kAccountingRequest;
  p.identifier = 7;
  p.attributes.push_back(integer_attribute(AttributeType::kAcctStatusType, 1));
  p.attributes.push_back(string_attribute(AttributeType::kAcctSessionId, "12345678"));
  auto bytes = encode(p).value();
  sign_accounting_request(bytes, kSecret);
  EXPECT_EQ(std::vector<std::byte>(bytes.begin() + 4, bytes.begin() + 20),
            unhex("9aa5a57e65ebe25511fcd0a9a2e7eda9"));
  EXPECT_TRUE(accounting_request_valid(bytes, kSecret));
  EXPECT_FALSE(accounting_request_valid(bytes, "wrong"));
}

TEST(RadiusPacket, RoundTripsVendorAttributes) {
  SeededRng rng(1);
  Packet p;
  p.code = Code::kAccessAccept;
  p.identifier = 200;
  p.authenticator = random_authenticator(rng);
  const auto success = as_bytes("\x05S=0123456789ABCDEF0123456789ABCDEF01234567");
  p.attributes.push_back(vendor_attribute(kVendorMicrosoft, 26, success));
  p.attributes.push_back(string_attribute(AttributeType::kClass, "c1"));
  p.attributes.push_back(string_attribute(AttributeType::kClass, "c2"));
  const auto bytes = encode(p).value();
  const auto back = decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
  const auto value = back->find_vendor(kVendorMicrosoft, 26);
  ASSERT_TRUE(value);
  EXPECT_EQ(ms_chap2_success_string(*value, 5), "S=0123456789ABCDEF0123456789ABCDEF01234567");
  EXPECT_FALSE(ms_chap2_success_string(*value, 6));  // another ident
  EXPECT_FALSE(back->find_vendor(kVendorMicrosoft, 2));
  EXPECT_FALSE(back->find_vendor(9, 26));
  EXPECT_EQ(back->find_all(AttributeType::kClass).size(), 2u);
}

TEST(RadiusPacket, RefusesMalformedMsChap2Success) {
  const auto check = [](std::string_view text) {
    std::vector<std::byte> v{std::byte{1}};
    const auto t = as_bytes(text);
    v.insert(v.end(), t.begin(), t.end());
    return ms_chap2_success_string(v, 1);
  };
  EXPECT_TRUE(check("S=0123456789abcdef0123456789ABCDEF01234567"));
  EXPECT_EQ(check("S=0123456789abcdef0123456789ABCDEF01234567 M=welcome"),
            "S=0123456789abcdef0123456789ABCDEF01234567");
  EXPECT_FALSE(check("S=0123456789abcdef0123456789ABCDEF0123456"));    // 39 digits
  EXPECT_FALSE(check("S=0123456789abcdef0123456789ABCDEF0123456g"));   // not hex
  EXPECT_FALSE(check("X=0123456789abcdef0123456789ABCDEF01234567"));   // not S=
  EXPECT_FALSE(check("S=0123456789abcdef0123456789ABCDEF012345678"));  // 41 digits
  EXPECT_FALSE(ms_chap2_success_string({}, 1));
}

TEST(RadiusPacket, DecoderRefusesBadLengths) {
  const auto good = unhex(kRfcRequest);
  EXPECT_EQ(decode(ByteView(good).first(19)).error(), DecodeError::kTooShort);
  auto b = good;
  b[3] = std::byte{19};  // Length under the header
  EXPECT_EQ(decode(b).error(), DecodeError::kTooShort);
  b = good;
  b[3] = std::byte{0x39};  // one beyond the datagram
  EXPECT_EQ(decode(b).error(), DecodeError::kTruncated);
  b = good;
  b[2] = std::byte{0x10};
  b[3] = std::byte{0x01};  // 4097
  EXPECT_EQ(decode(b).error(), DecodeError::kTooLong);
  b = good;
  b[21] = std::byte{1};  // User-Name of length 1
  EXPECT_EQ(decode(b).error(), DecodeError::kBadAttributeLength);
  b = good;
  b[21] = std::byte{0xff};  // past Length
  EXPECT_EQ(decode(b).error(), DecodeError::kBadAttributeLength);
  b = good;
  b[3] = std::byte{0x37};  // Length ends inside the last attribute
  EXPECT_EQ(decode(b).error(), DecodeError::kBadAttributeLength);
  b = good;
  b[0] = std::byte{99};
  EXPECT_EQ(decode(b).error(), DecodeError::kUnknownCode);
  // Octets past Length are padding (RFC 2865 3), not attributes.
  b = good;
  b.push_back(std::byte{0xff});
  ASSERT_TRUE(decode(b));
  EXPECT_EQ(decode(b)->attributes.size(), 4u);
}

TEST(RadiusPacket, EncoderRefusesOversizedAttributesAndPackets) {
  Packet p;
  p.attributes.push_back(
      bytes_attribute(AttributeType::kClass, std::vector<std::byte>(kMaxAttributeValue + 1)));
  EXPECT_EQ(encode(p).error(), EncodeError::kAttributeTooLong);
  p.attributes.clear();
  for (int i = 0; i < 15; ++i)
    p.attributes.push_back(
        bytes_attribute(AttributeType::kClass, std::vector<std::byte>(kMaxAttributeValue)));
  p.attributes.push_back(bytes_attribute(AttributeType::kClass, std::vector<std::byte>(249)));
  EXPECT_EQ(encode(p)->size(), kMaxPacketSize);  // 20 + 15 * 255 + 251: exactly the limit
  p.attributes.back().value.push_back(std::byte{0});
  EXPECT_EQ(encode(p).error(), EncodeError::kPacketTooLong);
}

}  // namespace
}  // namespace tandem::auth::radius
