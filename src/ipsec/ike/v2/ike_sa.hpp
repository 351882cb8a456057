// One IKE SA as a node keeps it (RFC 7296 sections 1, 2.1-2.3): its SPIs and role, state, peer,
// endpoints and NAT findings, keys and SK protectors, the two message ID counters, the one
// outstanding request (windows of one, 2.3) with its retransmission state, the requests queued
// behind it, the last response (answered again when a request is retransmitted), its Child SAs
// and its timers.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "crypto/dh.hpp"
#include "ipsec/ike/v2/child_sa.hpp"
#include "ipsec/ike/v2/config.hpp"
#include "ipsec/ike/v2/keys.hpp"
#include "ipsec/ike/v2/message.hpp"
#include "ipsec/ike/v2/sk.hpp"

namespace tandem::ipsec::ike::v2 {

enum class IkeSaState : std::uint8_t {
  kInitSent,     // initiator: IKE_SA_INIT out
  kAuthSent,     // initiator: IKE_AUTH out
  kHalfOpen,     // responder: IKE_SA_INIT answered, IKE_AUTH awaited
  kEstablished,  // authenticated
  kRekeyed,      // responder: replaced by a rekey; waits for the peer's Delete
  kDeleting,     // our Delete is out; its Child SAs are already removed or moved
};
const char* ike_sa_state_name(IkeSaState state);

// The requests a node starts; each is one exchange.
enum class RequestKind : std::uint8_t {
  kIkeSaInit,
  kIkeAuth,
  kRekeyChild,
  kRekeyIke,
  kDeleteChild,
  kDeleteIke,
  kLiveness,
};

struct Task {
  RequestKind kind = RequestKind::kLiveness;
  std::uint32_t child = 0;  // our inbound SPI of the Child SA it concerns
};

struct PendingRequest {
  RequestKind kind = RequestKind::kLiveness;
  ExchangeType exchange = ExchangeType::kInformational;
  std::uint32_t message_id = 0;
  std::vector<std::byte> bytes;  // as sent, for retransmissions
  std::size_t transmissions = 1;
  TimePoint due{};
  // CREATE_CHILD_SA: what answering it needs.
  std::uint32_t child = 0;          // the Child SA rekeyed or deleted (our inbound SPI)
  std::uint32_t new_child_spi = 0;  // our inbound SPI of the new Child SA
  std::uint64_t new_ike_spi = 0;    // our SPI of the new IKE SA
  std::vector<std::byte> nonce;
  std::optional<crypto::DhKeyPair> dh;
  std::vector<Suite> offered;
  std::vector<Selector> local, remote;  // the selectors proposed for a Child SA
};

struct IkeSa {
  std::uint64_t id = 0;    // our SPI, the caller's handle
  bool initiator = false;  // the original initiator of this IKE SA (the I flag)
  std::uint64_t spi_i = 0;
  std::uint64_t spi_r = 0;
  IkeSaState state = IkeSaState::kInitSent;
  bool dead = false;                // erased at the end of the current call
  std::optional<std::size_t> peer;  // index in Config::peers; a responder learns it from IDi
  Identity remote_id;
  Endpoint local;           // our address and port (500, or 4500 once NAT-T is in use)
  Endpoint remote;          // where the peer is reached
  bool nat_local = false;   // a NAT is in front of us: we send keepalives
  bool nat_remote = false;  // a NAT is in front of the peer
  // Responses go back where the request came from (2.11), whatever `remote` says.
  Endpoint reply_to;
  std::uint16_t reply_port = 500;

  Suite suite;
  Prf prf = Prf::kHmacSha256;
  IkeSaKeys keys;
  std::optional<SkProtector> seal_sk;
  std::optional<SkProtector> open_sk;
  std::vector<std::byte> ni, nr;
  std::vector<std::byte> first_request;   // IKE_SA_INIT request, as sent (AUTH covers it)
  std::vector<std::byte> first_response;  // IKE_SA_INIT response
  std::optional<crypto::DhKeyPair> dh;    // initiator, until IKE_SA_INIT is answered
  std::vector<std::byte> cookie;
  unsigned init_restarts = 0;  // COOKIE and INVALID_KE_PAYLOAD rounds

  std::uint32_t next_message_id = 0;  // our next request
  std::uint32_t peer_message_id = 0;  // the peer's next request
  std::optional<PendingRequest> pending;
  std::deque<Task> tasks;
  bool answered = false;  // last_request/last_response hold something
  std::vector<std::byte> last_request;
  std::vector<std::byte> last_response;

  std::vector<Child> children;
  // Initiator: the Child SA proposed in IKE_AUTH.
  std::uint32_t auth_child_spi = 0;
  std::vector<Suite> auth_child_offer;
  std::vector<Selector> auth_local, auth_remote;
  std::optional<IpAddress> virtual_ip;   // initiator: assigned to us; responder: assigned by us
  std::optional<IpAddress> virtual_ip6;  // the same for IPv6
  std::vector<std::string> dns_domains;  // initiator: INTERNAL_DNS_DOMAIN of the CFG_REPLY

  TimePoint rekey_at = TimePoint::max();
  TimePoint expire_at = TimePoint::max();
  TimePoint gone_at = TimePoint::max();  // half-open or replaced SAs are dropped then
  TimePoint last_received{};             // authenticated IKE message or ESP traffic
  TimePoint last_sent{};

  Child* child(std::uint32_t inbound_spi);
  Child* child_by_outbound(std::uint32_t outbound_spi);
  bool established() const { return state == IkeSaState::kEstablished; }
  // Installs the SK protectors for our role from `keys` and `suite`.
  bool arm_protectors();
};

KeySizes ike_key_sizes(const Suite& suite);

}  // namespace tandem::ipsec::ike::v2
