// An IKEv1 node (RFC 2409 with RFC 2408/2407), in both roles: Main Mode with pre-shared keys
// (Aggressive Mode is refused: it hands out a hash of the key to anyone who asks, RFC 2409
// section 5.4 and decades of offline crackers), Quick Mode for ESP transport and tunnel SAs, NAT
// traversal with the float to UDP 4500 (RFC 3947), Dead Peer Detection (RFC 3706),
// INITIAL-CONTACT, delete notifications, and rekeying of both phases before their lifetimes
// end. Many phase 1 SAs at once, each found by its cookies. Sans-I/O and single-threaded:
// datagrams, endpoints and `now` in, ike::Actions out.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/v1/config.hpp"
#include "ipsec/ike/v1/ike_sa.hpp"
#include "ipsec/ike/v1/message.hpp"

namespace tandem::ipsec::ike::v1 {

struct NodeStats {
  std::uint64_t malformed = 0;      // undecodable, or failed to decrypt
  std::uint64_t unknown_sa = 0;     // cookies of no SA of ours
  std::uint64_t refused = 0;        // proposals, authentication, Aggressive Mode
  std::uint64_t unknown_peer = 0;   // of those: Main Mode from an address no peer has
  std::uint64_t auth_failed = 0;    // of those: the pre-shared key did not verify (MM5, MM6)
  std::uint64_t retransmitted = 0;  // requests we sent again
  std::uint64_t duplicates = 0;     // repeated requests answered from the cache
};

struct IkeSaStatus {
  std::uint64_t handle = 0;
  std::string peer;  // configured name
  Endpoint remote;
  bool initiator = false;
  bool established = false;
  bool udp_encapsulated = false;
  std::string suite;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> children;  // inbound, outbound SPIs
};

class Node {
 public:
  Node(Config config, Rng& rng);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts Main Mode with a configured peer, sending from `local` (its address goes into NAT-D
  // and the transport-mode traffic description). The first Quick Mode follows by itself.
  Result<std::uint64_t, std::string> initiate(std::string_view peer_name, const Endpoint& local,
                                              TimePoint now, Actions& out);
  // One IKE message (on port 4500 without its non-ESP marker), received on `local` from `from`.
  void on_datagram(ByteView message, const Endpoint& local, const Endpoint& from, TimePoint now,
                   Actions& out);
  void on_timer(TimePoint now, Actions& out);
  TimePoint next_deadline() const;
  // ESP arrived on this SA: the peer is alive, no liveness check needed.
  void note_inbound_esp(std::uint32_t inbound_spi, TimePoint now);
  // Replace this Child SA now (e.g. its sequence numbers run out).
  void rekey_child(std::uint32_t inbound_spi, TimePoint now, Actions& out);
  // Deletes the phase 1 SA and its Child SAs, telling the peer.
  void close(std::uint64_t handle, TimePoint now, Actions& out);

  std::vector<IkeSaStatus> status() const;
  const NodeStats& stats() const { return stats_; }
  const Config& config() const { return config_; }

 private:
  // node.cpp: plumbing.
  IkeSa* find(const Header& h, const Endpoint& from);
  std::uint64_t new_cookie();
  std::uint32_t new_message_id(const IkeSa& sa);
  std::uint32_t new_spi();
  void send(IkeSa& sa, std::vector<std::byte> bytes, bool request, TimePoint now, Actions& out);
  void send_unreliable(IkeSa& sa, std::vector<std::byte> bytes, Actions& out);
  std::vector<std::byte> seal(IkeSa& sa, ExchangeType exchange, std::uint32_t message_id,
                              const std::vector<Payload>& payloads, std::vector<std::byte>& iv);
  void event(Actions& out, EventType type, const IkeSa& sa, std::string detail);
  void remove(std::uint64_t handle, std::string_view why, TimePoint now, Actions& out);
  void remove_child(IkeSa& sa, std::size_t index, Actions& out);
  TimePoint jittered(TimePoint now, Duration lifetime, Duration margin);

  // main_mode.cpp
  void on_main_mode(IkeSa* sa, const Message& m, ByteView raw, const Endpoint& local,
                    const Endpoint& from, TimePoint now, Actions& out);
  void respond_mm1(const Message& m, ByteView raw, const Endpoint& local, const Endpoint& from,
                   TimePoint now, Actions& out);
  void on_mm2(IkeSa& sa, const std::vector<Payload>& p, TimePoint now, Actions& out);
  void on_mm3(IkeSa& sa, const std::vector<Payload>& p, TimePoint now, Actions& out);
  void on_mm4(IkeSa& sa, const std::vector<Payload>& p, TimePoint now, Actions& out);
  void on_mm5(IkeSa& sa, const Message& m, TimePoint now, Actions& out);
  void on_mm6(IkeSa& sa, const Message& m, TimePoint now, Actions& out);
  std::vector<Payload> key_exchange_payloads(IkeSa& sa);
  bool take_key_exchange(IkeSa& sa, const std::vector<Payload>& p, Actions& out);
  void established(IkeSa& sa, TimePoint now, Actions& out);
  std::vector<Payload> identity_payloads(IkeSa& sa, bool with_initial_contact);

  // quick_mode.cpp
  void start_quick_mode(IkeSa& sa, std::optional<std::size_t> rekey_of, TimePoint now,
                        Actions& out);
  void on_quick_mode(IkeSa& sa, const Message& m, ByteView raw, TimePoint now, Actions& out);
  void respond_qm1(IkeSa& sa, const Message& m, ByteView raw, TimePoint now, Actions& out);
  void on_qm2(IkeSa& sa, QuickMode& qm, ByteView body, TimePoint now, Actions& out);
  void on_qm3(IkeSa& sa, QuickMode& qm, ByteView body, TimePoint now, Actions& out);
  void install(IkeSa& sa, QuickMode& qm, TimePoint now, Actions& out);
  Selector default_local(const IkeSa& sa) const;
  Selector default_remote(const IkeSa& sa) const;

  // informational.cpp
  void on_informational(IkeSa& sa, const Message& m, TimePoint now, Actions& out);
  void send_informational(IkeSa& sa, const std::vector<Payload>& payloads, Actions& out);
  void send_dpd(IkeSa& sa, std::uint16_t type, std::uint32_t sequence, Actions& out);
  void send_delete_children(IkeSa& sa, const std::vector<std::uint32_t>& inbound_spis,
                            Actions& out);
  void send_delete_ike(IkeSa& sa, Actions& out);
  void tick(IkeSa& sa, TimePoint now, Actions& out);

  Config config_;
  Rng& rng_;
  std::map<std::uint64_t, std::unique_ptr<IkeSa>> sas_;  // by our cookie
  NodeStats stats_;
};

}  // namespace tandem::ipsec::ike::v1
