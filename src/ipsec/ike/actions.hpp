// What an IKE engine (IKEv1 or IKEv2) asks of its caller, in one shape for both versions so the
// daemon drives either the same way: datagrams to send from port 500 or 4500, Child SAs to
// install in (and remove from) the ESP SA database, and events for the log. One Actions value
// collects everything one input caused. Sans-I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "ipsec/esp/sa.hpp"

namespace tandem::ipsec::ike {

inline constexpr std::uint16_t kIkePort = 500;
inline constexpr std::uint16_t kNatTraversalPort = 4500;

enum class EspMode : std::uint8_t { kTransport, kTunnel };

// One side of the traffic a Child SA carries: an address range, an IP protocol (0: any) and a
// port range. L2TP/IPsec uses host/UDP/1701 on both sides.
struct Selector {
  IpAddress start;
  IpAddress end;
  std::uint8_t ip_protocol = 0;
  std::uint16_t start_port = 0;
  std::uint16_t end_port = 65535;
  friend bool operator==(const Selector&, const Selector&) = default;
};

// A negotiated Child SA (IKEv2) or phase 2 SA (IKEv1): both directions, ready for esp::OutboundSa
// and esp::InboundSa.
struct ChildSa {
  std::uint64_t ike_sa = 0;  // the engine's handle of the IKE SA that negotiated it
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  esp::SaKeys inbound_keys;
  esp::SaKeys outbound_keys;
  EspMode mode = EspMode::kTunnel;
  std::vector<Selector> local;   // traffic we send through it (our side)
  std::vector<Selector> remote;  // the peer's side
  Endpoint local_endpoint;       // our address and the port ESP leaves from (500 or 4500)
  Endpoint peer;                 // where ESP goes: UDP-encapsulated when either port is 4500
  bool udp_encapsulated = false;
  Duration lifetime{};  // hard lifetime: the SA must be gone by then (the engine rekeys before)
  std::optional<std::uint32_t> replaces;  // inbound SPI of the SA this one rekeys
  std::string suite;                      // for the log, e.g. "AES_CBC_256/HMAC_SHA1_96"
};

enum class EventType : std::uint8_t {
  kIkeSaUp,      // authenticated
  kIkeSaDown,    // deleted, expired, or its peer is dead
  kChildSaUp,    // also in Actions::installs
  kChildSaDown,  // also in Actions::removals
  kChildSaAgreed,  // a responder answered with its choice; the SA is installed on confirmation
  kRefused,      // a peer's proposal, identity or authentication was refused; detail says why
  kDeadPeer,     // liveness checks went unanswered
  kRetransmitGaveUp,
};

struct Event {
  EventType type = EventType::kIkeSaUp;
  std::uint64_t ike_sa = 0;
  Endpoint peer;
  std::string detail;  // a complete log line: who, what was proposed, why
};

struct OutDatagram {
  // The local port to send from. On 4500 the caller prefixes the non-ESP marker (RFC 3948);
  // `bytes` is the IKE message alone, or the single 0xFF of a NAT keepalive (`keepalive`).
  std::uint16_t local_port = kIkePort;
  Endpoint to;
  std::vector<std::byte> bytes;
  bool keepalive = false;
};

struct ChildSaRemoval {
  std::uint64_t ike_sa = 0;
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
};

struct Actions {
  std::vector<OutDatagram> datagrams;
  std::vector<ChildSa> installs;
  std::vector<ChildSaRemoval> removals;
  std::vector<Event> events;
  void clear() {
    datagrams.clear();
    installs.clear();
    removals.clear();
    events.clear();
  }
};

const char* event_type_name(EventType type);

}  // namespace tandem::ipsec::ike
