// One private library context with the legacy and default providers, created on first use.
#include "crypto/legacy_provider.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

namespace tandem::crypto {
namespace {

struct LegacyContext {
  OSSL_LIB_CTX* ctx = nullptr;
  OSSL_PROVIDER* legacy_provider = nullptr;
  OSSL_PROVIDER* default_provider = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_CIPHER* des_ecb = nullptr;

  LegacyContext() {
    ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr) return;
    // A library context starts with no providers. The legacy provider only has the primitives;
    // the default one is loaded too so that anything they lean on resolves in this context.
    legacy_provider = OSSL_PROVIDER_load(ctx, "legacy");
    default_provider = OSSL_PROVIDER_load(ctx, "default");
    if (legacy_provider == nullptr || default_provider == nullptr) return;
    // Fetching once matters: an implicit fetch by name on every call takes a lock and a lookup.
    md4 = EVP_MD_fetch(ctx, "MD4", nullptr);
    des_ecb = EVP_CIPHER_fetch(ctx, "DES-ECB", nullptr);
  }
  ~LegacyContext() {
    EVP_MD_free(md4);
    EVP_CIPHER_free(des_ecb);
    if (legacy_provider != nullptr) OSSL_PROVIDER_unload(legacy_provider);
    if (default_provider != nullptr) OSSL_PROVIDER_unload(default_provider);
    OSSL_LIB_CTX_free(ctx);
  }
  LegacyContext(const LegacyContext&) = delete;
  LegacyContext& operator=(const LegacyContext&) = delete;

  bool complete() const { return md4 != nullptr && des_ecb != nullptr; }
};

// A function-local static: constructed once, thread-safely, by whichever thread comes first.
// OpenSSL registered its own exit handler before this object finished constructing, so this
// destructor runs first and frees the context while OpenSSL is still intact.
const LegacyContext& legacy() {
  static const LegacyContext instance;
  return instance;
}

}  // namespace

std::string_view to_string(LegacyError e) {
  switch (e) {
    case LegacyError::kProviderUnavailable:
      return "OpenSSL legacy provider unavailable (no MD4/DES)";
    case LegacyError::kOpenSslFailure:
      return "OpenSSL legacy algorithm failed";
  }
  return "unknown legacy algorithm error";
}

bool legacy_algorithms_available() {
  return legacy().complete();
}

const EVP_MD* legacy_md4() {
  return legacy().complete() ? legacy().md4 : nullptr;
}

const EVP_CIPHER* legacy_des_ecb() {
  return legacy().complete() ? legacy().des_ecb : nullptr;
}

}  // namespace tandem::crypto
