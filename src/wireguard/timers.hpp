// A peer's timers (whitepaper section 6, the kernel's timers.c): what each protocol event arms
// or cancels. Timers are deadlines the device compares with `now`; nothing here runs by itself.
// The device acts on an expired deadline (retransmit, keepalive, new handshake, key zeroing).
// Single-threaded.
#pragma once

#include <optional>

#include "base/time.hpp"
#include "wireguard/messages.hpp"

namespace tandem::wireguard {

struct PeerTimers {
  std::optional<TimePoint> retransmit_handshake;  // no response to our initiation yet
  std::optional<TimePoint> send_keepalive;        // we received data and have sent nothing back
  std::optional<TimePoint> new_handshake;         // we sent data and have heard nothing back
  std::optional<TimePoint> zero_key_material;     // no new session for 3 * REJECT_AFTER_TIME
  std::optional<TimePoint> persistent_keepalive;

  int handshake_attempts = 0;
  bool need_another_keepalive = false;
  bool sent_lastminute_handshake = false;
  std::optional<TimePoint> last_sent_handshake;

  // Event hooks, named after the moments the whitepaper attaches timers to.
  void data_sent(TimePoint now, Duration jitter);
  void data_received(TimePoint now);
  void any_authenticated_packet_sent() { send_keepalive.reset(); }
  void any_authenticated_packet_received() { new_handshake.reset(); }
  void any_authenticated_packet_traversal(TimePoint now, std::uint16_t persistent_interval_s);
  void handshake_initiated(TimePoint now, Duration jitter);
  void handshake_complete();
  void session_derived(TimePoint now);
  void stop_all();

  std::optional<TimePoint> earliest() const;
};

}  // namespace tandem::wireguard
