// Loading OpenSSL's legacy provider, and what every caller sees when it is missing: errors to
// report, never a crash and never a verdict of "authenticated".
#include "crypto/legacy_provider.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "crypto/des.hpp"
#include "crypto/legacy_digest.hpp"
#include "crypto/mschap.hpp"

namespace tandem::crypto {
namespace {

// Runs check in a fresh process where OpenSSL looks for provider modules in a directory that
// does not exist; the exit code carries check's verdict. It has to be a new process (the
// "threadsafe" style re-executes the test binary) because the provider is loaded once per process.
template <typename Check>
void expect_without_legacy_provider(Check check) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("OPENSSL_MODULES", "/nonexistent/ossl-modules", 1);
        std::exit(check() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(LegacyProvider, LoadsMd4AndDesOnThisSystem) {
  ASSERT_TRUE(legacy_algorithms_available())
      << "install OpenSSL's legacy provider (ossl-modules/legacy.so) for MS-CHAPv2";
  EXPECT_NE(legacy_md4(), nullptr);
  EXPECT_NE(legacy_des_ecb(), nullptr);
}

TEST(LegacyProvider, MissingProviderIsReportedNotFatal) {
  expect_without_legacy_provider(
      [] { return !legacy_algorithms_available() && legacy_md4() == nullptr; });
}

TEST(LegacyProvider, Md4AndDesReturnProviderUnavailableWithoutIt) {
  expect_without_legacy_provider([] {
    const auto digest = md4(as_bytes("abc"));
    const DesKey key;
    const auto block = des_ecb_encrypt_block(key.bytes(), DesBlock{});
    return !digest && digest.error() == LegacyError::kProviderUnavailable && !block &&
           block.error() == LegacyError::kProviderUnavailable;
  });
}

TEST(LegacyProvider, Md5AndSha1DoNotNeedIt) {
  expect_without_legacy_provider([] {
    return md5(as_bytes("abc"))[0] == std::byte{0x90} &&
           sha1(as_bytes("abc"))[0] == std::byte{0xa9};
  });
}

TEST(LegacyProvider, MsChapV2FailsClosedWithoutIt) {
  expect_without_legacy_provider([] {
    const MsChapChallenge challenge{};
    const NtPasswordHash hash;
    const NtResponse response{};
    return !nt_password_hash("clientPass") &&
           !generate_nt_response(challenge, challenge, "User", hash) &&
           !generate_authenticator_response(hash, response, challenge, challenge, "User") &&
           !check_authenticator_response(hash, response, challenge, challenge, "User", "S=");
  });
}

TEST(LegacyProvider, ErrorsHaveDescriptions) {
  EXPECT_NE(to_string(LegacyError::kProviderUnavailable).find("legacy provider"),
            std::string_view::npos);
  EXPECT_FALSE(to_string(LegacyError::kOpenSslFailure).empty());
}

}  // namespace
}  // namespace tandem::crypto
