// The security association database of one node (RFC 4301 section 4.4.2, reduced to what a
// userspace gateway needs): every Child SA an IKE engine negotiated, keyed by its inbound SPI,
// holding both ESP directions. Inbound packets are found by SPI, opened, and held to the SA's
// policy (policy.hpp). Outbound, the SA is chosen by the peer's UDP endpoint (transport mode:
// L2TP/IPsec, one peer per SA) or by the inner packet's addresses (tunnel mode); after a rekey
// the newer SA carries the outbound traffic while the older one still opens what was in
// flight until the engine removes it. Sans-I/O.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/packet.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "ipsec/esp/sa.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/policy.hpp"

namespace tandem::ipsec {

// One installed Child SA: what was negotiated (without the keys, which live only inside the
// ESP transforms) and both directions.
struct SaEntry {
  std::uint64_t ike_sa = 0;
  ike::EspMode mode = ike::EspMode::kTransport;
  std::vector<ike::Selector> local;
  std::vector<ike::Selector> remote;
  Endpoint local_endpoint;
  Endpoint peer;
  bool udp_encapsulated = false;
  std::string suite;
  esp::InboundSa inbound;
  esp::OutboundSa outbound;
  bool carries_outbound = true;  // false once a newer SA for the same traffic is installed
  bool rekey_requested = false;  // sequence numbers nearly spent; the engine was asked once
  std::uint64_t packets_out = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t policy_dropped = 0;
  int ike_version = 0;  // of the engine that keyed it, where several share the database
};

enum class InboundDrop : std::uint8_t {
  kMalformed,
  kUnknownSpi,
  kReplay,
  kAuthentication,
  kPadding,
  kPolicy,  // authentic, but not the traffic this SA was negotiated for
};
const char* inbound_drop_name(InboundDrop d);

struct Opened {
  SaEntry* sa = nullptr;
  std::uint8_t next_header = 0;
};

struct SaDatabaseStats {
  std::uint64_t unknown_spi = 0;
  std::uint64_t malformed = 0;
  std::uint64_t replayed = 0;
  std::uint64_t authentication_failed = 0;
  std::uint64_t policy_dropped = 0;
  std::uint64_t no_sa_outbound = 0;  // nothing to seal a packet with
  std::uint64_t seal_failed = 0;
};

class SaDatabase {
 public:
  // Keys both directions. An SA that `replaces` another takes over its outbound traffic; so
  // does a new SA to the same peer endpoint (transport) or with the same selectors (tunnel).
  Result<SaEntry*, std::string> install(const ike::ChildSa& child);
  void remove(std::uint32_t inbound_spi);
  void clear() {
    by_spi_.clear();
    transport_by_peer_.clear();
  }

  // `packet` holds an ESP packet; afterwards (on success) its payload.
  Result<Opened, InboundDrop> open(Packet& packet);

  // The SA carrying transport-mode traffic to `peer`: the one for that exact endpoint, else
  // the newest one to that address (a LAC knows its server by address before NAT-T moves ESP
  // to port 4500).
  SaEntry* transport_for(const Endpoint& peer);
  // The SA carrying this inner packet in tunnel mode.
  SaEntry* tunnel_for(const FlowKey& flow);
  // Seals `packet` (the payload, with esp::kMaxHeadroom before it and esp::kMaxTailroom after)
  // with `sa` in place and points its endpoint at the SA's peer: its UDP port 4500 (or the
  // port its NAT mapped) for UDP-encapsulated ESP, port 0 for ESP as IP protocol 50. True when the
  // SA's sequence numbers are nearly spent and its engine has not yet been asked to rekey it: the
  // caller asks.
  Result<bool, esp::SealError> seal(SaEntry& sa, Packet& packet, std::uint8_t next_header,
                                    Rng& rng);

  SaEntry* find(std::uint32_t inbound_spi);
  std::vector<const SaEntry*> entries() const;
  std::size_t size() const { return by_spi_.size(); }
  const SaDatabaseStats& stats() const { return stats_; }
  SaDatabaseStats& stats() { return stats_; }

 private:
  void take_over_outbound(SaEntry& newer, std::optional<std::uint32_t> replaces);

  std::unordered_map<std::uint32_t, std::unique_ptr<SaEntry>> by_spi_;
  // Transport mode: the peer endpoint's SA that carries outbound traffic (its inbound SPI).
  std::map<Endpoint, std::uint32_t> transport_by_peer_;
  SaDatabaseStats stats_;
};

}  // namespace tandem::ipsec
