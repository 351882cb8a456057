// OpenSSL 3's "legacy" provider, which holds the algorithms PPP still needs but OpenSSL no longer
// offers by default (MD4 and single DES, for MS-CHAPv2). It is loaded once into a private
// OSSL_LIB_CTX, beside the default provider, so the rest of the process keeps OpenSSL's default
// algorithm policy. The fetched algorithm objects are immutable and shared by all threads.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <string_view>

namespace tandem::crypto {

enum class LegacyError : std::uint8_t {
  kProviderUnavailable,  // the legacy provider (legacy.so) could not be loaded
  kOpenSslFailure,       // the provider is there but a call into it failed (out of memory)
};

std::string_view to_string(LegacyError e);

// Whether MD4 and DES could be loaded: without them there is no MS-CHAPv2, which callers report
// (and refuse to negotiate) instead of failing later in the middle of a handshake.
bool legacy_algorithms_available();

// For crypto/ only: the fetched algorithms, or nullptr when the provider is missing.
const EVP_MD* legacy_md4();
const EVP_CIPHER* legacy_des_ecb();

}  // namespace tandem::crypto
