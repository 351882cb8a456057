// MD5 and SHA-1 from OpenSSL's default provider; MD4 from the legacy provider's private context.
#include "crypto/legacy_digest.hpp"

#include <openssl/evp.h>

#include <cstdlib>

#include "crypto/openssl_bytes.hpp"

namespace tandem::crypto {
namespace {

// MD5 and SHA-1 are always in the default provider: if they fail the installation is broken, and
// carrying on would only produce wrong authenticators, so these abort.
[[noreturn]] void broken_openssl() {
  std::abort();
}

template <std::size_t N>
bool digest_into(const EVP_MD* md, ByteView data, std::array<std::byte, N>& out) {
  unsigned int len = 0;
  return EVP_Digest(data.data(), data.size(), u8(out.data()), &len, md, nullptr) == 1 && len == N;
}

}  // namespace

Result<Md4Digest, LegacyError> md4(ByteView data) {
  const EVP_MD* md = legacy_md4();
  if (md == nullptr) return Err(LegacyError::kProviderUnavailable);
  Md4Digest out{};
  if (!digest_into(md, data, out)) return Err(LegacyError::kOpenSslFailure);
  return out;
}

Md5Digest md5(ByteView data) {
  Md5Digest out{};
  if (!digest_into(EVP_md5(), data, out)) broken_openssl();
  return out;
}

Sha1Digest sha1(ByteView data) {
  Sha1Digest out{};
  if (!digest_into(EVP_sha1(), data, out)) broken_openssl();
  return out;
}

struct DigestContext::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }  // frees and cleanses the digest state
};

DigestContext::DigestContext(DigestAlgorithm algorithm) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  const EVP_MD* md = algorithm == DigestAlgorithm::kMd5 ? EVP_md5() : EVP_sha1();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex2(impl_->ctx, md, nullptr) != 1) broken_openssl();
}

DigestContext::~DigestContext() = default;
DigestContext::DigestContext(DigestContext&&) noexcept = default;
DigestContext& DigestContext::operator=(DigestContext&&) noexcept = default;

void DigestContext::feed(ByteView data) {
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) broken_openssl();
}

void DigestContext::finish_into(std::span<std::byte> out) {
  // Checked before writing: OpenSSL trusts the buffer to hold the whole digest.
  if (out.size() != static_cast<std::size_t>(EVP_MD_CTX_get_size(impl_->ctx))) broken_openssl();
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, u8(out.data()), &len) != 1 ||
      EVP_DigestInit_ex2(impl_->ctx, nullptr, nullptr) != 1)  // same digest, empty input
    broken_openssl();
}

}  // namespace tandem::crypto
