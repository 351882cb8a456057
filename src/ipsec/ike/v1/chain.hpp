// Raw views of an IKEv1 payload chain, for what is hashed as it was sent rather than as it
// decodes: the body of the initiator's SA payload and of ID payloads (HASH_I/HASH_R), and the
// payloads after HASH in Quick Mode and Informational messages (without the padding a decrypted
// body ends with).
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "ipsec/ike/v1/message.hpp"

namespace tandem::ipsec::ike::v1 {

// The bytes of the chain starting with `first`, up to its last payload; nullopt if malformed.
std::optional<std::size_t> chain_length(PayloadType first, ByteView chain);

// The body (after the generic header) of the `nth` payload of type `wanted`.
std::optional<ByteView> raw_body(PayloadType first, ByteView chain, PayloadType wanted,
                                 std::size_t nth = 0);

// A body that begins with HASH: the hash, and the payloads after it as sent.
struct HashedBody {
  ByteView hash;
  PayloadType rest_first = PayloadType::kNone;
  ByteView rest;
};
std::optional<HashedBody> split_hashed(PayloadType first, ByteView body);

// The payloads after HASH, decoded, if `expected` (our hash over them) equals the hash sent;
// compared in constant time.
std::optional<std::vector<Payload>> checked_payloads(const HashedBody& body,
                                                     const std::vector<std::byte>& expected);
bool same_hash(ByteView a, ByteView b);

// HASH carrying `hash`, followed by the encoded `rest` chain (whose first payload is
// `rest_first`).
std::vector<std::byte> join_hashed(ByteView hash, PayloadType rest_first, ByteView rest);

}  // namespace tandem::ipsec::ike::v1
