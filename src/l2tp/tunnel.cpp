// RFC 2661 sections 5.1 (control connection establishment), 5.1.1 (tunnel authentication),
// 5.5 (keepalive), 5.6/5.7 (teardown) and 6.1-6.14 (the messages), for one tunnel.
#include "l2tp/tunnel.hpp"

#include <algorithm>

#include "crypto/constant_time.hpp"
#include "crypto/mschap.hpp"

namespace tandem::l2tp {
namespace {

constexpr std::uint16_t kProtocolVersion10 = 0x0100;
constexpr std::size_t kChallengeSize = 16;
// Reported in ICCN: nothing is dialled, so any plausible speed will do (10 Gbit/s).
constexpr std::uint32_t kConnectSpeed = 10'000'000;

std::string result_text(const ControlMessage& m) {
  if (!m.result_code) return "no result code";
  std::string s = "result " + std::to_string(m.result_code->result);
  if (m.result_code->error) s += " error " + std::to_string(*m.result_code->error);
  if (!m.result_code->message.empty()) s += " \"" + m.result_code->message + "\"";
  return s;
}

ControlMessage stop_ccn(std::uint16_t local_tunnel, StopCcnResult result,
                        std::optional<ErrorCode> error, std::string_view text) {
  ControlMessage m;
  m.type = MessageType::kStopCcn;
  m.assigned_tunnel_id = local_tunnel;
  m.result_code =
      ResultCodeValue{static_cast<std::uint16_t>(result), std::nullopt, std::string(text)};
  if (error) m.result_code->error = static_cast<std::uint16_t>(*error);
  return m;
}

ControlMessage cdn(std::uint16_t local_session, CdnResult result, std::optional<ErrorCode> error,
                   std::string_view text) {
  ControlMessage m;
  m.type = MessageType::kCdn;
  m.assigned_session_id = local_session;
  m.result_code =
      ResultCodeValue{static_cast<std::uint16_t>(result), std::nullopt, std::string(text)};
  if (error) m.result_code->error = static_cast<std::uint16_t>(*error);
  return m;
}

}  // namespace

ControlMessage Tunnel::connection_message(MessageType type) {
  ControlMessage m;
  m.type = type;
  m.protocol_version = kProtocolVersion10;
  m.host_name = config_->host_name;
  m.vendor_name = "Tandem";
  m.framing_capabilities = kFramingSynchronous | kFramingAsynchronous;
  m.bearer_capabilities = 0;
  m.assigned_tunnel_id = local_id_;
  m.receive_window_size = config_->channel.receive_window;
  // With a secret we challenge the peer, whichever end we are (5.1.1).
  if (!config_->secret.empty()) {
    our_challenge_.resize(kChallengeSize);
    rng_->fill(our_challenge_);
    m.challenge = our_challenge_;
  }
  return m;
}

Tunnel::Tunnel(std::uint16_t local_id, const Endpoint& peer, const NodeConfig& config, Rng& rng)
    : local_id_(local_id), peer_(peer), config_(&config), rng_(&rng), channel_(config.channel) {}

Tunnel Tunnel::initiate(std::uint16_t local_id, const Endpoint& peer, const NodeConfig& config,
                        Rng& rng, TimePoint now, Actions& actions) {
  Tunnel t(local_id, peer, config, rng);
  t.state_ = TunnelState::kWaitCtlReply;
  t.last_heard_ = now;
  const ControlMessage m = t.connection_message(MessageType::kSccrq);
  t.send(0, m, now, actions);
  return t;
}

Tunnel Tunnel::respond(std::uint16_t local_id, const Endpoint& peer, const Header& header,
                       const ControlMessage& sccrq, const NodeConfig& config, Rng& rng,
                       TimePoint now, Actions& actions) {
  Tunnel t(local_id, peer, config, rng);
  t.last_heard_ = now;
  t.peer_id_ = sccrq.assigned_tunnel_id.value_or(0);
  t.peer_host_name_ = sccrq.host_name.value_or("");
  t.channel_.set_peer_tunnel_id(t.peer_id_);
  t.channel_.set_peer_receive_window(sccrq.receive_window_size.value_or(0));
  // The SCCRQ itself enters the channel so its Ns is acknowledged and duplicates are caught.
  std::vector<DeliveredMessage> delivered;
  t.channel_.on_receive(header, now, delivered, t.scratch_);

  const auto refuse = [&](StopCcnResult result, std::string why) {
    t.state_ = TunnelState::kClosing;
    t.send(0, stop_ccn(local_id, result, std::nullopt, why), now, actions);
    t.finish("refused SCCRQ: " + why, static_cast<std::uint16_t>(result), actions);
    return std::move(t);
  };
  if (!sccrq.assigned_tunnel_id || *sccrq.assigned_tunnel_id == 0 || !sccrq.host_name ||
      !sccrq.framing_capabilities)
    return refuse(StopCcnResult::kGeneralError, "SCCRQ lacks a mandatory AVP");
  if (sccrq.protocol_version != kProtocolVersion10)
    return refuse(StopCcnResult::kVersionNotSupported, "protocol version is not 1.0");
  if (sccrq.challenge && config.secret.empty())
    return refuse(StopCcnResult::kNotAuthorized, "peer challenged us but no secret is set");

  ControlMessage m = t.connection_message(MessageType::kSccrp);
  if (sccrq.challenge) m.challenge_response = t.challenge_response(m.type, *sccrq.challenge);
  t.state_ = TunnelState::kWaitCtlConn;
  t.send(0, m, now, actions);
  return t;
}

std::array<std::byte, 16> Tunnel::challenge_response(MessageType carrier,
                                                     ByteView challenge) const {
  // 5.1.1: computed as a CHAP response whose identifier is the carrying message's type.
  return crypto::chap_md5_response(static_cast<std::uint8_t>(carrier), config_->secret, challenge);
}

bool Tunnel::response_matches(MessageType carrier, const ControlMessage& m) const {
  if (our_challenge_.empty()) return true;
  if (!m.challenge_response) return false;
  const auto expected = challenge_response(carrier, our_challenge_);
  return crypto::constant_time_equal(expected, *m.challenge_response);
}

void Tunnel::send(std::uint16_t peer_session, const ControlMessage& m, TimePoint now,
                  Actions& actions) {
  std::vector<std::byte> body;
  EncodeOptions options;
  if (!config_->secret.empty() && !config_->hidden_avps.empty()) {
    options.secret = config_->secret;
    options.hide = config_->hidden_avps;
    options.rng = rng_;
  }
  encode_control_message(m, options, body);
  channel_.send(peer_session, std::move(body), now, scratch_);
  flush(actions);
}

void Tunnel::flush(Actions& actions) {
  for (auto& d : scratch_) actions.datagrams.push_back({peer_, std::move(d)});
  scratch_.clear();
}

void Tunnel::emit(EventType type, std::uint16_t session, std::uint16_t result, std::string reason,
                  Actions& actions) const {
  actions.events.push_back({type, {local_id_, session}, peer_, result, std::move(reason)});
}

void Tunnel::on_control(const Header& header, TimePoint now, Actions& actions) {
  std::vector<DeliveredMessage> delivered;
  channel_.on_receive(header, now, delivered, scratch_);
  flush(actions);
  for (const auto& d : delivered) {
    last_heard_ = now;
    if (state_ == TunnelState::kClosing) continue;  // only acknowledgements matter now
    auto decoded = decode_control_message(d.body, config_->secret);
    if (!decoded) {
      on_decode_failure(d.session_id, decoded.error(), now, actions);
      continue;
    }
    dispatch(d.session_id, *decoded, now, actions);
  }
  channel_.flush_ack(scratch_);
  flush(actions);
  // A StopCCN of ours that the peer acknowledged ends the tunnel at once.
  if (state_ == TunnelState::kClosing && channel_.idle() && linger_until_ == TimePoint::max())
    finished_ = true;
}

void Tunnel::dispatch(std::uint16_t header_session, const ControlMessage& m, TimePoint now,
                      Actions& actions) {
  switch (m.type) {
    case MessageType::kSccrp:
      return on_sccrp(m, now, actions);
    case MessageType::kScccn:
      return on_scccn(m, now, actions);
    case MessageType::kStopCcn:
      return on_stopccn(m, now, actions);
    case MessageType::kHello:
      return;  // the acknowledgement is the answer
    case MessageType::kIcrq:
      return on_icrq(m, now, actions);
    case MessageType::kIcrp:
      return on_icrp(header_session, m, now, actions);
    case MessageType::kIccn:
      return on_iccn(header_session, actions);
    case MessageType::kCdn:
      return on_cdn(header_session, m, actions);
    // Set-Link-Info and WAN-Error-Notify only inform (Windows sends SLI with its ACCM).
    case MessageType::kSli:
    case MessageType::kWen:
      return;
    default:
      ++unexpected_messages_;
      return;
  }
}

void Tunnel::on_sccrp(const ControlMessage& m, TimePoint now, Actions& actions) {
  if (state_ != TunnelState::kWaitCtlReply) {
    ++unexpected_messages_;
    return;
  }
  if (!m.assigned_tunnel_id || *m.assigned_tunnel_id == 0 || !m.host_name ||
      m.protocol_version != kProtocolVersion10) {
    close(StopCcnResult::kGeneralError, "SCCRP lacks a mandatory AVP", now, actions);
    return;
  }
  peer_id_ = *m.assigned_tunnel_id;
  peer_host_name_ = *m.host_name;
  channel_.set_peer_tunnel_id(peer_id_);
  channel_.set_peer_receive_window(m.receive_window_size.value_or(0));
  if (!response_matches(MessageType::kSccrp, m)) {
    close(StopCcnResult::kNotAuthorized, "peer failed tunnel authentication", now, actions);
    return;
  }
  if (m.challenge && config_->secret.empty()) {
    close(StopCcnResult::kNotAuthorized, "peer challenged us but no secret is set", now, actions);
    return;
  }
  ControlMessage reply;
  reply.type = MessageType::kScccn;
  if (m.challenge) reply.challenge_response = challenge_response(reply.type, *m.challenge);
  send(0, reply, now, actions);
  become_established(now, actions);
}

void Tunnel::on_scccn(const ControlMessage& m, TimePoint now, Actions& actions) {
  if (state_ != TunnelState::kWaitCtlConn) {
    ++unexpected_messages_;
    return;
  }
  if (!response_matches(MessageType::kScccn, m)) {
    close(StopCcnResult::kNotAuthorized, "peer failed tunnel authentication", now, actions);
    return;
  }
  become_established(now, actions);
}

void Tunnel::become_established(TimePoint now, Actions& actions) {
  state_ = TunnelState::kEstablished;
  emit(EventType::kTunnelUp, 0, 0, "tunnel to " + peer_host_name_ + " established", actions);
  for (auto& [id, s] : sessions_)
    if (s.state == SessionState::kWaitTunnel) place_call(s, now, actions);
}

void Tunnel::on_stopccn(const ControlMessage& m, TimePoint now, Actions& actions) {
  state_ = TunnelState::kClosing;
  // Keep the state long enough to acknowledge a retransmitted StopCCN (5.7).
  linger_until_ = now + config_->stop_linger;
  const auto result = m.result_code ? m.result_code->result : std::uint16_t{0};
  finish("peer sent StopCCN (" + result_text(m) + ")", result, actions);
}

std::uint16_t Tunnel::allocate_session_id() {
  for (;;) {
    const auto id = static_cast<std::uint16_t>(rng_->next_u32());
    if (id != 0 && !sessions_.contains(id)) return id;
  }
}

void Tunnel::on_icrq(const ControlMessage& m, TimePoint now, Actions& actions) {
  if (!config_->accept_tunnels || state_ != TunnelState::kEstablished) {
    ++unexpected_messages_;
    return;
  }
  if (!m.assigned_session_id || *m.assigned_session_id == 0 || !m.call_serial_number) {
    send(m.assigned_session_id.value_or(0),
         cdn(0, CdnResult::kGeneralError, ErrorCode::kBadLength, "ICRQ lacks a mandatory AVP"), now,
         actions);
    return;
  }
  if (sessions_.size() >= config_->max_sessions_per_tunnel) {
    send(*m.assigned_session_id,
         cdn(0, CdnResult::kTemporaryLackOfFacilities, ErrorCode::kInsufficientResources,
             "session limit reached"),
         now, actions);
    return;
  }
  Session s;
  s.local_id = allocate_session_id();
  s.peer_id = *m.assigned_session_id;
  s.call_serial = *m.call_serial_number;
  s.state = SessionState::kWaitConnect;
  sessions_[s.local_id] = s;
  ControlMessage reply;
  reply.type = MessageType::kIcrp;
  reply.assigned_session_id = s.local_id;
  send(s.peer_id, reply, now, actions);
}

void Tunnel::on_icrp(std::uint16_t header_session, const ControlMessage& m, TimePoint now,
                     Actions& actions) {
  auto it = sessions_.find(header_session);
  if (it == sessions_.end() || it->second.state != SessionState::kWaitReply) {
    ++unexpected_messages_;
    return;
  }
  Session& s = it->second;
  if (!m.assigned_session_id || *m.assigned_session_id == 0) {
    close_session(s.local_id, CdnResult::kGeneralError, "ICRP lacks Assigned Session ID", now,
                  actions);
    return;
  }
  s.peer_id = *m.assigned_session_id;
  ControlMessage reply;
  reply.type = MessageType::kIccn;
  reply.tx_connect_speed = kConnectSpeed;
  reply.framing_type = kFramingSynchronous;
  send(s.peer_id, reply, now, actions);
  s.state = SessionState::kEstablished;
  emit(EventType::kSessionUp, s.local_id, 0, "session established", actions);
}

void Tunnel::on_iccn(std::uint16_t header_session, Actions& actions) {
  auto it = sessions_.find(header_session);
  if (it == sessions_.end() || it->second.state != SessionState::kWaitConnect) {
    ++unexpected_messages_;
    return;
  }
  it->second.state = SessionState::kEstablished;
  emit(EventType::kSessionUp, it->first, 0, "session established", actions);
}

void Tunnel::on_cdn(std::uint16_t header_session, const ControlMessage& m, Actions& actions) {
  auto it = sessions_.find(header_session);
  // A CDN for a call whose ICRP was lost carries session 0; find it by the peer's id (6.14).
  if (it == sessions_.end() && m.assigned_session_id) {
    it = std::find_if(sessions_.begin(), sessions_.end(),
                      [&](const auto& e) { return e.second.peer_id == *m.assigned_session_id; });
  }
  if (it == sessions_.end()) {
    ++unexpected_messages_;
    return;
  }
  const auto result = m.result_code ? m.result_code->result : std::uint16_t{0};
  emit(EventType::kSessionDown, it->first, result, "peer sent CDN (" + result_text(m) + ")",
       actions);
  sessions_.erase(it);
}

void Tunnel::on_decode_failure(std::uint16_t header_session, const DecodeFailure& f, TimePoint now,
                               Actions& actions) {
  if (!f.mandatory) return;  // 4.1: an unknown optional message is ignored
  const auto error = f.error == MessageError::kUnknownMandatoryAvp ? ErrorCode::kUnknownMandatoryAvp
                                                                   : ErrorCode::kBadLength;
  // A broken session message clears the session; anything else clears the tunnel (4.1).
  if (header_session != 0 && sessions_.contains(header_session)) {
    close_session(header_session, CdnResult::kGeneralError, "undecodable message from peer", now,
                  actions);
    return;
  }
  state_ = TunnelState::kClosing;
  send(0, stop_ccn(local_id_, StopCcnResult::kGeneralError, error, "undecodable message"), now,
       actions);
  finish("undecodable control message from peer",
         static_cast<std::uint16_t>(StopCcnResult::kGeneralError), actions);
}

std::uint16_t Tunnel::open_session(std::uint32_t call_serial, TimePoint now, Actions& actions) {
  Session s;
  s.local_id = allocate_session_id();
  s.call_serial = call_serial;
  s.state = SessionState::kWaitTunnel;
  auto& stored = sessions_[s.local_id] = s;
  if (state_ == TunnelState::kEstablished) place_call(stored, now, actions);
  return s.local_id;
}

void Tunnel::place_call(Session& s, TimePoint now, Actions& actions) {
  ControlMessage m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = s.local_id;
  m.call_serial_number = s.call_serial;
  m.bearer_type = 0;
  s.state = SessionState::kWaitReply;
  send(0, m, now, actions);
}

void Tunnel::close_session(std::uint16_t local_id, CdnResult result, std::string_view reason,
                           TimePoint now, Actions& actions) {
  auto it = sessions_.find(local_id);
  if (it == sessions_.end()) return;
  if (it->second.state != SessionState::kWaitTunnel && state_ == TunnelState::kEstablished) {
    send(it->second.peer_id, cdn(local_id, result, std::nullopt, reason), now, actions);
  }
  emit(EventType::kSessionDown, local_id, static_cast<std::uint16_t>(result),
       "closed locally: " + std::string(reason), actions);
  sessions_.erase(it);
}

void Tunnel::close(StopCcnResult result, std::string_view reason, TimePoint now, Actions& actions) {
  if (state_ == TunnelState::kClosing) return;
  state_ = TunnelState::kClosing;
  if (peer_id_ == 0) {
    // The peer never named its tunnel (no SCCRP yet): there is nobody to send StopCCN to.
    finished_ = true;
    finish("closed locally: " + std::string(reason), static_cast<std::uint16_t>(result), actions);
    return;
  }
  send(0, stop_ccn(local_id_, result, std::nullopt, reason), now, actions);
  finish("closed locally: " + std::string(reason), static_cast<std::uint16_t>(result), actions);
}

void Tunnel::probe(TimePoint now, Actions& actions) {
  if (state_ != TunnelState::kEstablished) return;
  ControlMessage hello;
  hello.type = MessageType::kHello;
  send(0, hello, now, actions);
}

void Tunnel::end_sessions(std::string_view reason, Actions& actions) {
  for (const auto& [id, s] : sessions_)
    emit(EventType::kSessionDown, id, 0, std::string(reason), actions);
  sessions_.clear();
}

void Tunnel::finish(std::string_view reason, std::uint16_t result, Actions& actions) {
  end_sessions("tunnel closed", actions);
  emit(EventType::kTunnelDown, 0, result, std::string(reason), actions);
}

void Tunnel::on_timer(TimePoint now, Actions& actions) {
  if (finished_) return;
  if (!channel_.on_timer(now, scratch_)) {
    flush(actions);
    finished_ = true;
    // Our own StopCCN going unanswered already reported the tunnel down.
    if (state_ != TunnelState::kClosing)
      finish("peer stopped acknowledging control messages", 0, actions);
    return;
  }
  flush(actions);
  if (state_ == TunnelState::kClosing) {
    if (now >= linger_until_ || (linger_until_ == TimePoint::max() && channel_.idle()))
      finished_ = true;
    return;
  }
  if (state_ == TunnelState::kEstablished && channel_.idle() &&
      now >= last_heard_ + config_->hello_interval) {
    probe(now, actions);
    last_heard_ = now;  // one HELLO per interval; its retransmissions decide liveness
  }
}

TimePoint Tunnel::next_deadline() const {
  if (finished_) return TimePoint::max();
  TimePoint next = channel_.next_deadline();
  if (state_ == TunnelState::kClosing) return std::min(next, linger_until_);
  if (state_ == TunnelState::kEstablished && channel_.idle())
    next = std::min(next, last_heard_ + config_->hello_interval);
  return next;
}

const Session* Tunnel::established_session(std::uint16_t local_id) const {
  auto it = sessions_.find(local_id);
  return it != sessions_.end() && it->second.state == SessionState::kEstablished ? &it->second
                                                                                 : nullptr;
}

}  // namespace tandem::l2tp
