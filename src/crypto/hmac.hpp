// HMAC (RFC 2104) over SHA-1 and SHA-2, through OpenSSL's EVP_MAC: ESP's integrity transforms
// (HMAC-SHA1-96, RFC 2404; HMAC-SHA-256-128, RFC 4868) and IKE's PRFs; and over MD5 for RADIUS's
// Message-Authenticator (RFC 3579 section 3.2), which nothing newer may use. The key is set once;
// each computation re-initialises the context with it. Not thread-safe: one instance per thread.
// digest() is the plain hash of the same algorithms, which IKEv1 needs for its phase 1 IV.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"

namespace tandem::crypto {

enum class HashAlgorithm : std::uint8_t { kSha1, kSha256, kSha384, kSha512, kMd5 };
std::size_t digest_size(HashAlgorithm h);

// The hash of the concatenated parts.
std::vector<std::byte> digest(HashAlgorithm h, std::initializer_list<ByteView> parts);

class Hmac {
 public:
  static std::optional<Hmac> create(HashAlgorithm hash, ByteView key);
  ~Hmac();
  Hmac(Hmac&&) noexcept;
  Hmac& operator=(Hmac&&) noexcept;

  std::size_t size() const { return size_; }
  // The MAC of the concatenated parts, truncated to out.size() (at most size(); the leftmost
  // bytes, as RFC 2104 section 5 truncates). False on an OpenSSL failure or a too-long `out`.
  bool compute(std::initializer_list<ByteView> parts, MutableByteView out);

 private:
  struct Impl;
  Hmac(std::unique_ptr<Impl> impl, std::size_t size);
  std::unique_ptr<Impl> impl_;
  std::size_t size_;
};

}  // namespace tandem::crypto
