// MS-CHAPv2 against every sample value of RFC 2759 section 9.2, and CHAP-MD5 (RFC 1994 4.1).
#include "crypto/mschap.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;
using testing::unhex_array;

// RFC 2759 section 9.2, as printed there.
struct SampleData {
  std::string_view username = "User";
  std::string_view password = "clientPass";
  std::string_view authenticator_challenge = "5b5d7c7d7b3f2f3e3c2c602132262628";
  std::string_view peer_challenge = "21402324255e262a28295f2b3a337c7e";
  std::string_view challenge = "d02e4386bce91226";
  std::string_view password_hash = "44ebba8d5312b8d611474411f56989ae";
  std::string_view nt_response = "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df";
  std::string_view password_hash_hash = "41c00c584bd2d91c4017a2a12fa59f3f";
  std::string_view authenticator_response = "S=407A5589115FD0D6209F510FE9C04566932CDA56";
};
constexpr SampleData kRfc;

const MsChapChallenge kAuthenticatorChallenge = unhex_array<16>(kRfc.authenticator_challenge);
const MsChapChallenge kPeerChallenge = unhex_array<16>(kRfc.peer_challenge);

NtPasswordHash rfc_password_hash() {
  return NtPasswordHash{unhex_array<16>(kRfc.password_hash)};
}

NtResponse rfc_nt_response() {
  return unhex_array<24>(kRfc.nt_response);
}

TEST(MsChapV2, NtPasswordHashMatchesRfc2759SampleData) {
  const auto hash = nt_password_hash(kRfc.password);
  ASSERT_TRUE(hash.has_value()) << "MD4 unavailable (OpenSSL legacy provider missing)";
  EXPECT_EQ(hex(hash->bytes()), kRfc.password_hash);
}

TEST(MsChapV2, HashNtPasswordHashMatchesRfc2759SampleData) {
  const auto hash_hash = hash_nt_password_hash(rfc_password_hash());
  ASSERT_TRUE(hash_hash.has_value());
  EXPECT_EQ(hex(hash_hash->bytes()), kRfc.password_hash_hash);
}

TEST(MsChapV2, ChallengeHashMatchesRfc2759SampleData) {
  EXPECT_EQ(hex(challenge_hash(kPeerChallenge, kAuthenticatorChallenge, kRfc.username)),
            kRfc.challenge);
}

TEST(MsChapV2, ChallengeResponseMatchesRfc2759SampleData) {
  const auto response = challenge_response(unhex_array<8>(kRfc.challenge), rfc_password_hash());
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(hex(*response), kRfc.nt_response);
}

TEST(MsChapV2, NtResponseFromTheHashMatchesRfc2759SampleData) {
  const auto response = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, kRfc.username,
                                             rfc_password_hash());
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(hex(*response), kRfc.nt_response);
}

TEST(MsChapV2, NtResponseFromThePasswordMatchesRfc2759SampleData) {
  const auto response =
      generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, kRfc.username, kRfc.password);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(hex(*response), kRfc.nt_response);
}

TEST(MsChapV2, AuthenticatorResponseMatchesRfc2759SampleData) {
  const auto auth =
      generate_authenticator_response(rfc_password_hash(), rfc_nt_response(), kPeerChallenge,
                                      kAuthenticatorChallenge, kRfc.username);
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(*auth, kRfc.authenticator_response);
  EXPECT_EQ(auth->size(), 42u);
}

TEST(MsChapV2, CheckAcceptsTheRfc2759AuthenticatorResponse) {
  EXPECT_TRUE(check_authenticator_response(rfc_password_hash(), rfc_nt_response(), kPeerChallenge,
                                           kAuthenticatorChallenge, kRfc.username,
                                           kRfc.authenticator_response));
}

TEST(MsChapV2, CheckRejectsTamperedAuthenticatorResponses) {
  const std::string good(kRfc.authenticator_response);
  std::string last_digit = good;
  last_digit.back() = '7';
  std::string first_digit = good;
  first_digit[2] = '5';
  std::string lower = good;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  lower[0] = 'S';  // only the hex digits differ in case
  const std::string rejected[] = {last_digit, first_digit,    lower, good.substr(0, 41),
                                  good + "0", good.substr(2), ""};
  for (const auto& r : rejected)
    EXPECT_FALSE(check_authenticator_response(rfc_password_hash(), rfc_nt_response(),
                                              kPeerChallenge, kAuthenticatorChallenge,
                                              kRfc.username, r))
        << r;
}

TEST(MsChapV2, CheckRejectsAServerThatBoundADifferentExchange) {
  // The genuine response, checked against another user name, another NT-Response and another
  // peer challenge: the authenticator response covers all three.
  auto other_response = rfc_nt_response();
  other_response[0] ^= std::byte{1};
  auto other_peer = kPeerChallenge;
  other_peer[15] ^= std::byte{1};
  const auto hash = rfc_password_hash();
  const auto auth = kRfc.authenticator_response;
  const auto auth_challenge = kAuthenticatorChallenge;
  EXPECT_FALSE(check_authenticator_response(hash, rfc_nt_response(), kPeerChallenge, auth_challenge,
                                            "user", auth));
  EXPECT_FALSE(check_authenticator_response(hash, other_response, kPeerChallenge, auth_challenge,
                                            kRfc.username, auth));
  EXPECT_FALSE(check_authenticator_response(hash, rfc_nt_response(), other_peer, auth_challenge,
                                            kRfc.username, auth));
}

TEST(MsChapV2, WrongPasswordGivesDifferentNtResponseAndFailsTheCheck) {
  const auto wrong_hash = nt_password_hash("clientPasz");
  ASSERT_TRUE(wrong_hash.has_value());
  const auto wrong_response =
      generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, kRfc.username, *wrong_hash);
  ASSERT_TRUE(wrong_response.has_value());
  EXPECT_NE(hex(*wrong_response), kRfc.nt_response);
  // A server that does not know the password cannot produce the S= value the peer expects.
  EXPECT_FALSE(check_authenticator_response(*wrong_hash, rfc_nt_response(), kPeerChallenge,
                                            kAuthenticatorChallenge, kRfc.username,
                                            kRfc.authenticator_response));
}

TEST(MsChapV2, DomainPrefixIsNotPartOfTheChallengeHash) {
  EXPECT_EQ(hex(challenge_hash(kPeerChallenge, kAuthenticatorChallenge, "CORP\\User")),
            kRfc.challenge);
  const auto response = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "CORP\\User",
                                             rfc_password_hash());
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(hex(*response), kRfc.nt_response);
}

TEST(MsChapV2, NonAsciiPasswordsAreHashedAsUtf16le) {
  // "p", U+00E4, "ss", U+1F511: UTF-16LE "70 00 e4 00 73 00 73 00" then the surrogate pair
  // "3d d8 11 dd" (python3: "p\u00e4ss\U0001F511".encode("utf-16-le")).
  const auto hash = nt_password_hash("p\xc3\xa4ss\xf0\x9f\x94\x91");
  ASSERT_TRUE(hash.has_value());
  const auto expected = md4(unhex("7000e400730073003dd811dd"));
  ASSERT_TRUE(expected);
  EXPECT_EQ(hex(hash->bytes()), hex(*expected));
}

TEST(MsChapV2, MalformedUtf8PasswordsAreRefused) {
  EXPECT_FALSE(nt_password_hash("\xc3").has_value());              // truncated sequence
  EXPECT_FALSE(nt_password_hash("\xed\xa0\x80").has_value());      // an encoded surrogate
  EXPECT_FALSE(nt_password_hash("\xc0\xaf").has_value());          // overlong "/"
  EXPECT_FALSE(nt_password_hash("\xf4\x90\x80\x80").has_value());  // past U+10FFFF
  EXPECT_FALSE(nt_password_hash("a\x80").has_value());             // stray continuation byte
  EXPECT_TRUE(nt_password_hash("").has_value());
}

TEST(ChapMd5, ResponseMatchesIndependentlyComputedDigests) {
  // Both computed with python3's hashlib.md5 over identifier ‖ secret ‖ challenge.
  const auto challenge = unhex("00112233445566778899aabbccddeeff");
  EXPECT_EQ(hex(chap_md5_response(1, "secret", challenge)), "204bb003332f6932b63b47c2c4e1a547");
  const auto counting = unhex("000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(hex(chap_md5_response(0x2a, "p\xc3\xa4ss", counting)),
            "eb5a48e1edcacd898940e5eaf0b503fe");
}

TEST(ChapMd5, ResponseIsMd5OfIdentifierSecretAndChallenge) {
  const auto challenge = unhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0aa");
  std::vector<std::byte> input{std::byte{0xfe}};
  for (const auto b : as_bytes("a shared secret")) input.push_back(b);
  input.insert(input.end(), challenge.begin(), challenge.end());
  EXPECT_EQ(hex(chap_md5_response(0xfe, "a shared secret", challenge)), hex(md5(input)));
}

TEST(ChapMd5, IdentifierSecretAndChallengeAllChangeTheResponse) {
  const auto challenge = unhex("00112233445566778899aabbccddeeff");
  const auto base = hex(chap_md5_response(1, "secret", challenge));
  auto other_challenge = challenge;
  other_challenge[0] = std::byte{0xff};
  EXPECT_NE(hex(chap_md5_response(2, "secret", challenge)), base);
  EXPECT_NE(hex(chap_md5_response(1, "secreT", challenge)), base);
  EXPECT_NE(hex(chap_md5_response(1, "secret", other_challenge)), base);
}

}  // namespace
}  // namespace tandem::crypto
