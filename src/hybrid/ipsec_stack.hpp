// IPsec as one node runs it, apart from its sockets: IKE engines (IKEv1, IKEv2, or one of each on
// the same ports) and the SA database they fill. Datagrams that arrived on UDP 500 or 4500 go in;
// IKE messages reach the engine of their version, NAT keepalives are dropped, ESP is opened and
// held to its SA's policy, and what it carried comes out: a UDP payload with the peer it came
// from (transport mode, L2TP/IPsec) or an inner IP packet (tunnel mode). Outbound, a UDP payload
// or an inner packet is sealed in place with the SA that carries that traffic. Everything that
// comes out of an engine (events, SAs) says which IKE version produced it, so that one set of
// sockets can serve L2TP/IPsec clients (IKEv1) and IKEv2 road warriors side by side.
// Sans-I/O and single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/packet.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ipsec/esp/sa.hpp"
#include "ipsec/ike/engine.hpp"
#include "ipsec/sa_database.hpp"

namespace tandem::hybrid {

inline constexpr std::size_t kUdpHeaderSize = 8;

// A datagram for a socket: from UDP `local_port` (500 or 4500) to `to`, ready to send (an IKE
// message on 4500 already carries its non-ESP marker).
struct IpsecDatagram {
  std::uint16_t local_port = ipsec::ike::kIkePort;
  Endpoint to;
  std::vector<std::byte> bytes;
};

// The UDP payload of a transport-mode ESP packet: `peer` is the SA's peer (the endpoint its ESP
// comes from), which names the remote end to the protocol above (L2TP).
struct TransportDelivery {
  ByteView payload;  // views the datagram given to on_datagram()
  Endpoint peer;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

// A Child SA coming or going, for logs and routes (tunnel mode: the peer's subnets).
struct ChildSaChange {
  bool up = true;
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  ipsec::ike::EspMode mode = ipsec::ike::EspMode::kTransport;
  std::vector<ipsec::ike::Selector> local;
  std::vector<ipsec::ike::Selector> remote;
  Endpoint peer;
  std::string suite;
  int ike_version = 0;  // of the engine that negotiated it
};

// An IKE event with the version of the engine that reported it.
struct IpsecEvent {
  int ike_version = 0;
  ipsec::ike::Event event;
};

struct IpsecOutput {
  std::vector<IpsecDatagram> datagrams;
  std::vector<TransportDelivery> transport;
  std::vector<ByteView> tunnel;  // inner packets; they view the datagram given to on_datagram()
  std::vector<IpsecEvent> events;
  std::vector<ChildSaChange> children;
  std::vector<std::string> errors;  // SAs that could not be keyed, for the log
  void clear() {
    datagrams.clear();
    transport.clear();
    tunnel.clear();
    events.clear();
    children.clear();
    errors.clear();
  }
};

struct IpsecStackStats {
  std::uint64_t keepalives = 0;
  std::uint64_t invalid = 0;  // on port 4500 neither IKE, ESP nor a keepalive
  std::uint64_t esp_delivered = 0;
  std::uint64_t esp_dropped = 0;  // see the SA database's counters for why
  std::uint64_t esp_sent = 0;
  std::uint64_t no_sa = 0;                // outbound traffic no SA carries
  std::uint64_t transport_malformed = 0;  // authentic transport payload with a broken UDP header
  std::uint64_t unknown_version = 0;      // an IKE message of a version no engine here speaks
};

class IpsecStack {
 public:
  // What a payload needs in front of and behind it for seal_transport() / seal_tunnel().
  static constexpr std::size_t kHeadroom = kUdpHeaderSize + ipsec::esp::kMaxHeadroom;
  static constexpr std::size_t kTailroom = ipsec::esp::kMaxTailroom;

  IpsecStack(std::unique_ptr<ipsec::ike::Engine> engine, Rng& rng);
  // One engine per IKE version (at most two, of different versions), sharing the ports and the
  // SA database. Requires at least one.
  IpsecStack(std::vector<std::unique_ptr<ipsec::ike::Engine>> engines, Rng& rng);

  // Starts an IKE SA with a peer that the engine of `ike_version` knows by name.
  Result<std::uint64_t, std::string> initiate(int ike_version, std::string_view peer_name,
                                              const Endpoint& local, TimePoint now,
                                              IpsecOutput& out);
  // A datagram that arrived on `local` (port 500 or 4500) from `datagram.endpoint`; ESP is
  // opened in place.
  void on_datagram(Packet& datagram, const Endpoint& local, TimePoint now, IpsecOutput& out);
  // An ESP packet that arrived unencapsulated (IP protocol 50) from `packet.endpoint.address`.
  void on_raw_esp(Packet& packet, TimePoint now, IpsecOutput& out);
  void on_timer(TimePoint now, IpsecOutput& out);
  TimePoint next_deadline() const;
  // Closes every IKE SA of `ike_version` (every version: 0), telling each peer, and so their
  // Child SAs.
  void close_all(TimePoint now, IpsecOutput& out, int ike_version = 0);
  // The engine of `ike_version` takes the peers of `config` (ipsec::ike::Engine::replace_peers);
  // false when there is none or it cannot.
  bool replace_peers(int ike_version, const ipsec::ike::v2::Config& config, TimePoint now,
                     IpsecOutput& out);

  // `packet` holds a UDP payload for `to` (the peer as the protocol above knows it) with
  // kHeadroom before it: the UDP header and ESP go on in place and its endpoint becomes the SA's
  // peer (port 0: send it as IP protocol 50, not in UDP). False when no SA carries traffic to `to`
  // (counted). UDP checksums are left zero (IPv4; RFC 3948 3.1.2 lets transport-mode NAT-T do so).
  bool seal_transport(Packet& packet, const Endpoint& to, std::uint16_t source_port,
                      std::uint16_t destination_port, TimePoint now, IpsecOutput& out);
  // Whether an SA carries transport-mode traffic to `to` (else the caller may send it plain).
  bool carries_transport(const Endpoint& to) { return sad_.transport_for(to) != nullptr; }
  // `packet` holds an inner IP packet: sealed in tunnel mode with the SA its addresses select.
  bool seal_tunnel(Packet& packet, TimePoint now, IpsecOutput& out);
  // The peer whose tunnel-mode SA would carry `inner`, without sealing it; none when no SA does.
  std::optional<IpAddress> tunnel_peer(ByteView inner);

  // The engine of `ike_version`, or nullptr.
  const ipsec::ike::Engine* engine(int ike_version) const;
  // The engine of `ike_version` asks `gate` before each IKE_AUTH it answers (Engine::
  // set_login_gate); false without such an engine.
  bool set_login_gate(int ike_version, ipsec::ike::LoginGate* gate);
  // The only engine, or the first (the stack's main version).
  const ipsec::ike::Engine& engine() const { return *engines_.front(); }
  const std::vector<std::unique_ptr<ipsec::ike::Engine>>& engines() const { return engines_; }
  // Packets that ESP SAs of `ike_version` opened but refused as outside their traffic selectors
  // (an inner source the peer may not use), SAs since removed included.
  std::uint64_t policy_dropped(int ike_version) const;
  const ipsec::SaDatabase& sad() const { return sad_; }
  // Tests move an SA's sequence numbers near their end to exercise the rekey that follows.
  ipsec::SaDatabase& sad_for_test() { return sad_; }
  const IpsecStackStats& stats() const { return stats_; }

 private:
  void on_esp(Packet& datagram, TimePoint now, IpsecOutput& out);
  void on_ike_message(ByteView message, const Endpoint& local, const Endpoint& from, TimePoint now,
                      IpsecOutput& out);
  bool seal(ipsec::SaEntry& sa, Packet& packet, std::uint8_t next_header, TimePoint now,
            IpsecOutput& out);
  ipsec::ike::Engine* engine_mut(int ike_version);
  // The engine an IKE message is for: by the version in its header when there are several.
  ipsec::ike::Engine* engine_for(ByteView message);
  // Applies what `engine` asked for: datagrams framed for their port, SAs installed/removed.
  void apply(const ipsec::ike::Engine& engine, IpsecOutput& out);

  std::vector<std::unique_ptr<ipsec::ike::Engine>> engines_;
  std::vector<std::uint64_t> retired_policy_dropped_;  // per engine, of SAs removed
  Rng* rng_;
  ipsec::SaDatabase sad_;
  ipsec::ike::Actions actions_;
  IpsecStackStats stats_;
};

}  // namespace tandem::hybrid
