// The state of one IKEv1 phase 1 (ISAKMP) SA and of the Quick Mode and Informational exchanges
// it protects, as v1::Node keeps them. Internal to the IKEv1 engine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "crypto/dh.hpp"
#include "ipsec/ike/v1/body_cipher.hpp"
#include "ipsec/ike/v1/config.hpp"
#include "ipsec/ike/v1/keys.hpp"
#include "ipsec/ike/v1/proposal.hpp"

namespace tandem::ipsec::ike::v1 {

enum class Phase1State : std::uint8_t {
  kMm1Sent,  // initiator
  kMm3Sent,
  kMm5Sent,
  kMm2Sent,  // responder
  kMm4Sent,
  kEstablished,
};

// A request we sent and may have to send again, or the answer we gave to the peer's request.
struct Retransmit {
  std::vector<std::byte> bytes;
  TimePoint next{};
  std::size_t sent = 0;  // how many times so far
  bool armed = false;    // waiting for an answer (false: kept only to answer a repeated request)
};

struct QuickMode {
  std::uint32_t message_id = 0;
  bool initiator = true;
  bool waiting_for_hash3 = false;  // responder after QM2
  std::vector<std::byte> iv;
  std::vector<std::byte> ni, nr;
  std::uint32_t our_spi = 0;
  std::optional<crypto::DhKeyPair> dh;
  std::vector<std::byte> g_xy;
  Phase2Choice choice;
  Selector local, remote;  // the traffic, as IDci/IDcr name it from our side
  std::optional<std::uint32_t> replaces;
  std::vector<std::byte> last_received;
  Retransmit out;
  // Kept after it completes to answer a repeated last message, until this time.
  std::optional<TimePoint> forget_at;
};

struct Child {
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  bool initiated = false;  // we ran its Quick Mode: we rekey it
  TimePoint rekey_at = TimePoint::max();
  TimePoint expires_at = TimePoint::max();
  bool rekeying = false;
  // The description a rekey repeats.
  Selector local, remote;
};

struct IkeSa {
  std::uint64_t handle = 0;  // our cookie
  bool initiator = true;
  const PeerConfig* peer = nullptr;
  Endpoint local;   // where we send from (port 500, or 4500 after the float)
  Endpoint remote;  // where the peer is (learned from its datagrams)
  std::uint64_t cky_i = 0;
  std::uint64_t cky_r = 0;
  Phase1State state = Phase1State::kMm1Sent;
  bool nat_t = false;  // both sent the RFC 3947 vendor ID
  bool dpd = false;    // the peer announced RFC 3706
  bool local_behind_nat = false;
  bool remote_behind_nat = false;
  std::vector<std::byte> sai_b;  // the initiator's SA payload body (for HASH_I/HASH_R)
  Phase1Choice choice;
  std::optional<crypto::DhKeyPair> dh;
  std::vector<std::byte> g_xi, g_xr, ni, nr;
  Phase1Keys keys;
  std::optional<BodyCipher> cipher;
  std::vector<std::byte> iv;             // Main Mode's IV chain
  std::vector<std::byte> last_mm_block;  // the last CBC block of Main Mode, for phase 2 IVs
  std::vector<std::byte> last_received;  // to answer a repeated request with `out`
  Retransmit out;
  TimePoint created{};
  TimePoint rekey_at = TimePoint::max();
  TimePoint expires_at = TimePoint::max();
  bool rekeying = false;  // a newer phase 1 SA with this peer is being negotiated
  // Liveness.
  TimePoint last_heard{};
  std::optional<TimePoint> dpd_since;  // the first unanswered R-U-THERE
  TimePoint next_dpd{};
  std::uint32_t dpd_sequence = 0;
  TimePoint next_keepalive = TimePoint::max();
  std::map<std::uint32_t, QuickMode> quick_modes;
  std::vector<Child> children;
  std::vector<std::byte> peer_id;         // the peer's phase 1 ID payload body, as sent
  std::optional<std::uint64_t> replaces;  // the phase 1 SA this one rekeys
};

}  // namespace tandem::ipsec::ike::v1
