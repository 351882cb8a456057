// The older digests that PPP and L2TP still require: MD5 (CHAP, RFC 1994; hidden AVPs and tunnel
// authentication, RFC 2661), SHA-1 and MD4 (MS-CHAPv2, RFC 2759). MD5 and SHA-1 come from
// OpenSSL's default provider; MD4 from its legacy provider (crypto/legacy_provider.hpp), which
// may be missing, so md4() returns an error instead of a digest then.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/legacy_provider.hpp"

namespace tandem::crypto {

using Md4Digest = std::array<std::byte, 16>;
using Md5Digest = std::array<std::byte, 16>;
using Sha1Digest = std::array<std::byte, 20>;

Result<Md4Digest, LegacyError> md4(ByteView data);
Md5Digest md5(ByteView data);
Sha1Digest sha1(ByteView data);

enum class DigestAlgorithm : std::uint8_t { kMd5, kSha1 };

// An OpenSSL digest context, the untyped part of IncrementalDigest. The context is wiped when
// freed, so secrets hashed through it do not linger on the heap.
class DigestContext {
 public:
  ~DigestContext();
  DigestContext(DigestContext&&) noexcept;
  DigestContext& operator=(DigestContext&&) noexcept;
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;

 protected:
  explicit DigestContext(DigestAlgorithm algorithm);
  void feed(ByteView data);
  // Writes the digest of everything fed so far (out.size() must be the digest size), then
  // starts over with empty input.
  void finish_into(std::span<std::byte> out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental MD5 or SHA-1, for input made of several pieces (identifier, secret, challenge)
// that should not be copied into one buffer first. Not thread-safe; finish() resets it for reuse.
template <DigestAlgorithm A, std::size_t N>
class IncrementalDigest : private DigestContext {
 public:
  IncrementalDigest() : DigestContext(A) {}
  IncrementalDigest& update(ByteView data) {
    feed(data);
    return *this;
  }
  std::array<std::byte, N> finish() {
    std::array<std::byte, N> out{};
    finish_into(out);
    return out;
  }
};

using Md5 = IncrementalDigest<DigestAlgorithm::kMd5, std::tuple_size_v<Md5Digest>>;
using Sha1 = IncrementalDigest<DigestAlgorithm::kSha1, std::tuple_size_v<Sha1Digest>>;

}  // namespace tandem::crypto
