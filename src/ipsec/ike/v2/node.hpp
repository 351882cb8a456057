// An IKEv2 node (RFC 7296): many IKE SAs, keyed by our SPI, in either role. It starts IKE SAs
// with their first Child SA, answers peers, rekeys Child and IKE SAs before their lifetimes end,
// checks liveness, keeps NAT mappings open, and deletes SAs. The exchanges live in their own
// files: IKE_SA_INIT (node_init.cpp), IKE_AUTH (node_auth.cpp), CREATE_CHILD_SA
// (node_create_child.cpp) and INFORMATIONAL (node_informational.cpp); this file's node.cpp
// routes messages and runs the timers.
// Sans-I/O and single-threaded: bytes, endpoints and `now` in; ike::Actions out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/login_gate.hpp"
#include "ipsec/ike/v2/address_pool.hpp"
#include "ipsec/ike/v2/config.hpp"
#include "ipsec/ike/v2/cookie.hpp"
#include "ipsec/ike/v2/ike_sa.hpp"

namespace tandem::ipsec::ike::v2 {

// Why a datagram was dropped; every drop is counted.
enum class DropReason : std::uint8_t {
  kMalformed,           // not an IKEv2 message, or a payload is missing or wrong
  kUnknownSpi,          // no IKE SA of ours
  kUnexpectedResponse,  // no outstanding request matches it
  kBadMessageId,        // outside the window
  kIntegrity,           // the SK payload did not check
  kNotAllowedNow,       // an exchange the IKE SA's state does not take
  kCount,
};
const char* drop_reason_name(DropReason reason);

// Why a peer's IKE_AUTH was refused; every refusal is counted by reason (the metrics' login
// failures), never with anything of the secret.
enum class AuthFailure : std::uint8_t {
  kUnknownIdentity,   // no (live) peer has the IDi it sent
  kWrongKey,          // its AUTH does not verify with the peer's pre-shared key
  kSuiteNotAllowed,   // the IKE SA's suite is not one the peer may use
  kWrongResponderId,  // it asked for an IDr that is not ours
  kThrottled,         // the login gate held its identity or address back; AUTH not checked
  kCount,
};
const char* auth_failure_name(AuthFailure reason);

struct NodeStats {
  std::uint64_t drops[static_cast<std::size_t>(DropReason::kCount)] = {};
  std::uint64_t retransmissions = 0;
  std::uint64_t responses_resent = 0;
  std::uint64_t cookies_sent = 0;
  std::uint64_t half_open_expired = 0;
  std::uint64_t auth_failures[static_cast<std::size_t>(AuthFailure::kCount)] = {};
  std::uint64_t drops_of(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t auth_failures_of(AuthFailure r) const {
    return auth_failures[static_cast<std::size_t>(r)];
  }
};

struct ChildSaInfo {
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  EspMode mode = EspMode::kTunnel;
  std::string suite;
  std::vector<Selector> local;
  std::vector<Selector> remote;
  bool replaced = false;
};

struct IkeSaInfo {
  std::uint64_t id = 0;
  bool initiator = false;
  IkeSaState state = IkeSaState::kInitSent;
  std::string peer;  // the peer's configured name, once known
  Identity remote_id;
  Endpoint local;
  Endpoint remote;
  std::string suite;
  bool nat_local = false;
  bool nat_remote = false;
  std::optional<IpAddress> virtual_ip;
  std::optional<IpAddress> virtual_ip6;
  std::vector<std::string> dns_domains;  // split-DNS domains the responder gave (RFC 8598)
  std::vector<ChildSaInfo> children;
};

class Node {
 public:
  Node(Config config, Rng& rng);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts an IKE SA with its first Child SA to the configured peer; returns its handle.
  Result<std::uint64_t, std::string> initiate(std::string_view peer_name, TimePoint now,
                                              Actions& out);
  // `message` without the non-ESP marker; `local.port` is 500 or 4500.
  void on_datagram(ByteView message, const Endpoint& local, const Endpoint& from, TimePoint now,
                   Actions& out);
  void on_timer(TimePoint now, Actions& out);
  TimePoint next_deadline() const;

  // ESP traffic arrived on this Child SA: its peer is alive without a liveness check.
  void note_inbound_esp(std::uint32_t inbound_spi, TimePoint now);
  // Rekeys a Child SA now (e.g. its sequence numbers are nearly exhausted).
  void rekey_child(std::uint32_t inbound_spi, TimePoint now, Actions& out);
  // Rekeys an IKE SA now.
  void rekey_ike_sa(std::uint64_t ike_sa, TimePoint now, Actions& out);
  // Sends a Delete for the IKE SA and removes its Child SAs.
  void close(std::uint64_t ike_sa, TimePoint now, Actions& out);
  // Takes `peers` in place of the configured ones (a gateway's accounts changed while it runs):
  // the IKE SAs of a peer that is gone or whose settings changed are closed, telling the peer,
  // and its identity is refused from then on; the IKE SAs of the others go on untouched.
  void replace_peers(std::vector<PeerConfig> peers, TimePoint now, Actions& out);
  // As a responder, asks `gate` before checking an IKE_AUTH and tells it the outcome (none: every
  // attempt is checked). The gate must outlive the node.
  void set_login_gate(LoginGate* gate) { login_gate_ = gate; }

  std::vector<IkeSaInfo> ike_sas() const;
  std::optional<IkeSaInfo> ike_sa(std::uint64_t id) const;
  const NodeStats& stats() const { return stats_; }
  const Config& config() const { return config_; }
  const AddressPool& pool() const { return pool_; }

 private:
  // node.cpp: routing, sending, timers, teardown.
  void drop(DropReason r) { ++stats_.drops[static_cast<std::size_t>(r)]; }
  void on_message(IkeSa& sa, const Header& h, ByteView message, const Endpoint& local,
                  const Endpoint& from, TimePoint now, Actions& out);
  void on_request(IkeSa& sa, const Header& h, ByteView message, TimePoint now, Actions& out);
  void on_response(IkeSa& sa, const Header& h, ByteView message, const Endpoint& local,
                   const Endpoint& from, TimePoint now, Actions& out);
  void send(IkeSa& sa, std::vector<std::byte> bytes, TimePoint now, Actions& out);
  void send_request(IkeSa& sa, PendingRequest request, const std::vector<Payload>& inner,
                    TimePoint now, Actions& out);
  void send_response(IkeSa& sa, const Header& request, ByteView request_bytes,
                     const std::vector<Payload>& inner, TimePoint now, Actions& out);
  void run_timers(IkeSa& sa, TimePoint now, Actions& out);
  void retransmit(IkeSa& sa, TimePoint now, Actions& out);
  void queue(IkeSa& sa, Task task);
  void pump(IkeSa& sa, TimePoint now, Actions& out);
  void start_task(IkeSa& sa, const Task& task, TimePoint now, Actions& out);
  // Removes the Child SAs at once and sends a Delete for the IKE SA after any outstanding request.
  void close_sa(IkeSa& sa, TimePoint now, Actions& out);
  // Removes every Child SA (events and removals), releases the address, emits `why` and
  // kIkeSaDown when it was up, and marks the SA dead.
  void tear_down(IkeSa& sa, EventType why, const std::string& detail, Actions& out);
  void remove_child(IkeSa& sa, std::uint32_t inbound_spi, const std::string& why, Actions& out);
  void install_child(IkeSa& sa, Child child, const ChildSaKeys& keymat, bool we_initiated,
                     std::optional<std::uint32_t> replaces, TimePoint now, Actions& out);
  void event(Actions& out, EventType type, const IkeSa& sa, std::string detail) const;
  void reap();
  // A NAT_DETECTION_SOURCE_IP value no address hashes to (Config::force_udp_encapsulation).
  std::vector<std::byte> forced_nat_hash();
  std::uint64_t new_ike_spi();
  std::uint32_t new_child_spi();
  std::vector<std::byte> new_nonce();
  TimePoint jittered(TimePoint now, Duration lifetime);
  const PeerConfig* peer_of(const IkeSa& sa) const;
  // The peer IKE SAs may be made with now: configured and not retired.
  std::optional<std::size_t> live_peer(const std::function<bool(const PeerConfig&)>& match) const;
  std::string peer_label(const IkeSa& sa) const;

  // node_init.cpp: IKE_SA_INIT (1.2, 2.6, 2.10, 2.23).
  void send_init(IkeSa& sa, TimePoint now, Actions& out);
  void on_init_request(const Header& h, ByteView message, const Endpoint& local,
                       const Endpoint& from, TimePoint now, Actions& out);
  void on_init_response(IkeSa& sa, ByteView message, const Endpoint& local, const Endpoint& from,
                        TimePoint now, Actions& out);
  std::vector<Suite> responder_ike_suites(const Endpoint& from) const;
  std::size_t half_open_count() const;

  // node_auth.cpp: IKE_AUTH (1.2, 2.15) and the Child SA it carries.
  void send_auth(IkeSa& sa, TimePoint now, Actions& out);
  void on_auth_request(IkeSa& sa, const Header& h, ByteView message, const std::vector<Payload>& in,
                       TimePoint now, Actions& out);
  void on_auth_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                        TimePoint now, Actions& out);
  std::vector<std::byte> auth_value(const IkeSa& sa, const PeerConfig& peer, bool for_initiator,
                                    const IdPayload& id) const;
  void drop_older_sas_of(const IkeSa& sa, Actions& out);

  // node_create_child.cpp: CREATE_CHILD_SA (1.3, 2.8, 2.17, 2.18).
  void send_rekey_child(IkeSa& sa, std::uint32_t child, TimePoint now, Actions& out);
  void send_rekey_ike(IkeSa& sa, TimePoint now, Actions& out);
  void on_create_child_request(IkeSa& sa, const Header& h, ByteView message,
                               const std::vector<Payload>& in, TimePoint now, Actions& out);
  void on_create_child_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                                TimePoint now, Actions& out);
  void on_rekey_ike_request(IkeSa& sa, const Header& h, ByteView message,
                            const std::vector<Payload>& in, TimePoint now, Actions& out);
  void on_rekey_ike_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                             TimePoint now, Actions& out);
  // Responder side of a Child SA (IKE_AUTH or CREATE_CHILD_SA): on success fills `child` and
  // the answer's SA/TS payloads; otherwise the error notify type.
  std::uint16_t choose_child(IkeSa& sa, const std::vector<Payload>& in, bool pfs,
                             const Child* rekeyed, Child& child, std::vector<Payload>& answer,
                             Selection& chosen);
  // Initiator side: checks the answer and fills `child`; an empty string on success.
  std::string accept_child(IkeSa& sa, const std::vector<Payload>& in,
                           const std::vector<Suite>& offered, const std::vector<Selector>& local,
                           const std::vector<Selector>& remote, Child& child);
  IkeSa& adopt_rekeyed_ike_sa(IkeSa& old, std::unique_ptr<IkeSa> fresh, TimePoint now,
                              Actions& out);

  // node_informational.cpp: INFORMATIONAL (1.4, 1.5): liveness, Delete.
  void send_liveness(IkeSa& sa, TimePoint now, Actions& out);
  void send_delete_child(IkeSa& sa, std::uint32_t child, TimePoint now, Actions& out);
  void send_delete_ike(IkeSa& sa, TimePoint now, Actions& out);
  void on_informational_request(IkeSa& sa, const Header& h, ByteView message,
                                const std::vector<Payload>& in, TimePoint now, Actions& out);
  void on_informational_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                                 TimePoint now, Actions& out);
  void send_notify_once(IkeSa& sa, std::uint16_t type, TimePoint now, Actions& out);

  Config config_;
  Rng* rng_;
  CookieJar cookies_;
  AddressPool pool_;
  LoginGate* login_gate_ = nullptr;
  std::map<std::uint64_t, std::unique_ptr<IkeSa>> sas_;
  std::map<std::uint32_t, std::uint64_t> child_index_;  // our inbound ESP SPI -> IKE SA
  NodeStats stats_;
};

}  // namespace tandem::ipsec::ike::v2
