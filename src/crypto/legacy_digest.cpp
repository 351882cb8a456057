// MD5 and SHA-1 from OpenSSL's default provider; MD4 and DES from its legacy provider, loaded
// once into a private OSSL_LIB_CTX.
#include "crypto/legacy_digest.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <cstdlib>
#include <memory>

#include "crypto/openssl_bytes.hpp"

namespace tandem::crypto {
namespace {

template <std::size_t N>
std::array<std::byte, N> digest(const EVP_MD* md, ByteView data) {
  std::array<std::byte, N> out{};
  unsigned int len = 0;
  if (md == nullptr ||
      EVP_Digest(data.data(), data.size(), u8(out.data()), &len, md, nullptr) != 1 || len != N)
    std::abort();  // the default provider always has these: a failure is a broken install
  return out;
}

// The legacy algorithms, fetched once. Fetched objects are thread-safe to share.
struct Legacy {
  OSSL_LIB_CTX* ctx = nullptr;
  OSSL_PROVIDER* legacy_provider = nullptr;
  OSSL_PROVIDER* default_provider = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_CIPHER* des_ecb = nullptr;

  Legacy() {
    ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr) return;
    // Both providers: the legacy one supplies MD4/DES, the default one what they build on.
    legacy_provider = OSSL_PROVIDER_load(ctx, "legacy");
    default_provider = OSSL_PROVIDER_load(ctx, "default");
    if (legacy_provider == nullptr || default_provider == nullptr) return;
    md4 = EVP_MD_fetch(ctx, "MD4", nullptr);
    des_ecb = EVP_CIPHER_fetch(ctx, "DES-ECB", nullptr);
  }
  ~Legacy() {
    EVP_MD_free(md4);
    EVP_CIPHER_free(des_ecb);
    if (legacy_provider != nullptr) OSSL_PROVIDER_unload(legacy_provider);
    if (default_provider != nullptr) OSSL_PROVIDER_unload(default_provider);
    OSSL_LIB_CTX_free(ctx);
  }
  bool ok() const { return md4 != nullptr && des_ecb != nullptr; }
};

const Legacy& legacy() {
  static const Legacy instance;
  return instance;
}

}  // namespace

Md5Digest md5(ByteView data) {
  return digest<16>(EVP_md5(), data);
}
Sha1Digest sha1(ByteView data) {
  return digest<20>(EVP_sha1(), data);
}

bool legacy_algorithms_available() {
  return legacy().ok();
}

std::optional<Md4Digest> md4(ByteView data) {
  if (!legacy().ok()) return std::nullopt;
  return digest<16>(legacy().md4, data);
}

std::optional<DesBlock> des_encrypt_block(const DesBlock& key, const DesBlock& block) {
  if (!legacy().ok()) return std::nullopt;
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  DesBlock out{};
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), legacy().des_ecb, u8(key.data()), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u8(out.data()), &len, u8(block.data()),
                        static_cast<int>(block.size())) != 1 ||
      len != 8)
    return std::nullopt;
  return out;
}

}  // namespace tandem::crypto
