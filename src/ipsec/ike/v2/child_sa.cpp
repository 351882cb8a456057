#include "ipsec/ike/v2/child_sa.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

std::string encr_name(const Suite& s) {
  const std::string bits = std::to_string(s.key_length);
  if (s.encryption == 20) return "AES_GCM_16_" + bits;
  if (s.encryption == 12) return "AES_CBC_" + bits;
  return "ENCR_" + std::to_string(s.encryption);
}

std::string integ_name(std::uint16_t id) {
  return id == 2 ? "HMAC_SHA1_96" : id == 12 ? "HMAC_SHA2_256_128" : "INTEG_" + std::to_string(id);
}

std::string dh_name(std::uint16_t id) {
  return id == 14   ? "MODP_2048"
         : id == 19 ? "ECP_256"
         : id == 20 ? "ECP_384"
                    : "DH_" + std::to_string(id);
}

std::string prf_name(std::uint16_t id) {
  return id == 2 ? "PRF_HMAC_SHA1" : id == 5 ? "PRF_HMAC_SHA2_256" : "PRF_" + std::to_string(id);
}

}  // namespace

KeySizes esp_key_sizes(const Suite& s) {
  const std::size_t key = s.key_length / 8u;
  if (s.encryption == 20) return {key + 4, 0};
  return {key, s.integrity == 2 ? 20u : s.integrity == 12 ? 32u : 0u};
}

void esp_sa_keys(const Suite& s, const ChildSaKeys& k, bool initiator, esp::SaKeys& inbound,
                 esp::SaKeys& outbound) {
  const bool gcm = s.encryption == 20;
  const esp::Integrity integ = gcm                ? esp::Integrity::kNone
                               : s.integrity == 2 ? esp::Integrity::kHmacSha1_96
                                                  : esp::Integrity::kHmacSha256_128;
  const esp::Cipher cipher = gcm ? esp::Cipher::kAesGcm16 : esp::Cipher::kAesCbc;
  esp::SaKeys i2r{cipher, k.encryption_i2r, integ, k.integrity_i2r};
  esp::SaKeys r2i{cipher, k.encryption_r2i, integ, k.integrity_r2i};
  outbound = initiator ? std::move(i2r) : std::move(r2i);
  inbound = initiator ? std::move(r2i) : std::move(i2r);
}

std::string esp_suite_name(const Suite& s) {
  std::string out = encr_name(s);
  if (s.integrity != 0) out += "/" + integ_name(s.integrity);
  if (s.dh != 0) out += "/" + dh_name(s.dh);
  return out;
}

std::string ike_suite_name(const Suite& s) {
  std::string out = encr_name(s);
  if (s.integrity != 0) out += "/" + integ_name(s.integrity);
  return out + "/" + prf_name(s.prf) + "/" + dh_name(s.dh);
}

}  // namespace tandem::ipsec::ike::v2
