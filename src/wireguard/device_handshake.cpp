// The device's handshake behaviour: sending initiations, answering them, accepting responses
// and cookie replies, and starting sessions (whitepaper sections 5.1-5.4, 6.2-6.4).
#include <algorithm>

#include "wireguard/device.hpp"

namespace tandem::wireguard {

void Device::send_initiation(Peer& peer, bool is_retry, TimePoint now, DeviceActions& actions) {
  if (!identity_ || !peer.endpoint || !ensure_static_static(*identity_, peer.remote)) return;
  if (!is_retry) peer.timers.handshake_attempts = 0;
  // At most one initiation per REKEY_TIMEOUT, whatever asks for it.
  if (peer.timers.last_sent_handshake && now - *peer.timers.last_sent_handshake < kRekeyTimeout)
    return;
  peer.timers.last_sent_handshake = now;

  if (peer.handshake.stage == HandshakeStage::kCreatedInitiation)
    release_index(peer.handshake.local_index);
  const std::uint32_t index = allocate_index(peer.id);
  auto msg = std::span(scratch_).first<InitiationLayout::kSize>();
  if (!create_initiation(*identity_, peer.remote, peer.handshake, index, rng_, wall_.wall_now(),
                         msg)) {
    release_index(index);
    peer.handshake.clear();
    return;
  }
  peer.cookie.add_macs(msg, peer.remote, now);
  peer.timers.any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval);
  peer.timers.any_authenticated_packet_sent();
  peer.tx_bytes += msg.size();
  actions.send_datagram(*peer.endpoint, msg);
  peer.timers.handshake_initiated(now, jitter());
  actions.on_event({DeviceEvent::Kind::kHandshakeInitiationSent, peer.id, true, *peer.endpoint});
}

bool Device::mac_checks_pass(Packet& packet, TimePoint now, DeviceActions& actions) {
  const bool loaded = under_load(now);
  if (loaded && !rate_limiter_.allow(packet.endpoint.address, now)) {
    drop(DropReason::kRateLimited);
    return false;
  }
  const auto status = cookie_checker_.check(packet.bytes(), packet.endpoint, loaded, rng_, now);
  if (status == CookieChecker::MacStatus::kInvalidMac1) {
    drop(DropReason::kBadMac1);
    // mac1 is keyed with the receiver's public key: an initiation that fails it was made for
    // another key.
    if (classify_message(packet.bytes()).type == MessageType::kHandshakeInitiation)
      actions.on_event({DeviceEvent::Kind::kInitiationNotForUs, 0, false, packet.endpoint});
    return false;
  }
  if (loaded && status != CookieChecker::MacStatus::kValidMac1AndCookie) {
    // Prove the sender can receive at its address before spending a DH on it.
    auto reply = std::span(scratch_).first<CookieReplyLayout::kSize>();
    cookie_checker_.make_reply(packet.bytes(), packet.endpoint, rng_, now, reply);
    actions.send_datagram(packet.endpoint, reply);
    actions.on_event({DeviceEvent::Kind::kCookieReplySent, 0, false, packet.endpoint});
    drop(DropReason::kCookieRequired);
    return false;
  }
  return true;
}

void Device::update_endpoint(Peer& peer, const Endpoint& source, DeviceActions& actions) {
  if (peer.endpoint && *peer.endpoint == source) return;
  peer.endpoint = source;
  peer.path_mtu.reset();  // a new path: what the old one carried says nothing about it
  actions.on_event({DeviceEvent::Kind::kEndpointChanged, peer.id, false, source});
}

void Device::begin_session(Peer& peer, SessionKeys& keys, TimePoint now) {
  auto keypair = std::make_unique<Keypair>();
  keypair->send_key = keys.send;
  keypair->receive_key = keys.receive;
  keypair->local_index = keys.local_index;
  keypair->remote_index = keys.remote_index;
  keypair->we_initiated = keys.we_initiated;
  keypair->created = now;
  if (keys.we_initiated) {
    // The initiator may use the new session at once; the old one stays to receive stragglers.
    if (peer.next) {
      destroy_keypair(peer.previous);
      peer.previous = std::move(peer.next);
      destroy_keypair(peer.current);
    } else {
      destroy_keypair(peer.previous);
      peer.previous = std::move(peer.current);
    }
    peer.current = std::move(keypair);
  } else {
    // The responder waits for the initiator's first data before sending with it.
    destroy_keypair(peer.next);
    peer.next = std::move(keypair);
    destroy_keypair(peer.previous);
  }
  peer.timers.session_derived(now);
}

void Device::handle_initiation(Packet& packet, TimePoint now, DeviceActions& actions) {
  if (!identity_) {
    drop(DropReason::kNoPrivateKey);
    return;
  }
  if (!mac_checks_pass(packet, now, actions)) return;
  const ByteView msg = packet.bytes();
  auto opening = open_initiation(*identity_, msg);
  if (!opening) {
    drop(DropReason::kHandshakeDecryptFailed);
    actions.on_event({DeviceEvent::Kind::kInitiationNotForUs, 0, false, packet.endpoint});
    return;
  }
  auto peer_id = find_peer(opening->remote_static);
  Peer* peer = peer_id ? find(*peer_id) : nullptr;
  if (!peer) {
    drop(DropReason::kUnknownPeer);
    actions.on_event({DeviceEvent::Kind::kInitiationFromUnknownKey, 0, false, packet.endpoint,
                      opening->remote_static});
    return;
  }
  const HandshakeStage old_stage = peer->handshake.stage;
  const std::uint32_t old_index = peer->handshake.local_index;
  // A peer whose DH is zero fails to decrypt below, as it always has.
  ensure_static_static(*identity_, peer->remote);
  switch (consume_initiation(*opening, peer->remote, peer->handshake, msg, now)) {
    case ConsumeStatus::kOk:
      break;
    case ConsumeStatus::kDecryptFailed:
      drop(DropReason::kHandshakeDecryptFailed);
      actions.on_event({DeviceEvent::Kind::kInitiationNotForUs, 0, false, packet.endpoint});
      return;
    case ConsumeStatus::kReplayedTimestamp:
      drop(DropReason::kReplayedTimestamp);
      actions.on_event({DeviceEvent::Kind::kInitiationReplayed, peer->id, false, packet.endpoint});
      return;
    case ConsumeStatus::kFlood:
      drop(DropReason::kInitiationFlood);
      return;
  }
  // Our own initiation in flight is superseded by theirs.
  if (old_stage == HandshakeStage::kCreatedInitiation) release_index(old_index);
  update_endpoint(*peer, packet.endpoint, actions);

  const std::uint32_t index = allocate_index(peer->id);
  auto response = std::span(scratch_).first<ResponseLayout::kSize>();
  if (!create_response(*identity_, peer->remote, peer->handshake, index, rng_, response)) {
    release_index(index);
    peer->handshake.clear();
    drop(DropReason::kHandshakeDecryptFailed);
    return;
  }
  peer->cookie.add_macs(response, peer->remote, now);
  auto keys = derive_session(peer->handshake);
  if (!keys) return;
  begin_session(*peer, *keys, now);
  peer->timers.any_authenticated_packet_traversal(now, peer->persistent_keepalive_interval);
  peer->timers.any_authenticated_packet_sent();
  peer->timers.last_sent_handshake = now;
  peer->rx_bytes += msg.size();
  peer->tx_bytes += response.size();
  actions.send_datagram(*peer->endpoint, response);
}

void Device::handle_response(Packet& packet, TimePoint now, DeviceActions& actions) {
  if (!identity_) {
    drop(DropReason::kNoPrivateKey);
    return;
  }
  if (!mac_checks_pass(packet, now, actions)) return;
  const ByteView msg = packet.bytes();
  auto it = indices_.find(load_le32(msg.data() + ResponseLayout::kReceiver));
  Peer* peer = it == indices_.end() ? nullptr : find(it->second);
  if (!peer || peer->handshake.stage != HandshakeStage::kCreatedInitiation ||
      peer->handshake.local_index != it->first) {
    drop(DropReason::kUnexpectedResponse);
    return;
  }
  if (!consume_response(*identity_, peer->remote, peer->handshake, msg)) {
    drop(DropReason::kHandshakeDecryptFailed);
    actions.on_event(
        {DeviceEvent::Kind::kResponseNotAuthenticated, peer->id, true, packet.endpoint});
    return;
  }
  update_endpoint(*peer, packet.endpoint, actions);
  auto keys = derive_session(peer->handshake);
  if (!keys) return;
  begin_session(*peer, *keys, now);
  peer->timers.handshake_complete();
  peer->last_handshake = wall_.wall_now();
  peer->timers.any_authenticated_packet_received();
  peer->timers.any_authenticated_packet_traversal(now, peer->persistent_keepalive_interval);
  peer->rx_bytes += msg.size();
  actions.on_event({DeviceEvent::Kind::kHandshakeCompleted, peer->id, true, *peer->endpoint});
  // Confirm the session to the responder: with waiting packets if any, else a keepalive.
  if (!peer->staged.empty())
    send_staged(*peer, now, actions);
  else
    send_keepalive(*peer, now, actions);
}

void Device::handle_cookie_reply(Packet& packet, TimePoint now, DeviceActions& actions) {
  const ByteView msg = packet.bytes();
  auto it = indices_.find(load_le32(msg.data() + CookieReplyLayout::kReceiver));
  Peer* peer = it == indices_.end() ? nullptr : find(it->second);
  if (!peer || !peer->cookie.consume_reply(msg, peer->remote, now)) {
    drop(DropReason::kBadCookieReply);
    return;
  }
  actions.on_event({DeviceEvent::Kind::kCookieReplyReceived, peer->id, false, packet.endpoint});
}

}  // namespace tandem::wireguard
