#include "wireguard/timers.hpp"

#include <algorithm>

namespace tandem::wireguard {

void PeerTimers::data_sent(TimePoint now, Duration jitter) {
  // If the peer stays silent for a keepalive interval plus a handshake timeout after we sent
  // data, the session is probably dead: start a new handshake.
  if (!new_handshake) new_handshake = now + kKeepaliveTimeout + kRekeyTimeout + jitter;
}

void PeerTimers::data_received(TimePoint now) {
  if (!send_keepalive)
    send_keepalive = now + kKeepaliveTimeout;
  else
    need_another_keepalive = true;
}

void PeerTimers::any_authenticated_packet_traversal(TimePoint now,
                                                    std::uint16_t persistent_interval_s) {
  if (persistent_interval_s != 0)
    persistent_keepalive = now + std::chrono::seconds(persistent_interval_s);
}

void PeerTimers::handshake_initiated(TimePoint now, Duration jitter) {
  retransmit_handshake = now + kRekeyTimeout + jitter;
}

void PeerTimers::handshake_complete() {
  retransmit_handshake.reset();
  handshake_attempts = 0;
  sent_lastminute_handshake = false;
}

void PeerTimers::session_derived(TimePoint now) {
  zero_key_material = now + 3 * kRejectAfterTime;
}

void PeerTimers::stop_all() {
  retransmit_handshake.reset();
  send_keepalive.reset();
  new_handshake.reset();
  zero_key_material.reset();
  persistent_keepalive.reset();
}

std::optional<TimePoint> PeerTimers::earliest() const {
  std::optional<TimePoint> best;
  for (const auto& t : {retransmit_handshake, send_keepalive, new_handshake, zero_key_material,
                        persistent_keepalive}) {
    if (t && (!best || *t < *best)) best = t;
  }
  return best;
}

}  // namespace tandem::wireguard
