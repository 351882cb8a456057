// IKEv1 key derivation (RFC 2409 sections 5 and 5.5, appendix B) for pre-shared keys: SKEYID and
// its three children, the phase 1 encryption key stretched from SKEYID_e, the CBC IVs of phase 1
// and of each phase 2 exchange, the Main Mode HASH_I/HASH_R, the Quick Mode and Informational
// hashes, and Quick Mode KEYMAT. The PRF is HMAC with the negotiated hash (SHA-1 or SHA-2, RFC
// 4868 section 2.4 for IKEv1's use of SHA-2). MD5 is not offered.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"

namespace tandem::ipsec::ike::v1 {

// Phase 1 Hash Algorithm attribute values (RFC 2409 appendix A; IANA for SHA-2).
enum class Hash : std::uint16_t { kSha1 = 2, kSha256 = 4, kSha384 = 5, kSha512 = 6 };
std::optional<Hash> hash_from_id(std::uint32_t id);
crypto::HashAlgorithm hash_algorithm(Hash h);
std::size_t hash_size(Hash h);
const char* hash_name(Hash h);

std::vector<std::byte> prf(Hash h, ByteView key, std::initializer_list<ByteView> data);

struct Phase1Keys {
  std::vector<std::byte> skeyid, skeyid_d, skeyid_a, skeyid_e;
  std::vector<std::byte> encryption;  // the cipher key, `key_size` bytes of appendix B's Ka
};

// SKEYID = prf(PSK, Ni_b | Nr_b); SKEYID_d/a/e chained over g^xy and the cookies (section 5).
// Cookies are as on the wire (big-endian).
Phase1Keys derive_phase1_keys(Hash h, ByteView psk, ByteView ni_b, ByteView nr_b, ByteView g_xy,
                              std::uint64_t cky_i, std::uint64_t cky_r, std::size_t key_size);

// Appendix B: K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1), truncated to `size`. When SKEYID_e
// is already long enough, its leading bytes.
std::vector<std::byte> encryption_key(Hash h, ByteView skeyid_e, std::size_t size);

// The IV of the first encrypted Main Mode message: hash(g^xi | g^xr), truncated to the block.
std::vector<std::byte> phase1_iv(Hash h, ByteView g_xi, ByteView g_xr, std::size_t block);
// The IV of a new Quick Mode or Informational exchange: hash(last phase 1 CBC block | M-ID).
std::vector<std::byte> phase2_iv(Hash h, ByteView last_phase1_block, std::uint32_t message_id,
                                 std::size_t block);

// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b);
// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). SAi_b is the body of the
// initiator's SA payload and ID*_b the body of the ID payload, both without generic headers.
std::vector<std::byte> hash_i(Hash h, ByteView skeyid, ByteView g_xi, ByteView g_xr,
                              std::uint64_t cky_i, std::uint64_t cky_r, ByteView sai_b,
                              ByteView idii_b);
std::vector<std::byte> hash_r(Hash h, ByteView skeyid, ByteView g_xi, ByteView g_xr,
                              std::uint64_t cky_i, std::uint64_t cky_r, ByteView sai_b,
                              ByteView idir_b);

// Quick Mode (section 5.5). `rest` is every payload after HASH, generic headers included.
// HASH(1) = prf(SKEYID_a, M-ID | rest) -- also the Informational hash (section 5.7);
// HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest); HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
std::vector<std::byte> quick_hash_1(Hash h, ByteView skeyid_a, std::uint32_t message_id,
                                    ByteView rest);
std::vector<std::byte> quick_hash_2(Hash h, ByteView skeyid_a, std::uint32_t message_id,
                                    ByteView ni_b, ByteView rest);
std::vector<std::byte> quick_hash_3(Hash h, ByteView skeyid_a, std::uint32_t message_id,
                                    ByteView ni_b, ByteView nr_b);

// KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, [g^xy |] protocol | SPI | Ni_b | Nr_b),
// Kn = prf(SKEYID_d, Kn-1 | [g^xy |] protocol | SPI | Ni_b | Nr_b); `spi` is the SPI of the
// direction being keyed (the one its receiver chose). g^xy only with PFS.
std::vector<std::byte> keymat(Hash h, ByteView skeyid_d, std::optional<ByteView> g_xy,
                              std::uint8_t protocol, std::uint32_t spi, ByteView ni_b,
                              ByteView nr_b, std::size_t size);

}  // namespace tandem::ipsec::ike::v1
