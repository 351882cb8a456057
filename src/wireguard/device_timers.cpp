// What the device does when a peer's timer expires (whitepaper section 6, kernel timers.c).
#include "wireguard/device.hpp"

namespace tandem::wireguard {
namespace {

bool due(std::optional<TimePoint>& deadline, TimePoint now) {
  if (!deadline || *deadline > now) return false;
  deadline.reset();
  return true;
}

}  // namespace

std::optional<TimePoint> Device::next_deadline() const {
  std::optional<TimePoint> best;
  for (const auto& [id, peer] : peers_) {
    const auto t = peer->timers.earliest();
    if (t && (!best || *t < *best)) best = t;
  }
  return best;
}

void Device::on_timer(TimePoint now, DeviceActions& actions) {
  // Copy the ids: a timer action never removes peers, but iterating a snapshot keeps that
  // obviously safe.
  for (PeerId id : peer_order_)
    if (Peer* peer = find(id)) run_peer_timers(*peer, now, actions);
}

void Device::run_peer_timers(Peer& peer, TimePoint now, DeviceActions& actions) {
  PeerTimers& t = peer.timers;
  if (due(t.retransmit_handshake, now)) {
    if (t.handshake_attempts > kMaxTimerHandshakes) {
      // REKEY_ATTEMPT_TIME has passed: stop trying, drop what waited, and wipe keys later.
      t.send_keepalive.reset();
      peer.staged.clear();
      if (!t.zero_key_material) t.zero_key_material = now + 3 * kRejectAfterTime;
      actions.on_event(
          {DeviceEvent::Kind::kHandshakeGaveUp, peer.id, true, peer.endpoint.value_or(Endpoint{})});
    } else {
      ++t.handshake_attempts;
      send_initiation(peer, true, now, actions);
    }
  }
  if (due(t.send_keepalive, now)) {
    send_keepalive(peer, now, actions);
    if (t.need_another_keepalive) {
      t.need_another_keepalive = false;
      t.send_keepalive = now + kKeepaliveTimeout;
    }
  }
  if (due(t.new_handshake, now)) send_initiation(peer, false, now, actions);
  if (due(t.zero_key_material, now)) {
    clear_sessions(peer);
    actions.on_event(
        {DeviceEvent::Kind::kKeysZeroed, peer.id, false, peer.endpoint.value_or(Endpoint{})});
  }
  if (due(t.persistent_keepalive, now) && peer.persistent_keepalive_interval != 0)
    send_keepalive(peer, now, actions);
}

}  // namespace tandem::wireguard
