// IKEv2 key derivation (RFC 7296 sections 2.13-2.15 and 2.17): prf+, SKEYSEED and the seven IKE
// SA keys, their derivation on an IKE SA rekey, Child SA keying material, and the AUTH value of a
// pre-shared key. HMAC-based PRFs only (AES-XCBC/CMAC PRFs are not offered).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "base/bytes.hpp"

namespace tandem::ipsec::ike::v2 {

// IANA Transform Type 2 numbers.
enum class Prf : std::uint16_t { kHmacSha1 = 2, kHmacSha256 = 5, kHmacSha384 = 6, kHmacSha512 = 7 };
std::optional<Prf> prf_from_id(std::uint16_t id);
std::size_t prf_size(Prf prf);

std::vector<std::byte> prf(Prf prf, ByteView key, std::initializer_list<ByteView> data);
// prf+ (2.13): T1 | T2 | ... truncated to `length`; at most 255 blocks.
std::vector<std::byte> prf_plus(Prf prf, ByteView key, ByteView seed, std::size_t length);

// Key sizes of the negotiated transforms, in bytes: encryption includes an AEAD's salt; integrity
// is 0 for an AEAD.
struct KeySizes {
  std::size_t encryption = 0;
  std::size_t integrity = 0;
};

struct IkeSaKeys {
  std::vector<std::byte> sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

// A new IKE SA (2.14): SKEYSEED = prf(Ni | Nr, g^ir).
IkeSaKeys derive_ike_sa_keys(Prf prf, ByteView ni, ByteView nr, ByteView g_ir, std::uint64_t spi_i,
                             std::uint64_t spi_r, KeySizes sizes);
// A rekeyed IKE SA (2.18): SKEYSEED = prf(SK_d of the old SA, g^ir (new) | Ni | Nr).
IkeSaKeys derive_rekeyed_ike_sa_keys(Prf prf, ByteView old_sk_d, ByteView g_ir, ByteView ni,
                                     ByteView nr, std::uint64_t spi_i, std::uint64_t spi_r,
                                     KeySizes sizes);

// Child SA keys (2.17): KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr), taken initiator-to-responder
// encryption and integrity first, then responder-to-initiator.
struct ChildSaKeys {
  std::vector<std::byte> encryption_i2r, integrity_i2r, encryption_r2i, integrity_r2i;
};
ChildSaKeys derive_child_sa_keys(Prf prf, ByteView sk_d, std::optional<ByteView> g_ir, ByteView ni,
                                 ByteView nr, KeySizes sizes);

// AUTH for a pre-shared key (2.15): prf(prf(PSK, "Key Pad for IKEv2"), message | peer nonce |
// prf(SK_p, ID body)), where `message` is the sender's first message as sent and `id_body` its
// ID payload after the generic header.
std::vector<std::byte> psk_auth(Prf prf, ByteView psk, ByteView message, ByteView peer_nonce,
                                ByteView sk_p, ByteView id_body);

}  // namespace tandem::ipsec::ike::v2
