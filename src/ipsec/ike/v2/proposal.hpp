// Choosing and checking IKEv2 SA proposals (RFC 7296 sections 2.7 and 3.3.6). Our policy is a list
// of suites, most preferred first; a responder takes the first suite that one of the peer's
// proposals can satisfy (one transform of each type the proposal carries), an initiator checks
// that the answer is one proposal that it offered. describe() names what a peer proposed, for
// the log line of a refusal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "ipsec/ike/v2/message.hpp"

namespace tandem::ipsec::ike::v2 {

// Transform IDs as IANA numbers them: ENCR 12 AES-CBC, 20 AES-GCM-16; PRF 2 HMAC-SHA1,
// 5 HMAC-SHA2-256; INTEG 2 HMAC-SHA1-96, 12 HMAC-SHA2-256-128; DH 14, 19, 20.
struct Suite {
  std::uint16_t encryption = 20;
  std::uint16_t key_length = 256;  // bits
  std::uint16_t prf = 0;           // IKE SAs only
  std::uint16_t integrity = 0;     // 0 for an AEAD
  std::uint16_t dh = 0;            // IKE SAs; for a Child SA 0 means no PFS
  friend bool operator==(const Suite&, const Suite&) = default;
};

struct Selection {
  std::uint8_t proposal_number = 0;
  std::vector<std::byte> peer_spi;
  Suite suite;
};

// Responder: the first of `ours` that a proposal of `offered` for `protocol` satisfies.
std::optional<Selection> select_proposal(const SaPayload& offered, ProtocolId protocol,
                                         const std::vector<Suite>& ours);
// One proposal per suite, numbered from 1, each with `spi` (empty for a new IKE SA).
SaPayload make_sa_payload(ProtocolId protocol, const std::vector<std::byte>& spi,
                          const std::vector<Suite>& suites);
// The answer a responder sends: the chosen suite under the peer's proposal number, with our SPI.
SaPayload make_answer(ProtocolId protocol, const Selection& chosen,
                      const std::vector<std::byte>& our_spi);
// Initiator: the suite the responder chose, if its answer is one of the proposals we made.
Result<Selection, std::string> check_answer(const SaPayload& answer, ProtocolId protocol,
                                            const std::vector<Suite>& offered);

std::string describe(const SaPayload& sa);
std::string describe(const Suite& suite, ProtocolId protocol);

}  // namespace tandem::ipsec::ike::v2
