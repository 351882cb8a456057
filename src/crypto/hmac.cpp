#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstdlib>

#include "crypto/openssl_bytes.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {
namespace {

const char* digest_name(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::kSha1:
      return "SHA1";
    case HashAlgorithm::kSha256:
      return "SHA256";
    case HashAlgorithm::kSha384:
      return "SHA384";
    case HashAlgorithm::kSha512:
      return "SHA512";
    case HashAlgorithm::kMd5:
      return "MD5";
  }
  return "SHA256";
}

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

}  // namespace

std::size_t digest_size(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::kSha1:
      return 20;
    case HashAlgorithm::kSha256:
      return 32;
    case HashAlgorithm::kSha384:
      return 48;
    case HashAlgorithm::kSha512:
      return 64;
    case HashAlgorithm::kMd5:
      return 16;
  }
  return 0;
}

std::vector<std::byte> digest(HashAlgorithm h, std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, digest_name(h), nullptr),
                                                     EVP_MD_free);
  std::vector<std::byte> out(digest_size(h));
  unsigned int len = 0;
  bool ok = ctx && md && EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) == 1;
  for (const ByteView p : parts)
    ok = ok && (p.empty() || EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1);
  ok = ok && EVP_DigestFinal_ex(ctx.get(), u8(out.data()), &len) == 1 && len == out.size();
  if (!ok) std::abort();  // only a broken OpenSSL fails a digest of memory
  return out;
}

struct Hmac::Impl {
  std::unique_ptr<EVP_MAC, MacDeleter> mac;
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx;
};

Hmac::Hmac(std::unique_ptr<Impl> impl, std::size_t size) : impl_(std::move(impl)), size_(size) {}
Hmac::~Hmac() = default;
Hmac::Hmac(Hmac&&) noexcept = default;
Hmac& Hmac::operator=(Hmac&&) noexcept = default;

std::optional<Hmac> Hmac::create(HashAlgorithm hash, ByteView key) {
  auto impl = std::make_unique<Impl>();
  impl->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!impl->mac) return std::nullopt;
  impl->ctx.reset(EVP_MAC_CTX_new(impl->mac.get()));
  if (!impl->ctx) return std::nullopt;
  // OSSL_PARAM wants a mutable char*; OpenSSL only reads it.
  char* name = const_cast<char*>(digest_name(hash));
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                               OSSL_PARAM_construct_end()};
  // An empty key is legal HMAC; OpenSSL needs a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  if (EVP_MAC_init(impl->ctx.get(), key.empty() ? &kEmpty : u8(key.data()), key.size(), params) !=
      1)
    return std::nullopt;
  return Hmac(std::move(impl), digest_size(hash));
}

bool Hmac::compute(std::initializer_list<ByteView> parts, MutableByteView out) {
  if (out.size() > size_) return false;
  EVP_MAC_CTX* c = impl_->ctx.get();
  // A null key re-initialises with the key already set (OpenSSL 3 HMAC).
  if (EVP_MAC_init(c, nullptr, 0, nullptr) != 1) return false;
  for (const ByteView p : parts)
    if (!p.empty() && EVP_MAC_update(c, u8(p.data()), p.size()) != 1) return false;
  std::array<std::byte, 64> full;
  std::size_t len = 0;
  if (EVP_MAC_final(c, u8(full.data()), &len, full.size()) != 1 || len != size_) return false;
  std::copy(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(out.size()), out.begin());
  secure_wipe(full);
  return true;
}

}  // namespace tandem::crypto
