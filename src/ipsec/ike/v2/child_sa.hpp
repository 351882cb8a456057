// A Child SA as its IKE SA keeps it (RFC 7296 sections 1.3, 2.8, 2.17): SPIs, suite, mode,
// selectors, rekey and expiry times, the nonces of the exchange that made it (the tie-break of a
// simultaneous rekey, 2.8.1) and where it stands in rekeying and deletion. Also the mapping of
// negotiated ESP transforms and KEYMAT to esp::SaKeys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "ipsec/esp/sa.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/v2/keys.hpp"
#include "ipsec/ike/v2/proposal.hpp"

namespace tandem::ipsec::ike::v2 {

// What the peer's rekey of this SA produced (we answered it).
struct PeerRekey {
  std::uint32_t new_inbound_spi = 0;
  std::vector<std::byte> ni;  // the peer's nonce
  std::vector<std::byte> nr;  // ours
};

struct Child {
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  Suite suite;
  EspMode mode = EspMode::kTunnel;
  std::vector<Selector> local;
  std::vector<Selector> remote;
  TimePoint rekey_at = TimePoint::max();
  TimePoint expire_at = TimePoint::max();
  bool rekeying = false;  // our CREATE_CHILD_SA for it is queued or out
  bool replaced = false;  // a completed rekey replaced it; it is deleted soon
  bool deleting = false;  // our Delete for it is queued or out
  std::optional<PeerRekey> peer_rekey;
};

// Sizes of an ESP suite's keys in KEYMAT: AES-GCM takes its 4-byte salt with the key.
KeySizes esp_key_sizes(const Suite& suite);
// Both directions' keys from KEYMAT; `initiator`: we initiated the exchange that made the SA, so
// we send with the initiator-to-responder keys.
void esp_sa_keys(const Suite& suite, const ChildSaKeys& keymat, bool initiator,
                 esp::SaKeys& inbound, esp::SaKeys& outbound);
// "AES_GCM_16_256", "AES_CBC_256/HMAC_SHA2_256_128", with "/ECP_256" for a PFS group.
std::string esp_suite_name(const Suite& suite);
// "AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256".
std::string ike_suite_name(const Suite& suite);

}  // namespace tandem::ipsec::ike::v2
