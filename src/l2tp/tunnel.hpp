// One L2TP control connection and its sessions (RFC 2661 sections 5.1, 5.6, 5.7, 6, 7): the
// tunnel state machine for both ends (initiator: SCCRQ -> SCCRP -> SCCCN; responder: the
// reverse), tunnel authentication with Challenge/Challenge Response (5.1.1), HELLO keepalives,
// StopCCN teardown, and incoming-call sessions (ICRQ, ICRP, ICCN, CDN) on either end.
// Single-threaded; owned by a Node.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "l2tp/control_channel.hpp"
#include "l2tp/control_message.hpp"
#include "l2tp/events.hpp"
#include "l2tp/node_config.hpp"

namespace tandem::l2tp {

enum class TunnelState : std::uint8_t {
  kWaitCtlReply,  // initiator: SCCRQ sent
  kWaitCtlConn,   // responder: SCCRP sent
  kEstablished,
  kClosing,  // StopCCN sent or received: lingering to finish acknowledgements
};

enum class SessionState : std::uint8_t {
  kWaitTunnel,   // LAC: asked for before the tunnel came up
  kWaitReply,    // LAC: ICRQ sent
  kWaitConnect,  // LNS: ICRP sent
  kEstablished,
};

struct Session {
  std::uint16_t local_id = 0;
  std::uint16_t peer_id = 0;
  SessionState state = SessionState::kWaitTunnel;
  std::uint32_t call_serial = 0;
};

class Tunnel {
 public:
  // An initiator tunnel: sends SCCRQ at once.
  static Tunnel initiate(std::uint16_t local_id, const Endpoint& peer, const NodeConfig& config,
                         Rng& rng, TimePoint now, Actions& actions);
  // A responder tunnel for an SCCRQ already decoded. Sends SCCRP, or StopCCN when refused.
  static Tunnel respond(std::uint16_t local_id, const Endpoint& peer, const Header& header,
                        const ControlMessage& sccrq, const NodeConfig& config, Rng& rng,
                        TimePoint now, Actions& actions);

  // A control message (or ZLB) addressed to this tunnel.
  void on_control(const Header& header, TimePoint now, Actions& actions);
  void on_timer(TimePoint now, Actions& actions);
  TimePoint next_deadline() const;

  // LAC: asks for an incoming call; it is placed once the tunnel is up.
  std::uint16_t open_session(std::uint32_t call_serial, TimePoint now, Actions& actions);
  void close_session(std::uint16_t local_id, CdnResult result, std::string_view reason,
                     TimePoint now, Actions& actions);
  void close(StopCcnResult result, std::string_view reason, TimePoint now, Actions& actions);

  // Probes the peer at once with a HELLO (used when the same peer dials again, which may mean
  // it restarted and this tunnel is stale).
  void probe(TimePoint now, Actions& actions);

  // The LNS answered from another port (8.1): talk to that one from now on.
  void repin_peer(const Endpoint& peer) { peer_ = peer; }

  std::uint16_t local_id() const { return local_id_; }
  std::uint16_t peer_id() const { return peer_id_; }
  const Endpoint& peer() const { return peer_; }
  TunnelState state() const { return state_; }
  bool finished() const { return finished_; }
  const std::string& peer_host_name() const { return peer_host_name_; }
  const std::map<std::uint16_t, Session>& sessions() const { return sessions_; }
  const Session* established_session(std::uint16_t local_id) const;
  const ControlChannelStats& channel_stats() const { return channel_.stats(); }
  std::uint64_t unexpected_messages() const { return unexpected_messages_; }

 private:
  Tunnel(std::uint16_t local_id, const Endpoint& peer, const NodeConfig& config, Rng& rng);

  // SCCRQ or SCCRP: the AVPs both carry, with our challenge when a secret is set.
  ControlMessage connection_message(MessageType type);
  void dispatch(std::uint16_t header_session, const ControlMessage& m, TimePoint now,
                Actions& actions);
  void on_sccrp(const ControlMessage& m, TimePoint now, Actions& actions);
  void on_scccn(const ControlMessage& m, TimePoint now, Actions& actions);
  void on_stopccn(const ControlMessage& m, TimePoint now, Actions& actions);
  void on_icrq(const ControlMessage& m, TimePoint now, Actions& actions);
  void on_icrp(std::uint16_t header_session, const ControlMessage& m, TimePoint now,
               Actions& actions);
  void on_iccn(std::uint16_t header_session, Actions& actions);
  void on_cdn(std::uint16_t header_session, const ControlMessage& m, Actions& actions);
  void on_decode_failure(std::uint16_t header_session, const DecodeFailure& f, TimePoint now,
                         Actions& actions);

  void become_established(TimePoint now, Actions& actions);
  void place_call(Session& s, TimePoint now, Actions& actions);
  void send(std::uint16_t peer_session, const ControlMessage& m, TimePoint now, Actions& actions);
  void flush(Actions& actions);
  void emit(EventType type, std::uint16_t session, std::uint16_t result, std::string reason,
            Actions& actions) const;
  void end_sessions(std::string_view reason, Actions& actions);
  void finish(std::string_view reason, std::uint16_t result, Actions& actions);
  std::uint16_t allocate_session_id();
  std::array<std::byte, 16> challenge_response(MessageType carrier, ByteView challenge) const;
  bool response_matches(MessageType carrier, const ControlMessage& m) const;

  std::uint16_t local_id_;
  std::uint16_t peer_id_ = 0;
  Endpoint peer_;
  const NodeConfig* config_;
  Rng* rng_;
  TunnelState state_ = TunnelState::kWaitCtlReply;
  bool finished_ = false;  // the node may delete it
  ControlChannel channel_;
  std::vector<std::byte> our_challenge_;
  std::string peer_host_name_;
  std::map<std::uint16_t, Session> sessions_;
  TimePoint last_heard_{};
  TimePoint linger_until_ = TimePoint::max();
  std::vector<std::vector<std::byte>> scratch_;
  std::uint64_t unexpected_messages_ = 0;
};

}  // namespace tandem::l2tp
