#include "ipsec/ike/v2/ike_sa.hpp"

namespace tandem::ipsec::ike::v2 {

const char* ike_sa_state_name(IkeSaState state) {
  switch (state) {
    case IkeSaState::kInitSent:
      return "init-sent";
    case IkeSaState::kAuthSent:
      return "auth-sent";
    case IkeSaState::kHalfOpen:
      return "half-open";
    case IkeSaState::kEstablished:
      return "established";
    case IkeSaState::kRekeyed:
      return "rekeyed";
    case IkeSaState::kDeleting:
      return "deleting";
  }
  return "unknown";
}

Child* IkeSa::child(std::uint32_t inbound_spi) {
  for (Child& c : children)
    if (c.inbound_spi == inbound_spi) return &c;
  return nullptr;
}

Child* IkeSa::child_by_outbound(std::uint32_t outbound_spi) {
  for (Child& c : children)
    if (c.outbound_spi == outbound_spi) return &c;
  return nullptr;
}

KeySizes ike_key_sizes(const Suite& s) {
  const std::size_t key = s.key_length / 8u;
  if (s.encryption == 20) return {key + 4, 0};
  return {key, s.integrity == 2 ? 20u : s.integrity == 12 ? 32u : 0u};
}

bool IkeSa::arm_protectors() {
  const bool gcm = suite.encryption == 20;
  const SkCipher cipher = gcm ? SkCipher::kAesGcm16 : SkCipher::kAesCbc;
  const SkIntegrity integrity = gcm                    ? SkIntegrity::kNone
                                : suite.integrity == 2 ? SkIntegrity::kHmacSha1_96
                                                       : SkIntegrity::kHmacSha256_128;
  // Messages the initiator sends are protected with SK_ei/SK_ai, the responder's with SK_er/SK_ar.
  auto mine = SkProtector::create(cipher, initiator ? keys.sk_ei : keys.sk_er, integrity,
                                  initiator ? keys.sk_ai : keys.sk_ar);
  auto theirs = SkProtector::create(cipher, initiator ? keys.sk_er : keys.sk_ei, integrity,
                                    initiator ? keys.sk_ar : keys.sk_ai);
  if (!mine || !theirs) return false;
  seal_sk.emplace(std::move(*mine));
  open_sk.emplace(std::move(*theirs));
  return true;
}

}  // namespace tandem::ipsec::ike::v2
