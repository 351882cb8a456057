// MS-CHAPv2 against the sample data of RFC 2759 section 9.2, and CHAP-MD5 (RFC 1994).
#include "crypto/mschap.hpp"

#include <gtest/gtest.h>

#include "crypto/test_hex.hpp"

namespace tandem::crypto {
namespace {

using testing::hex;
using testing::unhex;

MsChapChallenge challenge(std::string_view h) {
  MsChapChallenge c{};
  const auto b = unhex(h);
  std::copy(b.begin(), b.end(), c.begin());
  return c;
}

// RFC 2759 section 9.2.
const MsChapChallenge kAuthenticatorChallenge = challenge("5b5d7c7d7b3f2f3e3c2c602132262628");
const MsChapChallenge kPeerChallenge = challenge("21402324255e262a28295f2b3a337c7e");

TEST(MsChapV2, PasswordHashMatchesRfc2759SampleData) {
  auto hash = nt_password_hash("clientPass");
  ASSERT_TRUE(hash.has_value()) << "MD4 unavailable (OpenSSL legacy provider missing)";
  EXPECT_EQ(hex(hash->bytes()), "44ebba8d5312b8d611474411f56989ae");
}

TEST(MsChapV2, NtResponseMatchesRfc2759SampleData) {
  auto hash = nt_password_hash("clientPass");
  ASSERT_TRUE(hash.has_value());
  auto response = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User", *hash);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(hex(*response), "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df");
}

TEST(MsChapV2, AuthenticatorResponseMatchesRfc2759SampleData) {
  auto hash = nt_password_hash("clientPass");
  auto response = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User", *hash);
  auto auth = generate_authenticator_response(*hash, *response, kPeerChallenge,
                                              kAuthenticatorChallenge, "User");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(*auth, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
  EXPECT_TRUE(check_authenticator_response(*hash, *response, kPeerChallenge,
                                           kAuthenticatorChallenge, "User", *auth));
}

TEST(MsChapV2, TamperedAuthenticatorResponseOrWrongPasswordIsRejected) {
  auto hash = nt_password_hash("clientPass");
  auto response = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User", *hash);
  EXPECT_FALSE(check_authenticator_response(*hash, *response, kPeerChallenge,
                                            kAuthenticatorChallenge, "User",
                                            "S=407A5589115FD0D6209F510FE9C04566932CDA57"));
  auto wrong = nt_password_hash("clientPasz");
  auto wrong_response =
      generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User", *wrong);
  EXPECT_NE(*wrong_response, *response);
}

TEST(MsChapV2, DomainPrefixIsNotPartOfTheChallengeHash) {
  auto hash = nt_password_hash("clientPass");
  auto plain = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User", *hash);
  auto domain = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "CORP\\User", *hash);
  EXPECT_EQ(*plain, *domain);
}

TEST(MsChapV2, NonAsciiPasswordsAreHashedAsUtf16) {
  // U+00E9 and U+1F511: MD4 over "e9 00" and the surrogate pair "3d d8 11 dd".
  auto hash = nt_password_hash("\xc3\xa9\xf0\x9f\x94\x91");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hex(hash->bytes()), hex(*md4(unhex("e9003dd811dd"))));
  EXPECT_FALSE(nt_password_hash("\xc3").has_value());          // truncated sequence
  EXPECT_FALSE(nt_password_hash("\xed\xa0\x80").has_value());  // an encoded surrogate
}

TEST(ChapMd5, ResponseIsMd5OfIdentifierSecretAndChallenge) {
  // Computed independently: python3 hashlib.md5(b"\x01" + b"secret" + challenge).
  const auto c = unhex("00112233445566778899aabbccddeeff");
  EXPECT_EQ(hex(chap_md5_response(1, "secret", c)), "204bb003332f6932b63b47c2c4e1a547");
  EXPECT_NE(hex(chap_md5_response(2, "secret", c)), hex(chap_md5_response(1, "secret", c)));
}

}  // namespace
}  // namespace tandem::crypto
