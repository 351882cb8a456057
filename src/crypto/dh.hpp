// Diffie-Hellman for IKE: the MODP groups 2 (RFC 2409 6.2; weak, only for old clients whose
// operator allows it) and 14 (RFC 3526) and the ECP groups 19 and 20 (RFC 5903),
// over OpenSSL 3. Values use IKE's encodings: a MODP public value and shared secret are big-endian
// and padded to the prime's length (RFC 7296 2.14); an ECP public value is x || y without the
// point-format byte, and its shared secret is the x coordinate alone (RFC 5903 section 7).
// Peer values are validated (on the curve; 1 < y < p - 1) before use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"

namespace tandem::crypto {

// IANA "Transform Type 4" numbers, shared by IKEv1 and IKEv2.
enum class DhGroup : std::uint16_t { kModp1024 = 2, kModp2048 = 14, kEcp256 = 19, kEcp384 = 20 };

// Group 2 is supported too, but callers must opt in to it (see dh_group_weak).
bool dh_group_supported(std::uint16_t group);
bool dh_group_weak(std::uint16_t group);
std::size_t dh_public_size(DhGroup group);

class DhKeyPair {
 public:
  static std::optional<DhKeyPair> generate(DhGroup group);
  // ECP only: a key pair from a known private scalar (big-endian), for known-answer tests.
  static std::optional<DhKeyPair> from_private(DhGroup group, ByteView scalar);
  ~DhKeyPair();
  DhKeyPair(DhKeyPair&&) noexcept;
  DhKeyPair& operator=(DhKeyPair&&) noexcept;

  DhGroup group() const { return group_; }
  const std::vector<std::byte>& public_value() const { return public_; }
  // nullopt when the peer's value is malformed or not a valid group element.
  std::optional<std::vector<std::byte>> shared_secret(ByteView peer_public) const;

 private:
  struct Impl;
  DhKeyPair(DhGroup group, std::unique_ptr<Impl> impl, std::vector<std::byte> pub);
  DhGroup group_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::byte> public_;
};

}  // namespace tandem::crypto
