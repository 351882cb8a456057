// The older digests and cipher that PPP and L2TP still require: MD5 (CHAP, RFC 1994; hidden
// AVPs and tunnel authentication, RFC 2661), SHA-1 and MD4 (MS-CHAPv2, RFC 2759) and single DES
// (MS-CHAP's challenge response). OpenSSL 3 keeps MD4 and DES in its "legacy" provider, which is
// loaded into a private library context so the rest of the process keeps the default policy.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "base/bytes.hpp"

namespace tandem::crypto {

using Md5Digest = std::array<std::byte, 16>;
using Sha1Digest = std::array<std::byte, 20>;
using Md4Digest = std::array<std::byte, 16>;
using DesBlock = std::array<std::byte, 8>;

Md5Digest md5(ByteView data);
Sha1Digest sha1(ByteView data);

// Whether OpenSSL's legacy provider could be loaded: without it there is no MD4 or DES, and so
// no MS-CHAPv2. Callers report that rather than fail silently.
bool legacy_algorithms_available();
// nullopt when the legacy provider is missing.
std::optional<Md4Digest> md4(ByteView data);
// Encrypts one 8-byte block with single DES in ECB mode; nullopt when the provider is missing.
std::optional<DesBlock> des_encrypt_block(const DesBlock& key, const DesBlock& block);

}  // namespace tandem::crypto
