// IKEv1 proposals: the phase 1 (ISAKMP SA, RFC 2409 appendix A) and phase 2 (ESP SA, RFC 2407
// section 4.5) transform attributes as suites, the SA payloads an initiator offers, the choice a
// responder makes (the first of our suites, most preferred first, that one offered transform
// satisfies), the check an initiator makes of the answer, and describe() for the log line naming
// what a refused peer proposed. Real clients offer one proposal with many transforms in phase 1
// (Windows, macOS) and many proposals in phase 2; both shapes are read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/v1/body_cipher.hpp"
#include "ipsec/ike/v1/keys.hpp"
#include "ipsec/ike/v1/message.hpp"

namespace tandem::ipsec::ike::v1 {

inline constexpr std::uint8_t kProtocolIsakmp = 1;
inline constexpr std::uint8_t kProtocolEsp = 3;
inline constexpr std::uint16_t kAuthPreSharedKey = 1;

struct Phase1Suite {
  std::uint16_t encryption = kEncryptionAesCbc;
  std::uint16_t key_length = 256;  // bits
  Hash hash = Hash::kSha256;
  std::uint16_t group = 14;
  friend bool operator==(const Phase1Suite&, const Phase1Suite&) = default;
};

// ESP transform IDs (RFC 2407 4.4.4, RFC 4106): 3 ESP_3DES, 12 ESP_AES (CBC), 20 ESP_AES_GCM_16.
// key_length is 0 for 3DES, whose key size is fixed and which carries no Key Length attribute.
// Authentication Algorithm (RFC 2407 4.5, RFC 4868): 2 HMAC-SHA1, 5 HMAC-SHA2-256; 0 for GCM.
struct Phase2Suite {
  std::uint8_t transform = 12;
  std::uint16_t key_length = 256;  // bits
  std::uint16_t authentication = 2;
  std::uint16_t pfs_group = 0;  // 0: no PFS
  friend bool operator==(const Phase2Suite&, const Phase2Suite&) = default;
};

inline constexpr std::uint8_t kEsp3des = 3;  // no Key Length attribute; only where allowed
inline constexpr std::uint8_t kEspAesCbc = 12;
inline constexpr std::uint8_t kEspAesGcm16 = 20;
inline constexpr std::uint16_t kAuthHmacSha1 = 2;
inline constexpr std::uint16_t kAuthHmacSha256 = 5;

// Encapsulation Mode values: RFC 2407, RFC 3947 (UDP-encapsulated), and the draft numbers older
// clients (Windows, SoftEther) may still send.
enum class Encapsulation : std::uint16_t {
  kTunnel = 1,
  kTransport = 2,
  kUdpTunnel = 3,
  kUdpTransport = 4,
  kUdpTunnelDraft = 61443,
  kUdpTransportDraft = 61444,
};

struct Phase1Choice {
  Phase1Suite suite;
  Duration lifetime{};
  Transform transform;  // as the initiator offered it, echoed in the answer
  std::uint8_t proposal_number = 1;
};

struct Phase2Choice {
  Phase2Suite suite;
  Duration lifetime{};
  EspMode mode = EspMode::kTransport;
  bool udp_encapsulated = false;
  std::uint32_t peer_spi = 0;
  Transform transform;
  std::uint8_t proposal_number = 1;
};

// Phase 1: one proposal, one transform per suite, with `lifetime` in seconds.
SaPayload make_phase1_offer(const std::vector<Phase1Suite>& suites, Duration lifetime);
// Responder: nullopt if no offered transform matches one of `ours` with a pre-shared key.
// Lifetimes longer than `max_lifetime` are cut to it.
std::optional<Phase1Choice> select_phase1(const SaPayload& offered,
                                          const std::vector<Phase1Suite>& ours,
                                          Duration max_lifetime);
SaPayload make_phase1_answer(const Phase1Choice& choice);
// Initiator: the suite the responder chose, if it is one we offered.
Result<Phase1Choice, std::string> check_phase1_answer(const SaPayload& answer,
                                                      const std::vector<Phase1Suite>& offered);

// Phase 2: one ESP proposal per suite, each with our SPI.
SaPayload make_phase2_offer(const std::vector<Phase2Suite>& suites, std::uint32_t our_spi,
                            EspMode mode, bool udp_encapsulated, Duration lifetime);
// Responder: needs the mode we configured and whether the SA travels in UDP (NAT-T).
std::optional<Phase2Choice> select_phase2(const SaPayload& offered,
                                          const std::vector<Phase2Suite>& ours, EspMode mode,
                                          bool udp_encapsulated, Duration max_lifetime);
SaPayload make_phase2_answer(const Phase2Choice& choice, std::uint32_t our_spi);
Result<Phase2Choice, std::string> check_phase2_answer(const SaPayload& answer,
                                                      const std::vector<Phase2Suite>& offered,
                                                      EspMode mode);

// ESP keys for one direction from KEYMAT: the cipher key (GCM: followed by its 4-byte salt),
// then the integrity key.
std::size_t keymat_size(const Phase2Suite& suite);
esp::SaKeys esp_keys(const Phase2Suite& suite, ByteView keymat);

std::string describe(const Phase1Suite& suite);
std::string describe(const Phase2Suite& suite);
// Every transform of an SA payload, for the log line of a refusal.
std::string describe_offer(const SaPayload& sa);

}  // namespace tandem::ipsec::ike::v1
